"""Shared helpers for the benchmarks: locating the real data, timing, and writing results files."""
from __future__ import annotations
import json, os, time, platform, contextlib, subprocess, sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT/'bench'/'results'
PEER_PYTHON = ROOT/'bench'/'peers'/'.venv'/'bin'/'python'

def shared_data(path=None) -> Path:
    "The real-data folder: `path`, else `SHOPNB_SHARED_DATA`, else `../shared/data` beside the repository."
    p = Path(path or os.environ.get('SHOPNB_SHARED_DATA') or ROOT.parent/'shared'/'data')
    if not p.exists(): sys.exit(f"real data not found at {p}: pass --data DIR")
    return p

def wait_for_idle(max_load: float = 1.5,  # 1-minute load average under which the machine counts as idle
                  timeout: float = 600,  # seconds to wait at most; then warn and go on
                 ) -> float:
    "Wait for the machine to be idle before timing anything; warn when it stays busy; return the load average."
    t0 = time.time()
    while os.getloadavg()[0] >= max_load and time.time() - t0 < timeout: time.sleep(10)
    load = os.getloadavg()[0]
    if load >= max_load: print(f"warning: the machine is busy (load average {load:.1f}); timings will be slower than on an idle machine", file=sys.stderr)
    return round(load, 2)

def median_time(fn, repeat: int = 5):
    "Median wall time of `repeat` calls of `fn()` (seconds) and the last call's result: for steps short enough to repeat."
    times, out = [], None
    for _ in range(repeat):
        out = None  # free the previous result first, so that peak memory is that of one call
        t = time.perf_counter(); out = fn(); times.append(time.perf_counter() - t)
    return round(float(sorted(times)[len(times) // 2]), 4), out

@contextlib.contextmanager
def timer(out: dict, key: str):
    "Store the wall time of the block in `out[key]` (seconds)."
    t = time.perf_counter()
    try: yield
    finally: out[key] = round(time.perf_counter() - t, 3)

def versions(*packages) -> dict:
    "Python, machine load and package versions for a results row."
    from importlib.metadata import version, PackageNotFoundError
    d = {'python': platform.python_version()}
    for p in packages:
        try: d[p] = version(p)
        except PackageNotFoundError: d[p] = None
    return d

def row(dataset, task, method, metrics, peer=False, fit_s=None, predict_s=None, wall_s=None, versions=None, seed=None, **extra) -> dict:
    "One results row in the format of the architecture page."
    return dict(dataset=dataset, task=task, method=method, peer=peer, metrics=metrics, fit_s=fit_s, predict_s=predict_s,
                wall_s=wall_s, versions=versions or {}, seed=seed, loadavg=round(os.getloadavg()[0], 2), **extra)

def run_peer(script, *args, timeout=3600) -> dict:
    "Run a peer script in the peers' environment; it prints one JSON document on stdout."
    if not PEER_PYTHON.exists(): raise SystemExit(f"peer environment missing: build it with `make bench` ({PEER_PYTHON})")
    r = subprocess.run([str(PEER_PYTHON), str(script), *map(str, args)], capture_output=True, text=True, timeout=timeout)
    if r.returncode: raise RuntimeError(f"{script} failed:\n{r.stderr[-3000:]}")
    return json.loads(r.stdout.strip().splitlines()[-1])

def _fmt(v):
    if isinstance(v, float): return f"{v:.3f}"
    return '' if v is None else str(v)

def markdown_table(rows, metrics=None) -> str:
    "Rows as one Markdown table: dataset, task, method, peer, metrics..., fit_s, wall_s."
    metrics = metrics or list(dict.fromkeys(k for r in rows for k in r['metrics']))
    timings = [t for t in ('fit_s', 'wall_s') if t not in metrics]
    head = ['dataset', 'task', 'method', 'peer', *metrics, *timings]
    lines = ['| ' + ' | '.join(head) + ' |', '|' + '---|'*len(head)]
    for r in rows:
        lines.append('| ' + ' | '.join([r['dataset'], r['task'], r['method'], 'yes' if r.get('peer') else '',
                                        *[_fmt(r['metrics'].get(m)) for m in metrics], *[_fmt(r.get(t)) for t in timings]]) + ' |')
    return '\n'.join(lines) + '\n'

def write_results(name, rows, title=None, notes='') -> Path:
    "Write `bench/results/<name>.json` and `.md`; return the JSON path."
    RESULTS.mkdir(parents=True, exist_ok=True)
    j = RESULTS/f'{name}.json'
    j.write_text(json.dumps(rows, indent=1, default=str))
    md = f"# {title or name}\n\n" + (notes.strip() + '\n\n' if notes else '') + markdown_table(rows)
    (RESULTS/f'{name}.md').write_text(md)
    return j
