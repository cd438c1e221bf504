"""Reproducible whatever the machine: the re-ranker (gradient boosting, whose parallel sums round differently with the
number of OpenMP threads) and the other models give the same scores with one and with two threads."""
import numpy as np
import pandas as pd
import pytest
from threadpoolctl import threadpool_limits

from shopnb import recommend as rec


@pytest.fixture(scope='module')
def inter():
    "Purchases of 400 customers over 200 days: each prefers a few of 80 items, and some buy again."
    rng = np.random.default_rng(0)
    fav = rng.integers(0, 80, size=(400, 5))
    u = rng.integers(0, 400, 8000)
    item = np.where(rng.random(8000) < 0.7, fav[u, rng.integers(0, 5, 8000)], rng.integers(0, 80, 8000))
    ts = pd.Timestamp('2024-01-01') + pd.to_timedelta(rng.integers(0, 200 * 24, 8000), 'h')
    return rec.as_interactions(pd.DataFrame({'user_id': u.astype(str), 'item_id': item.astype(str), 'ts': ts}))


def scores(model, inter, threads):
    "Scores of every user, all items and new items, fitted and scored with `threads` threads in every thread pool."
    with threadpool_limits(limits=threads):
        m = model.fit(inter)
        users = m.users_[:200]
        return m.score(users), m._score_batch(users, exclude_seen=True)


@pytest.mark.parametrize('make', [lambda: rec.Reranker(lam=5.0, n_candidates=20, label_days=30, max_iter=50, max_users=None, seed=0),
                                  lambda: rec.EASE(lam=5.0), lambda: rec.ItemKNN(n_neighbors=20)], ids=['reranker', 'ease', 'itemknn'])
def test_same_scores_with_one_and_two_threads(inter, make):
    a, b = scores(make(), inter, 1), scores(make(), inter, 2)
    np.testing.assert_array_equal(a[0], b[0])
    np.testing.assert_array_equal(a[1], b[1])
