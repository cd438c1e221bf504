"""Customer-behaviour benchmark (protocol B): Taobao next action and DuckDB scale (CDNOW CLV: bench/clv.py).

usage: python bench/behavior.py --data ../shared/data [--quick] [--parts taobao,scale] [--scale-events 10000000] [--repeat 3]
Writes bench/results/behavior.json and .md. Without --quick the Taobao figures are means over seeds 0, 1, 2.
"""
from __future__ import annotations
import argparse, json, os, resource, subprocess, sys, tempfile, time
from pathlib import Path
import numpy as np, pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _common as C
os.environ.setdefault('SHOPNB_PROGRESS', '0')

from shopnb import behavior as bh, nextaction as na
from shopnb.datasets import clickstream
from shopnb.schema import Shop

VERS = ('shopnb', 'numpy', 'pandas', 'scipy', 'duckdb', 'torch', 'scikit-learn')


# ---------------------------------------------------------------- Taobao
def _count_features(s: na.Sessions):
    "Per prefix: counts of each event type so far, the current type (one-hot) and log prefix length."
    _, _, pos = s.targets()
    sid = np.repeat(np.arange(len(s)), s.lengths)
    oh = np.eye(len(na.EVENT_TYPES))[s.type]
    cum = pd.DataFrame(oh).groupby(sid).cumsum().to_numpy()
    return np.c_[np.log1p(cum), oh, np.log1p(cum.sum(1))][pos]


class LogRegCounts:
    "Baseline: logistic regression on prefix event-type counts."
    def fit(self, s):
        from sklearn.linear_model import LogisticRegression
        X = _count_features(s); yt, yb, _ = s.targets()
        self.t_ = LogisticRegression(max_iter=1000).fit(X, yt); self.b_ = LogisticRegression(max_iter=1000).fit(X, yb)
        return self
    def predict(self, s):
        X = _count_features(s)
        P = np.zeros((len(X), len(na.EVENT_TYPES))); P[:, self.t_.classes_] = self.t_.predict_proba(X)
        return P, self.b_.predict_proba(X)[:, 1]


def bench_taobao(data: Path, seeds, epochs: int) -> list:
    shop = clickstream(data/'clickstream'/'taobao_user_behavior_head.parquet')
    v = C.versions(*VERS)
    t = time.perf_counter(); ses = bh.sessions(shop, gap='30min'); fs = bh.funnel(shop, steps=('view', 'cart', 'fav', 'purchase'))
    fu = bh.funnel(shop, steps=('view', 'cart', 'fav', 'purchase'), level='user'); agg_s = time.perf_counter() - t
    fm = {f'sessions': len(ses), 'events_per_session': round(float(ses.n_events.mean()), 3)}
    for _, r in fs.iterrows(): fm[f'session_share_{r.step}'] = round(float(r.share), 4)
    fm['session_chain_view_cart_purchase'] = round(float(bh.funnel(shop).chain_share.iloc[-1]), 4)
    for _, r in fu.iterrows(): fm[f'user_share_{r.step}'] = round(float(r.share), 4)
    rows = [C.row('taobao', 'funnel', 'shopnb_duckdb', fm, wall_s=round(agg_s, 3), versions=v)]
    sq = na.session_sequences(shop, gap='30min')
    res = {}
    for seed in seeds:
        tr, te = na.split_users(sq, test_size=0.2, seed=seed)
        models = {'majority': na.MajorityNextAction(), 'markov': na.MarkovNextAction(), 'logreg_counts': LogRegCounts(),
                  'transformer': na.NextActionTransformer(epochs=epochs, seed=seed)}
        for k, m in models.items():
            f_s, _ = _timed(lambda: m.fit(tr), 3)
            p_s, r = _timed(lambda: na.evaluate(m, te), 3)
            res.setdefault(k, []).append({**r, 'fit_s': f_s, 'predict_s': p_s})
            print(f"taobao seed {seed} {k}: {r} fit {f_s:.1f}s", file=sys.stderr, flush=True)
    for k, rs in res.items():
        mean = lambda key: float(np.mean([r[key] for r in rs]))
        rows.append(C.row('taobao', 'next_type', k, dict(accuracy=mean('accuracy'), macro_f1=mean('macro_f1'), n=rs[0]['n']),
                          fit_s=round(mean('fit_s'), 2), predict_s=round(mean('predict_s'), 2), versions=v, seed=list(seeds)))
        rows.append(C.row('taobao', 'buy_flag', k, dict(pr_auc=mean('pr_auc'), prevalence=mean('prevalence')),
                          fit_s=round(mean('fit_s'), 2), predict_s=round(mean('predict_s'), 2), versions=v, seed=list(seeds)))
    return rows


