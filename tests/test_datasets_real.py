"""Every real-data loader on the files in ../shared/data: a valid Shop with the row counts the data README states.
The source files are never modified."""
import hashlib, os
from pathlib import Path
import numpy as np, pandas as pd
import pytest
from shopnb.datasets import online_retail, online_retail_lines, reviews, cdnow, clickstream
from shopnb.cli import main

ROOT = Path(__file__).resolve().parents[1]
DATA = Path(os.environ.get('SHOPNB_SHARED_DATA', ROOT.parent/'shared'/'data'))
if not DATA.exists(): pytest.skip(f"real data not found at {DATA} (set SHOPNB_SHARED_DATA)", allow_module_level=True)

OR_I = DATA/'online_retail'/'online_retail.parquet'
OR_II = DATA/'online_retail'/'online_retail_ii_2009_2010.parquet'
WOMENS = DATA/'womens_clothing_reviews'/'womens_clothing_ecommerce_reviews.parquet'
CD_SAMPLE, CD_MASTER = DATA/'cdnow'/'CDNOW_sample.txt', DATA/'cdnow'/'CDNOW_master.txt'
TAOBAO = DATA/'clickstream'/'taobao_user_behavior_head.parquet'
SOURCES = [OR_I, OR_II, WOMENS, CD_SAMPLE, CD_MASTER, TAOBAO]

def fingerprint(p: Path): return hashlib.sha256(p.read_bytes()).hexdigest(), p.stat().st_mtime_ns, p.stat().st_size

@pytest.fixture(scope='module')
def before(): return {p: fingerprint(p) for p in SOURCES}

@pytest.fixture(scope='module')
def or_i(before): return online_retail(OR_I)

@pytest.fixture(scope='module')
def or_ii(before): return online_retail(OR_II)

@pytest.fixture(scope='module')
def or_both(before): return online_retail([OR_I, OR_II])

@pytest.fixture(scope='module')
def lines_i(before): return online_retail_lines(OR_I)

@pytest.fixture(scope='module')
def lines_both(before): return online_retail_lines([OR_II, OR_I])

# --- Online Retail --------------------------------------------------------------------------------------------

def test_online_retail_counts(or_i, lines_i):
    test = lines_i
    assert or_i.meta['source_rows'] == len(test) == 541_909
    assert test.invoice.nunique() == or_i.meta['invoices'] == 25_900
    assert test.stock_code.nunique() == 4_070
    assert test.customer_id.nunique() == len(or_i.customers) == 4_372
    assert test.country.nunique() == 38
    assert or_i.meta['cancelled_lines'] == test.is_cancel.sum() == 9_288
    assert test.quantity.sum() == 5_176_450
    assert round(test.price.sum(), 2) == 2_498_803.97
    assert test.ts.min() == pd.Timestamp('2010-12-01 08:26') and test.ts.max() == pd.Timestamp('2011-12-09 12:50')
    assert test.customer_id.isna().sum() == 135_080 and test.description.isna().sum() == 1_454

def test_online_retail_shop(or_i, lines_i):
    o, it = or_i.orders, or_i.order_items
    # every invoice is an order unless it has no product line left (postage-only, manual, bad debt, stock adjustments)
    assert len(o) + or_i.meta['dropped_invoices']['total'] == 25_900
    assert set(o.order_id) <= set(lines_i.invoice)
    assert (o.status == 'cancelled').sum() == lines_i[lines_i.is_cancel & lines_i.is_product].invoice.nunique()
    assert o.status.isin(['completed', 'cancelled']).all()
    assert it.product_id.str.match(r'^\d{5}').all()
    done = it[it.order_id.isin(o.order_id[o.status == 'completed'])]
    assert (done.quantity > 0).all() and (done.unit_price > 0).all()
    sale = lines_i[lines_i.is_sale]
    assert len(done) == len(sale)
    assert np.isclose((done.quantity*done.unit_price).sum(), (sale.quantity*sale.price).sum())
    excl = or_i.meta['excluded_lines']
    assert len(it) + excl['non_product'] + excl['adjustments'] == 541_909
    assert set(or_i.products.product_id) == set(lines_i.stock_code[lines_i.is_product])
    prod = lines_i[lines_i.is_product]
    described = set(prod.stock_code[prod.description.notna()])
    assert set(or_i.products.product_id[or_i.products.title.notna()]) == described  # codes never described have no title
    assert set(or_i.products.product_id[or_i.products.price.notna()]) == set(sale.stock_code)  # price: median over sale lines
    or_i.validate()

def test_online_retail_keep_non_product(lines_i):
    s = online_retail(OR_I, keep_non_product=True)
    assert len(s.products) == 4_070
    assert set(s.products.product_id[s.products.category == 'non-product']) == set(lines_i.stock_code[~lines_i.is_product])
    assert s.meta['excluded_lines']['non_product'] == 0

def test_online_retail_ii(or_ii):
    lines = online_retail_lines(OR_II)
    assert or_ii.meta['source_rows'] == len(lines) == 525_461
    assert lines.invoice.nunique() == or_ii.meta['invoices'] == 28_816
    assert lines.customer_id.nunique() == len(or_ii.customers) == 4_383
    assert lines.country.nunique() == 40
    assert lines.customer_id.isna().sum() == 107_927
    assert or_ii.meta['sources'][0]['mapping']['customer_id'] == 'Customer ID'

