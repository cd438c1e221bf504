"Protocol R on the real Online Retail data: the split and the two baselines reproduce the reference figures (skips without the data)."
import os
from pathlib import Path
import pytest

from shopnb.core import project_root

DATA = Path(os.environ.get('SHOPNB_SHARED_DATA', project_root().parent/'shared'/'data'))/'online_retail'


@pytest.fixture(scope='module')
def split():
    files = [DATA/'online_retail_ii_2009_2010.parquet', DATA/'online_retail.parquet']
    if not all(f.exists() for f in files): pytest.skip(f"real data not found at {DATA}")
    from shopnb.datasets import online_retail_lines
    from shopnb import recommend as rec
    lines = online_retail_lines(files)
    sale = lines[lines.is_sale & lines.customer_id.notna()]
    return rec.temporal_split(rec.as_interactions(sale, user='customer_id', item='stock_code', ts='ts'), test_days=90)


def test_protocol_split(split):
    assert split.info['cutoff'] == '2011-09-11 00:00:00'
    assert split.test['ts'].max().strftime('%Y-%m-%d') == '2011-12-09'
    assert 2000 < len(split.users) < 2600  # customers with an invoice in both periods
    assert 3500 < len(split.items) < 5000


def test_baselines_reproduce_reference(split):
    "Reference figures measured with the peers: most popular (last 30 days) 0.113 / 0.052, user's history 0.334 (NDCG@10 all / new)."
    from shopnb import recommend as rec
    hist = rec.evaluate(rec.History().fit(split.train), split, k=10)
    pop = rec.evaluate(rec.Popular(recent_days=30).fit(split.train), split, k=10)
    assert abs(hist['all']['ndcg@10'] - 0.334) < 0.01, hist['all']
    assert abs(pop['all']['ndcg@10'] - 0.113) < 0.01, pop['all']
    assert abs(pop['new']['ndcg@10'] - 0.052) < 0.01, pop['new']
