"""Protocol R (Online Retail purchases, global 90-day time split) and Taobao (leave-last-out by time per user):
every shopnb recommender and the peers (`implicit` ALS with bm25 weights, `implicit` cosine item-kNN) on the same
split files, evaluated by one function (`shopnb.recommend.evaluate`), in one run.

Waits for an idle machine first; fast steps (fits and evaluations of a few seconds) are timed as the median of
repeated runs, and every row records the load average. `fit_s` is the whole `fit` from the interactions frame,
`model_fit_s` the model's own step from the user-item matrix (what the peers' `fit_s` measures).

usage: .venv/bin/python bench/recommend.py --data ../shared/data [--quick] [--datasets online_retail,taobao]
"""
from __future__ import annotations
import argparse, os, sys, tempfile, time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
os.environ.setdefault('SHOPNB_PROGRESS', '0')
os.environ.setdefault('OMP_WAIT_POLICY', 'PASSIVE')  # waiting OpenMP threads sleep: on a shared machine spinning ones steal the cores (results unchanged)
import numpy as np, pandas as pd
from _common import shared_data, versions, row, run_peer, write_results, wait_for_idle, median_time, ROOT
from shopnb import recommend as rec

METRICS = ['recall@10', 'recall@20', 'ndcg@10', 'hr@10', 'mrr@10', 'coverage@10']
K = (10, 20)

def online_retail_split(data: Path):
    "Protocol R: sale lines with a customer id, test = the last 90 days."
    from shopnb.datasets import online_retail_lines
    d = data/'online_retail'
    lines = online_retail_lines([d/'online_retail_ii_2009_2010.parquet', d/'online_retail.parquet'])
    sale = lines[lines.is_sale & lines.customer_id.notna()]
    inter = rec.as_interactions(sale, user='customer_id', item='stock_code', ts='ts')
    return rec.temporal_split(inter, test_days=90)

def taobao_split(data: Path):
    "Taobao head: events weighted by type (view 1, fav 2, cart 3, purchase 5), each user's last event held out."
    from shopnb.datasets import clickstream
    shop = clickstream(data/'clickstream'/'taobao_user_behavior_head.parquet')
    return rec.leave_last_out(rec.interactions(shop, source='events'))

def shopnb_models(dataset: str, quick: bool, seed: int):
    "Name -> (factory, tuning grid or None, repeat timing). The blend's weights are tuned on a validation split cut from train."
    sas = dict(seed=seed, threads=1, epochs=2 if quick else 5)  # sized by counts: passes over the data (and steps on Taobao)
    if dataset == 'taobao': sas |= dict(max_len=50, d=64, dropout=0.3, max_steps=150 if quick else 600)
    lam = 250.0
    hl = 60.0 if dataset == 'online_retail' else 1.0  # half-life (days) of the recency weighting of a user's items
    return {
        'itemknn': (lambda: rec.ItemKNN(), None, True),
        'popular': (lambda: rec.Popular(), None, True),
        'recent_popular (30 d)': (lambda: rec.RecentPopular(), None, True),
        'history': (lambda: rec.History(), None, True),
        'ease': (lambda: rec.EASE(lam=lam), None, True),
        'ease (recency-weighted input)': (lambda: rec.EASE(lam=lam, half_life_days=hl), None, True),
        'blend (history + ease)': (lambda: rec.RepeatBlend(lam=lam, ease_half_life_days=hl), {'ease_weight': [0.1, 0.5]}, False),
        'reranker': (lambda: rec.Reranker(lam=lam, seed=seed, half_life_days=hl, label_days=90 if dataset == 'online_retail' else 1), None, False),
        'sasrec': (lambda: rec.SASRec(**sas), None, False),
    }