# ---------------------------------------------------------------- scale
def tiled_shop(src: Path, n_events: int, dest: Path) -> Path:
    "A shop of about `n_events` events made by tiling the synthetic shop's customers (ids suffixed by copy number), written with DuckDB."
    import duckdb
    man = json.loads((src/'manifest.json').read_text())
    k = int(np.ceil(n_events / man['rows']['events']))
    dest.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect()
    q = lambda t: f"read_parquet('{(src/f'{t}.parquet').as_posix()}')"
    con.execute(f"copy (select e.user_id || '-' || c.k as user_id, e.ts, e.event_type, e.product_id, e.category from {q('events')} e, "
                f"(select range as k from range({k})) c limit {n_events}) to '{dest/'events.parquet'}' (format parquet)")
    con.execute(f"copy (select o.order_id || '-' || c.k as order_id, o.customer_id || '-' || c.k as customer_id, o.ts, o.status "
                f"from {q('orders')} o, (select range as k from range({k})) c) to '{dest/'orders.parquet'}' (format parquet)")
    con.execute(f"copy (select i.order_id || '-' || c.k as order_id, i.product_id, i.quantity, i.unit_price "
                f"from {q('order_items')} i, (select range as k from range({k})) c) to '{dest/'order_items.parquet'}' (format parquet)")
    rows = {t: con.execute(f"select count(*) from read_parquet('{dest/f'{t}.parquet'}')").fetchone()[0] for t in ('events', 'orders', 'order_items')}
    (dest/'manifest.json').write_text(json.dumps(dict(name=f'synthetic-tiled-{n_events}', source=f'{src} tiled x{k}', schema_version='1',
                                                      tables=['orders', 'order_items', 'events'], rows=rows, content_hash=f'tiled-{k}-{n_events}', meta={})))
    return dest


def _timed(fn, repeat: int):
    "Wall time of `fn()` and its result: run once, and when that took under 10 s, the median of `repeat` further runs."
    t = time.perf_counter(); out = fn(); first = time.perf_counter() - t
    if first >= 10 or repeat <= 1: return round(first, 4), out
    del out  # one result alive at a time: the peak memory is that of one run
    return C.median_time(fn, repeat)


def run_shopnb_scale(path: str, repeat: int = 3) -> dict:
    "Session summaries, funnels (sessions from the summaries, users from the events), cohorts and RFM with shopnb on the shop at `path`; the sessionized events stay in DuckDB."
    shop, t = Shop.load(path), {}
    t['sessions_s'], ses = _timed(lambda: bh.sessions(shop), repeat)
    t['funnel_s'], (f, fu) = _timed(lambda: (bh.funnel(ses), bh.funnel(shop, level='user')), repeat)  # sessions from the summaries, users from the events
    t['cohort_s'], co = _timed(lambda: bh.cohort_retention(shop), repeat)
    t['rfm_s'], r = _timed(lambda: bh.rfm(shop), repeat)
    check = dict(n_sessions=len(ses), funnel=f.reached.tolist() + fu.reached.tolist(), cohort_customers=int(co.customers.sum()),
                 cohort_revenue=round(float(co.revenue.sum()), 2), rfm_scores=int((r.r_score * 100 + r.f_score * 10 + r.m_score).sum()))
    return dict(check=check, timings=t)


def _pandas_sessions(path):
    ev = pd.read_parquet(f'{path}/events.parquet', columns=['user_id', 'ts', 'event_type'])
    rank = ev.event_type.map({'view': 0, 'cart': 1, 'fav': 2, 'purchase': 3})
    ev = ev.assign(_rk=rank).sort_values(['user_id', 'ts', '_rk'], kind='stable')
    gap = ev.groupby('user_id').ts.diff()
    ev['session_no'] = (gap.isna() | (gap > pd.Timedelta('30min'))).astype(int).groupby(ev.user_id).cumsum()
    ev['session_id'] = ev.user_id + ':' + ev.session_no.astype(str)
    ses = ev.groupby('session_id').agg(user_id=('user_id', 'first'), start=('ts', 'min'), end=('ts', 'max'), n_events=('ts', 'size'))
    return ev, ses


def _pandas_funnel(ev):
    steps, reached = ['view', 'cart', 'purchase'], []
    for unit in ('session_id', 'user_id'):
        flags = pd.crosstab(ev[unit], ev.event_type).reindex(columns=steps, fill_value=0) > 0
        reached += flags.sum().astype(int).tolist()
    return reached


