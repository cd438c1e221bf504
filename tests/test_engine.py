"The Spark engine: every engine-switched function gives DuckDB's rows on the small synthetic shop, and every query the analyses issue keeps to the portable subset."
import inspect
import numpy as np, pandas as pd, pytest
from shopnb.schema import Shop
from shopnb.engine import SparkShop, check_portable, open_shop, sessionize_spark
from shopnb import behavior as bh, forecast as fc, recommend as rc, clv as cl, nextaction as na


def _sessionize(shop):
    "The sessionized events as pandas (the builders' relation collected)."
    return bh.sessionize(shop, to='pandas') if 'to' in inspect.signature(bh.sessionize).parameters else bh.sessionize(shop)


def _seqs(shop):
    s = na.session_sequences(shop)
    return pd.DataFrame({k: np.asarray(getattr(s, k)) for k in ('lengths',)})

# name -> function of a shop; every function whose queries run on the shop's engine
CASES = {
    'sessions': lambda s: bh.sessions(s),
    'sessionize': _sessionize,
    'funnel_session': lambda s: bh.funnel(s),
    'funnel_user': lambda s: bh.funnel(s, level='user'),
    'funnel_by_event_column': lambda s: bh.funnel(s, by='category'),
    'funnel_by_customer_column': lambda s: bh.funnel(s, level='user', by='country'),
    'cohorts_week': lambda s: bh.cohort_retention(s, period='W'),
    'cohorts_month': lambda s: bh.cohort_retention(s, period='M'),
    'cohorts_quarter_all_statuses': lambda s: bh.cohort_retention(s, period='Q', statuses=None),
    'rfm': lambda s: bh.rfm(s),
    'rfm_snapshot': lambda s: bh.rfm(s, snapshot='2024-06-01'),
    'daily_orders': lambda s: fc.shop_series(s, 'orders'),
    'weekly_revenue_by_category': lambda s: fc.shop_series(s, 'revenue', freq='W', by='category'),
    'interactions_orders': lambda s: rc.interactions(s),
    'interactions_events': lambda s: rc.interactions(s, source='events'),
    'transactions': lambda s: cl.transactions(s),
    'session_sequences': _seqs,
}
# results whose row order the builders leave open among ties (equal user, time and event type): compared sorted
UNORDERED = {'sessionize', 'interactions_events'}


def _frame(x):
    "A frame with its index as a column when the index carries data (dates, groups)."
    x = x.to_frame() if isinstance(x, pd.Series) else x
    return x.reset_index(drop=isinstance(x.index, pd.RangeIndex))


def _same(a, b, sort=False):
    "Row-by-row equality: same columns, same rows, same values (floats to 1e-9 relative), whatever the dtypes."
    a, b = _frame(a), _frame(b)
    assert list(a.columns) == list(b.columns)
    if sort: a, b = (d.sort_values(list(d.columns), kind='stable').reset_index(drop=True) for d in (a, b))
    assert len(a) == len(b)
    for c in a.columns:
        x, y = a[c], b[c]
        if pd.api.types.is_numeric_dtype(x) and not pd.api.types.is_bool_dtype(x):
            np.testing.assert_allclose(x.to_numpy(float), y.to_numpy(float), rtol=1e-9, atol=1e-9, equal_nan=True, err_msg=c)
        elif pd.api.types.is_datetime64_any_dtype(x):
            assert (pd.to_datetime(x).to_numpy('datetime64[us]') == pd.to_datetime(y).to_numpy('datetime64[us]')).all(), c
        else: assert x.astype(str).tolist() == y.astype(str).tolist(), c


@pytest.fixture(scope='module')
def shops(small_shop_dir, spark):
    return Shop.load(small_shop_dir), open_shop(small_shop_dir, engine='spark', spark=spark)


@pytest.mark.parametrize('name', list(CASES))
def test_parity(shops, name):
    duck, sp = shops
    assert isinstance(sp, SparkShop)
    a, b = CASES[name](duck), CASES[name](sp)
    assert len(a) > 0
    _same(a, b, sort=name in UNORDERED)


def test_parity_check_can_fail(shops):
    "The comparison notices one changed value."
    duck, _ = shops
    a = bh.rfm(duck); b = a.copy(); b.loc[3, 'monetary'] += 0.01
    with pytest.raises(AssertionError): _same(a, b)


def test_sessionized_events_stay_in_spark(shops, tmp_path):
    duck, sp = shops
    sdf = sessionize_spark(sp)
    assert type(sdf).__name__ == 'DataFrame' and not isinstance(sdf, pd.DataFrame)
    out = sessionize_spark(sp, path=str(tmp_path/'sessions'))
    ref = _sessionize(duck)
    _same(ref, pd.read_parquet(out)[list(ref.columns)], sort=True)


def test_in_memory_shop_and_bound_parameters(spark):
    from shopnb.synthetic import small
    mem = small(seed=1)
    sp = open_shop(mem, engine='spark', spark=spark)
    con = sp.connect()
    n = con.execute("select count(*) from orders where status in (?, ?)", ['completed', 'returned']).fetchone()[0]
    assert n == int(mem['orders'].status.isin(['completed', 'returned']).sum())
    con.close(); assert con.tables() == []


class _Recorder:
    "A DuckDB connection that keeps every query it runs."
    def __init__(self, con, log): self.con, self.log = con, log
    def execute(self, sql, params=None):
        self.log.append(sql)
        return self.con.execute(sql, params) if params is not None else self.con.execute(sql)
    def __getattr__(self, k): return getattr(self.con, k)


class _RecordingShop(Shop):
    log: list = []
    def connect(self, database=':memory:'): return _Recorder(super().connect(database), self.log)


def test_every_query_is_portable(small_shop_dir):
    "Every query the engine-switched functions issue keeps to the portable subset (no function Spark cannot run the same)."
    shop = _RecordingShop.load(small_shop_dir); shop.log.clear()
    for f in CASES.values(): f(shop)
    assert len(shop.log) >= len(CASES)
    bad = {q.strip()[:80]: check_portable(q) for q in shop.log if check_portable(q)}
    assert not bad, bad


def test_portable_check_names_the_construct():
    assert check_portable("select user_id, list(event_type order by ts) from events group by 1")
    assert check_portable("select epoch_ms(ts) from events")
    assert not check_portable("select user_id, count(*) from events group by 1")


def test_forecast_many_identical_on_three_engines(small_shop_dir, spark):
    "The same per-group forecasts and backtest metrics, bit for bit, from the loop, a process pool and Spark's applyInPandas."
    from shopnb.forecast import group_series, forecast_many
    gs = group_series(Shop.load(small_shop_dir), 'category', top=4)
    runs = {e: forecast_many(gs, 'ets', horizon=14, windows=2, engine=e, spark=spark) for e in ('loop', 'processes', 'spark')}
    ref = runs['loop']
    assert list(ref.summary.index) == list(gs.columns) and ref.summary.mase.notna().all()
    for e in ('processes', 'spark'):
        pd.testing.assert_frame_equal(ref.forecasts, runs[e].forecasts, check_exact=True)
        pd.testing.assert_frame_equal(ref.summary, runs[e].summary, check_exact=True)
