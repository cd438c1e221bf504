"""VADER sentiment scores for the review benchmark (runs in the peers' environment).

usage: sentiment_peers.py IN.parquet OUT.parquet
IN has a `text` column; OUT gets `compound` (VADER's compound score). Prints one JSON line with the timing.
"""
import sys, json, time
import pandas as pd
from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

src, dst = sys.argv[1], sys.argv[2]
texts = pd.read_parquet(src)['text'].fillna('').astype(str).tolist()
an = SentimentIntensityAnalyzer()
t = time.perf_counter()
comp = [an.polarity_scores(x)['compound'] for x in texts]
s = time.perf_counter() - t
pd.DataFrame({'compound': comp}).to_parquet(dst)
print(json.dumps({'n': len(texts), 'predict_s': s, 'out': dst}))
