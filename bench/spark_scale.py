"""Scale: the behaviour workload (session funnel, user funnel, monthly cohorts, RFM) on the default synthetic shop's events and
orders tiled to 10 M and 30 M events, in DuckDB, Spark local[2] and a Spark standalone cluster (two workers on localhost).
Each engine runs in its own process; wall time per step and the peak memory of that process tree (for the cluster, plus the
master, workers and executors) sampled every 0.2 s. Results: bench/results/spark_scale.{json,md}.

usage: bench/spark_cluster.sh bench/spark_scale.py [--sizes 10000000,30000000] [--append]   (DuckDB, local[2] and the cluster)
       python bench/spark_scale.py [--sizes ...]                                 (DuckDB and local[2] only)
"""
from __future__ import annotations
import argparse, json, os, subprocess, sys, tempfile, threading, time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import wait_for_idle, versions, row, write_results, RESULTS  # noqa: E402

NAME = 'spark_scale'
STEPS = ('funnel_session', 'funnel_user', 'cohorts_month', 'rfm')


def tile(src: Path, dest: Path, events: int) -> int:
    "Copy the shop `src` into `dest` with its events, orders and order lines repeated until `events` events (ids suffixed per copy)."
    import duckdb
    from shopnb.schema import read_manifest
    man = read_manifest(src); k = -(-events // man['rows']['events'])
    dest.mkdir(parents=True, exist_ok=True); con = duckdb.connect()
    q = {'events': f"select * replace (user_id || '_' || k as user_id) from read_parquet('{src}/events.parquet'), range({k}) t(k) limit {events}",
         'orders': f"select * replace (order_id || '_' || k as order_id, customer_id || '_' || k as customer_id) from read_parquet('{src}/orders.parquet'), range({k}) t(k)",
         'order_items': f"select * replace (order_id || '_' || k as order_id) from read_parquet('{src}/order_items.parquet'), range({k}) t(k)",
         'customers': f"select * replace (customer_id || '_' || k as customer_id) from read_parquet('{src}/customers.parquet'), range({k}) t(k)",
         'products': f"select * from read_parquet('{src}/products.parquet')"}
    rows = {}
    for t, sql in q.items():
        con.execute(f"copy ({sql}) to '{dest}/{t}.parquet' (format parquet, row_group_size 1000000)")
        rows[t] = con.execute(f"select count(*) from read_parquet('{dest}/{t}.parquet')").fetchone()[0]
    (dest/'manifest.json').write_text(json.dumps({**man, 'name': f"{man['name']}-x{k}", 'tables': list(q), 'rows': rows,
                                                  'meta': {'tiled_from': str(src), 'copies': k}}, indent=1))
    return rows['events']


def one(engine: str, shop_dir: str, master: str|None):
    "Child process: open the shop on `engine`, run the steps, print the timings as JSON."
    os.environ['SHOPNB_PROGRESS'] = '0'
    t0 = time.perf_counter()
    from shopnb.engine import open_shop
    from shopnb import behavior as bh
    conf = {'spark.sql.shuffle.partitions': 8, 'spark.driver.memory': '6g', 'spark.ui.enabled': 'false'}
    if engine == 'cluster': conf.update({'spark.executor.memory': '2g', 'spark.cores.max': 2})
    shop = open_shop(shop_dir, engine='duckdb' if engine == 'duckdb' else 'spark',
                     master={'local': 'local[2]', 'cluster': master}.get(engine), conf=conf)
    out = {'open_s': time.perf_counter() - t0}
    for name, f in (('funnel_session', lambda: bh.funnel(shop)), ('funnel_user', lambda: bh.funnel(shop, level='user')),
                    ('cohorts_month', lambda: bh.cohort_retention(shop)), ('rfm', lambda: bh.rfm(shop))):
        t = time.perf_counter(); r = f(); out[f'{name}_s'] = time.perf_counter() - t
        out[f'{name}_rows'] = len(r)
        if name == 'funnel_session': out['sessions'] = int(r.units.iloc[0])
    print(json.dumps({k: round(v, 2) if isinstance(v, float) else v for k, v in out.items()}))


def _tree_rss(pid: int, cluster: bool) -> int:
    import psutil
    try: ps = [psutil.Process(pid)] + psutil.Process(pid).children(recursive=True)
    except psutil.NoSuchProcess: return 0
    if cluster:
        ps += [p for p in psutil.process_iter(['cmdline']) if any('CoarseGrainedExecutorBackend' in c or 'deploy.worker.Worker' in c
                                                                  or 'deploy.master.Master' in c for c in (p.info['cmdline'] or []))]
    tot = 0
    for p in {p.pid: p for p in ps}.values():
        try: tot += p.memory_info().rss
        except psutil.Error: pass
    return tot


def measure(engine, shop_dir, master, timeout):
    "Run `one` in a child process; its result, wall time and the peak RSS of its process tree."
    t = time.perf_counter()
    p = subprocess.Popen([sys.executable, __file__, '--one', engine, '--shop', str(shop_dir)] + (['--master', master] if master else []),
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env={**os.environ, 'PYSPARK_PYTHON': sys.executable})
    peak = [0]; done = threading.Event()
    def sample():
        while not done.is_set(): peak[0] = max(peak[0], _tree_rss(p.pid, engine == 'cluster')); time.sleep(0.2)
    th = threading.Thread(target=sample, daemon=True); th.start()
    try: out, err = p.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        p.kill(); out, err = p.communicate(); done.set()
        return {'error': f'over {timeout} s'}, time.perf_counter() - t, peak[0]
    done.set(); th.join()
    if p.returncode: return {'error': err.strip().splitlines()[-1][:300] if err.strip() else f'exit {p.returncode}'}, time.perf_counter() - t, peak[0]
    return json.loads(out.strip().splitlines()[-1]), time.perf_counter() - t, peak[0]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--sizes', default='10000000,30000000', help='event counts, comma-separated')
    ap.add_argument('--master', default=None, help='spark://host:port of a running standalone cluster (bench/spark_cluster.sh passes it)')
    ap.add_argument('--engines', default=None, help='subset of duckdb,local,cluster')
    ap.add_argument('--max-wait', type=float, default=600, help='seconds to wait for an idle machine before each size')
    ap.add_argument('--timeout', type=float, default=1800, help='seconds allowed per engine and size')
    ap.add_argument('--append', action='store_true', help='keep the rows of other sizes already in the results file')
    ap.add_argument('--one'); ap.add_argument('--shop')
    a = ap.parse_args()
    if a.one: return one(a.one, a.shop, a.master)
    from shopnb.core import default_shop_dir
    engines = (a.engines or ('duckdb,local,cluster' if a.master else 'duckdb,local')).split(',')
    ver = versions('duckdb', 'pyspark', 'sqlglot', 'pandas')
    rows, sizes = [], [int(x) for x in a.sizes.split(',')]
    old = RESULTS/f'{NAME}.json'
    if a.append and old.exists(): rows = [r for r in json.loads(old.read_text()) if r.get('events') not in sizes]
    with tempfile.TemporaryDirectory() as tmp:
        for n in sizes:
            shop_dir = Path(tmp)/f'shop_{n}'; n_ev = tile(default_shop_dir(), shop_dir, n)
            for e in engines:
                load = wait_for_idle(timeout=a.max_wait)
                res, wall, peak = measure(e, shop_dir, a.master, a.timeout)
                method = {'duckdb': 'DuckDB (in-process)', 'local': 'Spark local[2]', 'cluster': 'Spark standalone cluster (2 workers x 1 core)'}[e]
                metrics = {**{k: res.get(f'{k}_s') for k in STEPS}, 'open_s': res.get('open_s'), 'sessions': res.get('sessions'),
                           'peak_rss_gb': round(peak / 2**30, 2), 'load_before': load, **({'error': res['error']} if 'error' in res else {})}
                rows.append(row(f'synthetic x{n_ev // 1_000_000}M events', 'behaviour workload', method, metrics, wall_s=round(wall, 1), versions=ver,
                                events=n_ev))
                print(f"{n_ev:,} events  {method:45s} wall {wall:7.1f} s  peak {peak / 2**30:5.2f} GB  load {load} -> {rows[-1]['loadavg']}  {res}", flush=True)
                write_results(NAME, rows, title='Spark scale: DuckDB, Spark local[2] and a standalone cluster on one machine', notes=NOTES)


NOTES = """Command: `bench/spark_cluster.sh bench/spark_scale.py`. The default synthetic shop's events, orders, order lines and customers
repeated (ids suffixed per copy) to the given number of events; steps: session funnel (sessionizes every event), user funnel,
monthly cohorts, RFM. Wall time includes the process start and, for Spark, the session start (`open_s`). Peak memory: the sampled
resident memory of the engine's process tree (Spark: driver JVM and Python workers; cluster: plus the master, workers and executors).
The machine has 2 cores shared with other work: `load_before` and `loadavg` (at the end of the row) are the 1-minute load averages."""

if __name__ == '__main__':
    main()
