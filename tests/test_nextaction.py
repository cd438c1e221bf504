"""Next-action prediction on the CPU: a clickstream with a planted rule that a first-order Markov chain over event types
cannot see, and the causality of the transformer (a prefix's prediction never depends on later events)."""
import numpy as np, pandas as pd
import pytest
from shopnb.nextaction import (Sessions, session_sequences, split_users, evaluate, MajorityNextAction, MarkovNextAction,
                               NextActionTransformer)


def planted(n_users=40, n_sessions=5, seed=0):
    """Sessions of 4-9 events, one a minute; a view is of a new product, or (with probability 0.4) a second view of a product
    viewed once before in the session. The rule: a cart follows every second view of a product, and nothing else."""
    rng = np.random.default_rng(seed); rows = []
    for u in range(n_users):
        for s in range(n_sessions):
            t0 = pd.Timestamp('2024-01-01') + pd.Timedelta(days=s, hours=u % 12)
            views, carted, last = [], set(), None
            for i in range(int(rng.integers(4, 10))):
                if last is not None and views.count(last) == 2 and last not in carted:
                    typ, p = 'cart', last; carted.add(p)
                else:
                    once = [q for q in views if views.count(q) == 1]
                    p = once[rng.integers(len(once))] if once and rng.random() < 0.4 else f'p{u}-{s}-{i}'
                    typ = 'view'; views.append(p)
                rows.append((f'u{u}', t0 + pd.Timedelta(minutes=i), typ, p)); last = p if typ == 'view' else None
    return pd.DataFrame(rows, columns=['user_id', 'ts', 'event_type', 'product_id'])


@pytest.fixture(scope='module')
def split():
    return split_users(session_sequences(planted()), seed=0)


@pytest.fixture(scope='module')
def model(split):
    return NextActionTransformer(d_model=16, n_layers=1, n_heads=2, epochs=8, batch_size=16, lr=1e-2, seed=0).fit(split[0])


def test_planted_rule_and_markov_by_hand(split):
    tr, te = split
    yt, _, pos = te.targets()
    cur, rep = te.type[pos], te.rep[pos]
    # the rule as the encoder sees it: the next event is a cart exactly after a view of a product seen earlier in the session
    np.testing.assert_array_equal(yt == 1, (cur == 0) & (rep == 1))
    share_view = (yt == 0).mean()  # ~0.79
    mk = evaluate(MarkovNextAction().fit(tr), te)
    # after a view, a view is more likely than a cart, after a cart always a view: the chain always says 'view'
    assert mk['accuracy'] == pytest.approx(share_view)
    assert mk['macro_f1'] == pytest.approx(share_view / (1 + share_view))  # F1(view) = 2 acc / (1 + acc), F1(cart) = 0, halved
    assert evaluate(MajorityNextAction().fit(tr), te)['accuracy'] == pytest.approx(share_view)


def test_transformer_learns_the_planted_rule(split, model):
    tr, te = split
    res, mk = evaluate(model, te), evaluate(MarkovNextAction().fit(tr), te)
    # measured over five data and model seeds: accuracy and macro-F1 1.0 after 6 epochs or more, Markov macro-F1 0.43-0.44
    assert res['accuracy'] > 0.98 and res['macro_f1'] > 0.97
    assert res['macro_f1'] > mk['macro_f1'] + 0.5
    proba, _ = model.predict(te)
    np.testing.assert_allclose(proba.sum(1), 1, atol=1e-5)


def _first(s: Sessions, k: int) -> Sessions:
    "Each session cut to its first `k` events."
    L = np.minimum(s.lengths, k)
    idx = np.concatenate([np.arange(a, a + l) for a, l in zip(s.offsets[:-1], L)])
    return Sessions(s.users, np.r_[0, np.cumsum(L)].astype(int), s.type[idx], s.cat[idx], s.gap[idx], s.rep[idx], s.categories)


def test_predictions_are_causal(split, model):
    "A prefix's prediction is the same whether or not the rest of the session is there."
    te = split[1]
    full, _ = model.predict(te)
    cut = _first(te, 3)
    part, _ = model.predict(cut)
    _, _, pos_full = te.targets(); _, _, pos_cut = cut.targets()
    # flat position of each prefix within its session, matched between the two
    key = lambda s, pos: list(zip(np.repeat(np.arange(len(s)), s.lengths)[pos], pos - s.offsets[np.repeat(np.arange(len(s)), s.lengths)[pos]]))
    where = {k: i for i, k in enumerate(key(te, pos_full))}
    sel = [where[k] for k in key(cut, pos_cut)]
    assert len(sel) == 2 * len(te)  # two prefixes per cut session
    np.testing.assert_allclose(part, full[sel], atol=1e-5)
