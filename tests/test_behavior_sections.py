"""The behaviour report on shops that lack a table: sections without their data are left out with one sentence
(no empty headings), rankings leave out segments too small to rank, and the CLV hold-out fits a short span."""
import json, re
import pandas as pd
import pytest
from shopnb.reports import run_report
from shopnb.schema import Shop
from shopnb import behavior as bh

SMALL = dict(seed=0, epochs=2, max_sessions=800)  # keep the transformer short: these tests are about the page, not the model


def part_of(small_shop_dir, path, keep, orders_since=None):
    "A shop with only the tables `keep` of the small synthetic shop (orders from `orders_since` on), saved to `path`."
    shop = Shop.load(small_shop_dir)
    tables = {t: shop[t] for t in keep}
    if orders_since is not None:
        tables['orders'] = tables['orders'][tables['orders'].ts >= pd.Timestamp(orders_since)]
        tables['order_items'] = tables['order_items'][tables['order_items'].order_id.isin(tables['orders'].order_id)]
    Shop.from_tables(tables, name=path.name).save(path)
    return path


def run(data, out, **params):
    res = run_report('behavior', params={**SMALL, **params}, data_dir=data, out=out, progress_bar=False)
    assert res.status == 'ok', res.error
    doc = json.loads((res.out_dir/'metrics.json').read_text())
    return doc, (res.out_dir/'index.html').read_text()


def headings(html): return [re.sub(r'<[^>]+>|¶', '', h).strip() for h in re.findall(r'<h[23][^>]*>(.*?)</h[23]>', html, re.S)]


def test_shop_without_events(small_shop_dir, tmp_path):
    data = part_of(small_shop_dir, tmp_path/'orders_only', ['customers', 'products', 'orders', 'order_items'])
    doc, html = run(data, tmp_path/'site')
    reason = 'this shop has no events table'
    assert f'<b>Sessions and funnel</b>: left out, {reason}: sessions and funnels need a clickstream' in html
    assert f'<b>Next action in sessions</b>: left out, {reason}: next-action prediction needs a clickstream' in html
    hs = headings(html)
    assert not {'Sessions and funnel', 'Funnel by segment', 'Next action in sessions'} & set(hs), hs  # no empty headings
    assert {'Cohort retention', 'RFM segments', 'Hold-out check', 'Lifetime values'} <= set(hs), hs
    assert set(doc['skipped_sections']) == {'Sessions and funnel', 'Next action in sessions'}
    m = doc['metrics']
    assert 'sessions' not in m and 'next_type_macro_f1_transformer' not in m
    assert m['rfm_customers'] > 100 and m['clv_mean'] > 0 and m['holdout_days'] == 90


def test_shop_without_orders(small_shop_dir, tmp_path):
    data = part_of(small_shop_dir, tmp_path/'events_only', ['products', 'events'])
    min_sessions = 400
    doc, html = run(data, tmp_path/'site', min_sessions=min_sessions)
    for h in ('Cohort retention', 'RFM segments', 'Lifetime value: BG/NBD and Gamma-Gamma'):
        assert f'<b>{h}</b>: left out, this shop has no orders table' in html
    hs = headings(html)
    assert not {'Cohort retention', 'RFM segments', 'Hold-out check', 'Lifetime values'} & set(hs), hs
    assert {'Sessions and funnel', 'Funnel by segment', 'Next action in sessions'} <= set(hs), hs
    # the ranking holds exactly the categories with at least min_sessions sessions, and says how many were left out
    shop = Shop.load(data)
    per_cat = bh.funnel(shop, steps=['view'], by='category').set_index('category').units
    m = doc['metrics']
    assert m['funnel_segments_ranked'] == (per_cat >= min_sessions).sum() > 0
    assert m['funnel_segments_left_out'] == (per_cat < min_sessions).sum() > 0
    assert f"smaller value(s) left out" in html
    assert m['next_action_sessions'] == 800 and m['next_type_macro_f1_transformer'] > 0


def test_short_order_history(small_shop_dir, tmp_path):
    "Orders over about four months: the hold-out is the last third of the span, and the page says so."
    data = part_of(small_shop_dir, tmp_path/'short', ['customers', 'products', 'orders', 'order_items'], orders_since='2023-10-01')
    doc, html = run(data, tmp_path/'site')
    m = doc['metrics']
    ts = Shop.load(data).orders.ts
    span = (ts.max().floor('D') - ts.min().floor('D')).days
    assert m['holdout_days'] == span // 3 < 90
    assert f"so the hold-out is the last {m['holdout_days']} days instead of 90" in html
    assert 'holdout_rmse_bgnbd' in m
