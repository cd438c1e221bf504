"The report engine end to end: the overview report through the CLI, strict parameters, failures, incremental runs, grids and parallel runs."
import json, re, shutil
from pathlib import Path

import nbformat
import pytest

from shopnb.cli import main
from shopnb.core import ShopnbError
from shopnb.reports import (external_refs, run_report, run_reports, report_params, list_reports, grid_from_cli,
                            read_params_file, build_index)
from shopnb.schema import Shop, read_manifest


def write_report(folder: Path, name: str, body: str, params: str = None, title: str = None) -> Path:
    "Write a small report notebook: a title, a tagged parameters cell and `body`."
    params = params or ('data_dir: str = ""  # shop folder; empty = the default synthetic shop\n'
                        'seed: int = 0  # random seed\n'
                        'scale: float = 1.0  # a factor; choices: 1.0, 2.0, 3.0\n'
                        'label: str = "x"  # a free text')
    cells = [nbformat.v4.new_markdown_cell(f'# {title or name}\n> A test report.'),
             nbformat.v4.new_code_cell(params, metadata={'tags': ['parameters']}),
             nbformat.v4.new_code_cell('from shopnb.reports import record, load_shop\nshop = load_shop(data_dir)'),
             nbformat.v4.new_code_cell(body)]
    nb = nbformat.v4.new_notebook(cells=cells, metadata={'kernelspec': {'name': 'python3', 'display_name': 'Python 3', 'language': 'python'}})
    folder.mkdir(parents=True, exist_ok=True)
    f = folder/f'{name}.ipynb'
    nbformat.write(nb, f)
    return f


@pytest.fixture
def reports(tmp_path, monkeypatch) -> Path:
    "A temporary reports folder (SHOPNB_REPORTS) holding the `count` report."
    folder = tmp_path/'reports'
    write_report(folder, 'count', 'record("orders", len(shop.orders) * scale)\nrecord("label", label)')
    monkeypatch.setenv('SHOPNB_REPORTS', str(folder))
    return folder


def metrics_of(site: Path, report: str, slug: str) -> dict:
    return json.loads((site/report/slug/'metrics.json').read_text())


# --- the overview report, end to end through the CLI -------------------------------------------------------------

def test_overview_end_to_end(small_shop_dir, tmp_path, capsys):
    site = tmp_path/'site'
    rc = main(['report', 'run', 'overview', '--data', str(small_shop_dir), '--out', str(site), '-p', 'top_n', '5'])
    out = capsys.readouterr().out
    assert rc == 0, out
    assert str(site/'index.html') in out
    [run] = [p for p in (site/'overview').iterdir() if not p.name.startswith('.')]
    assert 'top_n=5' in run.name
    html = (run/'index.html').read_text()
    man = read_manifest(small_shop_dir)
    # parameters and provenance in the header
    assert 'top_n' in html and 'data_dir' in html and str(small_shop_dir.name) in html
    for needle in ['Provenance', man['content_hash'], 'shopnb', 'pandas', 'started']:
        assert needle in html, needle
    assert external_refs(html) == []
    assert not re.search(r'''<script[^>]+src=["']?(https?:)?//''', html) and not re.search(r'''<link[^>]+href=["']?(https?:)?//''', html)
    assert 'data:image/png;base64' in html  # the daily-orders plot is embedded
    assert 'from shopnb.reports import' not in html  # code hidden by default
    m = json.loads((run/'metrics.json').read_text())
    assert m['status'] == 'ok'
    assert m['params']['top_n'] == 5 and m['params']['seed'] == 0
    for t, n in man['rows'].items(): assert m['metrics'][f'rows_{t}'] == n
    assert m['metrics']['tables'] == len(man['tables'])
    if 'orders' in man['tables']:
        first, last = Shop.load(small_shop_dir).orders.ts.agg(['min', 'max'])
        assert (m['metrics']['orders_first'], m['metrics']['orders_last']) == (str(first.date()), str(last.date()))
        days = (last.normalize() - first.normalize()).days + 1
        assert m['metrics']['orders_per_day'] == pytest.approx(man['rows']['orders'] / days)
    prov = m['provenance']
    assert prov['data_hash'] == man['content_hash'] and prov['params'] == m['params'] and prov['seed'] == 0
    for k in ['shopnb', 'python', 'packages', 'started', 'duration_s', 'code_hash', 'notebook_hash']: assert prov.get(k), k
    assert set(prov['timings']) == {'kernel_start_s', 'execute_s', 'kernel_stop_s', 'render_s', 'overhead_s'}
    t = prov['timings']  # measured phases, not derived from each other: the kernel start, the cells, the rendering
    assert t['kernel_start_s'] > 0 and t['render_s'] > 0 and 0 < t['execute_s'] < prov['duration_s'] and t['overhead_s'] >= 0
    cells = sum(c.metadata.papermill.get('duration') or 0 for c in nbformat.read(run/'report.ipynb', 4).cells if c.cell_type == 'code')
    assert 0.5 * t['execute_s'] < cells <= t['execute_s'] + 0.05  # the cells' own durations fill the execution phase
    assert 'overview' in (site/'index.html').read_text()


