"Published pages: no stderr, logs, warnings or progress bars (they go to run.log), recorded values once in the key-figures strip, one title."
import json, re

from shopnb.reports import run_report
from test_reports import write_report
from test_applicability import orders_shop  # noqa: F401  (fixture)


def test_page_is_clean_and_log_keeps_the_noise(orders_shop, tmp_path, monkeypatch):
    folder = tmp_path/'reports'
    write_report(folder, 'noisy', 'import sys, logging, warnings\n'
                 'print("INFO training step 3/10", file=sys.stderr)\n'
                 'warnings.warn("a library warning")\n'
                 'record("orders", len(shop.orders), key=True, label="Orders in the shop")\n'
                 'record("detail_metric", 0.123456)\n'
                 'print("a table the reader wants")', title='Noisy report')
    monkeypatch.setenv('SHOPNB_REPORTS', str(folder))
    r = run_report('noisy', data_dir=orders_shop, out=tmp_path/'site', progress_bar=False)
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


def test_failed_run_log_keeps_the_traceback(orders_shop, tmp_path, monkeypatch):
    folder = tmp_path/'reports'
    write_report(folder, 'broken', 'def inner(): raise ValueError("bad column x")\ninner()')
    monkeypatch.setenv('SHOPNB_REPORTS', str(folder))
    r = run_report('broken', data_dir=orders_shop, out=tmp_path/'site', progress_bar=False)
    assert r.status == 'failed'
    log = (r.out_dir/'run.log').read_text()
    assert 'ValueError: bad column x' in log and 'inner()' in log and '\x1b[' not in log  # readable: no terminal colours
    assert 'run failed: code cell 3' in log  # parameters, imports, the failing cell
