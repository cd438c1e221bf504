"Forecasting: series from a shop, bad input, determinism, models against the seasonal naive."
import numpy as np
import pandas as pd
import pytest
from shopnb.core import ShopnbError
from shopnb import forecast as fc
from shopnb.schema import SALE_STATUSES


@pytest.fixture(scope='module')
def shop(small_shop_dir):
    from shopnb.schema import Shop
    return Shop.load(small_shop_dir)


def test_series_complete_calendar(shop):
    y = fc.shop_series(shop, 'orders')
    o = shop['orders']
    assert y.index[0] == o.ts.min().normalize() and y.index[-1] == o.ts.max().normalize()
    assert len(y) == (y.index[-1] - y.index[0]).days + 1          # no gaps
    assert (y >= 0).all() and (y == 0).any()                        # closed days are zeros
    sold = o[o.status.isin(SALE_STATUSES)].merge(shop['order_items'])
    sold = sold[(sold.quantity > 0) & (sold.unit_price > 0)]
    assert y.sum() == sold.order_id.nunique()
    rev = fc.shop_series(shop, 'revenue')
    assert rev.sum() == pytest.approx(float((sold.quantity * sold.unit_price).sum()))
    assert fc.shop_series(shop, 'units').sum() == sold.quantity.sum()


def test_series_by_category_and_weekly(shop):
    wide = fc.shop_series(shop, 'revenue', by='category')
    total = fc.shop_series(shop, 'revenue')
    assert wide.shape[1] > 1
    np.testing.assert_allclose(wide.sum(axis=1).to_numpy(), total.to_numpy())
    # weekly: Monday-to-Sunday sums of the daily series over the full weeks only (partial first/last weeks dropped)
    w = fc.shop_series(shop, 'orders', freq='W')
    d = fc.shop_series(shop, 'orders')
    first_monday = d.index[0] + pd.Timedelta(days=(7 - d.index[0].day_of_week) % 7)
    last_sunday = d.index[-1] - pd.Timedelta(days=(d.index[-1].day_of_week + 1) % 7)
    full = d.loc[first_monday:last_sunday].to_numpy()
    assert len(full) % 7 == 0 and len(w) == len(full) // 7
    assert (w.index.day_of_week == 6).all() and w.index[0] == first_monday + pd.Timedelta(days=6) and w.index[-1] == last_sunday
    np.testing.assert_array_equal(w.to_numpy(), full.reshape(-1, 7).sum(axis=1))


def test_bad_input(shop):
    with pytest.raises(ShopnbError, match='target'): fc.shop_series(shop, 'profit')
    with pytest.raises(ShopnbError, match='freq'): fc.shop_series(shop, 'orders', freq='M')
    idx = pd.date_range('2021-01-01', periods=10)
    with pytest.raises(ShopnbError, match='two seasons'): fc.ETS().fit(pd.Series(np.arange(10.0), index=idx))
    with pytest.raises(ShopnbError, match='all zeros'): fc.Theta().fit(pd.Series(0.0, index=pd.date_range('2021-01-01', periods=60)))
    with pytest.raises(ShopnbError, match='missing'): fc.ETS().fit(pd.Series([1.0, np.nan] * 20, index=pd.date_range('2021-01-01', periods=40)))
    y = fc.synthetic_series(60)
    for h in (0, -3, 2.5):
        with pytest.raises(ShopnbError, match='positive integer'): fc.SeasonalNaive().fit(y).forecast(h)
    with pytest.raises(ShopnbError, match='fit'): fc.ETS().forecast(7)
    with pytest.raises(ShopnbError, match='levels'): fc.SeasonalNaive().fit(y).forecast(7, levels=(80, 120))
    with pytest.raises(ShopnbError, match='unknown model'): fc.make_models('prophet')
    with pytest.raises(ShopnbError): fc.backtest(y, fc.ETS(), horizon=0)


def test_models_beat_seasonal_naive_on_weekly_pattern():
    y = fc.synthetic_series(280, seed=3, noise=3.0)
    bt = fc.backtest(y, fc.make_models('all', horizon=14), horizon=14, windows=4)
    s = bt.summary()
    for m in ('ets', 'sarimax', 'theta', 'stl_ets', 'combination'):
        assert s.loc[m, 'mase'] < s.loc['seasonal_naive', 'mase'], (m, s.mase.to_dict())
    # Saturdays are learned as closed and forecast as exactly zero
    f = bt.forecasts[bt.forecasts.model == 'combination']
    assert (f.loc[pd.to_datetime(f.date).dt.day_of_week == 5, ['mean', 'lo95', 'hi95']] == 0).all().all()


def test_yearly_index_uses_last_year():
    # two years: a December peak three times the rest of the year; the peak must be forecast from last year
    idx = pd.date_range('2020-01-06', '2021-11-20')
    rng = np.random.default_rng(0)
    level = np.where(idx.month == 12, 60.0, 20.0)
    y = pd.Series(level + rng.normal(0, 1, len(idx)), index=idx)
    f_year = fc.ETS().fit(y).forecast(28)['mean']
    f_flat = fc.ETS(yearly=False).fit(y).forecast(28)['mean']
    mid_dec = f_year.index >= '2021-12-08'      # away from the smoothed edge of last year's step
    assert f_year[mid_dec].mean() > 45          # last December's level, not the flat recent one
    assert f_flat[mid_dec].mean() < 30
    assert f_year[f_year.index < '2021-11-25'].mean() < 35


