"End to end: the recommendation report on the small synthetic shop; the planted sequential pattern (product chains A -> B -> C) must be found."
import pytest

from shopnb.reports import run_report

MODELS = ('popular', 'history', 'itemknn', 'ease', 'blend', 'reranker', 'sasrec')
PARAMS = dict(split='leave_last_out', models=list(MODELS), k=10, seed=0,
              sasrec_epochs=20, sasrec_max_seconds=0.0, n_examples=2)


@pytest.fixture(scope='module')
def run(small_shop_dir, tmp_path_factory):
    out = tmp_path_factory.mktemp('site')
    return run_report('recommend', params=PARAMS, data_dir=small_shop_dir, out=out, update_index=False, force=True)


def test_report_runs(run):
    assert run.status == 'ok', run.error
    assert run.html.exists() and run.notebook.exists()
    assert (run.out_dir/'metrics.json').exists()
    assert run.metrics['best_model'] in MODELS


def test_metrics_recorded(run):
    m = run.metrics
    assert m['n_interactions'] > 0 and m['n_eval_users'] > 0
    for name in MODELS:
        for key in ('ndcg@10', 'recall@10', 'hr@10', 'coverage@10', 'new_ndcg@10'):
            assert 0.0 <= m[f'{name}/{key}'] <= 1.0, (name, key, m[f'{name}/{key}'])
    assert m['sasrec/epochs'] >= 1


def test_sequence_pattern_found(run):
    "The sequence model learns the planted chains: clearly above popularity on the next item, also on items new to the customer."
    m = run.metrics
    assert m['sasrec/ndcg@10'] > 1.1 * m['popular/ndcg@10'], (m['sasrec/ndcg@10'], m['popular/ndcg@10'])
    assert m['sasrec/new_ndcg@10'] > 1.1 * m['popular/new_ndcg@10'], (m['sasrec/new_ndcg@10'], m['popular/new_ndcg@10'])


def test_collaborative_models_beat_popularity(run):
    m = run.metrics
    assert max(m['ease/ndcg@10'], m['itemknn/ndcg@10'], m['blend/ndcg@10']) > m['popular/ndcg@10']
    assert m['itemknn/coverage@10'] > m['popular/coverage@10']
