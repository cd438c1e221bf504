"Reports that do not apply to a shop: skipped under --all with the reason, refused before any kernel starts when asked for by name; sections left out; parameter ranges."
import json, re

import pytest

from shopnb.cli import main
from shopnb.reports import NotApplicable, plan_runs, report_needs, run_report, list_reports
from test_reports import write_report


def test_every_report_declares_its_tables():
    needs = {n: report_needs(n) for n in list_reports()}
    assert needs['sentiment'].alternatives == [['reviews']]
    assert needs['recommend'].alternatives == [['orders', 'order_items'], ['events']]
    assert needs['behavior'].alternatives == [['orders'], ['events']]
    assert needs['overview'].alternatives == []  # any shop
    assert 'products' in needs['sentiment'].optional


def test_all_plans_only_applicable_reports(tiny_shop):
    skipped = []
    plans = plan_runs(None, data_dir=tiny_shop, skipped=skipped)
    assert sorted(p.report for p in plans) == ['behavior', 'overview']
    reasons = {r.report: r.reason for r in skipped}
    assert reasons == {'forecast': 'needs orders and order_items', 'recommend': 'needs orders and order_items, or events',
                       'sentiment': 'needs reviews'}
    assert all(r.status == 'skipped' for r in skipped)


def test_inapplicable_report_by_name_fails_before_a_kernel(tiny_shop, tmp_path, capsys):
    site = tmp_path/'site'
    with pytest.raises(NotApplicable, match=r"report 'sentiment' does not apply .* it needs reviews, and the shop has customers, orders"):
        run_report('sentiment', data_dir=tiny_shop, out=site)
    assert not (site/'sentiment').exists()  # nothing ran, nothing written
    rc = main(['report', 'run', 'sentiment', '--data', str(tiny_shop), '--out', str(site)])
    assert rc == 1 and 'it needs reviews' in capsys.readouterr().err


def test_out_of_range_parameter_is_refused(small_shop_dir, tmp_path, capsys):
    rc = main(['report', 'run', 'forecast', '--data', str(small_shop_dir), '--out', str(tmp_path), '-p', 'horizon', '0'])
    assert rc == 1
    assert "parameter 'horizon' (int): 0 is below the minimum 1" in capsys.readouterr().err
    assert not (tmp_path/'forecast').exists()


def test_all_lists_skipped_reports_in_cli_and_site(tiny_shop, tmp_path, monkeypatch, capsys):
    folder = tmp_path/'reports'
    write_report(folder, 'count', 'record("orders", len(shop.orders))')
    f = write_report(folder, 'stars', 'record("reviews", len(shop.reviews))', title='Stars')
    nb = json.loads(f.read_text()); nb['cells'][0]['source'] += '\n\nNeeds: `reviews`'; f.write_text(json.dumps(nb))
    monkeypatch.setenv('SHOPNB_REPORTS', str(folder))
    site = tmp_path/'site'
    rc = main(['report', 'run', '--all', '--data', str(tiny_shop), '--out', str(site), '-q'])
    out = capsys.readouterr().out
    assert rc == 0, out
    line = next(l for l in out.splitlines() if l.startswith('stars'))
    assert 'skipped (needs reviews)' in line
    index = (site/'index.html').read_text()
    assert 'needs reviews' in index and '1 ok, 0 failed, 1 skipped' in index
    assert not (site/'stars'/'default').exists()


def test_sections_without_their_table_are_left_out(tiny_shop, tmp_path):
    r = run_report('overview', data_dir=tiny_shop, out=tmp_path, progress_bar=False)
    assert r.status == 'ok', r.error
    doc = json.loads((r.out_dir/'metrics.json').read_text())
    assert set(doc['skipped_sections']) == {'Products', 'Events', 'Reviews'}
    html = r.html.read_text()
    assert '<b>Events</b>: left out, this shop has no events' in html
    assert 'Browsing events by type' not in html  # the section's text went with it


def test_monitor_follows_cells_and_progress(tiny_shop, tmp_path, monkeypatch):
    import io
    from shopnb.reports import RunMonitor
    folder = tmp_path/'reports'
    write_report(folder, 'slow', 'import time\nfrom shopnb.core import progress\n'
                 'for i in progress(range(4), desc="training steps", total=4): time.sleep(0.6)\nrecord("done", 1)')
    monkeypatch.setenv('SHOPNB_REPORTS', str(folder))
    buf, status = io.StringIO(), tmp_path/'status'
    with RunMonitor(status, stream=buf, interval=0.2, every=0.4):
        r = run_report('slow', data_dir=tiny_shop, out=tmp_path/'site', progress_bar=False, status_dir=status)
    assert r.status == 'ok', r.error
    lines = buf.getvalue().splitlines()
    assert any(l.startswith('slow [data_dir=shop') and 'cell 3/3 (slow)' in l for l in lines), lines
    assert any(re.search(r'training steps [1-3]/4, \d+:\d\d left', l) for l in lines), lines
    assert 'training steps' not in r.html.read_text()  # progress never reaches the page
    assert list(status.iterdir()) == []  # the run's status files are gone
