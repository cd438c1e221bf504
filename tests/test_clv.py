"""The CLV models against data simulated in numpy from their published definitions with known parameters, and the
discounting of `clv` against values worked out by hand.

Tolerances: the spread of each estimate was measured by repeating the simulation and fit (30 seeds at the sample sizes
below); each test allows four standard deviations of the log estimate."""
import numpy as np, pandas as pd
import pytest
from shopnb.clv import BGNBD, GammaGamma, clv

BG_TRUTH = dict(r=0.5, alpha=5.0, a=0.8, b=2.5)
# standard deviation of log(estimate) over 30 simulations of 10,000 customers observed 26-104 weeks
BG_SD = dict(r=0.018, alpha=0.022, a=0.049, b=0.066)
GG_TRUTH = dict(p=6.0, q=4.0, v=40.0)
# standard deviation of log(estimate) over 30 simulations of 20,000 customers with 1 + Poisson(1) repeat purchases
GG_SD = dict(p=0.038, q=0.017, v=0.053, mean=0.0056)


def simulate_bgnbd(n, r, alpha, a, b, T, t_hold, rng):
    """BG/NBD (Fader, Hardie & Lee 2005): while alive a customer buys at rate lam ~ Gamma(r, rate alpha); after each repeat
    purchase they leave with probability p ~ Beta(a, b). Returns calibration (x, t_x) over (0, T], hold-out purchases over
    (T, T + t_hold] and whether the customer is alive at T."""
    lam, p = rng.gamma(r, 1 / alpha, n), rng.beta(a, b, n)
    K = rng.geometric(p)                           # the repeat purchase after which the customer leaves: 1, 2, ...
    H = T + t_hold
    N = rng.poisson(lam * H)                       # purchases a never-leaving customer would make in (0, H]
    cust = np.repeat(np.arange(n), N)
    t = rng.random(len(cust)) * H[cust]            # given their number, Poisson arrivals are uniform
    o = np.lexsort((t, cust)); cust, t = cust[o], t[o]
    k = np.arange(len(cust)) - np.repeat(np.cumsum(N) - N, N)
    made = k < K[cust]                             # purchases up to the K-th
    cal, hold = made & (t <= T[cust]), made & (t > T[cust])
    x = np.bincount(cust[cal], minlength=n).astype(float)
    tx = np.zeros(n); np.maximum.at(tx, cust[cal], t[cal])
    return x, tx, np.bincount(cust[hold], minlength=n).astype(float), x < K


@pytest.fixture(scope='module')
def bg_sim():
    rng = np.random.default_rng(0)
    n = 10_000
    T = rng.integers(26 * 7, 104 * 7 + 1, n) / 7    # weeks, whole days: customers join at different times
    x, tx, y, alive = simulate_bgnbd(n, **BG_TRUTH, T=T, t_hold=np.full(n, 26.0), rng=rng)
    return pd.DataFrame({'x': x, 'tx': np.floor(tx * 7) / 7, 'T': T, 'y': y, 'alive': alive})


def test_bgnbd_recovers_simulated_parameters(bg_sim):
    m = BGNBD().fit(bg_sim.x, bg_sim.tx, bg_sim['T'])
    for k, true in BG_TRUTH.items():
        assert abs(np.log(m.params_[k] / true)) < 4 * BG_SD[k], (k, m.params_[k], true)


def test_bgnbd_conditional_predictions_match_simulation(bg_sim):
    "With the true parameters, P(alive) and the expected hold-out purchases given each customer's history match what the simulation did."
    m = BGNBD(); m.params_ = dict(BG_TRUTH)
    pa = m.p_alive(bg_sim.x, bg_sim.tx, bg_sim['T'])
    pred = m.predict(26.0, bg_sim.x, bg_sim.tx, bg_sim['T'])
    y, alive = bg_sim.y.to_numpy(), bg_sim.alive.to_numpy(float)
    n = len(y)
    # totals within four standard errors (sum of independent customers: se = sd * sqrt(n))
    assert abs(pa.sum() - alive.sum()) < 4 * alive.std() * np.sqrt(n)
    assert abs(pred.sum() - y.sum()) < 4 * y.std() * np.sqrt(n)
    # and per calibration frequency, where the conditioning matters most
    for lo, hi in ((0, 0), (1, 2), (3, 6), (7, np.inf)):
        g = (bg_sim.x >= lo) & (bg_sim.x <= hi)
        assert abs(pred[g].sum() - y[g].sum()) < 4 * y[g].std() * np.sqrt(g.sum()) + 1, (lo, hi)
    # P(alive | x, t_x, T) = 1 / (1 + a / (b + x - 1) * ((alpha + T) / (alpha + t_x)) ** (r + x)), by hand for x = 5, T = 52
    np.testing.assert_allclose(m.p_alive([5, 5, 0], [51, 2, 0], [52, 52, 52]),
                               [1 / (1 + 0.8 / 6.5 * (57 / 56) ** 5.5), 1 / (1 + 0.8 / 6.5 * (57 / 7) ** 5.5), 1.0], rtol=1e-10)


def simulate_gamma_gamma(n, p, q, v, rng):
    """Gamma-Gamma (Fader, Hardie & Lee 2005b): nu ~ Gamma(q, rate v); each transaction value ~ Gamma(p, rate nu).
    Returns each customer's number of repeat transactions x and their mean value."""
    nu = rng.gamma(q, 1 / v, n)
    x = 1 + rng.poisson(1.0, n)
    return x.astype(float), rng.gamma(p * x, 1 / (x * nu))   # the mean of x Gamma(p, nu) values is Gamma(p x, rate x nu)


