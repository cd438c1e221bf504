"""Peers for bench/recommend.py, run in the peers' environment: `implicit` ALS (bm25 weights) and its cosine item-kNN.

usage: recommend_peers.py SPLIT_DIR K SEED [THREADS] [REPEAT]
REPEAT: fits timed (the median is reported; default 1).
SPLIT_DIR holds train.parquet (user_id, item_id, weight) and users.parquet (user_id: the evaluated users).
Writes SPLIT_DIR/<method>_{all,new}.parquet (user_id, item_id, rank) and prints one JSON line with timings."""
import json, sys, time
from pathlib import Path
import numpy as np, pandas as pd, scipy.sparse as sp

def main(split_dir, k, seed, threads=1, repeat=1):
    import implicit
    from implicit.als import AlternatingLeastSquares
    from implicit.nearest_neighbours import CosineRecommender, bm25_weight
    d = Path(split_dir)
    train, users = pd.read_parquet(d/'train.parquet'), pd.read_parquet(d/'users.parquet').user_id.astype(str)
    uix, iix = pd.Index(np.sort(train.user_id.unique())), pd.Index(np.sort(train.item_id.unique()))
    X = sp.csr_matrix((train.weight.to_numpy(float), (uix.get_indexer(train.user_id), iix.get_indexer(train.item_id))),
                      shape=(len(uix), len(iix)))
    X.sum_duplicates()
    ue = uix.get_indexer(users)
    if (ue < 0).any(): raise SystemExit(f"{int((ue < 0).sum())} evaluated users are not in train")
    out = {'versions': {'implicit': implicit.__version__, 'numpy': np.__version__, 'pandas': pd.__version__}, 'methods': {}}
    models = {'implicit_als': lambda: AlternatingLeastSquares(factors=64, regularization=0.01, iterations=15, random_state=seed,
                                                              num_threads=threads),
              'implicit_itemknn': lambda: CosineRecommender(K=100, num_threads=threads)}
    for name, make in models.items():
        Xf = bm25_weight(X, K1=100, B=0.8).tocsr() if name == 'implicit_als' else X
        times = []
        for _ in range(max(1, repeat)):
            m = make(); t = time.perf_counter(); m.fit(Xf, show_progress=False); times.append(time.perf_counter() - t)
        fit_s = sorted(times)[len(times) // 2]
        t = time.perf_counter()
        for task, filt in (('all', False), ('new', True)):
            ids, sc = m.recommend(ue, Xf[ue], N=k, filter_already_liked_items=filt)
            rows = [(u, iix[i], r + 1) for u, its, scs in zip(users, ids, sc) for r, (i, s) in enumerate(zip(its, scs))
                    if i >= 0 and np.isfinite(s)]
            pd.DataFrame(rows, columns=['user_id', 'item_id', 'rank']).to_parquet(d/f'{name}_{task}.parquet')
        out['methods'][name] = {'fit_s': round(fit_s, 4), 'predict_s': round(time.perf_counter() - t, 3),
                                'timing': f'median of {len(times)} fits' if len(times) > 1 else 'one run'}
    print(json.dumps(out))

if __name__ == '__main__':
    main(sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]) if len(sys.argv) > 4 else 1,
         int(sys.argv[5]) if len(sys.argv) > 5 else 1)
