"""Peer side of bench/clv.py, run in the peers' environment: `lifetimes` BG/NBD and Gamma-Gamma on the same customer summary.

usage: clv_peers.py SUMMARY.csv REPEAT   (columns: frequency, recency, T, monetary_value, frequency_holdout, duration_holdout)
Prints one JSON document: fitted parameters, median fit times (after one warm-up fit, with the benchmarks' `median_time`)
and the BG/NBD hold-out metrics. Gamma-Gamma is fitted on the customers with repeat purchases and positive spend.
"""
import json, sys
from pathlib import Path
import numpy as np, pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from _common import median_time


def main(path, repeat):
    import lifetimes
    s = pd.read_csv(path)
    f, r, T = s.frequency, s.recency, s['T']
    bg_fit = lambda: lifetimes.BetaGeoFitter(penalizer_coef=0.0).fit(f, r, T)
    bg_fit()
    bg_s, bg = median_time(bg_fit, repeat=repeat)
    p = bg.conditional_expected_number_of_purchases_up_to_time(s.duration_holdout, f, r, T).to_numpy()
    y = s.frequency_holdout.to_numpy()
    g = s[(s.frequency > 0) & (s.monetary_value > 0)]
    gg_fit = lambda: lifetimes.GammaGammaFitter(penalizer_coef=0.0).fit(g.frequency, g.monetary_value)
    gg_fit()
    gg_s, gg = median_time(gg_fit, repeat=repeat)
    out = dict(bgnbd=dict(params={k: float(v) for k, v in bg.params_.items()}, fit_s=bg_s,
                          metrics=dict(rmse=float(np.sqrt(np.mean((p - y) ** 2))), mae=float(np.mean(np.abs(p - y))),
                                       total_pred=float(p.sum()), total_actual=float(y.sum()))),
               gamma_gamma=dict(params={k: float(v) for k, v in gg.params_.items()}, fit_s=gg_s, n=len(g)),
               versions=dict(lifetimes=lifetimes.__version__, pandas=pd.__version__, numpy=np.__version__))
    print(json.dumps(out))


if __name__ == '__main__':
    main(sys.argv[1], int(sys.argv[2]))
