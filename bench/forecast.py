"""Forecasting benchmark, protocol F (Online Retail daily orders and revenue).

One run: the rolling-origin backtest (horizon 28, 6 windows, step 28, last window ending 2011-12-08) of every shopnb
model, the seasonal naive, and the peers statsforecast AutoETS and AutoARIMA (season 7, own environment, same series
file). Metrics: MASE (mean over windows, scaled by the in-sample seasonal naive m = 7 of each window's training data),
RMSE, coverage of the 80 % and 95 % intervals over all test days (and over trading days only), and wall time of each method's whole backtest.

usage: python bench/forecast.py --data ../shared/data [--quick] [--no-peers] [--n-jobs 2]
"""
from __future__ import annotations
import argparse, os, sys, tempfile, time
from pathlib import Path
import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import shared_data, versions, row, run_peer, write_results, wait_for_idle, ROOT  # noqa: E402

os.environ.setdefault('SHOPNB_PROGRESS', '0')
from shopnb.core import get_logger  # noqa: E402
from shopnb.datasets import online_retail_lines  # noqa: E402
from shopnb import forecast as fc  # noqa: E402

log = get_logger('bench.forecast')
DATASET, NAME = 'online_retail', 'forecast'
START, END = '2009-12-01', '2011-12-08'
HORIZON, WINDOWS, STEP = 28, 6, 28


def protocol_series(data: Path) -> pd.DataFrame:
    "Daily `orders` (distinct invoices with a sale line) and `revenue` (sum quantity x price of sale lines), 2009-12-01 .. 2011-12-08."
    d = data/'online_retail'
    lines = online_retail_lines([d/'online_retail_ii_2009_2010.parquet', d/'online_retail.parquet'])
    s = lines[lines.is_sale].assign(day=lambda x: x.ts.dt.normalize(), revenue=lambda x: x.quantity * x.price)
    g = s.groupby('day').agg(orders=('invoice', 'nunique'), revenue=('revenue', 'sum'))
    idx = pd.date_range(START, END, freq='D', name='date')
    return g.reindex(idx).fillna(0.0).astype(float)


