"""The whole job on real shops: build each shared real-data shop, run `shopnb report run --all` on it with the
default parameters, and record each report's wall time and peak memory next to the synthetic default.

    python bench/suite.py --data ../shared/data [--shops retail cdnow ...] [--jobs 1]

Writes `bench/results/suite.json` (one row per shop and report, plus one `all` row per shop) and `suite.md`.
Peak memory is sampled every 0.2 s: the report's kernel (its resident set, children included) and the runner.
Each shop runs with an empty embedding cache (`SHOPNB_CACHE`), as on a first run.
"""
from __future__ import annotations
import argparse, json, os, subprocess, sys, tempfile, threading, time
from pathlib import Path

from _common import ROOT, RESULTS, shared_data, versions, row, markdown_table, wait_for_idle

BIN = Path(sys.executable).parent
# shop name -> (loader kind, files relative to the shared data, loader options)
SHOPS = {
    'synthetic': ('synthetic', [], []),
    'online_retail': ('online_retail', ['online_retail/online_retail_ii_2009_2010.parquet', 'online_retail/online_retail.parquet'], []),
    'womens_reviews': ('reviews', ['womens_clothing_reviews/womens_clothing_ecommerce_reviews.parquet'], []),
    'cdnow': ('cdnow', ['cdnow/CDNOW_sample.txt'], []),
    'taobao': ('clickstream', ['clickstream/taobao_user_behavior_head.parquet'], []),
    'waimai_zh': ('reviews', ['chinese_reviews/waimai_10k.parquet'], ['label=label', 'text=review']),
}
TARGET_REPORT_S, TARGET_ALL_S = 180, 300  # each report under 3 minutes; `--all` on Online Retail under 5


def build_shop(name: str, data: Path, out: Path) -> Path:
    "Load one shared dataset into a shop folder with the `shopnb data` command."
    kind, files, opts = SHOPS[name]
    dest = out/name
    if kind == 'synthetic': cmd = [str(BIN/'shopnb'), 'data', 'synth', '--out', str(dest)]
    else: cmd = [str(BIN/'shopnb'), 'data', 'load', kind, *[str(data/f) for f in files], '--out', str(dest), *[a for o in opts for a in ('--option', o)]]
    r = subprocess.run(cmd, capture_output=True, text=True)
    if r.returncode: raise RuntimeError(f"building {name} failed: {r.stderr.strip()[-600:]}")
    return dest


class PeakMemory:
    "Sample the resident memory of a process tree: the runner, and each report kernel attributed to its report by its working folder."
    def __init__(self, pid: int, interval: float = 0.2):
        import psutil
        self.proc, self.interval, self.runner_mb, self.kernel_mb = psutil.Process(pid), interval, 0.0, {}
        self._stop = threading.Event(); self._t = threading.Thread(target=self._loop, daemon=True)

    def _loop(self):
        import psutil
        while not self._stop.wait(self.interval):
            try: kids = self.proc.children(recursive=True); runner = self.proc.memory_info().rss
            except psutil.Error: return
            for k in kids:
                try:
                    if 'ipykernel' not in ' '.join(k.cmdline()): continue
                    report = Path(k.cwd()).parent.name  # the kernel runs in SITE/<report>/.<slug>.tmp-xxx
                    tree = k.memory_info().rss + sum(c.memory_info().rss for c in k.children(recursive=True))
                    self.kernel_mb[report] = max(self.kernel_mb.get(report, 0.0), tree / 2**20)
                except psutil.Error: continue
            self.runner_mb = max(self.runner_mb, runner / 2**20)

    def __enter__(self): self._t.start(); return self
    def __exit__(self, *a): self._stop.set(); self._t.join()