def test_online_retail_combined(or_both, lines_both):
    src = {Path(s['source']).name: s for s in or_both.meta['sources']}
    assert src[OR_II.name]['rows_used'] == 525_461
    assert src[OR_I.name]['rows_used'] == 541_909 - 22_523  # the overlapping days 2010-12-01 .. 2010-12-09 come from II
    assert src[OR_I.name]['first'].startswith('2010-12-10')
    assert len(lines_both) == 525_461 + 541_909 - 22_523
    assert lines_both.ts.min().date() == pd.Timestamp('2009-12-01').date()
    assert lines_both.ts.max().date() == pd.Timestamp('2011-12-09').date()
    days = lines_both.ts.dt.normalize()
    assert (lines_both.source[days <= '2010-12-09'] == OR_II.name).all() and (lines_both.source[days >= '2010-12-10'] == OR_I.name).all()
    assert len(or_both.orders) + or_both.meta['dropped_invoices']['total'] == lines_both.invoice.nunique()
    assert or_both.orders.ts.min() >= pd.Timestamp('2009-12-01') and or_both.orders.ts.max() < pd.Timestamp('2011-12-10')
    assert or_both.order_items.order_id.isin(or_both.orders.order_id).all()
    # the given order of the files does not matter
    assert lines_both.equals(online_retail_lines([OR_I, OR_II]))

def test_online_retail_folder(or_both):
    "The shared folder holding both files loads as the two files do, each file mapped by its own column names."
    s = online_retail(OR_I.parent)
    assert [(Path(x['source']).name, x['rows'], x['rows_used']) for x in s.meta['sources']] == \
        [(OR_II.name, 525_461, 525_461), (OR_I.name, 541_909, 541_909 - 22_523)]
    for t in ('orders', 'order_items', 'customers', 'products'): pd.testing.assert_frame_equal(s[t], or_both[t])

# --- reviews, CDNOW, Taobao ----------------------------------------------------------------------------------

def test_womens_reviews(before):
    s = reviews(WOMENS)
    r = s.reviews
    assert len(r) == s.meta['source_rows'] == 23_486
    assert len(s.products) == r.product_id.nunique() == 1_206
    assert r.rating.value_counts().sort_index().tolist() == [842, 1_565, 2_871, 5_077, 13_131]
    assert r.text.isna().sum() == 845 and r.title.isna().sum() == 3_810
    assert r.review_id.is_unique
    assert {'category', 'department', 'division'} <= set(s.products.columns)
    raw = pd.read_parquet(WOMENS)
    classified = raw.groupby('Clothing ID')['Class Name'].apply(lambda c: c.notna().any())
    assert s.products.category.notna().sum() == classified.sum() == 1_199  # 7 products only appear in rows without a class
    counts = raw.assign(pid=raw['Clothing ID'].astype(str)).groupby(['pid', 'Class Name']).size()
    got = s.products.dropna(subset=['category'])
    chosen = counts.loc[list(zip(got.product_id, got.category))].to_numpy()
    assert (chosen == counts.groupby(level=0).max().loc[got.product_id].to_numpy()).all()  # the most frequent class

def test_cdnow_sample(before):
    s = cdnow(CD_SAMPLE)
    raw = pd.read_csv(CD_SAMPLE, sep=r'\s+', header=None)
    assert s.meta['layout'] == 'sample'
    assert len(s.customers) == 2_357 and len(s.orders) == len(s.order_items) == 6_919
    assert s.customers.sample_id.nunique() == 2_357
    it = s.order_items
    assert np.isclose((it.quantity*it.unit_price).sum(), raw[4].sum())
    assert it.quantity.sum() == raw[3].sum()
    assert s.orders.ts.min() == pd.Timestamp('1997-01-01') and s.orders.ts.max() <= pd.Timestamp('1998-06-30')

def test_cdnow_master(before):
    s = cdnow(CD_MASTER)
    assert s.meta['layout'] == 'master'
    assert len(s.customers) == 23_570 and len(s.orders) == 69_659
    sample = cdnow(CD_SAMPLE)
    assert set(sample.customers.customer_id) <= set(s.customers.customer_id)

def test_taobao(before):
    s = clickstream(TAOBAO)
    e = s.events
    assert len(e) == 84_475 and e.user_id.nunique() == 815 and e.product_id.nunique() == len(s.products) == 55_368
    assert e.event_type.value_counts().to_dict() == {'view': 75_872, 'cart': 4_497, 'fav': 2_356, 'purchase': 1_750}
    assert e.ts.min() == pd.Timestamp('2017-09-11 08:16:39') and e.ts.max() == pd.Timestamp('2017-12-03 15:59:23')
    assert (e.ts < pd.Timestamp('2017-11-24 16:00')).sum() == 35  # before 2017-11-25 00:00 China time
    local = clickstream(TAOBAO, tz='Asia/Shanghai').events.ts
    assert (local - e.ts).eq(pd.Timedelta(hours=8)).all()

def test_cli_load_real(tmp_path, capsys):
    assert main(['data', 'load', 'cdnow', str(CD_SAMPLE), '--out', str(tmp_path/'cd')]) == 0
    assert main(['data', 'validate', str(tmp_path/'cd')]) == 0
    assert main(['data', 'info', str(tmp_path/'cd')]) == 0
    out = capsys.readouterr().out
    assert 'customers' in out and '2,357' in out and '1997-01-01' in out

def test_sources_unchanged(before):
    "Runs last in this module: no loader touched its source files."
    assert {p: fingerprint(p) for p in SOURCES} == before
