"""Review sentiment benchmark, protocol S (Women's E-Commerce Clothing Reviews) and protocol S-zh (waimai_10k, Chinese).

One run, one split per (task, seed): majority, VADER (peer, own environment), TF-IDF + LR, frozen MiniLM + LR,
fine-tuned MiniLM (full training data, and the report's capped default), plus inference throughput of the
fine-tuned model: fp32 with fixed padding to 128 vs int8 dynamic quantization with length-sorted dynamic padding.

Protocol S-zh (`--tasks zh`): the Chinese waimai reviews (binary labels), stratified 80/20 splits with random_state = seed;
shopnb's TF-IDF (analyzer 'auto': character 1-4-grams, balanced weights for scripts without spaces), the frozen and fine-tuned
MiniLM (an English model: the report's capped recipe) and the protocol's peers in the same run: character 1-3-gram TF-IDF + LR
(min_df=2, sublinear tf, C=4, balanced) and word-level TF-IDF as used for English (shopnb's word analyzer).

usage: python bench/sentiment.py --data ../shared/data [--quick] [--tasks binary 3class zh] [--methods ...] [--merge]
       python bench/sentiment.py --tasks zh --merge     # S-zh alone, keeping the English rows
"""
from __future__ import annotations
import argparse, json, os, sys, tempfile, time
from pathlib import Path
import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import shared_data, versions, row, run_peer, write_results, wait_for_idle, ROOT, RESULTS  # noqa: E402

os.environ.setdefault('SHOPNB_PROGRESS', '0')
from shopnb.core import set_threads, get_logger, bf16_supported  # noqa: E402
from shopnb.sentiment import (sentiment_frame, split_frame, cap_frame, classification_metrics, make_model,  # noqa: E402
                              EmbeddingClassifier, TransformerClassifier, throughput)

log = get_logger('bench.sentiment')
DATASET = 'womens_clothing_reviews'
DATASET_ZH = 'waimai_10k'
ZH_METHODS = ['majority', 'peer-char13', 'peer-word', 'tfidf', 'frozen', 'finetune-capped']
NAME = 'sentiment'

# Fine-tuning recipe for the full training data (see the notes written into the results).
FINETUNE = dict(max_length=112, batch_size=16, lr=5e-5, warmup=0.06, epochs=0.9, evals_per_epoch=2, patience=2, bucket=50, pooling='auto', precision='auto',
                resample=0.5, tune_bias=True)
# The report's default, capped training budget (reports/sentiment.ipynb).
CAPPED = dict(max_train=3000, max_val=500, max_length=128, batch_size=16, lr=6e-5, warmup=0.1, epochs=2, evals_per_epoch=2, patience=2,
              class_weight='balanced')


def load(data: Path, task: str) -> pd.DataFrame:
    df = pd.read_parquet(data/'womens_clothing_reviews'/'womens_clothing_ecommerce_reviews.parquet')
    return sentiment_frame(df, task, text='Review Text', title='Title', rating='Rating', keep=())


def vader(test: pd.DataFrame, task: str):
    "VADER compound scores on the test texts, from the peers' environment."
    with tempfile.TemporaryDirectory() as d:
        src, dst = Path(d)/'test.parquet', Path(d)/'scores.parquet'
        test[['text']].to_parquet(src)
        info = run_peer(ROOT/'bench'/'peers'/'sentiment_peers.py', src, dst)
        c = pd.read_parquet(dst)['compound'].to_numpy()
    if task == 'binary':
        P = np.c_[1 - (c + 1) / 2, (c + 1) / 2]; classes = np.array([0, 1])    # argmax = compound >= 0
    else:
        pred = np.where(c >= 0.05, 2, np.where(c <= -0.05, 0, 1)); P = np.eye(3)[pred]; classes = np.array([0, 1, 2])
    return classification_metrics(test.label, P, classes), info['predict_s']


def fit_eval(method, kw, tr, va, te, fit_kw=None):
    m = make_model(method, **kw)
    t = time.perf_counter()
    if method == 'finetune': m.fit(tr.text, tr.label, va.text, va.label)
    else: m.fit(tr.text, tr.label)
    fit_s = time.perf_counter() - t
    t = time.perf_counter(); P = m.predict_proba(te.text); pred_s = time.perf_counter() - t
    met = {**classification_metrics(te.label, P, m.classes_), 'reviews_per_s': len(te) / pred_s}
    return m, met, fit_s, pred_s, P