def test_show_code_keeps_code(reports, tiny_shop, tmp_path):
    hidden = run_report('count', data_dir=tiny_shop, out=tmp_path/'site')
    shown = run_report('count', data_dir=tiny_shop, out=tmp_path/'site2', show_code=True)
    assert hidden.status == shown.status == 'ok'
    assert 'load_shop' not in hidden.html.read_text() and 'load_shop' in shown.html.read_text()


# --- strict parameters, before any kernel starts ------------------------------------------------------------------

def test_unknown_parameter(reports, tiny_shop, tmp_path, capsys):
    rc = main(['report', 'run', 'count', '--data', str(tiny_shop), '--out', str(tmp_path/'site'), '-p', 'scal', '2'])
    err = capsys.readouterr().err
    assert rc != 0
    assert "unknown parameter 'scal'" in err and "did you mean 'scale'" in err and 'data_dir, seed, scale, label' in err
    assert not (tmp_path/'site').exists()  # nothing ran


def test_wrong_type_and_choices(reports, tiny_shop, tmp_path, capsys):
    rc = main(['report', 'run', 'count', '--data', str(tiny_shop), '--out', str(tmp_path/'site'), '-p', 'seed', 'abc'])
    assert rc != 0 and "parameter 'seed' (int): expected an integer, got 'abc'" in capsys.readouterr().err
    rc = main(['report', 'run', 'count', '--data', str(tiny_shop), '--out', str(tmp_path/'site'), '-p', 'scale', '5'])
    assert rc != 0 and 'not one of the choices [1.0, 2.0, 3.0]' in capsys.readouterr().err
    with pytest.raises(ShopnbError, match='expected a number'): run_report('count', {'scale': 'big'}, data_dir=tiny_shop, out=tmp_path/'site')
    assert not (tmp_path/'site').exists()


def test_unknown_report(reports, capsys):
    assert main(['report', 'run', 'cuont']) != 0
    assert "unknown report 'cuont'; did you mean 'count'?" in capsys.readouterr().err


def test_missing_data_folder(reports, tmp_path, monkeypatch, capsys):
    rc = main(['report', 'run', 'count', '--data', str(tmp_path/'nope'), '--out', str(tmp_path/'site')])
    assert rc != 0 and f"data folder {tmp_path/'nope'} does not exist" in capsys.readouterr().err
    monkeypatch.setenv('SHOPNB_DATA', str(tmp_path/'empty'))  # the default shop is missing too
    rc = main(['report', 'run', 'count', '--out', str(tmp_path/'site')])
    assert rc != 0 and 'shopnb data synth' in capsys.readouterr().err
    assert not (tmp_path/'site').exists()