def _pandas_orders(path):
    "Counted orders with their revenue: completed orders with a customer, revenue from lines with positive quantity and price."
    o = pd.read_parquet(f'{path}/orders.parquet'); it = pd.read_parquet(f'{path}/order_items.parquet')
    o = o[(o.status == 'completed') & o.customer_id.notna()]
    it = it[(it.quantity > 0) & (it.unit_price > 0)]
    rev = (it.quantity * it.unit_price).groupby(it.order_id).sum()
    return o.assign(revenue=o.order_id.map(rev).fillna(0.0))


def _pandas_cohort(path):
    o = _pandas_orders(path)
    o = o.assign(p=o.ts.dt.to_period('M'))
    o['cohort'] = o.groupby('customer_id').p.transform('min')
    o['idx'] = (o.p.dt.year - o.cohort.dt.year) * 12 + (o.p.dt.month - o.cohort.dt.month)
    return o.groupby(['cohort', 'idx']).agg(customers=('customer_id', 'nunique'), revenue=('revenue', 'sum'))


def _pandas_rfm(path):
    o = _pandas_orders(path)
    snap = o.ts.max().normalize() + pd.Timedelta(days=1)
    c = o.groupby('customer_id').agg(last=('ts', 'max'), frequency=('order_id', 'size'), monetary=('revenue', 'sum'))
    c['monetary'] = c.monetary.round(2)
    c['recency_days'] = (snap.normalize() - c['last'].dt.normalize()).dt.days
    n = len(c)
    score = lambda v, asc: 1 + (5 * (v.rank(method='min', ascending=asc) - 1)) // n
    c['r'], c['f'], c['m'] = score(c.recency_days, False), score(c.frequency, True), score(c.monetary, True)
    return c


def run_pandas_scale(path: str, repeat: int = 3) -> dict:
    "The same results with plain pandas (the way it is usually written): the events are read, sorted and sessionized in memory."
    t = {}
    t['sessions_s'], (ev, ses) = _timed(lambda: _pandas_sessions(path), repeat)
    t['funnel_s'], reached = _timed(lambda: _pandas_funnel(ev), repeat)
    t['cohort_s'], co = _timed(lambda: _pandas_cohort(path), repeat)
    t['rfm_s'], c = _timed(lambda: _pandas_rfm(path), repeat)
    check = dict(n_sessions=len(ses), funnel=reached, cohort_customers=int(co.customers.sum()), cohort_revenue=round(float(co.revenue.sum()), 2),
                 rfm_scores=int((c.r * 100 + c.f * 10 + c.m).sum()))
    return dict(check=check, timings=t)


def run_duckdb_limit(path: str, repeat: int = 3) -> dict:
    "The engine's limit: one DuckDB window query over the Parquet file that only counts the sessions."
    import duckdb
    con = duckdb.connect()
    q = f"""select count(case when gap_s is null or gap_s > 1800 then 1 end) from (
              select datediff('microsecond', lag(ts) over (partition by user_id order by ts), ts) / 1e6 as gap_s
              from read_parquet('{path}/events.parquet'))"""
    t = {}
    t['sessions_s'], n = _timed(lambda: con.execute(q).fetchall()[0][0], repeat)
    return dict(check=dict(n_sessions=int(n)), timings=t)


IMPLS = {'shopnb': run_shopnb_scale, 'pandas': run_pandas_scale, 'duckdb_window_limit': run_duckdb_limit}


def _peak_rss_mb() -> float:
    "Peak resident memory of this process (VmHWM; unlike ru_maxrss it is not inherited across exec)."
    for line in Path('/proc/self/status').read_text().splitlines():
        if line.startswith('VmHWM:'): return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def scale_child(impl: str, path: str, repeat: int):
    "Run one implementation in this process and print its timings, load average and peak memory as JSON."
    load = os.getloadavg()[0]
    out = IMPLS[impl](path, repeat)
    out.update(wall_s=sum(out['timings'].values()), peak_rss_mb=_peak_rss_mb(), load_start=round(load, 2))
    print(json.dumps(out, default=float))


