"""Forecast peers for protocol F, run in the peers' environment: statsforecast AutoETS and AutoARIMA (season 7).

usage: python forecast_peers.py SERIES.parquet OUT.parquet HORIZON WINDOWS STEP
SERIES has a `date` column and one column per target; OUT gets one row per (target, method, window, date) with
mean, lo80, hi80, lo95, hi95. Prints one JSON document: versions and wall seconds per (target, method).
"""
import json, sys, time
import numpy as np
import pandas as pd


def main(src, dst, h, windows, step):
    from statsforecast import StatsForecast, __version__ as sf_version
    from statsforecast.models import AutoETS, AutoARIMA
    s = pd.read_parquet(src)
    out, wall = [], {}
    for target in [c for c in s.columns if c != 'date']:
        df = pd.DataFrame({'unique_id': target, 'ds': pd.to_datetime(s['date']), 'y': s[target].astype(float)})
        for name, model in [('statsforecast_autoets', AutoETS(season_length=7)), ('statsforecast_autoarima', AutoARIMA(season_length=7))]:
            t = time.perf_counter()
            cv = StatsForecast(models=[model], freq='D', n_jobs=1).cross_validation(df=df, h=h, n_windows=windows, step_size=step, level=[80, 95])
            wall[f'{target}/{name}'] = time.perf_counter() - t
            col = [c for c in cv.columns if c not in ('unique_id', 'ds', 'cutoff', 'y') and '-lo-' not in c and '-hi-' not in c][0]
            cv = cv.reset_index() if 'unique_id' not in cv.columns else cv
            d = pd.DataFrame({'target': target, 'method': name, 'cutoff': cv['cutoff'], 'date': cv['ds'], 'actual': cv['y'],
                              'mean': cv[col], 'lo80': cv[f'{col}-lo-80'], 'hi80': cv[f'{col}-hi-80'],
                              'lo95': cv[f'{col}-lo-95'], 'hi95': cv[f'{col}-hi-95']})
            out.append(d)
    pd.concat(out, ignore_index=True).to_parquet(dst)
    print(json.dumps({'versions': {'statsforecast': sf_version, 'pandas': pd.__version__, 'numpy': np.__version__}, 'wall_s': wall}))


if __name__ == '__main__':
    a = sys.argv[1:]
    main(a[0], a[1], int(a[2]), int(a[3]), int(a[4]))