def test_params_listing(reports, capsys):
    assert list_reports() == ['count']
    ps = {p.name: p for p in report_params('count')}
    assert (ps['scale'].type, ps['scale'].default, ps['scale'].help, ps['scale'].choices) == ('float', 1.0, 'a factor', [1.0, 2.0, 3.0])
    assert main(['report', 'params', 'count']) == 0
    out = capsys.readouterr().out
    assert re.search(r'scale\s+float\s+1\.0\s+a factor \(choices: 1.0, 2.0, 3.0\)', out), out
    assert main(['report', 'list']) == 0 and 'count' in capsys.readouterr().out


# --- nothing lost: a report that raises ---------------------------------------------------------------------------

def test_failing_report_keeps_last_good(reports, tiny_shop, tmp_path, capsys):
    site = tmp_path/'site'
    args = ['report', 'run', 'count', '--data', str(tiny_shop), '--out', str(site)]
    assert main(args) == 0
    [good] = [p for p in (site/'count').iterdir() if not p.name.startswith('.')]
    before = {f.name: f.read_bytes() for f in good.iterdir()}
    write_report(reports, 'count', 'record("orders", len(shop.orders))\nraise ValueError("boom in the report")')
    capsys.readouterr()
    rc = main(args)
    cap = capsys.readouterr()
    assert rc == 1
    assert 'code cell 3' in cap.err and 'ValueError: boom in the report' in cap.err, cap.err
    assert {f.name: f.read_bytes() for f in good.iterdir()} == before  # last good output untouched
    failed = good.with_name(good.name + '.failed')
    assert (failed/'report.ipynb').exists()
    fhtml = (failed/'index.html').read_text()
    assert 'This run failed' in fhtml and 'Traceback (most recent call last)' in fhtml and 'boom in the report' in fhtml
    fm = json.loads((failed/'metrics.json').read_text())
    assert fm['status'] == 'failed' and fm['cell'] == 3 and fm['metrics'] == {'orders': 3}
    index = (site/'index.html').read_text()
    assert 'failed' in index and f'{good.name}.failed/index.html' in index and f'{good.name}/index.html' in index
    assert not [p for p in (site/'count').iterdir() if '.tmp-' in p.name]  # no temporary folders left
    # fixing the report replaces the output and clears the failed run
    write_report(reports, 'count', 'record("orders", len(shop.orders) * 10)')
    assert main(args) == 0
    assert not failed.exists() and metrics_of(site, 'count', good.name)['metrics'] == {'orders': 30}


# --- incremental ------------------------------------------------------------------------------------------------

def test_skip_unchanged_and_rerun_after_code_change(reports, tiny_shop, tmp_path):
    site = tmp_path/'site'
    lib = tmp_path/'lib'; lib.mkdir()
    (lib/'mod.py').write_text('X = 1\n')
    code = [lib/'mod.py']
    r1 = run_report('count', data_dir=tiny_shop, out=site, code_files=code)
    assert r1.status == 'ok'
    started = metrics_of(site, 'count', r1.slug)['provenance']['started']
    r2 = run_report('count', data_dir=tiny_shop, out=site, code_files=code)
    assert r2.status == 'skipped' and r2.metrics == r1.metrics
    assert metrics_of(site, 'count', r1.slug)['provenance']['started'] == started
    (lib/'mod.py').write_text('X = 2\n')  # a change in library code
    r3 = run_report('count', data_dir=tiny_shop, out=site, code_files=code)
    assert r3.status == 'ok'
    assert run_report('count', data_dir=tiny_shop, out=site, code_files=code).status == 'skipped'
    assert run_report('count', data_dir=tiny_shop, out=site, code_files=code, force=True).status == 'ok'


