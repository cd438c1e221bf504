"""The `shopnb report run` command line: --all, --force, --show-code, exit codes, the text of its errors, and clean-up
when a running report is interrupted (SIGINT or SIGTERM). Small hand-made reports keep every run to seconds."""
import json, os, signal, subprocess, sys, time
from pathlib import Path

import pytest

import shopnb
from shopnb.cli import main
from shopnb.reports import run_report
from test_reports import write_report


@pytest.fixture
def reports(tmp_path, monkeypatch) -> Path:
    "A reports folder with two reports: `count` (orders x scale) and `customers`."
    folder = tmp_path/'reports'
    write_report(folder, 'count', 'record("orders", len(shop.orders) * scale)  # COUNT-CELL')
    write_report(folder, 'customers', 'record("customers", len(shop.customers))')
    monkeypatch.setenv('SHOPNB_REPORTS', str(folder))
    return folder


def runs(site: Path, report: str) -> list:
    return sorted(p for p in (site/report).iterdir() if not p.name.startswith('.')) if (site/report).exists() else []


def started(run: Path) -> str: return json.loads((run/'metrics.json').read_text())['provenance']['started']


def test_all_force_and_unchanged(reports, tiny_shop, tmp_path, capsys):
    site = tmp_path/'site'
    args = ['report', 'run', '--all', '--data', str(tiny_shop), '--out', str(site), '-q']
    assert main(args) == 0
    out = capsys.readouterr().out
    [c], [u] = runs(site, 'count'), runs(site, 'customers')
    assert json.loads((c/'metrics.json').read_text())['metrics'] == {'orders': 3.0}
    assert json.loads((u/'metrics.json').read_text())['metrics'] == {'customers': 2}
    assert out.count(' ok ') == 2 and f"Site: {site/'index.html'}" in out
    first = started(c), started(u)
    # unchanged: nothing reruns, the summary says why
    assert main(args) == 0
    out = capsys.readouterr().out
    assert out.count('skipped (unchanged)') == 2, out
    assert (started(c), started(u)) == first
    # --force on one named report reruns only that one
    time.sleep(1.1)  # 'started' has a resolution of one second
    assert main(['report', 'run', 'customers', '--force', '--data', str(tiny_shop), '--out', str(site), '-q']) == 0
    assert ' ok ' in capsys.readouterr().out
    assert started(c) == first[0] and started(u) != first[1]
    # --all again with a new report that fails: the unchanged ones are not rerun, the failure makes the command fail
    write_report(reports, 'broken', 'record("before", 1)\nraise ValueError("no good")')
    rc = main(args)
    cap = capsys.readouterr()
    assert rc == 1
    assert cap.out.count('skipped (unchanged)') == 2 and started(c) == first[0]
    [line] = [l for l in cap.err.splitlines() if l.startswith('FAILED')]
    assert line.startswith('FAILED broken [') and 'code cell 3' in line and 'ValueError: no good' in line
    assert [p.name.endswith('.failed') for p in runs(site, 'broken')] == [True]


def test_show_code(reports, tiny_shop, tmp_path, capsys):
    site = tmp_path/'site'
    base = ['report', 'run', 'count', '--data', str(tiny_shop), '--out', str(site), '-q']
    assert main(base) == 0
    [run] = runs(site, 'count')
    assert 'COUNT-CELL' not in (run/'index.html').read_text()
    capsys.readouterr()
    # showing the code is part of what a run is: it reruns without --force, in the same output folder
    assert main(base + ['--show-code']) == 0
    assert ' ok ' in capsys.readouterr().out
    assert runs(site, 'count') == [run]
    html = (run/'index.html').read_text()
    assert 'COUNT-CELL' in html and 'load_shop' in html
    assert '3.0' in html                                        # outputs are still there


