"""The distributed path on one machine: the behaviour report (engine=spark) and per-product `forecast_many` against a Spark
standalone cluster (a master and two workers on localhost, started by bench/spark_cluster.sh), beside the same work in DuckDB,
a Python loop and a process pool. Results: bench/results/spark_cluster.{json,md}.

usage: bench/spark_cluster.sh [--quick]     (starts and stops the cluster, then runs this file with --master)
"""
from __future__ import annotations
import argparse, json, os, subprocess, sys, tempfile, time
from pathlib import Path
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import wait_for_idle, versions, row, write_results, ROOT  # noqa: E402

os.environ.setdefault('SHOPNB_PROGRESS', '0')
from shopnb.core import default_shop_dir  # noqa: E402
from shopnb.schema import Shop  # noqa: E402
from shopnb import forecast as fc  # noqa: E402
from shopnb.engine import spark_session  # noqa: E402

NAME = 'spark_cluster'


def run_report(engine: str, out: Path, env: dict) -> dict:
    "Run the behaviour report as `shopnb report run` does; wall time and the peak memory of its process tree (on the cluster, plus the master, workers and executors)."
    import threading
    from spark_scale import _tree_rss
    t = time.perf_counter()
    p = subprocess.Popen([sys.executable, '-m', 'shopnb.cli', 'report', 'run', 'behavior', '-p', 'engine', engine, '--out', str(out), '--force', '-q'],
                         env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    peak, done = [0], threading.Event()
    def sample():
        while not done.is_set(): peak[0] = max(peak[0], _tree_rss(p.pid, engine == 'spark')); time.sleep(0.2)
    th = threading.Thread(target=sample, daemon=True); th.start()
    so, se = p.communicate(); done.set(); th.join()
    wall = time.perf_counter() - t
    if p.returncode: raise SystemExit(f"behaviour report ({engine}) failed:\n{so[-2000:]}\n{se[-3000:]}")
    m = json.loads(next(out.glob('behavior/*/metrics.json')).read_text())['metrics']
    return dict(wall_s=round(wall, 1), peak_rss_mb=round(peak[0] / 2**20), metrics=m)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--master', required=True, help='spark://host:port of the running standalone cluster')
    ap.add_argument('--quick', action='store_true', help='50 products instead of all, no DuckDB report run')
    ap.add_argument('--model', default='ets')
    ap.add_argument('--max-wait', type=float, default=600, help='seconds to wait for an idle machine before starting')
    a = ap.parse_args()
    load0 = wait_for_idle(timeout=a.max_wait)
    rows, ver = [], versions('pyspark', 'sqlglot', 'duckdb', 'pandas', 'statsmodels')
    shop_dir = default_shop_dir(); shop = Shop.load(shop_dir)
    env = {**os.environ, 'SPARK_MASTER': a.master, 'PYSPARK_PYTHON': sys.executable, 'SHOPNB_PROGRESS': '0'}
    with tempfile.TemporaryDirectory() as tmp:
        # 1. the behaviour report on the cluster (and in DuckDB for scale)
        engines = ['spark'] if a.quick else ['duckdb', 'spark']
        rep = {e: run_report(e, Path(tmp)/e, {**env, **({} if e == 'spark' else {'SPARK_MASTER': ''})}) for e in engines}
        same = None
        if 'duckdb' in rep:
            keys = ['sessions', 'session_conversion', 'retention_period1', 'rfm_customers', 'champions_revenue_share']
            same = all(abs(rep['duckdb']['metrics'][k] - rep['spark']['metrics'][k]) < 1e-9 for k in keys)
        for e, r in rep.items():
            rows.append(row(shop.name, 'behaviour report', f"report engine={e}" + (' (standalone cluster, 2 workers)' if e == 'spark' else ''),
                            {'sessions': r['metrics']['sessions'], 'same_sql_figures_as_duckdb': same, 'peak_rss_mb': r['peak_rss_mb']},
                            wall_s=r['wall_s'], versions=ver))
        # 2. forecast_many per product: loop, a 2-process pool, and the cluster; identical outputs
        gs = fc.group_series(shop, 'product_id', top=50 if a.quick else None)
        res = {}
        for e in ('loop', 'processes', 'spark'):
            spark = spark_session(a.master, conf={'spark.executor.memory': '1g', 'spark.sql.shuffle.partitions': 8}) if e == 'spark' else None
            t = time.perf_counter()
            res[e] = fc.forecast_many(gs, a.model, horizon=28, windows=3, engine=e, n_jobs=2, spark=spark)
            wall = time.perf_counter() - t
            ident = e == 'loop' or res['loop'].forecasts.equals(res[e].forecasts)
            rows.append(row(shop.name, f'forecast_many per product ({gs.shape[1]} series x {len(gs)} days, {a.model}, h=28, 3 windows)',
                            {'loop': 'one process', 'processes': 'process pool (2)', 'spark': 'Spark applyInPandas, standalone cluster (2 workers)'}[e],
                            {'groups': gs.shape[1], 'identical_to_loop': bool(ident), 'mean_mase': round(float(res[e].summary.mase.mean()), 4)},
                            wall_s=round(wall, 1), versions=ver))
            print(rows[-1]['method'], rows[-1]['wall_s'], 's, load', rows[-1]['loadavg'], flush=True)
    notes = (f"Command: `bench/spark_cluster.sh{' --quick' if a.quick else ''}` (a standalone master and two workers of 1 core each on localhost, "
             f"from the pyspark installation). Shop: the default synthetic shop ({shop_dir.name}). Load average before the run: {load0}; "
             "each row records the load average when it finished (`loadavg`). The report's wall time includes starting the kernel and, on Spark, "
             "the session; its peak memory is the sampled resident memory of the report's process tree (on Spark, plus the master, workers and executors).")
    write_results(NAME, rows, title='Spark standalone cluster on one machine: behaviour report and forecast_many', notes=notes)
    print(f"written bench/results/{NAME}.json and .md")


if __name__ == '__main__':
    main()