def test_rerun_after_data_or_notebook_change(reports, tiny_shop, tmp_path):
    site = tmp_path/'site'
    data = tmp_path/'shop'; shutil.copytree(tiny_shop, data)
    assert run_report('count', data_dir=data, out=site).status == 'ok'
    assert run_report('count', data_dir=data, out=site).status == 'skipped'
    shop = Shop.load(data)
    Shop.from_tables({'customers': shop.customers, 'orders': shop.orders.iloc[:2]}, name='tiny').save(data)
    r = run_report('count', data_dir=data, out=site)
    assert r.status == 'ok' and r.metrics['orders'] == 2.0
    write_report(reports, 'count', 'record("orders", -1)')
    assert run_report('count', data_dir=data, out=site).metrics == {'orders': -1}


# --- many runs: grids, YAML, parallel -----------------------------------------------------------------------------

def test_grid_rule(reports):
    specs = report_params('count')
    assert grid_from_cli([('scale', '1,2'), ('label', r'a\,b')], specs=specs) == {'scale': ['1', '2'], 'label': ['a,b']}
    specs = specs + [type(specs[0])('horizons', 'list[int]', [7])]
    assert grid_from_cli([('horizons', '7,14;28')], specs=specs) == {'horizons': ['7,14', '28']}
    assert grid_from_cli(file_params={'horizons': [7, 14], 'scale': [1.0, 2.0]}, specs=specs) == {'horizons': [[7, 14]], 'scale': [1.0, 2.0]}


def test_parallel_grid_runs_in_index(reports, tiny_shop, tmp_path, capsys):
    site = tmp_path/'site'
    pf = tmp_path/'p.yaml'; pf.write_text('label: from-yaml\n')
    assert read_params_file(pf) == {'label': 'from-yaml'}
    rc = main(['report', 'run', 'count', '--data', str(tiny_shop), '--out', str(site), '-p', 'scale', '2,3',
               '--params-file', str(pf), '-j', '2'])
    out = capsys.readouterr().out
    assert rc == 0, out
    runs = sorted(p.name for p in (site/'count').iterdir() if not p.name.startswith('.'))
    assert len(runs) == 2 and all('label=from-yaml' in r for r in runs)
    ms = {metrics_of(site, 'count', r)['params']['scale']: metrics_of(site, 'count', r)['metrics'] for r in runs}
    assert ms == {2.0: {'orders': 6.0, 'label': 'from-yaml'}, 3.0: {'orders': 9.0, 'label': 'from-yaml'}}
    index = (site/'index.html').read_text()
    for r in runs: assert f'count/{r}/index.html' in index
    assert index.count('class="ok"') == 2 and external_refs(index) == []
    assert str(site/'index.html') in out


def test_one_failure_does_not_stop_the_others(reports, tiny_shop, tmp_path):
    write_report(reports, 'broken', 'raise RuntimeError("broken on purpose")')
    results = run_reports(['count', 'broken'], data_dir=tiny_shop, out=tmp_path/'site', jobs=2)
    assert {r.report: r.status for r in results} == {'count': 'ok', 'broken': 'failed'}
    assert 'RuntimeError: broken on purpose' in [r for r in results if r.report == 'broken'][0].error
    index = build_index(tmp_path/'site').read_text()
    assert 'broken on purpose' in index and re.search(r'href="count/[^"]+/index.html"', index)


def test_grid_parameter_unknown_to_every_report(reports, tiny_shop, tmp_path):
    with pytest.raises(ShopnbError, match="unknown parameter 'scael'"):
        run_reports(None, {'scael': ['2']}, data_dir=tiny_shop, out=tmp_path/'site')


def test_papermill_reads_every_declared_parameter():
    "papermill's own parser sees every parameter the runner declares (a '=' in a trailing comment breaks it)."
    import papermill as pm
    from shopnb.reports import list_reports, report_params, report_path
    for name in list_reports():
        declared = {p.name for p in report_params(name)}
        seen = set(pm.inspect_notebook(str(report_path(name))))
        assert seen == declared, f"{name}: papermill misses {sorted(declared - seen)}"
