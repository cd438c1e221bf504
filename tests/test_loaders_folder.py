"""A folder given to a loader is read as its files: Online Retail I and II each mapped by its own column names,
the parts of one clickstream as one table; anything else refused with a clear error. Source files are never changed."""
import hashlib, os, subprocess, sys
from pathlib import Path
import pandas as pd
import pytest
from shopnb.core import ShopnbError
from shopnb.datasets import online_retail, online_retail_lines, clickstream, cdnow
from shopnb.schema import Shop

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = Path(sys.executable).parent/'shopnb'
CMD = [str(SCRIPT)] if SCRIPT.exists() else [sys.executable, '-m', 'shopnb.cli']

# small cuts in the two layouts: Online Retail (2010-12-01 ..) and the 2009-2010 sheet of Online Retail II (.. 2010-12-09)
OR_I = pd.DataFrame({'InvoiceNo': ['536365', '536365', 'C536379', '536380', '536381'],
                     'StockCode': ['85123A', '71053', '85123A', '22086', 'POST'],
                     'Description': ['WHITE HEART', 'LANTERN', 'WHITE HEART', 'PAPER CHAIN', 'POSTAGE'],
                     'Quantity': [6, 6, -1, 4, 1],
                     'InvoiceDate': ['2010-12-01 08:26:00', '2010-12-01 08:26:00', '2010-12-10 09:41:00', '2010-12-10 10:00:00', '2010-12-11 12:00:00'],
                     'UnitPrice': [2.55, 3.39, 2.55, 2.95, 18.0], 'CustomerID': [17850.0, 17850.0, 14527.0, 12583.0, None],
                     'Country': ['United Kingdom', 'United Kingdom', 'United Kingdom', 'France', 'France']})
OR_II = pd.DataFrame({'Invoice': ['489434', '489434', '536300'], 'StockCode': ['85048', '79323P', '85123A'],
                      'Description': ['STAR', 'PINK CHERRY', 'WHITE HEART'], 'Quantity': [12, 6, 2],
                      'InvoiceDate': ['2009-12-01 07:45:00', '2009-12-01 07:45:00', '2010-12-09 17:00:00'],
                      'Price': [6.95, 6.75, 2.55], 'Customer ID': [13085.0, 13085.0, 17850.0], 'Country': ['United Kingdom'] * 3})


def digest(folder: Path) -> dict: return {f.name: hashlib.sha256(f.read_bytes()).hexdigest() for f in sorted(folder.iterdir())}


@pytest.fixture
def retail_folder(tmp_path):
    d = tmp_path/'online_retail'; d.mkdir()
    OR_I.to_csv(d/'online_retail.csv', index=False)
    OR_II.to_parquet(d/'online_retail_ii_2009_2010.parquet', index=False)
    (d/'README.md').write_text('UCI Online Retail I and II')  # not a data file: passed over
    return d


def test_folder_reads_each_file_with_its_own_columns(retail_folder):
    before = digest(retail_folder)
    info = {}
    lines = online_retail_lines(retail_folder, info=info)
    # II whole (to 2010-12-09), then Online Retail from 2010-12-10: its two 2010-12-01 lines are in II's period
    assert [(s['rows'], s['rows_used']) for s in info['sources']] == [(3, 3), (5, 3)]
    assert info['sources'][0]['mapping']['customer_id'] == 'Customer ID' and info['sources'][1]['mapping']['price'] == 'UnitPrice'
    assert lines.price.notna().all() and lines.invoice.tolist() == ['489434', '489434', '536300', 'C536379', '536380', '536381']
    shop = online_retail(retail_folder)
    files = online_retail([retail_folder/'online_retail.csv', retail_folder/'online_retail_ii_2009_2010.parquet'])
    for t in ('orders', 'order_items', 'customers', 'products'): pd.testing.assert_frame_equal(shop[t], files[t])
    assert shop.source == str(retail_folder)
    assert digest(retail_folder) == before


def test_folder_with_another_table_is_refused(retail_folder):
    pd.DataFrame({'user_id': [1], 'item_id': [2], 'behavior_type': ['pv'], 'timestamp': [1511544070]}).to_csv(retail_folder/'events.csv', index=False)
    with pytest.raises(ShopnbError) as e: online_retail(retail_folder)
    msg = str(e.value)
    assert msg.startswith(f"{retail_folder}: each data file of the folder is read as an Online Retail table (the columns of Online Retail I or II); events.csv is not one")
    assert "missing column(s) for ['invoice', 'stock_code', 'quantity', 'ts', 'price']" in msg
    # a loader of one table does not merge the two layouts either
    with pytest.raises(ShopnbError, match="the folder's 3 data files have different columns, so they are not the parts of one table"): clickstream(retail_folder)


def test_cli_loads_a_folder(retail_folder, tmp_path):
    out = tmp_path/'shop'
    r = subprocess.run([*CMD, 'data', 'load', 'online_retail', str(retail_folder), '--out', str(out)], capture_output=True, text=True, cwd=ROOT,
                       env={**os.environ, 'SHOPNB_PROGRESS': '0'})
    assert r.returncode == 0, r.stderr
    shop = Shop.load(out)
    # 536381 holds only postage, so it is not an order
    assert len(shop.orders) == 4 and shop.orders.ts.min() == pd.Timestamp('2009-12-01 07:45')


def test_parts_of_one_clickstream(tmp_path):
    "A folder of headerless Taobao parts is one event log; the parts' rows are kept in file order."
    d = tmp_path/'userbehavior'; d.mkdir()
    rows = [[1, 2268318, 2520377, 'pv', 1511544070], [1, 2333346, 2520771, 'cart', 1511561733],
            [2, 4365585, 2520377, 'fav', 1511596146], [2, 4365585, 2520377, 'buy', 1511596200]]
    pd.DataFrame(rows[:2]).to_csv(d/'part-00000.csv', index=False, header=False)
    pd.DataFrame(rows[2:]).to_csv(d/'part-00001.csv', index=False, header=False)
    s = clickstream(d)
    assert s.events.event_type.tolist() == ['view', 'cart', 'fav', 'purchase']
    assert s.meta['source_files'] == ['part-00000.csv', 'part-00001.csv'] and s.meta['source_rows'] == 4
    # a cut-off last line in one part is reported with its file and line
    (d/'part-00001.csv').write_text('2,4365585,2520377,fav,1511596146\n2,436558')
    with pytest.raises(ShopnbError, match=r"part-00001\.csv: line 2 has 2 field\(s\): '2,436558'"): clickstream(d)


def test_cdnow_folder(tmp_path):
    d = tmp_path/'cdnow'; d.mkdir()
    (d/'a.txt').write_text(' 00004 0001 19970101  2   29.33\n 00004 0001 19970118  2   29.73\n')
    (d/'b.txt').write_text(' 00021 0002 19970101  3   63.34\n')
    s = cdnow(d)
    assert s.meta['layout'] == 'sample' and s.meta['source_files'] == {'a.txt': 2, 'b.txt': 1}
    assert s.orders.order_id.is_unique and len(s.orders) == 3 and s.customers.customer_id.tolist() == ['4', '21']
