"""Write the README's performance section from the committed results files (bench/results/*.json).

Usage: python bench/readme_table.py   (rewrites the block between the bench markers in README.md)"""
from __future__ import annotations
import json
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
START, END = '<!-- bench:start -->', '<!-- bench:end -->'
# analysis -> (title, [(dataset, task, [metrics])])
HEADLINES = {
    'behavior': ('Customer behaviour (protocol B)', [('cdnow', 'holdout', ['rmse', 'mae', 'total_pred', 'total_actual']),
                                                      ('taobao', 'next_type', ['accuracy', 'macro_f1']),
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

def replace_block(text: str, body: str) -> str:
    "`text` with only the lines between its one pair of bench markers replaced by `body`."
    if text.count(START) != 1 or text.count(END) != 1 or text.index(START) > text.index(END):
        raise SystemExit(f"README.md needs exactly one {START} ... {END} block")
    head, rest = text.split(START)
    return head + f"{START}\n{body}\n{END}" + rest.split(END)[1]

def main():
    readme = ROOT/'README.md'
    body = '\n'.join(s for s in map(section, HEADLINES) if s)
    readme.write_text(replace_block(readme.read_text(), body))
    print(f"wrote the performance tables into {readme}")

if __name__ == '__main__': main()