def bench_scale(sizes, tmp: Path, repeat: int) -> list:
    src = Path(os.environ.get('SHOPNB_DATA') or Path(__file__).resolve().parents[1]/'data')/'synthetic'
    if not (src/'manifest.json').exists(): raise SystemExit(f"default synthetic shop missing at {src}: run `shopnb data synth`")
    rows, v = [], C.versions(*VERS)
    for n, impls in sizes:
        path = tiled_shop(src, n, tmp/f'scale_{n}')
        res, task = {}, f'scale_{n // 1_000_000}M_events' if n >= 1_000_000 else f'scale_{n}_events'
        for impl in impls:
            r = subprocess.run([sys.executable, __file__, '--scale-child', impl, str(path), str(repeat)], capture_output=True, text=True)
            if r.returncode: raise RuntimeError(f"scale run {impl} on {n:,} events failed:\n{r.stderr[-3000:]}")
            res[impl] = d = json.loads(r.stdout.strip().splitlines()[-1])
            print(f"scale {n:,} {impl}: {d['wall_s']:.2f}s, {d['peak_rss_mb']:.0f} MB, load {d['load_start']}", file=sys.stderr, flush=True)
        for impl, d in res.items():
            m = {**{k: round(x, 3) for k, x in d['timings'].items()}, 'peak_rss_mb': round(d['peak_rss_mb']), 'events': n,
                 'sessions': d['check']['n_sessions'], 'loadavg_start': d['load_start']}
            if impl == 'shopnb' and 'pandas' in res:
                m['same_outputs'] = d['check'] == res['pandas']['check']
                m['x_faster_than_pandas'] = round(res['pandas']['wall_s'] / d['wall_s'], 2)
                if not m['same_outputs']: print(f"outputs differ: {d['check']} vs {res['pandas']['check']}", file=sys.stderr)
            if impl == 'shopnb' and 'duckdb_window_limit' in res:
                m['sessions_x_limit'] = round(d['timings']['sessions_s'] / res['duckdb_window_limit']['timings']['sessions_s'], 2)
            if impl != 'shopnb' and 'shopnb' in res: m['same_sessions'] = d['check']['n_sessions'] == res['shopnb']['check']['n_sessions']
            rows.append(C.row('synthetic_tiled', task, impl, m, peer=impl != 'shopnb', wall_s=round(d['wall_s'], 3), versions=v))
    return rows


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('--data', default=None, help='real-data folder (default ../shared/data)')
    ap.add_argument('--quick', action='store_true', help='one seed and the 1M-event scale run only')
    ap.add_argument('--parts', default='taobao,scale', help='comma-separated parts to run')
    ap.add_argument('--epochs', type=int, default=6, help='transformer training epochs')
    ap.add_argument('--scale-events', type=int, default=10_000_000, help='events of the large scale run')
    ap.add_argument('--repeat', type=int, default=3, help='timed repeats (median) of scale steps under 10 s')
    ap.add_argument('--scale-child', nargs=3, metavar=('IMPL', 'PATH', 'REPEAT'), help=argparse.SUPPRESS)
    a = ap.parse_args()
    if a.scale_child: return scale_child(a.scale_child[0], a.scale_child[1], int(a.scale_child[2]))
    data, parts = C.shared_data(a.data), a.parts.split(',')
    load0 = C.wait_for_idle()
    rows, t0 = [], time.perf_counter()
    with tempfile.TemporaryDirectory(prefix='bench-behavior-') as tmp:
        tmp = Path(tmp)
        if 'taobao' in parts: rows += bench_taobao(data, [0] if a.quick else [0, 1, 2], a.epochs)
        if 'scale' in parts:
            sizes = [(1_000_000, tuple(IMPLS))] + ([] if a.quick else [(a.scale_events, tuple(IMPLS))])
            rows += bench_scale(sizes, tmp, a.repeat)
    notes = (f"Protocol B. Run: `python bench/behavior.py {' '.join(sys.argv[1:])}` in {time.perf_counter() - t0:.0f} s on "
             f"{os.cpu_count()} cores (load average {load0:.1f} at the start, {os.getloadavg()[0]:.1f} at the end; each row has its own). "
             "Taobao figures are means over seeds " + ('0 (--quick)' if a.quick else '0, 1, 2') + ". "
             "Scale rows: a synthetic shop tiled to the given number of events; each implementation runs in its own process "
             "(peak_rss_mb = its peak resident memory, loadavg_start = the load average when it started); steps under 10 s are the median "
             f"of {a.repeat} runs after a first one, wall_s their sum. shopnb: session summaries, the session funnel counted from them, the user funnel, monthly cohorts "
             "and RFM, the sessionized events kept in DuckDB; pandas: the same in memory; duckdb_window_limit: one window query that only "
             "counts the sessions, the engine's limit for the sessions step. `same_outputs` compares session count, funnel counts, cohort "
             "totals and RFM scores with pandas. Targets: 1M events at least 5x faster than pandas, 10M events under 15 s and 2 GB.")
    C.write_results('behavior', rows, title='Customer behaviour benchmark', notes=notes)
    md = f"# Customer behaviour benchmark\n\n{notes}\n"
    for (ds, task) in dict.fromkeys((r['dataset'], r['task']) for r in rows):
        md += f"\n## {ds} / {task}\n\n" + C.markdown_table([{**r, 'metrics': {**r['metrics'], 'loadavg': r['loadavg']}} for r in rows if (r['dataset'], r['task']) == (ds, task)])
    (C.RESULTS/'behavior.md').write_text(md)
    print(md)


if __name__ == '__main__':
    main()