def run(args):
    data = shared_data(args.data)
    seeds = [0] if args.quick else args.seeds
    threads = set_threads(args.threads)
    vers = versions('shopnb', 'torch', 'transformers', 'scikit-learn', 'numpy', 'pandas', 'vaderSentiment')
    raw = []
    shared_memo = {}
    if 'zh' in args.tasks:
        run_zh(args, data, seeds, threads, vers, raw)
    for task in [t for t in args.tasks if t != 'zh']:
        df = load(data, task)
        log.info(f"{task}: {len(df)} reviews, labels {df.label.value_counts().sort_index().to_dict()}")
        for seed in seeds:
            sp = split_frame(df, seed=seed)                          # protocol S: test 20 %
            tr, te = sp['train'], sp['test']
            sv = split_frame(tr, seed=seed, test_size=0.1)            # validation from the training part (10 %)
            ftr, fva = sv['train'], sv['test']
            add = lambda method, met, **kw: raw.append(dict(task=task, seed=seed, method=method, metrics=met, **kw))
            for method in args.methods:
                t0 = time.perf_counter()
                if method == 'majority':
                    _, met, fs, ps, P = fit_eval('majority', {}, tr, None, te); add('majority', met, fit_s=fs, predict_s=ps)
                elif method == 'tfidf':
                    _, met, fs, ps, P = fit_eval('tfidf', dict(seed=seed), tr, None, te); add('tfidf', met, fit_s=fs, predict_s=ps)
                elif method == 'vader':
                    met, ps = vader(te, task); met['reviews_per_s'] = len(te) / ps
                    add('vader', met, fit_s=0.0, predict_s=ps, peer=True)
                elif method == 'frozen':
                    m = EmbeddingClassifier(threads=threads, seed=seed); m.memo_ = shared_memo
                    t = time.perf_counter()
                    for t_ in TASK_ORDER: m.embed(load(data, t_).text)    # every text once, in a fixed order (disk cache hits on reruns)
                    es = time.perf_counter() - t
                    _, met, fs, ps = fit_eval_frozen(m, tr, te); add('frozen', met, fit_s=fs, predict_s=ps, embed_s=es)
                elif method == 'finetune':
                    kw = dict(FINETUNE, threads=threads, seed=seed, epochs=args.epochs or FINETUNE['epochs'])
                    m, met, fs, ps, P = fit_eval('finetune', kw, ftr, fva, te)
                    add('finetune', met, fit_s=fs, predict_s=ps, n_train=len(ftr), best=m.best_, steps=len(m.history_))
                    if m.logit_bias_ is not None:   # the same model with the plain arg-max decision (validation-tuned biases removed)
                        add('finetune-argmax', classification_metrics(te.label, _unbias(P, m.logit_bias_), m.classes_))
                    log.info(f"finetune {task} seed {seed}: {met} fit {fs:.0f}s")
                    if args.speed == 'finetune': speed(m, te, task, seed, add, met, 'finetune', args.n_speed)
                elif method == 'finetune-capped':
                    c = dict(CAPPED); mt, mv = c.pop('max_train'), c.pop('max_val')
                    ctr, cva = cap_frame(ftr, mt, seed), cap_frame(fva, mv, seed)
                    m, met, fs, ps, P = fit_eval('finetune', dict(c, threads=threads, seed=seed), ctr, cva, te)
                    add('finetune-capped', met, fit_s=fs, predict_s=ps, n_train=len(ctr), best=m.best_, steps=len(m.history_))
                    log.info(f"finetune-capped {task} seed {seed}: {met} fit {fs:.0f}s")
                    if args.speed == 'finetune-capped' or 'finetune' not in args.methods: speed(m, te, task, seed, add, met, 'finetune-capped', args.n_speed)
                elif method == 'speed':
                    # throughput only: the fine-tune's architecture with an untrained head costs the same per review
                    m = TransformerClassifier(epochs=0, max_length=FINETUNE['max_length'], threads=threads, seed=seed).fit(ftr.text[:64], ftr.label[:64])
                    speed(m, te, task, seed, add, None, 'minilm-untrained', args.n_speed)
                raw[-1]['wall_s'] = time.perf_counter() - t0
                for r in raw:
                    r.setdefault('loadavg', os.getloadavg())
                write(raw, seeds, vers, args)
    return raw


