"""Report-level determinism: the overview and forecast reports run twice, by two separate `shopnb report run --force`
processes, on the same small synthetic shop give identical metrics (wall times aside)."""
import json, os, subprocess, sys
from pathlib import Path

import shopnb

TIMING = {'backtest_wall_s'}  # metrics that measure wall time, not results


def _run(data: Path, site: Path) -> subprocess.Popen:
    env = dict(os.environ, SHOPNB_PROGRESS='0')
    env['PYTHONPATH'] = os.pathsep.join([str(Path(shopnb.__file__).parents[1])] + [p for p in [env.get('PYTHONPATH')] if p])
    return subprocess.Popen([sys.executable, '-m', 'shopnb.cli', 'report', 'run', 'overview', 'forecast', '--data', str(data), '--out', str(site),
                             '--force', '-q', '-p', 'horizon', '14', '-p', 'windows', '2'],
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _metrics(site: Path) -> dict:
    out = {}
    for f in sorted(site.glob('*/*/metrics.json')):
        doc = json.loads(f.read_text())
        assert doc['status'] == 'ok', (f, doc.get('error'))
        out[doc['report']] = ({k: v for k, v in doc['metrics'].items() if k not in TIMING}, doc['provenance']['run_key'])
    return out


def test_same_run_twice_gives_identical_metrics(small_shop_dir, tmp_path):
    procs = [_run(small_shop_dir, tmp_path/f'site{i}') for i in (1, 2)]   # two processes at once: nothing shared between them
    for p in procs:
        out, err = p.communicate(timeout=600)
        assert p.returncode == 0, err
    a, b = _metrics(tmp_path/'site1'), _metrics(tmp_path/'site2')
    assert set(a) == {'overview', 'forecast'}
    assert a['forecast'][0]['backtest_windows'] == 2 and 'mase_combination' in a['forecast'][0]
    for report in a:
        assert a[report][1] == b[report][1], report           # the same run: same parameters, data, notebook and code
        assert a[report][0] == b[report][0], report           # exactly equal, floats included
