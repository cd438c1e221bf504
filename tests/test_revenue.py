"One shop, one revenue: forecasting, recommendation, behaviour and CLV read their sales through `shopnb.schema`."
import pandas as pd
import pytest
from shopnb import behavior, clv, forecast, recommend
from shopnb.schema import SALE_STATUSES, Shop


@pytest.fixture(scope='module')
def shop(small_shop_dir): return Shop.load(small_shop_dir)


def _expected(shop, statuses):
    "Sale lines computed here with pandas from the raw tables, independently of the SQL builders."
    o, it = shop['orders'], shop['order_items']
    if statuses is not None: o = o[o.status.isin(statuses)]
    lines = o.merge(it[(it.quantity > 0) & (it.unit_price > 0)], on='order_id')
    return lines.assign(revenue=lines.quantity * lines.unit_price)


def test_shop_has_orders_that_do_not_count(shop):
    "The check below is only meaningful when some orders or lines are left out."
    assert set(shop['orders'].status) - set(SALE_STATUSES)
    assert len(_expected(shop, SALE_STATUSES)) < len(_expected(shop, None))


@pytest.mark.parametrize('statuses', [SALE_STATUSES, ('completed', 'returned'), None])
def test_same_revenue_in_every_analysis(shop, statuses):
    lines = _expected(shop, statuses)
    known = lines[lines.customer_id.notna()]
    assert forecast.shop_series(shop, 'revenue', statuses=statuses).sum() == pytest.approx(lines.revenue.sum())
    assert forecast.shop_series(shop, 'units', statuses=statuses).sum() == lines.quantity.sum()
    assert behavior.cohort_retention(shop, statuses=statuses).revenue.sum() == pytest.approx(known.revenue.sum())
    r = behavior.rfm(shop, statuses=statuses)
    assert r.monetary.sum() == pytest.approx(known.revenue.sum(), abs=0.005 * len(r))  # rounded to cents per customer
    assert clv.transactions(shop, statuses=statuses).value.sum() == pytest.approx(known.revenue.sum())
    inter = recommend.interactions(shop, source='orders', statuses=statuses)
    assert len(inter) == len(known[known.product_id.notna()])


def test_unknown_status_is_a_clear_error(shop):
    from shopnb.core import ShopnbError
    with pytest.raises(ShopnbError, match="unknown order status.*'complete'"):
        forecast.shop_series(shop, 'revenue', statuses=('complete',))