def run_zh(args, data, seeds, threads, vers, raw):
    "Protocol S-zh: the waimai reviews, shopnb's methods and the protocol's peers on one split per seed."
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from shopnb.sentiment import language_note
    df = pd.read_parquet(data/'chinese_reviews'/'waimai_10k.parquet')
    df = pd.DataFrame({'text': df.review.astype(str), 'label': df.label.astype(int)})
    note = language_note(df.text)
    log.info(f"zh: {len(df)} reviews, labels {df.label.value_counts().sort_index().to_dict()}; {note['note']}")
    methods = [m for m in args.methods if m in ZH_METHODS] if args.methods != DEFAULT_METHODS else ZH_METHODS
    for seed in seeds:
        sp = split_frame(df, seed=seed)                               # S-zh: stratified 80/20, random_state = seed
        tr, te = sp['train'], sp['test']
        add = lambda method, met, **kw: raw.append(dict(dataset=DATASET_ZH, task='binary', seed=seed, method=method, metrics=met, **kw))
        for method in methods:
            t0 = time.perf_counter()
            if method == 'peer-char13':
                pipe = make_pipeline(TfidfVectorizer(analyzer='char', ngram_range=(1, 3), min_df=2, sublinear_tf=True),
                                     LogisticRegression(C=4, class_weight='balanced', max_iter=3000))
                t = time.perf_counter(); pipe.fit(tr.text, tr.label); fs = time.perf_counter() - t
                t = time.perf_counter(); P = pipe.predict_proba(te.text); ps = time.perf_counter() - t
                add(method, classification_metrics(te.label, P, pipe.classes_), fit_s=fs, predict_s=ps, peer=True)
            elif method == 'peer-word':
                _, met, fs, ps, P = fit_eval('tfidf', dict(analyzer='word', seed=seed), tr, None, te); add(method, met, fit_s=fs, predict_s=ps, peer=True)
            elif method in ('majority', 'tfidf'):
                m, met, fs, ps, P = fit_eval(method, dict(seed=seed) if method == 'tfidf' else {}, tr, None, te)
                add(method, met, fit_s=fs, predict_s=ps, **({'recipe': f"{m.analyzer_} {m.ngram_range_}"} if method == 'tfidf' else {}))
            elif method == 'frozen':
                m = EmbeddingClassifier(threads=threads, seed=seed)
                _, met, fs, ps = fit_eval_frozen(m, tr, te); add(method, met, fit_s=fs, predict_s=ps, unknown_token_share=note['unknown_share'])
            elif method == 'finetune-capped':
                sv = split_frame(tr, seed=seed, test_size=0.1)
                c = dict(CAPPED); mt, mv = c.pop('max_train'), c.pop('max_val')
                ctr, cva = cap_frame(sv['train'], mt, seed), cap_frame(sv['test'], mv, seed)
                m, met, fs, ps, P = fit_eval('finetune', dict(c, threads=threads, seed=seed), ctr, cva, te)
                add(method, met, fit_s=fs, predict_s=ps, n_train=len(ctr), steps=len(m.history_))
            else: continue
            raw[-1]['wall_s'] = time.perf_counter() - t0
            log.info(f"zh seed {seed} {method}: macro-F1 {raw[-1]['metrics']['macro_f1']:.4f}")
            for r in raw: r.setdefault('loadavg', os.getloadavg())
            write(raw, seeds, vers, args)


def rewrite(args):
    "Regenerate the Markdown (and the notes) from the results JSON without running anything."
    rows = json.loads((RESULTS/f'{NAME}.json').read_text())
    write_results(NAME, rows, title='Review sentiment (protocols S and S-zh)', notes=notes(rows, args.threads, args.n_speed))


def _unbias(P, bias):
    "Probabilities without the logit biases a model added (softmax of log P - bias)."
    from scipy.special import softmax
    return softmax(np.log(np.maximum(P, 1e-30)) - np.asarray(bias), axis=1)


def fit_eval_frozen(m, tr, te):
    t = time.perf_counter(); m.fit(tr.text, tr.label); fit_s = time.perf_counter() - t
    t = time.perf_counter(); P = m.predict_proba(te.text); pred_s = time.perf_counter() - t
    return m, classification_metrics(te.label, P, m.classes_), fit_s, pred_s


