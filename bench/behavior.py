"""Customer-behaviour benchmark (protocol B): Taobao next action and DuckDB scale (CDNOW CLV: bench/clv.py).

usage: python bench/behavior.py --data ../shared/data [--quick] [--parts taobao,scale] [--scale-events 10000000]
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
            t = time.perf_counter(); m.fit(tr); f_s = time.perf_counter() - t
            t = time.perf_counter(); r = na.evaluate(m, te); p_s = time.perf_counter() - t
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


def run_shopnb_scale(path: str) -> dict:
    "sessionize + funnel + cohort + RFM with shopnb on the shop at `path`; timings per step."
    shop, t, out = Shop.load(path), {}, {}
    s = time.perf_counter(); ses = bh.sessions(shop); t['sessions_s'] = time.perf_counter() - s
    s = time.perf_counter(); f = bh.funnel(shop); fu = bh.funnel(shop, level='user'); t['funnel_s'] = time.perf_counter() - s
    s = time.perf_counter(); co = bh.cohort_retention(shop); t['cohort_s'] = time.perf_counter() - s
    s = time.perf_counter(); r = bh.rfm(shop); t['rfm_s'] = time.perf_counter() - s
    out['check'] = dict(n_sessions=len(ses), funnel=f.reached.tolist() + fu.reached.tolist(), cohort_customers=int(co.customers.sum()),
                        cohort_revenue=round(float(co.revenue.sum()), 2), rfm_scores=int((r.r_score * 100 + r.f_score * 10 + r.m_score).sum()))
    out['timings'] = t
    return out


def run_pandas_scale(path: str) -> dict:
    "The same four results with plain pandas (the way it is usually written)."
    t, out = {}, {}
    s0 = time.perf_counter()
    ev = pd.read_parquet(f'{path}/events.parquet', columns=['user_id', 'ts', 'event_type'])
    rank = ev.event_type.map({'view': 0, 'cart': 1, 'fav': 2, 'purchase': 3})
    ev = ev.assign(_rk=rank).sort_values(['user_id', 'ts', '_rk'], kind='stable')
    gap = ev.groupby('user_id').ts.diff()
    ev['session_no'] = (gap.isna() | (gap > pd.Timedelta('30min'))).astype(int).groupby(ev.user_id).cumsum()
    ev['session_id'] = ev.user_id + ':' + ev.session_no.astype(str)
    ses = ev.groupby('session_id').agg(user_id=('user_id', 'first'), start=('ts', 'min'), end=('ts', 'max'), n_events=('ts', 'size'))
    t['sessions_s'] = time.perf_counter() - s0
    s = time.perf_counter()
    steps = ['view', 'cart', 'purchase']
    reached = []
    for unit in ('session_id', 'user_id'):
        flags = pd.crosstab(ev[unit], ev.event_type).reindex(columns=steps, fill_value=0) > 0
        reached += flags.sum().astype(int).tolist()
    t['funnel_s'] = time.perf_counter() - s
    s = time.perf_counter()
    o = pd.read_parquet(f'{path}/orders.parquet'); it = pd.read_parquet(f'{path}/order_items.parquet')
    o = o[(o.status == 'completed') & o.customer_id.notna()]
    rev = (it.quantity * it.unit_price).groupby(it.order_id).sum()
    o = o.assign(revenue=o.order_id.map(rev).fillna(0.0), p=o.ts.dt.to_period('M'))
    o['cohort'] = o.groupby('customer_id').p.transform('min')
    o['idx'] = (o.p.dt.year - o.cohort.dt.year) * 12 + (o.p.dt.month - o.cohort.dt.month)
    co = o.groupby(['cohort', 'idx']).agg(customers=('customer_id', 'nunique'), revenue=('revenue', 'sum'))
    t['cohort_s'] = time.perf_counter() - s
    s = time.perf_counter()
    snap = o.ts.max().normalize() + pd.Timedelta(days=1)
    c = o.groupby('customer_id').agg(last=('ts', 'max'), frequency=('order_id', 'size'), monetary=('revenue', 'sum'))
    c['monetary'] = c.monetary.round(2)
    c['recency_days'] = (snap.normalize() - c['last'].dt.normalize()).dt.days
    n = len(c)
    score = lambda v, asc: 1 + (5 * (v.rank(method='min', ascending=asc) - 1)) // n
    c['r'], c['f'], c['m'] = score(c.recency_days, False), score(c.frequency, True), score(c.monetary, True)
    t['rfm_s'] = time.perf_counter() - s
    out['check'] = dict(n_sessions=len(ses), funnel=reached, cohort_customers=int(co.customers.sum()), cohort_revenue=round(float(co.revenue.sum()), 2),
                        rfm_scores=int((c.r * 100 + c.f * 10 + c.m).sum()))
    out['timings'] = t
    return out


def _peak_rss_mb() -> float:
    "Peak resident memory of this process (VmHWM; unlike ru_maxrss it is not inherited across exec)."
    for line in Path('/proc/self/status').read_text().splitlines():
        if line.startswith('VmHWM:'): return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def scale_child(impl: str, path: str):
    "Run one implementation in this process and print its timings, wall time and peak memory as JSON."
    t = time.perf_counter()
    out = (run_shopnb_scale if impl == 'shopnb' else run_pandas_scale)(path)
    out['wall_s'] = time.perf_counter() - t
    out['peak_rss_mb'] = _peak_rss_mb()
    print(json.dumps(out, default=float))


def bench_scale(sizes, tmp: Path) -> list:
    src = Path(os.environ.get('SHOPNB_DATA') or Path(__file__).resolve().parents[1]/'data')/'synthetic'
    if not (src/'manifest.json').exists(): raise SystemExit(f"default synthetic shop missing at {src}: run `shopnb data synth`")
    rows, v = [], C.versions(*VERS)
    for n, impls in sizes:
        path = tiled_shop(src, n, tmp/f'scale_{n}')
        checks = {}
        for impl in impls:
            r = subprocess.run([sys.executable, __file__, '--scale-child', impl, str(path)], capture_output=True, text=True)
            if r.returncode: raise RuntimeError(f"scale run {impl} on {n:,} events failed:\n{r.stderr[-3000:]}")
            d = json.loads(r.stdout.strip().splitlines()[-1]); checks[impl] = d['check']
            rows.append(C.row('synthetic_tiled', f'scale_{n // 1_000_000}M_events' if n >= 1_000_000 else f'scale_{n}_events', impl,
                              {**{k: round(x, 2) for k, x in d['timings'].items()}, 'peak_rss_mb': round(d['peak_rss_mb']), 'events': n,
                               'sessions': d['check']['n_sessions']}, peer=impl == 'pandas', wall_s=round(d['wall_s'], 2), versions=v))
            print(f"scale {n:,} {impl}: {d['wall_s']:.1f}s, {d['peak_rss_mb']:.0f} MB", file=sys.stderr, flush=True)
        if len(checks) == 2:
            same = checks['shopnb'] == checks['pandas']
            for r_ in rows[-2:]: r_['metrics']['same_outputs'] = same
            if not same: print(f"outputs differ: {checks}", file=sys.stderr)
    return rows


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('--data', default=None, help='real-data folder (default ../shared/data)')
    ap.add_argument('--quick', action='store_true', help='one seed and a 1M-event scale run only')
    ap.add_argument('--parts', default='taobao,scale', help='comma-separated parts to run')
    ap.add_argument('--epochs', type=int, default=6, help='transformer training epochs')
    ap.add_argument('--scale-events', type=int, default=10_000_000, help='events of the large scale run (shopnb only)')
    ap.add_argument('--scale-child', nargs=2, metavar=('IMPL', 'PATH'), help=argparse.SUPPRESS)
    a = ap.parse_args()
    if a.scale_child: return scale_child(*a.scale_child)
    data, parts = C.shared_data(a.data), a.parts.split(',')
    rows, t0 = [], time.perf_counter()
    with tempfile.TemporaryDirectory(prefix='bench-behavior-') as tmp:
        tmp = Path(tmp)
        if 'taobao' in parts: rows += bench_taobao(data, [0] if a.quick else [0, 1, 2], a.epochs)
        if 'scale' in parts:
            sizes = [(1_000_000, ('shopnb', 'pandas'))] + ([] if a.quick else [(a.scale_events, ('shopnb',))])
            rows += bench_scale(sizes, tmp)
    notes = (f"Protocol B. Run: `python bench/behavior.py {' '.join(sys.argv[1:])}` in {time.perf_counter() - t0:.0f} s on "
             f"{os.cpu_count()} cores (load average at the end {os.getloadavg()[0]:.1f}; the machine was shared). "
             "Taobao figures are means over seeds " + ('0 (--quick)' if a.quick else '0, 1, 2') + ". "
             "Scale rows: a synthetic shop tiled to the given number of events; each implementation runs in its own process "
             "(peak_rss_mb = its peak resident memory); `same_outputs` compares session count, funnel counts, cohort totals and RFM scores.")
    C.write_results('behavior', rows, title='Customer behaviour benchmark', notes=notes)
    md = f"# Customer behaviour benchmark\n\n{notes}\n"
    for (ds, task) in dict.fromkeys((r['dataset'], r['task']) for r in rows):
        md += f"\n## {ds} / {task}\n\n" + C.markdown_table([r for r in rows if (r['dataset'], r['task']) == (ds, task)])
    (C.RESULTS/'behavior.md').write_text(md)
    print(md)


if __name__ == '__main__':
    main()
