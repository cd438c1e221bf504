"A clickstream shorter than the test period: the split adapts (and says why) in the library and in the recommendation report."
import numpy as np
import pandas as pd
import pytest

from shopnb import recommend as rec
from shopnb.schema import Shop


def clickstream(hours: float = 3.0, n_users: int = 60, n_items: int = 25, seed: int = 0) -> pd.DataFrame:
    "Events of a store over a few hours: each user walks a short chain of items (views, some carts and purchases)."
    rng = np.random.default_rng(seed)
    rows, t0 = [], pd.Timestamp('2024-03-01 09:00')
    for u in range(n_users):
        start, n = rng.integers(0, n_items), rng.integers(4, 9)
        ts = np.sort(rng.uniform(0, hours * 3600, size=n))
        for j in range(n):
            kind = rng.choice(['view', 'view', 'view', 'cart', 'purchase'])
            rows.append((f'u{u}', f'p{(start + j) % n_items}', t0 + pd.Timedelta(seconds=float(ts[j])), kind))
    return pd.DataFrame(rows, columns=['user_id', 'product_id', 'ts', 'event_type'])


@pytest.fixture(scope='module')
def inter():
    ev = clickstream()
    return rec.as_interactions(ev.assign(weight=ev.event_type.map(rec.DEFAULT_WEIGHTS)), item='product_id')


def test_fixed_test_period_does_not_fit(inter):
    with pytest.raises(rec.RecommendError, match='the training part is empty'):
        rec.temporal_split(inter, test_days=30)


def test_split_falls_back_to_a_share_of_the_time(inter):
    s = rec.choose_split(inter, 'temporal', test_days=30)
    assert s.kind == 'temporal' and s.params == {'test_share': 0.2} and s.info['fallback']
    assert s.info['choice'].startswith('the last 20% of the interactions in time (temporal), because the last 30 days (temporal) does not fit')
    assert len(s.train) >= 0.5 * len(inter) and len(s.users) > 0
    assert s.train['ts'].max() < s.test['ts'].min()
    v = s.validation()  # tuning cuts the same share from the training part
    assert v.params == {'test_share': 0.2} and v.train['ts'].max() < v.test['ts'].min() <= s.train['ts'].max()


def test_split_falls_back_to_leave_last_out(inter):
    s = rec.choose_split(inter, 'temporal', test_days=30, min_train_share=0.95)
    assert s.kind == 'leave_last_out' and s.info['fallback']
    assert 'less than min_train_share=95%' in s.info['choice']


def test_requested_split_is_kept_when_it_fits(inter):
    s = rec.choose_split(inter, 'leave_last_out')
    assert s.kind == 'leave_last_out' and not s.info['fallback']


def test_no_split_exists_for_one_timestamp(inter):
    with pytest.raises(rec.RecommendError, match='share one timestamp'):
        rec.choose_split(inter.assign(ts=inter.ts.min()), 'temporal', test_days=30)


def test_sampled_users_are_reproducible(inter):
    s = rec.choose_split(inter, 'leave_last_out')
    a, b = s.sample_users(10, seed=3), s.sample_users(10, seed=3)
    assert list(a.users) == list(b.users) and len(a.users) == 10 and a.info['sampled_users'].startswith('10 of ')
    assert set(a.users) <= set(s.users)


@pytest.fixture(scope='module')
def short_shop(tmp_path_factory):
    ev = clickstream()
    return Shop.from_tables({'events': ev}, name='three-hours').save(tmp_path_factory.mktemp('short')/'shop')


def test_report_on_a_short_clickstream(short_shop, tmp_path):
    from shopnb.reports import run_report
    run = run_report('recommend', params=dict(models=['popular', 'history', 'itemknn', 'reranker', 'sasrec'], sasrec_epochs=2, n_examples=1,
                                              sasrec_max_items=10),  # 25 items: more than 10, so the sequence model is left out
                     data_dir=short_shop, out=tmp_path, update_index=False, force=True)
    assert run.status == 'ok', run.error
    m = run.metrics
    assert m['split'] == 'temporal' and 'the last 30 days (temporal) does not fit' in m['split_choice']
    assert m['n_eval_users'] > 0
    html = run.html.read_text()
    assert 'Split used:' in html and 'does not fit' in html
    assert 'this shop has no product titles or descriptions to embed' in html  # no products table: the section is left out
    assert 'Products nobody bought yet' not in html
    assert 'sasrec' not in {k.split('/')[0] for k in m if k.endswith('ndcg@10')} and 'sasrec_max_items=10' in m['sasrec/left_out']
    assert 'sasrec_max_items=10' in html  # said on the page
