"End to end: the behaviour report runs on a small synthetic shop and its recorded metrics make sense."
import json, math
import pytest
from shopnb.reports import run_report


@pytest.fixture(scope='module')
def metrics(small_shop_dir, tmp_path_factory):
    out = tmp_path_factory.mktemp('site')
    res = run_report('behavior', params=dict(seed=0, epochs=6), data_dir=small_shop_dir, out=out, progress_bar=False)
    assert res.status == 'ok', res.error
    doc = json.loads((res.out_dir/'metrics.json').read_text())
    assert doc['provenance']['seed'] == 0
    return doc['metrics']


def test_sessions_and_funnel(metrics):
    assert metrics['sessions'] > 100
    assert 1 <= metrics['events_per_session'] < 50
    # shares are ordered along the funnel on the synthetic shop, and purchases happen
    assert 0 < metrics['session_share_purchase'] <= metrics['session_share_view'] <= 1
    assert metrics['session_conversion'] == metrics['session_share_purchase']


def test_cohorts_and_rfm(metrics):
    assert 0 < metrics['retention_period1'] < 1
    assert metrics['rfm_customers'] > 100
    assert 0 <= metrics['champions_revenue_share'] <= 1


def test_bgnbd_recovers_generating_parameters(metrics):
    # fitted in days on all orders of the shop, against the parameters the shop was generated with
    for k in ('r', 'alpha', 'a', 'b'):
        fit, true = metrics[f'bgnbd_days_{k}'], metrics[f'truth_{k}']
        assert abs(math.log(fit / true)) < math.log(2), (k, fit, true)


def test_bgnbd_holdout_beats_baselines(metrics):
    assert metrics['holdout_rmse_bgnbd'] < metrics['holdout_rmse_zero']
    assert metrics['holdout_rmse_bgnbd'] < metrics['holdout_rmse_naive_rate']
    assert 0.5 < metrics['holdout_total_pred'] / metrics['holdout_total_actual'] < 2


def test_clv(metrics):
    assert metrics['clv_mean'] > 0
    assert 0 < metrics['p_alive_mean'] <= 1
    assert metrics['gg_q'] > 1


def test_next_action_transformer_beats_baselines(metrics):
    assert metrics['next_type_macro_f1_transformer'] > metrics['next_type_macro_f1_majority']
    assert metrics['next_type_macro_f1_transformer'] > metrics['next_type_macro_f1_markov']
    assert metrics['buy_pr_auc_transformer'] > metrics['buy_pr_auc_markov'] > metrics['buy_prevalence'] * 0.9
