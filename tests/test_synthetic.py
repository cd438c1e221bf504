"The default synthetic shop: determinism, validity, and every planted pattern measurable at default size."
import numpy as np, pandas as pd, pytest
from scipy.optimize import minimize
from scipy.special import betaln, gammaln
from shopnb.core import ShopnbError
from shopnb.schema import Shop
from shopnb.synthetic import CATEGORIES, pattern_stats, small, synthetic


@pytest.fixture(scope='module')
def shop(): return synthetic(seed=0)

@pytest.fixture(scope='module')
def stats(shop): return pattern_stats(shop)


def test_deterministic_per_seed(shop):
    assert synthetic(seed=0).content_hash == shop.content_hash
    assert synthetic(seed=1).content_hash != shop.content_hash


def test_tables_valid_and_sized(shop, tmp_path):
    assert shop.table_names == ['customers', 'products', 'orders', 'order_items', 'events', 'reviews']
    shop.validate()
    rows = {k: len(shop[k]) for k in shop.table_names}
    assert rows['customers'] == 2000 and rows['products'] == 400
    assert 8_000 <= rows['orders'] <= 25_000 and rows['events'] <= 400_000 and 4_000 <= rows['reviews'] <= 10_000
    assert shop.events.user_id.isin(shop.customers.customer_id).all()
    assert set(shop.events.event_type) == {'view', 'cart', 'purchase'} and set(shop.reviews.language) == {'en'}
    back = Shop.load(shop.save(tmp_path/'syn'))  # the manifest (with knobs and truth) survives a round trip
    assert back.content_hash == shop.content_hash and back.meta['truth']['chains'] == shop.meta['truth']['chains']


def _bgnbd_fit(x, tx, T):
    "Maximum-likelihood BG/NBD (Fader, Hardie & Lee 2005)."
    def nll(th):
        r, al, a, b = np.exp(th)
        A = gammaln(r + x) - gammaln(r) + r * np.log(al)
        l1 = betaln(a, b + x) - betaln(a, b) + A - (r + x) * np.log(al + T)
        l2 = np.where(x > 0, betaln(a + 1, b + np.maximum(x, 1) - 1) - betaln(a, b) + A - (r + x) * np.log(al + tx), -np.inf)
        return -np.logaddexp(l1, l2).sum()
    return np.exp(minimize(nll, np.log([1, 10, 1, 1]), method='Nelder-Mead', options=dict(maxiter=4000, xatol=1e-6, fatol=1e-6)).x)


def test_bgnbd_fit_lands_near_truth(shop):
    k, true = shop.meta['knobs'], shop.meta['truth']['bgnbd']
    end = pd.Timestamp(k['start']) + pd.Timedelta(days=k['days'])
    g = shop.orders.groupby('customer_id').ts.agg(['min', 'max', 'size'])
    day = lambda s: s.dt.total_seconds().to_numpy() / 86400
    r, alpha, a, b = _bgnbd_fit(g['size'].to_numpy() - 1, day(g['max'] - g['min']), day(end - g['min']))
    assert r == pytest.approx(true['r'], rel=0.2) and alpha == pytest.approx(true['alpha'], rel=0.2)
    assert r / alpha == pytest.approx(true['r'] / true['alpha'], rel=0.1)             # mean purchase rate
    assert a / (a + b) == pytest.approx(true['a'] / (true['a'] + true['b']), rel=0.2)  # mean drop-out probability


def test_spend_follows_gamma_gamma(shop):
    gg = shop.meta['truth']['gamma_gamma']
    it = shop.order_items
    value = (it.quantity * it.unit_price).groupby(it.order_id).sum()
    assert value.mean() == pytest.approx(gg['p'] * gg['gamma'] / (gg['q'] - 1), rel=0.15)
    per_customer = value.groupby(shop.orders.set_index('order_id').customer_id).mean()
    assert per_customer.quantile(0.9) / per_customer.quantile(0.1) > 2.5  # customers differ in spend


def test_calendar(stats, shop):
    assert stats['weekend_vs_weekday'] < 0.85
    assert stats['novdec_vs_rest'] > 1.3
    assert stats['orders_on_closed_days'] == 0
    assert stats['second_half_vs_first'] > 1.1
    months = shop.orders.ts.dt.month.value_counts()
    assert months.idxmax() in (11, 12)


def test_catalogue(stats, shop):
    assert stats['top20pct_products_item_share'] > 0.6
    med = shop.products.groupby('category').price.median()
    assert med.rank().corr(pd.Series({c: v['price'] for c, v in CATEGORIES.items()}).rank(), method='spearman') > 0.9
    assert shop.products.title.nunique() > 0.9 * len(shop.products)