def run_dataset(name, split, quick, seed, log):
    rows, vers = [], versions('numpy', 'pandas', 'scipy', 'scikit-learn', 'torch')
    info = dict(train_rows=len(split.train), test_rows=len(split.test), eval_users=len(split.users),
                eval_users_new=len(split.truth(new=True)), items=len(split.items), **split.info)
    log(f"{name}: {split} {split.info}")
    def add(method, res, peer, fit_s, predict_s, wall_s, v, load=None, **extra):
        for task in ('all', 'new'):
            rows.append(row(name, task, method, {m: round(res[task][m], 4) for m in METRICS} | {'n_users': res[task]['n_users']},
                            peer=peer, fit_s=fit_s, predict_s=predict_s, wall_s=wall_s, versions=v, seed=seed, split=info, **extra))
            if load is not None: rows[-1]['loadavg'] = load  # the load when the method ran, not when its row is written
    with tempfile.TemporaryDirectory() as tmp:  # the peers first: their item-kNN is timed seconds before shopnb's
        split.train[['user_id', 'item_id', 'weight']].to_parquet(Path(tmp)/'train.parquet')
        pd.DataFrame({'user_id': split.users}).to_parquet(Path(tmp)/'users.parquet')
        t0 = time.perf_counter()
        out = run_peer(ROOT/'bench'/'peers'/'recommend_peers.py', tmp, max(K), seed, 1, 1 if quick else 5)
        wall, peer_load = time.perf_counter() - t0, round(os.getloadavg()[0], 2)
        peer_recs = {m: {t: pd.read_parquet(Path(tmp)/f'{m}_{t}.parquet') for t in ('all', 'new')} for m in out['methods']}
    for method, (make, grid, fast) in shopnb_models(name, quick, seed).items():
        t0 = time.perf_counter(); extra = {}
        if grid:
            best, table = rec.tune_weights(make(), grid, split, metric='ndcg@10')
            extra['tuned'] = best; extra['tune_s'] = round(time.perf_counter() - t0, 2)
            make = (lambda mk, b: lambda: mk().set_params(**b))(make, best)
        fits, fit = [], lambda: fits.append(make().fit(split.train)) or fits[-1]
        fit_s, model = median_time(fit, repeat=1)
        pred_s, res = median_time(lambda: rec.evaluate(model, split, k=K), repeat=1)
        repeat = fast and not quick and fit_s + pred_s < 10  # steps of a few seconds: the median of repeated runs
        if repeat:
            fits = []; fit_s, model = median_time(fit, repeat=5)
            pred_s, res = median_time(lambda: rec.evaluate(model, split, k=K), repeat=3)
        extra['model_fit_s'] = round(float(np.median([m.fit_seconds_ for m in fits])), 4)
        extra['timing'] = 'median of 5 fits, 3 evaluations' if repeat else 'one run'
        if isinstance(model, rec.SASRec):
            extra |= dict(epochs=round(model.epochs_, 2), steps=model.steps_, epoch_s=round(model.fit_seconds_ / max(model.epochs_, 1e-9), 2),
                          precision=model.precision_, sampled_negatives=model.sampled_, threads=model.threads)
        add(method, res, False, fit_s, pred_s, round(time.perf_counter() - t0, 2), vers, **extra)
        log(f"  {method}: ndcg@10 {res['all']['ndcg@10']:.4f} / new {res['new']['ndcg@10']:.4f}  fit {fit_s:.2f}s eval {pred_s:.2f}s {extra}")
    for method, tm in out['methods'].items():
        res = rec.evaluate(peer_recs[method], split, k=K)
        add(method, res, True, tm['fit_s'], tm['predict_s'], round(wall, 2), out['versions'], load=peer_load, model_fit_s=tm['fit_s'], timing=tm.get('timing'))
        log(f"  {method}: ndcg@10 {res['all']['ndcg@10']:.4f} / new {res['new']['ndcg@10']:.4f}  fit {tm['fit_s']:.2f}s")
    return rows

def timing_table(rows) -> str:
    "Timings of every method (task `all` rows): whole fit, the model's own step, evaluation, load average; the sequence model's seconds per epoch."
    head = '| dataset | method | fit_s | model_fit_s | predict_s | epoch_s | timing | loadavg |\n|---|---|---|---|---|---|---|---|\n'
    f = lambda v: '' if v is None else f'{v:.3f}' if isinstance(v, float) else str(v)
    return head + ''.join(f"| {r['dataset']} | {r['method']} | {f(r['fit_s'])} | {f(r.get('model_fit_s'))} | {f(r['predict_s'])} | "
                          f"{f(r.get('epoch_s'))} | {r.get('timing') or ''} | {f(r['loadavg'])} |\n" for r in rows if r['task'] == 'all')

def ratio_note(rows) -> str:
    "Item-kNN fit against the implicit peer's, per dataset, from this run."
    out = []
    for ds in dict.fromkeys(r['dataset'] for r in rows):
        get = lambda m: next((r for r in rows if r['dataset'] == ds and r['method'] == m and r['task'] == 'all'), None)
        ours, peer = get('itemknn'), get('implicit_itemknn')
        if ours and peer and peer['fit_s']:
            out.append(f"{ds}: item-kNN model fit {ours['model_fit_s']:.3f} s vs implicit {peer['fit_s']:.3f} s "
                       f"({ours['model_fit_s'] / peer['fit_s']:.2f}x; whole fit from the frame {ours['fit_s']:.3f} s)")
    return ('Item-kNN against implicit, same run: ' + '; '.join(out) + '.') if out else ''

def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('--data', default=None, help='shared data folder (default ../shared/data)')
    ap.add_argument('--quick', action='store_true', help='shorter sequence-model training')
    ap.add_argument('--datasets', default='online_retail,taobao', help='comma-separated: online_retail, taobao')
    ap.add_argument('--seed', type=int, default=0)
    ap.add_argument('--wait', type=float, default=600, help='seconds to wait at most for an idle machine')
    a = ap.parse_args(argv)
    data = shared_data(a.data)
    log = lambda m: print(f"[{time.strftime('%H:%M:%S')}] {m}", file=sys.stderr, flush=True)
    load0 = wait_for_idle(timeout=a.wait)
    log(f"load average at the start: {load0}")
    rows = []
    for ds in a.datasets.split(','):
        split = {'online_retail': online_retail_split, 'taobao': taobao_split}[ds](data)
        rows += run_dataset(ds, split, a.quick, a.seed, log)
    notes = ("Protocol R (docs/protocols.md): Online Retail sale lines with a customer, test = last 90 days "
             "(2011-09-11 .. 2011-12-09), evaluated users = customers with an invoice in both periods, full-catalogue ranking "
             "over items seen in train. Taobao head: events weighted view 1 / fav 2 / cart 3 / buy 5, each user's last event "
             "held out (users with at least 2 events; targets unseen in train dropped). Task `new`: ground truth and candidates "
             "exclude the user's train items. Peers run in bench/peers/.venv on the same split files; every method is scored "
             f"by shopnb.recommend.evaluate. Seed {a.seed}{' (quick run)' if a.quick else ''}. Load average at the start {load0}; "
             "each row has its own (`loadavg`). " + ratio_note(rows) + "\n\nTimings (seconds):\n\n" + timing_table(rows))
    write_results('recommend', rows, title='Recommendation benchmark', notes=notes)
    log(f"wrote {ROOT/'bench'/'results'/'recommend.json'}")

if __name__ == '__main__':
    main()