@pytest.mark.parametrize('argv, rc, err', [
    (['report', 'run'], 1, 'error: name one or more reports, or use --all'),
    (['report', 'run', 'count', '--all'], 1, 'error: name one or more reports, or use --all'),
    (['report', 'run', 'cuont'], 1, "error: unknown report 'cuont'; did you mean 'count'?"),
    (['report', 'params', 'nope'], 1, "error: unknown report 'nope'"),
    (['report', 'run', 'count', '-j', 'two'], 2, "argument -j/--jobs: invalid int value: 'two'"),
    (['report', 'run', 'count', '-p', 'scale'], 2, 'argument -p/--param: expected 2 arguments'),
    (['report'], 2, 'the following arguments are required'),
    (['report', 'run', 'count', '-p', 'scale', 'big'], 1, "error: report 'count': parameter 'scale' (float): expected a number, got 'big'"),
])
def test_exit_codes_and_messages(reports, argv, rc, err, capsys):
    assert main(argv) == rc
    cap = capsys.readouterr()
    assert err in cap.err, cap.err
    assert 'Traceback' not in cap.err
    if rc == 1: assert len(cap.err.strip().splitlines()) == 1   # one line, no usage dump


def _cli_env(reports: Path) -> dict:
    env = dict(os.environ, SHOPNB_REPORTS=str(reports), SHOPNB_PROGRESS='0')
    env['PYTHONPATH'] = os.pathsep.join([str(Path(shopnb.__file__).parents[1])] + [p for p in [env.get('PYTHONPATH')] if p])
    return env


def _wait_for(path: Path, proc, timeout: float = 120):
    t = time.monotonic()
    while not path.exists():
        if proc.poll() is not None: pytest.fail(f"the run ended ({proc.returncode}) before the report started: {proc.communicate()}")
        if time.monotonic() - t > timeout: proc.kill(); pytest.fail('the report did not start in time')
        time.sleep(0.2)


def test_interrupt_cleans_up(reports, tiny_shop, tmp_path):
    "SIGINT or SIGTERM to a running `shopnb report run`: exit 130, no temporary folder, no failed run, the last good output untouched, kernel gone."
    sites = {sig: tmp_path/f'site-{sig.name}' for sig in (signal.SIGINT, signal.SIGTERM)}
    for sig, site in sites.items():  # a good run first
        assert run_report('count', {'label': sig.name}, data_dir=tiny_shop, out=site, progress_bar=False).status == 'ok'
    good = {sig: {f.name: f.read_bytes() for f in runs(site, 'count')[0].iterdir()} for sig, site in sites.items()}
    # the same run (same parameters, so the same output folder), now with a notebook that blocks after telling its kernel's pid
    marker = tmp_path/'kernel-{}.pid'
    write_report(reports, 'count', 'import os, time, pathlib\nrecord("orders", -1)\n'
                 f'pathlib.Path({str(marker)!r}.format(label)).write_text(str(os.getpid()))\ntime.sleep(300)')
    procs = {sig: subprocess.Popen([sys.executable, '-m', 'shopnb.cli', 'report', 'run', 'count', '--data', str(tiny_shop), '--out', str(site),
                                    '-q', '-p', 'label', sig.name], env=_cli_env(reports), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for sig, site in sites.items()}
    for sig, p in procs.items():
        m = Path(str(marker).format(sig.name))
        _wait_for(m, p)
        p.send_signal(sig)
    for sig, p in procs.items():
        out, err = p.communicate(timeout=120)
        site = sites[sig]
        assert p.returncode == 130, (sig, p.returncode, err)
        # the last line is the command's own message (the kernel may log its shutdown before it)
        assert err.strip().splitlines()[-1] == 'error: interrupted', err
        assert 'KeyboardInterrupt' not in err, err
        names = [q.name for q in (site/'count').iterdir()]
        assert not [n for n in names if '.tmp-' in n or '.old-' in n or n.endswith('.failed')], names
        kernel = int(Path(str(marker).format(sig.name)).read_text())
        for _ in range(50):
            try: os.kill(kernel, 0)
            except ProcessLookupError: break
            time.sleep(0.2)
        else: pytest.fail(f'{sig.name}: the kernel {kernel} is still running')
    for sig, site in sites.items():
        assert {f.name: f.read_bytes() for f in runs(site, 'count')[0].iterdir()} == good[sig], sig