def test_sessions_and_funnel(stats, shop):
    assert 0.25 <= stats['sessions_with_cart'] <= 0.4 and 0.05 <= stats['sessions_with_purchase'] <= 0.15
    ev = shop.events.sort_values(['user_id', 'ts'], kind='stable')
    gap = ev.ts.diff().dt.total_seconds()
    same_user, same_session = ev.user_id.eq(ev.user_id.shift()), ev.session_id.eq(ev.session_id.shift())
    assert (gap[same_user & ~same_session] > 30 * 60).all()
    assert gap[same_session].median() < 120 and gap[same_session].max() <= 600
    views = ev[ev.event_type == 'view']
    top3 = views.groupby(['user_id', 'category']).size().groupby(level=0).apply(lambda s: s.nlargest(3).sum() / s.sum())
    assert top3.mean() > 0.75  # category affinity


def test_chains_and_repeats(stats, shop):
    assert stats['chain_links_seen'] >= 50
    assert stats['chain_successor_top_next_view'] >= 0.9 and stats['chain_predecessor_top_next_view'] <= 0.05
    assert stats['chain_successor_top_next_order'] >= 0.5
    assert stats['rebuy_share_consumables'] > stats['rebuy_share_others'] + 0.15


def test_transitions_beat_popularity(shop):
    "The next view is better predicted from the current view (first-order transitions) than by popularity."
    v = shop.events[shop.events.event_type == 'view'].sort_values(['session_id', 'ts'], kind='stable')
    df = pd.DataFrame({'a': v.product_id.to_numpy(), 'b': v.groupby('session_id').product_id.shift(-1).to_numpy(),
                       'ts': v.ts.to_numpy()}).dropna()
    cut = df.ts.quantile(0.8); train, test = df[df.ts < cut], df[df.ts >= cut]
    pop = train.b.value_counts().index[:10].tolist()
    nxt = train.value_counts(['a', 'b']).reset_index().groupby('a').b.agg(lambda s: s.head(10).tolist())
    rec = lambda a: (nxt.get(a, []) + [p for p in pop if p not in nxt.get(a, [])])[:10]
    hr_pop = test.b.isin(pop).mean()
    hr_seq = np.mean([b in rec(a) for a, b in zip(test.a, test.b)])
    assert hr_seq > hr_pop + 0.15


def test_reviews(stats, shop):
    rv = shop.reviews
    assert stats['rating_low_quality'] < stats['rating_high_quality'] - 1.5
    q = pd.Series(shop.meta['truth']['product_quality'])
    per_product = rv.groupby('product_id').rating.mean()
    assert np.corrcoef(q[per_product.index], per_product)[0, 1] > 0.6
    assert rv.rating.value_counts().idxmax() == 5 and rv.rating.nunique() == 5
    txt = rv.text.str.lower()
    for phrase in ['not comfortable at all', 'never disappointed', ' but ']: assert txt.str.contains(phrase).sum() >= 10
    assert stats['reviews_with_negation'] > 0.25
    assert rv.title.str.split().str.len().max() <= 3


def test_sentiment_learnable_not_trivial(shop):
    "A bag-of-words model finds the sentiment, but far from perfectly."
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import f1_score
    from sklearn.model_selection import train_test_split
    rv = shop.reviews
    y = np.select([rv.rating <= 2, rv.rating == 3], ['neg', 'neu'], 'pos')
    xtr, xte, ytr, yte = train_test_split(rv.text, y, test_size=0.3, random_state=0, stratify=y)
    vec = TfidfVectorizer(ngram_range=(1, 2), min_df=2)
    clf = LogisticRegression(max_iter=2000, class_weight='balanced').fit(vec.fit_transform(xtr), ytr)
    f1 = f1_score(yte, clf.predict(vec.transform(xte)), average='macro')
    assert 0.6 < f1 < 0.92


def test_purchases_are_the_orders(shop):
    pe = shop.events[shop.events.event_type == 'purchase']
    oi = shop.order_items.merge(shop.orders[['order_id', 'customer_id', 'ts']], on='order_id')
    assert sorted(zip(pe.user_id, pe.ts, pe.product_id)) == sorted(zip(oi.customer_id, oi.ts, oi.product_id))


def test_small_has_everything():
    sm = small()
    assert sm.table_names == ['customers', 'products', 'orders', 'order_items', 'events', 'reviews']
    assert all(len(sm[k]) > 0 for k in sm.table_names) and small().content_hash == sm.content_hash


@pytest.mark.parametrize('kw, name', [(dict(n_categories=20), 'n_categories'), (dict(days=10), 'days'),
                                      (dict(chain_prob=2.0), 'chain_prob'), (dict(seed=-1), 'seed'),
                                      (dict(n_customers='many'), 'n_customers'), (dict(start='2026-06-01'), 'days'),
                                      (dict(weekly=(1, 1)), 'weekly')])
def test_bad_knobs(kw, name):
    with pytest.raises(ShopnbError, match=name): synthetic(**kw)
    with pytest.raises(ShopnbError, match='unknown knob'): small(n_customer=3)
