"""The planted product chains A -> B -> C of the small synthetic shop are found: on the customers whose held-out purchase
continues a chain they started, the models that learn from co-purchases or sequences rank it far above popularity.

Measured with the report's leave-last-out split and the report test's model settings on `synthetic.small(seed)`, shop
seeds 0-4 (24-51 such customers each), model seeds 0-3 for the sequence model; each expectation is a ratio to popularity
with a margin below the lowest measured ratio, the value for shop seed 0 quoted beside it.
"""
import pytest

from shopnb import recommend as rec
from shopnb.schema import Shop


@pytest.fixture(scope='module')
def chains(small_shop_dir):
    "The split, the customers whose held-out item is the successor of a chain item they bought before, and popularity's NDCG@10 on them."
    shop = Shop.load(small_shop_dir)
    sp = rec.choose_split(rec.interactions(shop), 'leave_last_out')
    succ = {a: b for ch in shop.meta['truth']['chains'] for a, b in zip(ch, ch[1:])}
    seen, truth = sp.seen(), sp.truth()
    users = [u for u, t in truth.items() if any(succ.get(i) in t for i in seen.get(u, ()))]
    return sp, users, chain_ndcg(rec.Popular().fit(sp.train), sp, users)


def chain_ndcg(model, sp, users, k=10):
    "Mean NDCG@k of a fitted model on the held-out items of `users`."
    r = model.recommend(users, k).sort_values(['user_id', 'rank'])
    recs, truth = r.groupby('user_id')['item_id'].agg(list).to_dict(), sp.truth()
    return sum(rec.ndcg_at_k(truth[u], recs.get(u, []), k) for u in users) / len(users)


def test_chain_customers_exist(chains):
    sp, users, pop = chains
    assert 20 <= len(users) <= 60, len(users)  # 25 for shop seed 0; 24-51 for seeds 0-4
    assert 0.1 < pop < 0.3, pop  # popularity still finds some (0.20 here; 0.14-0.22)


@pytest.mark.parametrize('name, min_ratio', [('itemknn', 2.0), ('ease', 1.6)])
def test_co_purchase_models_find_chains(chains, name, min_ratio):
    "Item-kNN: 2.9x popularity here (2.4-4.6x for shop seeds 0-4); EASE: 2.1x (2.0-4.5x)."
    sp, users, pop = chains
    got = chain_ndcg(rec.make_model(name).fit(sp.train), sp, users)
    assert got >= min_ratio * pop, (name, got, pop)


def test_sequence_model_finds_chains(chains):
    """SASRec with the report test's settings: 1.31x popularity here (1.17-2.71x over shop seeds 0-4 at model seed 0 and shop
    seeds 0, 2, 4 at model seeds 0-3). With its 40 optimiser steps it learns the co-purchase, not yet the order: the same model
    fed each customer's items shuffled scores as well here (0.24-0.36 against 0.23-0.38), so the order is tested on a pure
    chain in nbs/20_recommend.ipynb (next item hit rate > 0.9)."""
    sp, users, pop = chains
    sas = rec.SASRec(epochs=20, d=32, lr=0.003, max_len=50, max_steps=300, negatives=512, seed=0).fit(sp.train)
    got = chain_ndcg(sas, sp, users)
    assert got >= 1.10 * pop, (got, pop)
