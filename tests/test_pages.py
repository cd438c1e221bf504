"Published pages: no stderr, logs, warnings or progress bars (they go to run.log), recorded values once in the key-figures strip, one title."
import json, re

from shopnb.reports import run_report
from test_reports import write_report


def test_page_is_clean_and_log_keeps_the_noise(tiny_shop, tmp_path, monkeypatch):
    folder = tmp_path/'reports'
    write_report(folder, 'noisy', 'import sys, logging, warnings\n'
                 'print("INFO training step 3/10", file=sys.stderr)\n'
                 'warnings.warn("a library warning")\n'
                 'record("orders", len(shop.orders), key=True, label="Orders in the shop")\n'
                 'record("detail_metric", 0.123456)\n'
                 'print("a table the reader wants")', title='Noisy report')
    monkeypatch.setenv('SHOPNB_REPORTS', str(folder))
    r = run_report('noisy', data_dir=tiny_shop, out=tmp_path/'site', progress_bar=False)
    assert r.status == 'ok', r.error
    html = r.html.read_text()
    assert 'a table the reader wants' in html  # stdout stays
    for noise in ('training step 3/10', 'a library warning', 'detail_metric'):
        assert noise not in html, noise
    log = (r.out_dir/'run.log').read_text()
    assert 'INFO training step 3/10' in log and 'a library warning' in log
    assert 'href="run.log"' in html
    # the key figure once, in the strip, with its label; the title once
    assert '<div class="shopnb-figures"><div class="fig"><div class="v">3</div><div class="l">Orders in the shop</div></div></div>' in html
    assert html.count('Orders in the shop') == 1
    assert len(re.findall(r'<h1[ >]', html)) == 1 and html.count('A test report.') == 1
    doc = json.loads((r.out_dir/'metrics.json').read_text())
    assert doc['metrics'] == {'orders': 3, 'detail_metric': 0.123456} and doc['metrics_label']['orders'] == 'Orders in the shop'


def test_failed_run_log_keeps_the_traceback(tiny_shop, tmp_path, monkeypatch):
    folder = tmp_path/'reports'
    write_report(folder, 'broken', 'def inner(): raise ValueError("bad column x")\ninner()')
    monkeypatch.setenv('SHOPNB_REPORTS', str(folder))
    r = run_report('broken', data_dir=tiny_shop, out=tmp_path/'site', progress_bar=False)
    assert r.status == 'failed'
    log = (r.out_dir/'run.log').read_text()
    assert 'ValueError: bad column x' in log and 'inner()' in log and '\x1b[' not in log  # readable: no terminal colours
    assert 'run failed: code cell 3' in log  # parameters, imports, the failing cell


def test_site_compares_runs_and_grids(tmp_path, monkeypatch):
    import pandas as pd
    from shopnb.reports import run_reports
    from shopnb.schema import Shop
    def shop(n):  # a shop with n orders, always saved at the same path
        return Shop.from_tables({'customers': pd.DataFrame({'customer_id': ['c1']}),
                                 'orders': pd.DataFrame({'order_id': [f'o{i}' for i in range(n)], 'customer_id': ['c1'] * n,
                                                         'ts': pd.date_range('2024-01-01', periods=n), 'status': ['completed'] * n})}, name='s').save(tmp_path/'shop')
    folder = tmp_path/'reports'
    write_report(folder, 'count', 'record("orders", len(shop.orders) * scale, key=True, label="Orders, scaled")')
    monkeypatch.setenv('SHOPNB_REPORTS', str(folder))
    site = tmp_path/'site'
    shop(3); run_reports(['count'], {'scale': [1.0, 2.0]}, data_dir=tmp_path/'shop', out=site)
    shop(5); rs = run_reports(['count'], {'scale': [1.0, 2.0]}, data_dir=tmp_path/'shop', out=site)
    assert [r.metrics['orders'] for r in rs] == [5.0, 10.0]
    doc = json.loads((rs[0].out_dir/'metrics.json').read_text())
    assert doc['changes']['deltas'] == {'orders': [3.0, 5.0]} and doc['changes']['data'] and not doc['changes']['params']
    page = rs[0].html.read_text()
    assert 'Since the previous run' in page and 'Orders, scaled 3 → 5 (+2); changed: data.' in page
    index = (site/'index.html').read_text()
    assert index.count('Orders, scaled 3 → 5 (+2); changed: data.') == 1 and 'Orders, scaled 6 → 10 (+4); changed: data.' in index
    assert index.count('<div class="d">was 3</div>') == 1  # the previous value beside the figure
    chart = re.search(r'<div class="grid-chart">(<svg.*?</svg>)</div>', index, re.S).group(1)
    assert 'Orders, scaled by scale' in chart and chart.count('<circle') == 2 and '<script' not in index
    hist = json.loads((site/'count'/f'.{rs[0].slug}.history.json').read_text())
    assert [h['metrics']['orders'] for h in hist] == [3.0, 5.0]
