"End to end: the sentiment report runs on a small synthetic shop with a tiny training budget; its recorded metrics make sense."
import json
import pytest
from shopnb.reports import run_report


def _run(name, params, shop, out):
    res = run_report(name, params=params, data_dir=shop, out=out, progress_bar=False, update_index=False)
    assert res.status == 'ok', res.error
    doc = json.loads((res.out_dir/'metrics.json').read_text())
    assert doc['provenance']['seed'] == params['seed']
    return doc['metrics']


@pytest.fixture(scope='module')
def metrics(small_shop_dir, tmp_path_factory):
    params = dict(seed=0, task='binary', method='finetune', baselines=['majority', 'tfidf', 'frozen'], max_train=200, max_val=60,
                  epochs=3.0, batch_size=16, lr=1e-4, max_length=64, max_score=0, max_test=0, max_frozen=150, min_reviews=3, threads=2)
    return _run('sentiment', params, small_shop_dir, tmp_path_factory.mktemp('site'))


def test_data_and_cap(metrics):
    assert metrics['n_labelled'] <= metrics['n_reviews']
    assert metrics['n_train'] + metrics['n_test'] == metrics['n_labelled']
    assert metrics['n_train_finetune'] == 200                 # the training cap is applied
    assert metrics['n_val_finetune'] <= 60
    assert metrics['n_train_frozen'] == 150                   # the frozen-embedding baseline's cap
    assert metrics['label_source'] == 'rating' and metrics['task'] == 'binary'
    assert metrics['script'] == 'latin' and metrics['model_covers_language'] is True


# Margins measured on small(0..2) with report seed 0 and on small(0) with report seeds 1, 2 (five runs): macro-F1 above
# majority: TF-IDF +0.42..+0.53, frozen +0.32..+0.52, fine-tune +0.34..+0.54; ROC-AUC: TF-IDF 0.993..0.999, frozen
# 0.985..1.0, fine-tune 0.983..1.0 and -0.016..+0.006 from TF-IDF's. This run (small(0), seed 0) is the weakest fine-tune.

def test_baselines(metrics):
    assert metrics['macro_f1/majority'] < 0.5
    assert metrics['macro_f1/tfidf'] > metrics['macro_f1/majority'] + 0.3
    assert metrics['macro_f1/frozen'] > metrics['macro_f1/majority'] + 0.25
    assert metrics['roc_auc/tfidf'] > 0.98
    assert metrics['roc_auc/frozen'] > 0.95


def test_finetune_runs_and_learns(metrics):
    assert metrics['finetune_steps'] > 0
    assert metrics['macro_f1/finetune'] > metrics['macro_f1/majority'] + 0.25
    assert metrics['roc_auc/finetune'] > 0.95 and metrics['roc_auc/finetune'] > metrics['roc_auc/tfidf'] - 0.04
    assert 0 < metrics['fit_s/finetune']


def test_explanations(metrics):
    assert metrics['n_scored'] == metrics['n_labelled']
    assert metrics['n_products_ranked'] > 0
    assert len(metrics['top_positive_terms']) == 5 and len(metrics['top_negative_terms']) == 5
    assert not set(metrics['top_positive_terms']) & set(metrics['top_negative_terms'])


def test_three_class_without_transformer(small_shop_dir, tmp_path):
    m = _run('sentiment', dict(seed=1, task='3class', method='tfidf', baselines=['majority']), small_shop_dir, tmp_path)
    assert 'roc_auc/tfidf' not in m                          # ROC-AUC only for the binary task
    assert m['macro_f1/tfidf'] > m['macro_f1/majority']
    assert 'finetune_steps' not in m
