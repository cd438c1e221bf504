"End to end: the forecast report runs on a small synthetic shop and its recorded metrics make sense."
import json
import pytest
from shopnb.reports import run_report

MODELS = ('seasonal_naive', 'ets', 'sarimax', 'theta', 'stl_ets', 'combination')


@pytest.fixture(scope='module')
def metrics(small_shop_dir, tmp_path_factory):
    out = tmp_path_factory.mktemp('site')
    res = run_report('forecast', params=dict(seed=0, target='orders', horizon=28, windows=4), data_dir=small_shop_dir,
                     out=out, progress_bar=False)
    assert res.status == 'ok', res.error
    doc = json.loads((res.out_dir/'metrics.json').read_text())
    assert doc['provenance']['seed'] == 0
    return doc['metrics']


def test_series(metrics):
    assert metrics['series_length'] >= 300
    assert metrics['series_mean'] > 0


def test_every_model_backtested(metrics):
    for m in MODELS:
        assert 0 < metrics[f'mase_{m}'] < 5, m
        assert 0 <= metrics[f'coverage80_{m}'] <= metrics[f'coverage95_{m}'] <= 1, m


def test_models_beat_seasonal_naive(metrics):
    # a noisy low-volume shop: smoothing models must beat repeating last week
    assert metrics['mase_combination'] < metrics['mase_seasonal_naive']
    assert metrics['mase_ets'] < metrics['mase_seasonal_naive']


def test_calibrated_intervals(metrics):
    # conformal intervals from past backtest errors: roughly nominal coverage over the test days
    assert 0.6 <= metrics['coverage80_combination'] <= 0.95
    assert 0.8 <= metrics['coverage95_combination'] <= 1.0


def test_forecast_and_anomalies(metrics):
    assert metrics['forecast_total'] > 0 and metrics['forecast_interval80_mean_width'] > 0
    assert 0 <= metrics['forecast_closed_days'] < 28
    # anomalies are days outside the 95 % interval: a small share
    assert 0 <= metrics['anomaly_share'] <= 0.2
    assert metrics['best_model'] in MODELS