def test_deterministic():
    y = fc.synthetic_series(200, seed=5)
    a = fc.backtest(y, fc.make_models('ets,combination', horizon=14), horizon=14, windows=3).summary()
    b = fc.backtest(y, fc.make_models('ets,combination', horizon=14), horizon=14, windows=3).summary()
    pd.testing.assert_frame_equal(a.drop(columns='wall_s'), b.drop(columns='wall_s'))


def test_parallel_equals_sequential():
    y = fc.synthetic_series(150, seed=2)
    a = fc.backtest(y, {'ets': fc.ETS()}, horizon=7, windows=4, n_jobs=1).forecasts
    b = fc.backtest(y, {'ets': fc.ETS()}, horizon=7, windows=4, n_jobs=2).forecasts
    pd.testing.assert_frame_equal(a, b)


def test_exogenous_regressor():
    y = fc.synthetic_series(200, seed=4)
    promo = pd.Series(0.0, index=y.index.append(pd.date_range(y.index[-1] + pd.Timedelta(days=1), periods=14)))
    promo.iloc[::10] = 1.0
    y = y + 15 * promo.loc[y.index] * (y > 0)
    X = promo.to_frame('promo')
    m = fc.SARIMAX(yearly=False).fit(y, X.loc[y.index])
    f = m.forecast(14, X=X.iloc[-14:])
    on = X.iloc[-14:]['promo'].to_numpy() == 1
    open_ = f['mean'].to_numpy() > 0
    assert f['mean'][on & open_].mean() > f['mean'][~on & open_].mean() + 8
    with pytest.raises(ShopnbError, match='X'): m.forecast(14)


def test_anomalies_marks_outliers():
    # planted: one day far above and one far below what the weekly pattern predicts, each in a different window
    y = fc.synthetic_series(200, seed=6)
    hi_day, lo_day = y.index[-10], y.index[-17]          # a Friday and a Thursday (open days)
    assert hi_day.day_of_week != 5 and lo_day.day_of_week != 5
    y[hi_day], y[lo_day] = y[hi_day] + 60, 0.0           # +30 noise sd; a usual value of ~21 (10 sd) down to nothing
    bt = fc.backtest(y, {'ets': fc.ETS()}, horizon=14, windows=2)
    an = fc.anomalies(bt, 'ets').assign(date=lambda d: pd.to_datetime(d.date)).set_index('date')
    assert an.loc[hi_day, 'direction'] == 'high' and an.loc[hi_day, 'actual'] > an.loc[hi_day, 'hi95']
    assert an.loc[lo_day, 'direction'] == 'low' and an.loc[lo_day, 'actual'] < an.loc[lo_day, 'lo95']
    # the unplanted days are anomalies at about the 5 % the 95 % interval allows (24 open test days: at most 4 by chance)
    assert len(an.drop([hi_day, lo_day])) <= 4, an
    # a level that is not one of the backtest's levels names the levels it has
    with pytest.raises(ShopnbError, match=r'level 90 not in .*\[80, 95\]'): fc.anomalies(bt, 'ets', level=90)
    with pytest.raises(ShopnbError, match="model 'theta' not in the backtest"): fc.anomalies(bt, 'theta')


def _weekly_plus_noise(n, seed, sigma=4.0):
    "Known truth: a fixed weekly pattern (no closed day) plus iid N(0, sigma^2) noise."
    rng = np.random.default_rng(seed)
    idx = pd.date_range('2021-01-04', periods=n, freq='D')
    week = np.array([100, 96, 94, 98, 110, 70, 60.0])
    return pd.Series(week[idx.day_of_week] + rng.normal(0, sigma, n), index=idx, name='orders')


def _tolerance(p, n, estimation=0.02):
    "Three binomial standard deviations of a coverage share over n test days, plus an allowance for the estimated noise scale."
    return 3 * np.sqrt(p * (1 - p) / n) + estimation


def test_seasonal_naive_intervals_cover_at_nominal_level():
    # On pattern + iid noise, the one-week-ahead seasonal naive error y[t] - y[t-7] is exactly N(0, 2 sigma^2), which is what
    # its interval assumes: coverage of the 80 % and 95 % intervals over 40 weekly windows (280 days) must be nominal.
    y = _weekly_plus_noise(364 + 7 * 40, seed=0)
    s = fc.backtest(y, fc.SeasonalNaive(), horizon=7, windows=40).summary().loc['seasonal_naive']
    for level in (80, 95):
        p = level / 100
        assert abs(s[f'coverage{level}'] - p) <= _tolerance(p, 280), (level, s[f'coverage{level}'])
    # the interval width matches the truth: 2 * z * sqrt(2) * sigma
    from scipy.stats import norm
    assert s['width80'] == pytest.approx(2 * norm.ppf(0.9) * np.sqrt(2) * 4.0, rel=0.08)


def test_ets_intervals_cover_at_nominal_level():
    # ETS's model-based intervals on the same kind of series: 12 windows of 14 days (168 days).
    y = _weekly_plus_noise(364 + 14 * 12, seed=0)
    s = fc.backtest(y, fc.ETS(yearly=False), horizon=14, windows=12).summary().loc['ets']
    for level in (80, 95):
        p = level / 100
        assert abs(s[f'coverage{level}'] - p) <= _tolerance(p, 168), (level, s[f'coverage{level}'])
