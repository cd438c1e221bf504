"""End to end: the recommendation report on the small synthetic shop (leave-last-out split, one held-out item per customer).

The expectations are ratios to the popularity baseline of the same run, set from what the models achieve on
`synthetic.small(seed)` for shop seeds 0-4 (and model seeds 0-3 for the seeded models), with a margin below the
lowest measured ratio; the value this run gets (shop seed 0, model seed 0) is quoted next to each.
"""
import pytest

from shopnb.reports import run_report

MODELS = ('popular', 'history', 'itemknn', 'ease', 'blend', 'reranker', 'sasrec')
PARAMS = dict(split='leave_last_out', models=list(MODELS), k=10, seed=0,
              sasrec_epochs=20, sasrec_max_seconds=0.0, n_examples=2)


@pytest.fixture(scope='module')
def run(small_shop_dir, tmp_path_factory):
    out = tmp_path_factory.mktemp('site')
    return run_report('recommend', params=PARAMS, data_dir=small_shop_dir, out=out, update_index=False, force=True)


def ratio(m, model, key='ndcg@10', base='popular'):
    "A model's metric over the baseline's, in the same run."
    return m[f'{model}/{key}'] / m[f'{base}/{key}']


def test_report_runs(run):
    assert run.status == 'ok', run.error
    assert run.html.exists() and run.notebook.exists()
    assert (run.out_dir/'metrics.json').exists()
    assert run.metrics['best_model'] == 'blend'  # the repeat-aware blend is the best on all items for shop seeds 0-4


def test_metrics_recorded(run):
    "Every metric is recorded and consistent: with one held-out item per customer, recall@10 = hits / 1 = hit rate@10, and NDCG@10 <= hit rate@10."
    m = run.metrics
    assert m['split'] == 'leave_last_out' and m['n_interactions'] > 0
    assert 200 <= m['n_eval_users'] <= m['n_users']  # 226-236 of 300 customers for shop seeds 0-4
    for name in MODELS:
        for pre in ('', 'new_'):
            vals = {key: m[f'{name}/{pre}{key}'] for key in ('ndcg@10', 'recall@10', 'hr@10', 'coverage@10')}
            assert all(0.0 < v <= 1.0 for v in vals.values()), (name, pre, vals)
            assert vals['recall@10'] == vals['hr@10'], (name, pre, vals)
            assert vals['ndcg@10'] <= vals['hr@10'], (name, pre, vals)
    assert m['sasrec/epochs'] == 20


def test_popularity_baseline(run):
    "The baseline the ratios below divide by is itself sound (a broken baseline would make every ratio easy): NDCG@10 0.365 here, 0.299-0.365 for shop seeds 0-4."
    assert 0.25 <= run.metrics['popular/ndcg@10'] <= 0.45, run.metrics['popular/ndcg@10']


def test_repeat_aware_models_beat_popularity(run):
    "The customer's own history beats popularity (1.19x on NDCG@10 here; 1.14-1.30x for shop seeds 0-4); the tuned blend of history and EASE beats both (1.36x popularity, 1.14x history here; 1.36-1.50x and 1.10-1.23x)."
    m = run.metrics
    assert ratio(m, 'history') >= 1.08, (m['history/ndcg@10'], m['popular/ndcg@10'])
    assert ratio(m, 'blend') >= 1.25, (m['blend/ndcg@10'], m['popular/ndcg@10'])
    assert ratio(m, 'blend', base='history') >= 1.05, (m['blend/ndcg@10'], m['history/ndcg@10'])


def test_collaborative_models_find_new_items(run):
    """EASE and item-kNN rank every item by what similar customers bought: on items new to the customer they beat popularity
    by far (EASE 1.49x, item-kNN 1.41x NDCG@10 here; 1.38-1.86x and 1.41-1.89x for shop seeds 0-4) and cover most of the catalogue
    (popularity: the same 10 items for everyone). On all items they do not beat popularity on this shop (0.84-1.31x:
    most held-out purchases are repeats), so that is not asserted."""
    m = run.metrics
    for name in ('ease', 'itemknn'):
        assert ratio(m, name, 'new_ndcg@10') >= 1.25, (name, m[f'{name}/new_ndcg@10'], m['popular/new_ndcg@10'])
        assert m[f'{name}/coverage@10'] >= 0.8, (name, m[f'{name}/coverage@10'])  # 0.93-1.0 for shop seeds 0-4
    assert m['popular/coverage@10'] < 0.2  # 10 of 59 catalogue items


def test_reranker_beats_popularity(run):
    "The re-ranker beats popularity on all items (1.09x NDCG@10 here; 1.09-1.34x for shop seeds 0-4). It does not beat the customer's history or the blend on this small shop (0.84-1.09x history), nor popularity on new items everywhere (0.99-1.56x), so those are not asserted."
    m = run.metrics
    assert ratio(m, 'reranker') >= 1.04, (m['reranker/ndcg@10'], m['popular/ndcg@10'])


def test_sequence_model_beats_popularity(run):
    """The sequence model beats popularity on the next item (1.15x NDCG@10 here; 1.06-1.23x for shop seeds 0, 2, 4 x model
    seeds 0-3, 1.11-1.17x for shop seeds 0-4 at model seed 0) and on items new to the customer (1.20x; 1.05-1.36x). With 40
    optimiser steps its lead is small and seed-dependent, hence the low bars; its finding of the planted chains is tested in
    test_recommend_quality.py and on a pure chain in nbs/20_recommend.ipynb."""
    m = run.metrics
    assert ratio(m, 'sasrec') >= 1.04, (m['sasrec/ndcg@10'], m['popular/ndcg@10'])
    assert ratio(m, 'sasrec', 'new_ndcg@10') >= 1.03, (m['sasrec/new_ndcg@10'], m['popular/new_ndcg@10'])