def speed(m, te, task, seed, add, met, name='finetune', n_speed=1000):
    "Throughput of fp32 fixed-128 padding (unsorted) vs fp32/bf16/int8 with length-sorted dynamic padding, on the same texts."
    sample = te.text.iloc[:n_speed].tolist()
    fixed = throughput(lambda X: m.predict_proba(X, sort=False, pad_to=128, precision='fp32'), sample)
    dyn = throughput(lambda X: m.predict_proba(X, precision='fp32'), sample)
    bf16 = throughput(lambda X: m.predict_proba(X, precision='bf16'), sample) if bf16_supported() else None
    int8 = {'int8': m.quantized(per_channel=False), 'int8-per-channel': m.quantized(per_channel=True)}
    timed = {k: throughput(lambda X: q.predict_proba(X), sample) for k, q in int8.items()}
    f1 = lambda met: {} if met is None else {'macro_f1': met['macro_f1']}
    # quality of fp32 and int8 inference on the whole test set
    met_fp32 = None if met is None else classification_metrics(te.label, m.predict_proba(te.text, precision='fp32'), m.classes_)
    add(f'{name}-fp32-fixed128', {**f1(met_fp32), 'reviews_per_s': fixed['reviews_per_s']}, predict_s=fixed['seconds'], n=fixed['n'])
    add(f'{name}-fp32-dynamic', {**f1(met_fp32), 'reviews_per_s': dyn['reviews_per_s']}, predict_s=dyn['seconds'], n=dyn['n'])
    if bf16 is not None: add(f'{name}-bf16-dynamic', {**f1(met), 'reviews_per_s': bf16['reviews_per_s']}, predict_s=bf16['seconds'], n=bf16['n'])
    for k, q in int8.items():
        t = timed[k]; mq = {}
        extra = {'speedup_vs_fp32_fixed128': t['reviews_per_s'] / fixed['reviews_per_s']}
        if met_fp32 is not None:
            mq = classification_metrics(te.label, q.predict_proba(te.text), m.classes_)
            extra['macro_f1_drop_points'] = 100 * (met_fp32['macro_f1'] - mq['macro_f1'])
        add(f'{name}-{k}-dynamic', {**mq, 'reviews_per_s': t['reviews_per_s']}, predict_s=t['seconds'], n=t['n'], **extra)

def write(raw, seeds, vers, args):
    "Aggregate over seeds (mean, std) and write bench/results/sentiment.{json,md} (with --merge: keep other (task, method) rows of the previous file)."
    rows = []
    df = pd.DataFrame(raw)
    if 'dataset' not in df: df['dataset'] = DATASET
    df['dataset'] = df.dataset.fillna(DATASET)
    for (dataset, task, method), g in df.groupby(['dataset', 'task', 'method'], sort=False):
        mets = pd.DataFrame(list(g.metrics))
        metrics = {k: float(mets[k].mean()) for k in mets}
        if len(g) > 1: metrics.update({f'{k}_std': float(mets[k].std()) for k in mets})
        extra = {k: (g[k].dropna().tolist() if k == 'best' else float(g[k].mean()))
                 for k in ('n_train', 'steps', 'embed_s', 'speedup_vs_fp32_fixed128', 'macro_f1_drop_points', 'best', 'unknown_token_share') if k in g and g[k].notna().any()}
        if 'recipe' in g and g.recipe.notna().any(): extra['recipe'] = g.recipe.dropna().iloc[0]
        if len(g) > 1: extra['per_seed'] = {k: [float(x[k]) for x in g.metrics] for k in ('macro_f1', 'accuracy', 'roc_auc') if k in g.metrics.iloc[0]}
        r = row(dataset, task, method, metrics, peer=bool(g.get('peer', pd.Series([False])).fillna(False).any()),
                fit_s=_mean(g, 'fit_s'), predict_s=_mean(g, 'predict_s'), wall_s=_mean(g, 'wall_s'), versions=vers, seed=g.seed.tolist(), **extra)
        r['loadavg_at_row'] = [list(map(float, x)) for x in g.loadavg]
        rows.append(r)
    if args.merge and (RESULTS/f'{NAME}.json').exists():
        mine = {(r['dataset'], r['task'], r['method']) for r in rows}
        rows = [r for r in json.loads((RESULTS/f'{NAME}.json').read_text()) if (r['dataset'], r['task'], r['method']) not in mine] + rows
    rows.sort(key=lambda r: (r['dataset'] != DATASET, TASK_ORDER.index(r['task']), _order(r['method'])))
    write_results(NAME, rows, title='Review sentiment (protocols S and S-zh)', notes=notes(rows, args.threads, args.n_speed))