def score(actual, f, train_by_window):
    "Protocol metrics from forecasts with columns window, mean, lo80, hi80, lo95, hi95 (one row per test day)."
    ms = [fc.mase(actual[w], f[f.window == w]['mean'], train_by_window[w]) for w in sorted(train_by_window)]
    a = np.concatenate([actual[w] for w in sorted(train_by_window)])
    return {'mase': float(np.mean(ms)), 'rmse': fc.rmse(a, f['mean']), 'wape': fc.wape(a, f['mean']),
            'coverage80': fc.coverage(a, f.lo80, f.hi80), 'coverage95': fc.coverage(a, f.lo95, f.hi95),
            'coverage80_trading': fc.coverage(a[a > 0], f.lo80[a > 0], f.hi80[a > 0]),
            'coverage95_trading': fc.coverage(a[a > 0], f.lo95[a > 0], f.hi95[a > 0]),
            'width80': fc.width(f.lo80, f.hi80), 'width95': fc.width(f.lo95, f.hi95)}


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--data', default=None, help='shared data folder (default ../shared/data)')
    ap.add_argument('--quick', action='store_true', help='orders only')
    ap.add_argument('--no-peers', action='store_true', help='skip the statsforecast peers')
    ap.add_argument('--n-jobs', type=int, default=1, help='parallel workers over windows for the shopnb members')
    ap.add_argument('--models', default='all', help='shopnb models (comma-separated; default all)')
    args = ap.parse_args(argv)
    load0 = wait_for_idle()
    data = shared_data(args.data)
    S = protocol_series(data)
    targets = ['orders'] if args.quick else ['orders', 'revenue']
    cuts = fc.origins(len(S), HORIZON, WINDOWS, STEP)
    log.info('series %s .. %s (%d days); test windows start %s', S.index[0].date(), S.index[-1].date(), len(S), [str(S.index[c].date()) for c in cuts])
    ver = versions('statsmodels', 'pandas', 'numpy', 'scipy', 'duckdb')
    rows, totals, cpu = [], {}, {}
    for target in targets:
        y = S[target].rename(target)
        train = {w: y.iloc[:c].to_numpy() for w, c in enumerate(cuts)}
        actual = {w: y.iloc[c:c + HORIZON].to_numpy() for w, c in enumerate(cuts)}
        t0, c0 = time.perf_counter(), time.process_time()
        bt = fc.backtest(y, fc.make_models(args.models, horizon=HORIZON), horizon=HORIZON, windows=WINDOWS, step=STEP, n_jobs=args.n_jobs)
        totals[target], cpu[target] = time.perf_counter() - t0, time.process_time() - c0
        for name, g in bt.forecasts.groupby('model', sort=False):
            met = score(actual, g, train)
            met['wall_s'] = bt.wall[name]
            fit_s = float(bt.metrics.loc[bt.metrics.model == name, 'fit_s'].sum())
            rows.append(row(DATASET, target, name, met, peer=False, fit_s=round(fit_s, 3), wall_s=round(bt.wall[name], 3), versions=ver, seed=0))
        log.info('%s: shopnb backtest %.1f s wall, %.1f s CPU (main process)', target, totals[target], cpu[target])
        if 'combination' in bt.wall:   # the same combination with intervals calibrated on open days only (outside the timed backtest)
            bo = fc.backtest(y, {'combination-open-days': fc.Combination(horizon=HORIZON, calibrate_on='open')}, horizon=HORIZON, windows=WINDOWS, step=STEP, n_jobs=args.n_jobs)
            g = bo.forecasts
            met = {**score(actual, g, train), 'wall_s': bo.wall['combination-open-days']}
            rows.append(row(DATASET, target, 'combination-open-days', met, peer=False, wall_s=round(met['wall_s'], 3), versions=ver, seed=0))
    if not args.no_peers:
        with tempfile.TemporaryDirectory() as d:
            src, dst = Path(d)/'series.parquet', Path(d)/'peers.parquet'
            S[targets].reset_index().to_parquet(src)
            info = run_peer(ROOT/'bench'/'peers'/'forecast_peers.py', src, dst, HORIZON, WINDOWS, STEP)
            P = pd.read_parquet(dst)
        for (target, method), g in P.groupby(['target', 'method'], sort=False):
            y = S[target]
            g = g.assign(window=g['cutoff'].map({c: w for w, c in enumerate(sorted(g['cutoff'].unique()))})).sort_values(['window', 'date'])
            assert [pd.Timestamp(c) for c in sorted(g.cutoff.unique())] == [y.index[c - 1] for c in cuts], 'peer windows differ'
            train = {w: y.iloc[:c].to_numpy() for w, c in enumerate(cuts)}
            actual = {w: y.iloc[c:c + HORIZON].to_numpy() for w, c in enumerate(cuts)}
            met = score(actual, g, train)
            wall = info['wall_s'][f'{target}/{method}']
            met['wall_s'] = wall
            rows.append(row(DATASET, target, method, met, peer=True, wall_s=round(wall, 3), versions=info['versions'], seed=0))
    order = {t: i for i, t in enumerate(targets)}
    rows.sort(key=lambda r: (order[r['task']], r['peer']))
    best = {t: min((r for r in rows if r['task'] == t and not r['peer']), key=lambda r: r['metrics']['mase']) for t in targets}
    notes = (f"Protocol F: Online Retail (I + II) daily series {START} .. {END}; rolling origin, horizon {HORIZON}, {WINDOWS} windows, "
             f"step {STEP} (test days {S.index[cuts[0]].date()} .. {S.index[-1].date()}). MASE = mean over windows; coverage over all test days (coverage*_trading: days with sales only). "
             "`combination` calibrates its intervals on the errors of all days of its calibration windows (the default); "
             "`combination-open-days` is the same model calibrated on expected-open days only (not counted in the timed backtest).\n"
             f"Whole shopnb backtest (all shopnb models incl. seasonal naive; the combination reuses its members' fits): "
             + ', '.join(f"{t} {totals[t]:.1f} s wall / {cpu[t]:.1f} s CPU" for t in targets)
             + f"; total {sum(totals.values()):.1f} s wall / {sum(cpu.values()):.1f} s CPU (n_jobs={args.n_jobs}"
             + ('' if args.n_jobs == 1 else '; CPU counts the main process only')
             + f"; 2 cores, load average {load0:.1f} at the start and {os.getloadavg()[0]:.1f} at the end).\n"
             + 'Best shopnb model by MASE: ' + ', '.join(f"{t} {best[t]['method']} {best[t]['metrics']['mase']:.3f}" for t in targets) + '.\n'
             "Peer wall times include numba compilation on first use. Prophet is not installed in the peers' environment.")
    for r in rows: r['shopnb_backtest_s'], r['shopnb_backtest_cpu_s'] = round(totals[r['task']], 3), round(cpu[r['task']], 3)
    path = write_results(NAME, rows, title='Forecasting: protocol F (Online Retail daily orders and revenue)', notes=notes)
    print((ROOT/'bench'/'results'/f'{NAME}.md').read_text())
    log.info('wrote %s', path)


if __name__ == '__main__':
    main()
