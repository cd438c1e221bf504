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


@pytest.fixture(scope='session')
def tiny_shop(tmp_path_factory):
    "A hand-made two-table shop (customers, three orders): enough for the report-engine tests, independent of the generator."
    import pandas as pd
    from shopnb.schema import Shop
    return Shop.from_tables({
        'customers': pd.DataFrame({'customer_id': ['c1', 'c2']}),
        'orders': pd.DataFrame({'order_id': ['o1', 'o2', 'o3'], 'customer_id': ['c1', 'c2', 'c1'],
                                'ts': pd.to_datetime(['2024-01-01', '2024-01-02', '2024-01-02']), 'status': ['completed'] * 3})},
        name='tiny').save(tmp_path_factory.mktemp('tiny')/'shop')


@pytest.fixture(scope='session')
def spark():
    "One local[2] Spark session per test run (2 shuffle partitions, UI off, UTC, small driver memory); skipped only without Java."
    from shopnb.engine import java_missing, spark_session
    why = java_missing()
    if why: pytest.skip(f"Spark tests need a Java runtime: {why}")
    s = spark_session('local[2]', conf={'spark.sql.shuffle.partitions': 2, 'spark.ui.enabled': 'false', 'spark.driver.memory': '1g',
                                        'spark.default.parallelism': 2, 'spark.sql.adaptive.enabled': 'false'}, app_name='shopnb-tests')
    yield s
    s.stop()