def notes(rows, threads, n_speed):
    "The results file's notes: recipes, what the throughput and variant rows mean, what is missing."
    text = (f"Protocol S; each row's `seed` lists its seeds, metrics are the mean over them (`*_std`: standard deviation where several); "
             f"CPU threads {threads or os.cpu_count()}. "
             f"Fine-tune recipe (full data): {FINETUNE}; `resample` r draws each epoch's class c in proportion to n_c**(1 - r) instead of "
             "weighting the loss (0.5: square root of the counts, so minority reviews are seen about twice and positives subsampled). "
             f"Report default (capped): {CAPPED}. "
             f"Throughput rows: the first {n_speed:,} test reviews, batch 64; `minilm-untrained-*` rows time the fine-tune's architecture "
             "with an untrained head (same cost per review; no quality figures). The `finetune` rows' quality comes from the default inference "
             "(bf16 autocast where the CPU has it) with the logit biases tuned on the validation split (`tune_bias`); `finetune-argmax` is the same models' "
             "plain arg-max decision. `-fp32-*` rows carry fp32 quality and the int8 drop is measured against fp32. "
             "Timings depend on the machine's load: each row keeps os.getloadavg() taken when it finished (`loadavg_at_row`); "
             "rows kept by --merge from earlier runs keep theirs.")
    zh = [r for r in rows if r['dataset'] == DATASET_ZH]
    if zh:
        text += (" Protocol S-zh (waimai_10k, Chinese, binary labels; `per_seed` in the JSON holds each seed's figures): `tfidf` is shopnb's default "
                 "for scripts without spaces (analyzer 'auto': character 1-4-grams, sublinear tf, min_df 2, C 4, balanced class weights); "
                 "`peer-char13` is the protocol's character 1-3-gram peer and `peer-word` word-level TF-IDF as used for English, both in the same run; "
                 "`frozen` and `finetune-capped` use the bundled MiniLM, an English model whose tokenizer cannot represent "
                 f"{next((r['unknown_token_share'] for r in zh if 'unknown_token_share' in r), float('nan')):.0%} of these reviews' tokens.")
        few = [f"{r['method']} (seeds {r['seed']})" for r in zh if len(r['seed']) < 3]
        if few: text += f" S-zh rows on fewer than three seeds: {', '.join(few)}."
        miss = [m for m in ZH_METHODS if m not in {r['method'] for r in zh}]
        if miss: text += f" Not measured for S-zh in this file: {', '.join(miss)}."
    for task in TASK_ORDER:
        have = {r['method'] for r in rows if r['task'] == task and r['dataset'] == DATASET}
        missing = [m for m in ('majority', 'vader', 'tfidf', 'frozen', 'finetune-capped', 'finetune') if m not in have]
        if missing: text += f" Not measured for {task} in this file: {', '.join(missing)}."
    return text


TASK_ORDER = ['binary', '3class']
METHOD_ORDER = ['majority', 'vader', 'peer', 'tfidf', 'frozen', 'finetune-capped', 'finetune', 'minilm']
DEFAULT_METHODS = ['majority', 'vader', 'tfidf', 'frozen', 'finetune-capped', 'finetune']

def _order(method):
    return next((i for i, m in enumerate(METHOD_ORDER) if method.startswith(m)), len(METHOD_ORDER))


def _mean(g, k):
    return float(g[k].mean()) if k in g and g[k].notna().any() else None


if __name__ == '__main__':
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--data', default=None, help='the shared data folder (default ../shared/data)')
    ap.add_argument('--quick', action='store_true', help='one seed (0) instead of 0, 1, 2')
    ap.add_argument('--seeds', type=int, nargs='+', default=[0, 1, 2])
    ap.add_argument('--tasks', nargs='+', default=['binary', '3class'], choices=['binary', '3class', 'zh'],
                    help="binary and 3class: protocol S (English); zh: protocol S-zh (Chinese waimai reviews)")
    ap.add_argument('--methods', nargs='+', default=DEFAULT_METHODS,
                    help="methods; 'speed' measures throughput on the architecture with an untrained head")
    ap.add_argument('--epochs', type=float, default=None, help='override the fine-tune epochs')
    ap.add_argument('--speed', default='finetune', choices=['finetune', 'finetune-capped'], help='which fine-tuned model the throughput rows measure')
    ap.add_argument('--merge', action='store_true', help='keep the rows of other (task, method) pairs already in the results file')
    ap.add_argument('--n-speed', type=int, default=1000, help='test reviews timed for the throughput rows')
    ap.add_argument('--threads', type=int, default=2, help='CPU threads (protocol S: 2)')
    ap.add_argument('--rewrite', action='store_true', help='only regenerate the Markdown from the results JSON')
    a = ap.parse_args()
    if not a.rewrite: wait_for_idle()
    rewrite(a) if a.rewrite else run(a)
