"""Peer side of bench/behavior.py, run in the peers' environment: `lifetimes` BG/NBD on the same customer summary.

usage: behavior_peers.py SUMMARY.csv   (columns: frequency, recency, T, frequency_holdout, duration_holdout)
Prints one JSON document: fitted parameters, fit time and hold-out metrics.
"""
import json, sys, time
import numpy as np, pandas as pd


def main(path):
    import lifetimes
    s = pd.read_csv(path)
    t0 = time.perf_counter()
    m = lifetimes.BetaGeoFitter(penalizer_coef=0.0).fit(s.frequency, s.recency, s['T'])
    fit_s = time.perf_counter() - t0
    t1 = time.perf_counter()
    p = m.conditional_expected_number_of_purchases_up_to_time(s.duration_holdout, s.frequency, s.recency, s['T']).to_numpy()
    predict_s = time.perf_counter() - t1
    y = s.frequency_holdout.to_numpy()
    out = dict(params={k: float(v) for k, v in m.params_.items()},
               metrics=dict(rmse=float(np.sqrt(np.mean((p - y) ** 2))), mae=float(np.mean(np.abs(p - y))),
                            total_pred=float(p.sum()), total_actual=float(y.sum())),
               fit_s=round(fit_s, 4), predict_s=round(predict_s, 4),
               versions=dict(lifetimes=lifetimes.__version__, pandas=pd.__version__, numpy=np.__version__))
    print(json.dumps(out))


if __name__ == '__main__':
    main(sys.argv[1])
