"Real data: BG/NBD on the CDNOW sample reproduces the published parameters (protocol B)."
import os
from pathlib import Path
import pytest
from shopnb.clv import BGNBD, customer_summary, transactions, holdout_check

ROOT = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get('SHOPNB_SHARED_DATA', ROOT.parent/'shared'/'data'))
SAMPLE = SHARED/'cdnow'/'CDNOW_sample.txt'


@pytest.fixture(scope='module')
def cdnow_summary():
    if not SAMPLE.exists(): pytest.skip(f"real data not found at {SAMPLE}")
    from shopnb.datasets import cdnow
    tx = transactions(cdnow(SAMPLE))
    # protocol B: same-day purchases merged, days / 7, calibration 1997-01-01 .. 1997-09-30, 39-week hold-out
    return customer_summary(tx, calibration_end='1997-09-30', holdout_end='1998-06-30', unit_days=7.0)


def test_cdnow_summary_shape(cdnow_summary):
    assert len(cdnow_summary) == 2357
    assert cdnow_summary.duration_holdout.iloc[0] == 39.0


def test_cdnow_bgnbd_published_parameters(cdnow_summary):
    s = cdnow_summary
    m = BGNBD().fit(s.frequency, s.recency, s['T'])
    got = {k: round(v, 2) for k, v in m.params_.items()}
    assert got == {'r': 0.24, 'alpha': 4.41, 'a': 0.79, 'b': 2.43}, m.params_
    # the maximised log-likelihood of the paper's fit on this sample
    assert m.loglik_ == pytest.approx(-9582.4, abs=0.5)


def test_cdnow_holdout_beats_baselines(cdnow_summary):
    s = cdnow_summary
    chk = holdout_check(BGNBD().fit(s.frequency, s.recency, s['T']), s)
    assert chk['bgnbd']['total_actual'] == 1882
    assert chk['bgnbd']['rmse'] < chk['zero']['rmse'] and chk['bgnbd']['rmse'] < chk['naive_rate']['rmse']
    assert 0.8 < chk['bgnbd']['total_pred'] / chk['bgnbd']['total_actual'] < 1.1