def test_gamma_gamma_recovers_simulated_parameters():
    x, m = simulate_gamma_gamma(20_000, **GG_TRUTH, rng=np.random.default_rng(0))
    gg = GammaGamma().fit(x, m)
    for k, true in GG_TRUTH.items():
        assert abs(np.log(gg.params_[k] / true)) < 4 * GG_SD[k], (k, gg.params_[k], true)
    p, q, v = (gg.params_[k] for k in 'pqv')
    mean = GG_TRUTH['p'] * GG_TRUTH['v'] / (GG_TRUTH['q'] - 1)  # population mean spend: 80
    assert abs(np.log(p * v / (q - 1) / mean)) < 4 * GG_SD['mean']
    test = gg.expected_spend([0], [0])[0]
    assert test == pytest.approx(p * v / (q - 1))


class _ConstantRate:
    "A purchase model stub: `rate` expected purchases per time unit, always alive."
    def __init__(self, rate): self.rate = rate
    def predict(self, t, f, rc, T): return np.full(len(f), self.rate * t)
    def p_alive(self, f, rc, T): return np.ones(len(f))

class _ConstantSpend:
    def __init__(self, s): self.s = s
    def expected_spend(self, f, m): return np.full(len(f), self.s)


def test_clv_discounting_by_hand():
    "Half a purchase per unit at 20 each: 10 per step, discounted by (1 + rate) ** -step."
    summary = pd.DataFrame({'frequency': [1.0], 'recency': [1.0], 'T': [2.0], 'monetary_value': [20.0]})
    bg, gg = _ConstantRate(0.5), _ConstantSpend(20.0)
    value = lambda **kw: clv(bg, gg, summary, **kw).clv.iloc[0]
    assert value(horizon=12, steps=12, discount_rate=0) == pytest.approx(120.0)      # undiscounted: 12 steps x 10
    assert value(horizon=2, steps=2, discount_rate=0.1) == pytest.approx(10 / 1.1 + 10 / 1.21)   # 17.3554
    assert value(horizon=12, steps=12, discount_rate=0.01) == pytest.approx(112.55077, abs=1e-4)  # 10 x (1 - 1.01^-12) / 0.01
    assert value(horizon=24, steps=12, discount_rate=0.01) == pytest.approx(2 * 112.55077, abs=1e-4)  # the rate is per step
    out = clv(bg, gg, summary, horizon=12, steps=12, discount_rate=0.01)
    assert out.expected_purchases.iloc[0] == pytest.approx(6.0) and out.expected_spend.iloc[0] == 20.0


def test_clv_falls_with_the_discount_rate(bg_sim):
    m = BGNBD(); m.params_ = dict(BG_TRUTH)
    s = bg_sim.head(200).rename(columns={'x': 'frequency', 'tx': 'recency'}).assign(monetary_value=0.0)
    v0, v1, v2 = (clv(m, None, s, horizon=52, steps=12, discount_rate=d).clv.to_numpy() for d in (0, 0.01, 0.1))
    np.testing.assert_allclose(v0, m.predict(52, s.frequency, s.recency, s['T']), rtol=1e-10)  # rate 0: the undiscounted sum
    assert (v0 > v1).all() and (v1 > v2).all()
    # every purchase is discounted by between one and `steps` steps
    assert (v1 <= v0 / 1.01 + 1e-12).all() and (v1 >= v0 / 1.01 ** 12 - 1e-12).all()


def test_fits_reach_the_derivative_free_maximum(bg_sim):
    """BFGS with the analytic gradients ends where a derivative-free search (Nelder-Mead on the log-likelihood alone,
    tight tolerances) ends: the same maximum, so the gradients lead the fit to the right place, not only quickly."""
    from scipy import optimize
    from shopnb.clv import _bgnbd_nll, _gg_nll
    x, tx, T = bg_sim.x.to_numpy(), bg_sim.tx.to_numpy(), bg_sim['T'].to_numpy()
    m = BGNBD().fit(x, tx, T)
    assert m.converged_
    nm = optimize.minimize(lambda p: _bgnbd_nll(p, x, tx, T, np.ones(len(x)))[0], np.log([1.0, T.mean(), 1.0, 1.0]),
                           method='Nelder-Mead', options=dict(maxiter=20000, xatol=1e-10, fatol=1e-13))
    np.testing.assert_allclose(list(m.params_.values()), np.exp(nm.x), rtol=1e-4)
    assert m.loglik_ >= -nm.fun * len(x) - 1e-6
    xg, mg = simulate_gamma_gamma(5_000, **GG_TRUTH, rng=np.random.default_rng(1))
    g = GammaGamma().fit(xg, mg)
    nm = optimize.minimize(lambda p: _gg_nll(p, xg, mg)[0], np.log([1.0, 1.0, mg.mean()]),
                           method='Nelder-Mead', options=dict(maxiter=20000, xatol=1e-10, fatol=1e-13))
    np.testing.assert_allclose(list(g.params_.values()), np.exp(nm.x), rtol=1e-4)
    assert g.loglik_ >= -nm.fun * len(xg) - 1e-6


def test_make_model():
    from shopnb.clv import MODELS, make_model
    from shopnb.core import ShopnbError
    assert set(MODELS) == {'bgnbd', 'gamma_gamma'} and make_model('gamma_gamma', penalizer=0.2).penalizer == 0.2
    with pytest.raises(ShopnbError, match=r"unknown CLV model 'pareto_nbd'; choose from \['bgnbd', 'gamma_gamma'\]"):
        make_model('pareto_nbd')
