"""Write the README's performance section from the committed results files (bench/results/*.json).

Usage: python bench/readme_table.py   (rewrites the block between the bench markers in README.md)"""
from __future__ import annotations
import json
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
START, END = '<!-- bench:start -->', '<!-- bench:end -->'
# analysis -> (title, [(dataset, task, [metrics])])
HEADLINES = {
    'clv': ('Customer lifetime value (protocol B, CDNOW)', [('cdnow', 'holdout', ['rmse', 'mae', 'total_pred', 'total_actual'])]),
    'behavior': ('Next action (protocol B, Taobao)', [('taobao', 'next_type', ['accuracy', 'macro_f1']),
                                                      ('taobao', 'buy_flag', ['pr_auc'])]),
    'recommend': ('Recommendation (protocol R, NDCG@10 and Recall@10)', [('online_retail', 'all', ['ndcg@10', 'recall@10', 'coverage@10']),
                                                                          ('online_retail', 'new', ['ndcg@10', 'recall@10']),
                                                                          ('taobao', 'all', ['ndcg@10', 'recall@10'])]),
    'sentiment': ('Review sentiment (protocol S)', [('womens_clothing_reviews', 'binary', ['macro_f1', 'macro_f1_std', 'accuracy', 'roc_auc', 'reviews_per_s']),
                                                    ('womens_clothing_reviews', '3class', ['macro_f1', 'macro_f1_std', 'accuracy']),
                                                    ('waimai_10k', 'binary', ['macro_f1', 'macro_f1_std', 'accuracy', 'roc_auc'])]),
    'forecast': ('Forecasting (protocol F, rolling origin 6 x 28 days)', [('online_retail', 'orders', ['mase', 'rmse', 'coverage80', 'coverage95']),
                                                                          ('online_retail', 'revenue', ['mase', 'rmse', 'coverage80', 'coverage95'])]),
}

def _fmt(v):
    if isinstance(v, bool) or v is None: return '' if v is None else str(v)
    if isinstance(v, float): return f"{v:,.0f}" if abs(v) >= 1000 else f"{v:.3f}"
    return f"{v:,}" if isinstance(v, int) else str(v)

def section(name: str) -> str:
    "Markdown tables of the headline metrics of one results file."
    f = ROOT/'bench'/'results'/f'{name}.json'
    if not f.exists(): return ''
    rows, (title, parts) = json.loads(f.read_text()), HEADLINES[name]
    out = [f"**{title}** ([full table](bench/results/{name}.md))\n"]
    for ds, task, metrics in parts:
        sel = [r for r in rows if r['dataset'] == ds and r['task'] == task]
        if not sel: continue
        out += [f"\n`{ds}` / `{task}`\n", '| method | ' + ' | '.join(metrics) + ' | fit_s |', '|---|' + '---|' * (len(metrics) + 1)]
        for r in sel:
            m = r['method'] + (' (peer)' if r.get('peer') else '')
            out.append(f"| {m} | " + ' | '.join(_fmt(r['metrics'].get(k)) for k in metrics) + f" | {_fmt(r.get('fit_s'))} |")
    return '\n'.join(out) + '\n'

def _rows(name):
    f = ROOT/'bench'/'results'/f'{name}.json'
    return json.loads(f.read_text()) if f.exists() else []

def _pick(rows, task, method, dataset=None):
    return next((r for r in rows if r['task'] == task and r['method'] == method and (dataset is None or r['dataset'] == dataset)), None)

def _s(v): return '' if v is None else f"{v:.3g} s" if v < 10 else f"{v:.0f} s"

# (results file, dataset, task, shopnb method, peer method, what is timed, row field or metric holding the time)
SPEED = [
    ('recommend', 'online_retail', 'all', 'itemknn', 'implicit_itemknn', 'item-kNN fit (model step), Online Retail', 'model_fit_s'),
    ('recommend', 'online_retail', 'all', 'ease', None, 'EASE fit (model step), Online Retail', 'model_fit_s'),
    ('recommend', 'online_retail', 'all', 'reranker', None, 're-ranker fit, Online Retail', 'fit_s'),
    ('recommend', 'online_retail', 'all', 'sasrec', None, 'SASRec, one epoch, Online Retail', 'epoch_s'),
    ('recommend', 'online_retail', 'all', 'implicit_als', None, 'implicit ALS fit (peer, for scale)', 'model_fit_s'),
    ('clv', 'cdnow', 'bgnbd_fit', 'shopnb', 'lifetimes', 'BG/NBD fit, CDNOW', 'fit_s'),
    ('clv', 'cdnow', 'gamma_gamma_fit', 'shopnb', 'lifetimes', 'Gamma-Gamma fit, CDNOW', 'fit_s'),
    ('behavior', None, 'scale_1M_events', 'shopnb', 'pandas', 'sessions + funnels + cohorts + RFM, 1 M events', 'wall_s'),
    ('behavior', None, 'scale_10M_events', 'shopnb', 'pandas', 'same, 10 M events', 'wall_s'),
]

def _time(r, field):
    if r is None: return None
    return r.get(field) if r.get(field) is not None else r['metrics'].get(field)

def speed() -> str:
    "One table of timings, each shopnb step beside its peer from the same run, with the load average of the run."
    out = ['**Speed, side by side with the peers** (each pair from one run of its benchmark; ratio = shopnb / peer, below 1 is faster)\n',
           '| step | shopnb | peer | ratio | load avg | results |', '|---|---|---|---|---|---|']
    for name, ds, task, mine, peer, what, field in SPEED:
        rows = _rows(name)
        a, b = _pick(rows, task, mine, ds), _pick(rows, task, peer, ds) if peer else None
        ta, tb = _time(a, field), _time(b, field)
        if ta is None: continue
        ratio = f"{ta / tb:.2f}" if tb else ''
        extra = f" ({a['metrics']['peak_rss_mb']:,.0f} MB)" if 'peak_rss_mb' in a['metrics'] else ''
        pe = f"{_s(tb)} ({peer})" if tb else ''
        out.append(f"| {what} | {_s(ta)}{extra} | {pe} | {ratio} | {a.get('loadavg', '')} | [{name}](bench/results/{name}.md) |")
    for r in _rows('spark_scale'):
        out.append(f"| behaviour workload, {r['dataset']}: {r['method']} | {_s(r.get('wall_s'))} ({r['metrics'].get('peak_rss_gb', 0):.1f} GB) | | | "
                   f"{r.get('loadavg', '')} | [spark_scale](bench/results/spark_scale.md) |")
    return '\n'.join(out) + '\n' if len(out) > 3 else ''

def replace_block(text: str, body: str) -> str:
    "`text` with only the lines between its one pair of bench markers replaced by `body`."
    if text.count(START) != 1 or text.count(END) != 1 or text.index(START) > text.index(END):
        raise SystemExit(f"README.md needs exactly one {START} ... {END} block")
    head, rest = text.split(START)
    return head + f"{START}\n{body}\n{END}" + rest.split(END)[1]

def main():
    readme = ROOT/'README.md'
    body = '\n'.join(s for s in [speed(), *map(section, HEADLINES)] if s)
    readme.write_text(replace_block(readme.read_text(), body))
    print(f"wrote the performance tables into {readme}")

if __name__ == '__main__': main()