def run_all(shop: Path, site: Path, jobs: int) -> tuple:
    "Run `shopnb report run --all` on `shop` into `site`; return (exit code, wall seconds, PeakMemory, output tail)."
    cmd = [str(BIN/'shopnb'), 'report', 'run', '--all', '--data', str(shop), '--out', str(site), '--force', '-j', str(jobs)]
    site.parent.mkdir(parents=True, exist_ok=True)
    cache = Path(tempfile.mkdtemp(prefix='cache-', dir=site.parent))  # cold: no embeddings cached by earlier runs
    t = time.perf_counter()
    with open(site.parent/f'{site.name}.log', 'w') as log:
        p = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, cwd=ROOT, env={**os.environ, 'SHOPNB_CACHE': str(cache)})
        with PeakMemory(p.pid) as mem: rc = p.wait()
    return rc, time.perf_counter() - t, mem, (site.parent/f'{site.name}.log').read_text()[-1500:]


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('--data', help='shared data folder (default ../shared/data)')
    ap.add_argument('--shops', nargs='*', default=list(SHOPS), choices=list(SHOPS))
    ap.add_argument('--jobs', type=int, default=1, help='reports run in parallel (1 measures each report alone)')
    ap.add_argument('--work', help='folder for the shops and sites (default: a temporary folder)')
    ap.add_argument('--wait', type=float, default=300, help='seconds to wait for an idle machine before starting')
    args = ap.parse_args(argv)
    data = shared_data(args.data)
    work = Path(args.work or tempfile.mkdtemp(prefix='shopnb-suite-'))
    load_start = wait_for_idle(timeout=args.wait)
    vers = versions('shopnb', 'pandas', 'duckdb', 'torch', 'transformers', 'statsmodels')
    rows, t0 = [], time.time()
    for name in args.shops:
        try: shop = build_shop(name, data, work/'shops')
        except RuntimeError as e:
            rows.append(row(name, 'all', 'report run --all', {'status': 'load failed', 'error': str(e)[:300]}, versions=vers)); continue
        site = work/'sites'/name
        load = round(os.getloadavg()[0], 2)
        rc, wall, mem, tail = run_all(shop, site, args.jobs)
        docs = {f.parent.parent.name: json.loads(f.read_text()) for f in site.glob('*/*/metrics.json')}
        skipped = {f.parent.name: json.loads(f.read_text()).get('reason') for f in site.glob('*/*.skipped.json')}
        for rep, doc in sorted(docs.items()):
            dur = doc.get('provenance', {}).get('duration_s')
            rows.append(row(name, rep, 'report', {'status': doc.get('status'), 'wall_s': dur, 'kernel_peak_mb': round(mem.kernel_mb.get(rep, 0.0)),
                                                  'under_3_min': dur is not None and dur < TARGET_REPORT_S, 'error': doc.get('error')},
                            wall_s=dur, versions=vers, seed=doc.get('params', {}).get('seed'), loadavg_start=load))
        for rep, why in sorted(skipped.items()):
            rows.append(row(name, rep, 'report', {'status': 'skipped', 'reason': why}, versions=vers))
        rows.append(row(name, 'all', 'report run --all', {'status': 'ok' if rc == 0 else f'exit {rc}', 'wall_s': round(wall, 1),
                                                          'runner_peak_mb': round(mem.runner_mb), 'reports_run': len(docs), 'skipped': len(skipped)},
                        wall_s=round(wall, 1), versions=vers, loadavg_start=load, **({'log_tail': tail} if rc else {})))
        print(f"{name}: --all {'ok' if rc == 0 else 'FAILED'} in {wall:.0f} s ({len(docs)} reports, {len(skipped)} skipped)", flush=True)
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS/'suite.json').write_text(json.dumps(rows, indent=1, default=str))
    (RESULTS/'suite.md').write_text(suite_markdown(rows, load_start, time.time() - t0, args.jobs))
    print(f"wrote {RESULTS/'suite.json'} and suite.md")


def suite_markdown(rows: list, load_start: float, total_s: float, jobs: int) -> str:
    "The results as a table: one line per shop and report, wall time and peak memory, then the whole-job line per shop."
    lines = ['# The whole job on real shops', '',
             f"`python bench/suite.py` with default report parameters, `report run --all -j {jobs}` per shop, in {total_s / 60:.1f} min on "
             f"{os.cpu_count()} cores without a GPU (load average {load_start} at the start; each row records its own). "
             f"Targets: each report under {TARGET_REPORT_S // 60} min, `--all` on Online Retail under {TARGET_ALL_S // 60} min. "
             "Peak memory: the report's kernel, sampled every 0.2 s. Each shop starts with an empty embedding cache.", '',
             '| shop | report | status | wall (s) | peak memory (MB) | load avg |', '|---|---|---|---:|---:|---:|']
    for r in rows:
        m = r['metrics']
        status = m.get('status') + (f" ({m['reason']})" if m.get('reason') else '') + (f": {m['error']}" if m.get('error') else '')
        mem = m.get('kernel_peak_mb', m.get('runner_peak_mb'))
        lines.append(f"| {r['dataset']} | {'**--all**' if r['task'] == 'all' else r['task']} | {status} | "
                     f"{'' if m.get('wall_s') is None else m['wall_s']} | {'' if mem is None else mem} | {r.get('loadavg_start', r.get('loadavg'))} |")
    return '\n'.join(lines) + '\n'


if __name__ == '__main__': main()
