"Shared pytest fixtures: quiet, offline settings and a small synthetic shop saved once per session."
import os

os.environ['SHOPNB_PROGRESS'] = '0'
os.environ['HF_HUB_OFFLINE'] = '1'
os.environ.setdefault('TRANSFORMERS_OFFLINE', '1')
os.environ.setdefault('MPLBACKEND', 'Agg')

import pytest


@pytest.fixture(scope='session')
def small_shop_dir(tmp_path_factory):
    "Path of `shopnb.synthetic.small(seed=0)` saved to a temporary folder (built once per test session)."
    from shopnb.synthetic import small
    path = tmp_path_factory.mktemp('small_shop')/'shop'
    small(seed=0).save(path)
    return path
