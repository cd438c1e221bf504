"""CLV benchmark (protocol B): BG/NBD and Gamma-Gamma on CDNOW, fit time and parameters side by side with `lifetimes`, and the hold-out check.

usage: python bench/clv.py --data ../shared/data [--repeat 9]
Writes bench/results/clv.json and .md. Both libraries fit the same customer summary in the same run; each fit time is the
median of `--repeat` timed fits after one warm-up fit.
"""
from __future__ import annotations
import argparse, os, sys, tempfile, time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _common as C
os.environ.setdefault('SHOPNB_PROGRESS', '0')

from shopnb import clv as cl
from shopnb.datasets import cdnow

VERS = ('shopnb', 'numpy', 'pandas', 'scipy')
PUBLISHED = dict(r=0.243, alpha=4.414, a=0.793, b=2.426)  # Fader, Hardie & Lee (2005), CDNOW sample


def _same(a: dict, b: dict, dp: int) -> bool:
    "Whether two parameter dicts agree when rounded to `dp` decimals."
    return all(round(a[k], dp) == round(b[k], dp) for k in b)


def bench_cdnow(data: Path, tmp: Path, repeat: int) -> list:
    shop = cdnow(data/'cdnow'/'CDNOW_sample.txt')
    sm = cl.customer_summary(cl.transactions(shop), calibration_end='1997-09-30', holdout_end='1998-06-30', unit_days=7.0)
    f, r, T, mv = sm.frequency, sm.recency, sm['T'], sm.monetary_value
    bg_fit, gg_fit = (lambda: cl.BGNBD().fit(f, r, T)), (lambda: cl.GammaGamma().fit(f, mv))
    bg_fit(); gg_fit()  # warm-up, as on the peer side
    bg_s, bg = C.median_time(bg_fit, repeat=repeat); load_bg = round(os.getloadavg()[0], 2)
    gg_s, gg = C.median_time(gg_fit, repeat=repeat); load_gg = round(os.getloadavg()[0], 2)
    t = time.perf_counter(); chk = cl.holdout_check(bg, sm); pred_s = time.perf_counter() - t
    p_csv = tmp/'cdnow_summary.csv'; sm.reset_index().to_csv(p_csv, index=False)
    peer = C.run_peer(Path(__file__).parent/'peers'/'clv_peers.py', p_csv, repeat)
    v, pv = C.versions(*VERS), peer['versions']
    lt_bg, lt_gg = peer['bgnbd'], peer['gamma_gamma']
    r4 = lambda d: {k: round(x, 4) for k, x in d.items()}
    rows = [C.row('cdnow', 'bgnbd_fit', 'shopnb', {**r4(bg.params_), 'loglik': round(bg.loglik_, 3), 'customers': bg.n_customers_,
                                                  'params_match_lifetimes_3dp': _same(bg.params_, lt_bg['params'], 3),
                                                  'params_match_published_3dp': _same(bg.params_, PUBLISHED, 3),
                                                  'fit_ratio_to_lifetimes': round(bg_s / lt_bg['fit_s'], 3)},
                  fit_s=round(bg_s, 4), versions=v, repeat=repeat),
            C.row('cdnow', 'bgnbd_fit', 'lifetimes', {**r4(lt_bg['params']), 'customers': len(sm)}, peer=True,
                  fit_s=round(lt_bg['fit_s'], 4), versions=pv, repeat=repeat),
            C.row('cdnow', 'gamma_gamma_fit', 'shopnb', {**r4(gg.params_), 'loglik': round(gg.loglik_, 3), 'customers': gg.n_customers_,
                                                        'params_match_lifetimes_3dp': _same(gg.params_, lt_gg['params'], 3),
                                                        'fit_ratio_to_lifetimes': round(gg_s / lt_gg['fit_s'], 3)},
                  fit_s=round(gg_s, 4), versions=v, repeat=repeat),
            C.row('cdnow', 'gamma_gamma_fit', 'lifetimes', {**r4(lt_gg['params']), 'customers': lt_gg['n']}, peer=True,
                  fit_s=round(lt_gg['fit_s'], 4), versions=pv, repeat=repeat),
            C.row('cdnow', 'holdout', 'shopnb_bgnbd', chk['bgnbd'], predict_s=round(pred_s, 4), versions=v),
            C.row('cdnow', 'holdout', 'naive_rate', chk['naive_rate'], versions=v),
            C.row('cdnow', 'holdout', 'zero', chk['zero'], versions=v),
            C.row('cdnow', 'holdout', 'lifetimes', lt_bg['metrics'], peer=True, versions=pv)]
    rows[0]['loadavg'], rows[2]['loadavg'] = load_bg, load_gg  # the load right after shopnb's timed fits (the others: after the peer's)
    return rows


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('--data', default=None, help='real-data folder (default ../shared/data)')
    ap.add_argument('--repeat', type=int, default=9, help='timed fits per model and library (the median is reported)')
    a = ap.parse_args()
    data = C.shared_data(a.data)
    load0 = C.wait_for_idle()
    t0 = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix='bench-clv-') as tmp:
        rows = bench_cdnow(data, Path(tmp), a.repeat)
    notes = (f"Protocol B. Run: `python bench/clv.py {' '.join(sys.argv[1:])}` in {time.perf_counter() - t0:.0f} s on {os.cpu_count()} cores "
             f"(load average {load0:.2f} at the start, {os.getloadavg()[0]:.2f} at the end; each row has the load when it was written). "
             f"fit_s: median of {a.repeat} fits after one warm-up fit, shopnb and `lifetimes` (in its own environment) on the same customer "
             "summary in the same run. Gamma-Gamma: customers with repeat purchases and positive spend. Published BG/NBD parameters "
             f"(Fader, Hardie & Lee 2005): {PUBLISHED}.")
    C.write_results('clv', rows, title='CLV benchmark', notes=notes)
    md = f"# CLV benchmark\n\n{notes}\n"
    for (ds, task) in dict.fromkeys((r['dataset'], r['task']) for r in rows):
        sel = [r for r in rows if (r['dataset'], r['task']) == (ds, task)]
        md += f"\n## {ds} / {task}\n\n" + C.markdown_table([{**r, 'metrics': {**r['metrics'], 'loadavg': r['loadavg']}} for r in sel])
    (C.RESULTS/'clv.md').write_text(md)
    print(md)


if __name__ == '__main__':
    main()
