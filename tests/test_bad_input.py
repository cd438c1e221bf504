"""Bad input files: each gives one clear error naming the file, column and problem, through the Python API
and through `shopnb data load` (exit code 1, `error: ...` on stderr, no traceback); the source file is never changed."""
import hashlib, os, subprocess, sys
from pathlib import Path
import pandas as pd
import pytest
from shopnb.core import ShopnbError
from shopnb.schema import ValidationError
from shopnb import datasets

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = Path(sys.executable).parent/'shopnb'
CMD = [str(SCRIPT)] if SCRIPT.exists() else [sys.executable, '-m', 'shopnb.cli']

RETAIL = pd.DataFrame({'InvoiceNo': ['536365', '536365', 'C536366'], 'StockCode': ['85123A', '71053', '85123A'],
                       'Description': ['WHITE HEART', 'LANTERN', 'WHITE HEART'], 'Quantity': ['6', '6', '-1'],
                       'InvoiceDate': ['2010-12-01 08:26:00'] * 3, 'UnitPrice': ['2.55', '3.39', '2.55'],
                       'CustomerID': ['17850', '17850', '17850'], 'Country': ['United Kingdom'] * 3})
REVIEWS = pd.DataFrame({'id': ['r1', 'r2', 'r3'], 'Clothing ID': [767, 1080, 767], 'Title': ['Nice', None, 'Meh'],
                        'Review Text': ['Absolutely wonderful', 'Too small', 'It is ok'], 'Rating': [5, 2, 3],
                        'Class Name': ['Intimates', 'Dresses', 'Intimates']})

def write_csv(df): return lambda p: df.to_csv(p, index=False)

TAOBAO = pd.DataFrame([[1, 2268318, 2520377, 'pv', 1511544070], [1, 2333346, 2520771, 'cart', 1511561733],
                       [100370, 1968385, 1875258, 'pv', 1511572885]])

def write_cut(df, n_chars, header=True):
    "Write `df` as CSV, cut `n_chars` before its end (a truncated download)."
    return lambda p: p.write_text(df.to_csv(index=False, header=header)[:-n_chars])

def write_folder(**files):
    "Write a folder holding `files` {file name: writer}."
    def write(p):
        p.mkdir()
        for name, w in files.items(): w(p/name.replace('__', '.'))
    return write

# name -> (file name, writer, loader kind, loader options, substrings the message must contain)
CASES = {
    'missing_column': ('reviews.csv', write_csv(REVIEWS.drop(columns='Rating')), 'reviews', {},
                       ["reviews.csv", "missing column(s) 'Rating' (option rating=...)", "columns found: ['id', 'Clothing ID'"]),
    'missing_column_retail': ('retail.csv', write_csv(RETAIL.drop(columns='UnitPrice')), 'online_retail', {},
                              ["retail.csv", "missing column(s) for ['price']", "columns found:"]),
    'wrong_type': ('retail.csv', write_csv(RETAIL.assign(Quantity=['6', 'six', '-1'])), 'online_retail', {},
                   ["retail.csv", "column 'Quantity'", "not numbers", "'six'"]),
    'wrong_type_rating': ('reviews.csv', write_csv(REVIEWS.assign(Rating=['5', 'good', '3'])), 'reviews', {},
                          ["reviews.csv", "column 'Rating'", "not numbers", "'good'"]),
    'bad_timestamp': ('log.csv', write_csv(pd.DataFrame({'user_id': [1, 2], 'item_id': [5, 6], 'behavior_type': ['pv', 'buy'],
                                                         'timestamp': ['2017-11-25 10:00', 'yesterday']})), 'clickstream', {},
                      ["log.csv", "column 'timestamp'", "not timestamps", "'yesterday'"]),
    'duplicate_key': ('reviews.csv', write_csv(REVIEWS.assign(id=['r1', 'r1', 'r3'])), 'reviews', {'review_id': 'id'},
                      ["reviews.csv", "reviews.review_id: duplicate key values (2 rows)", "'r1'"]),
    'rating_7': ('reviews.csv', write_csv(REVIEWS.assign(Rating=[5, 7, 3])), 'reviews', {},
                 ["reviews.csv", "reviews.rating: ratings outside 1-5 (1 rows)", "'rating': 7"]),
    'corrupt_parquet': ('events.parquet', lambda p: p.write_bytes(b'PAR1' + b'\x00garbage' * 50), 'clickstream', {},
                        ["events.parquet", "cannot read Parquet file"]),
    'truncated_parquet': ('reviews.parquet', lambda p: (REVIEWS.to_parquet(p), p.write_bytes(p.read_bytes()[:-40])), 'reviews', {},
                          ["reviews.parquet", "cannot read Parquet file"]),
    'empty_file': ('CDNOW_sample.txt', lambda p: p.write_bytes(b''), 'cdnow', {}, ["CDNOW_sample.txt", "empty file"]),
    'header_only': ('reviews.csv', lambda p: p.write_text('Clothing ID,Review Text,Rating\n'), 'reviews', {},
                    ["reviews.csv", "no data rows"]),
    'no_such_file': ('nowhere.parquet', None, 'online_retail', {}, ["nowhere.parquet", "no such file"]),
    'unknown_event': ('log.csv', write_csv(pd.DataFrame({'user_id': [1, 2], 'item_id': [5, 6], 'behavior_type': ['pv', 'click'],
                                                         'timestamp': [1511544070, 1511544080]})), 'clickstream', {},
                      ["log.csv", "column 'behavior_type'", "not in event_map", "'click'"]),
    # a truncated download: the cut-off last line is reported with its number, not loaded as a short row
    'truncated_csv': ('UserBehavior.csv', write_cut(TAOBAO, 15, header=False), 'clickstream', {},
                      ["UserBehavior.csv: line 3 has 3 field(s): '100370,1968385,1875258'", "the last line is cut off (a truncated download?)"]),
    'truncated_csv_header': ('log.csv', write_cut(TAOBAO.set_axis(['user_id', 'item_id', 'category_id', 'behavior_type', 'timestamp'], axis=1), 23), 'clickstream', {},
                             ["log.csv: line 4 has 2 field(s): '100370,1968385'", "the last line is cut off"]),
    'truncated_retail': ('retail.csv', write_cut(RETAIL, 30), 'online_retail', {}, ["retail.csv: line 4 has", "the last line is cut off"]),
    'truncated_cdnow': ('CDNOW_sample.txt', lambda p: p.write_text(' 00004 0001 19970101  2   29.33\n 00004 0001 19970118  2   29.73\n 00021 0002 1997'),
                        'cdnow', {}, ["CDNOW_sample.txt: line 3 has 3 field(s)", "the last line is cut off"]),
    'damaged_rows': ('log.csv', lambda p: p.write_text('user_id,item_id,behavior_type,timestamp\n1,5,pv,1511544070\n2,6\n3,7,pv,1511544090\n4\n5,8,pv,1511544099\n'),
                     'clickstream', {}, ["log.csv: 2 rows have fewer fields than the 4 columns", "line 3 has 2 field(s): '2,6'; line 5 has 1 field(s): '4'"]),
    # a folder is read as its files: never merged when they are not the parts of one table
    'folder_mixed_columns': ('events', write_folder(a__csv=write_csv(TAOBAO.set_axis(['user_id', 'item_id', 'category_id', 'behavior_type', 'timestamp'], axis=1)),
                                                    b__csv=write_csv(RETAIL)), 'clickstream', {},
                             ["events: the folder's 2 data files have different columns, so they are not the parts of one table", "a.csv ['user_id'", "b.csv ['InvoiceNo'"]),
    'folder_not_retail': ('retail', write_folder(online_retail__csv=write_csv(RETAIL), reviews__csv=write_csv(REVIEWS)), 'online_retail', {},
                          ["retail: each data file of the folder is read as an Online Retail table", "reviews.csv is not one", "missing column(s) for"]),
    'folder_without_data': ('downloads', write_folder(notes__md=lambda p: p.write_text('x')), 'reviews', {},
                            ["downloads: the folder holds no data files", "found ['notes.md']"]),
    'folder_cdnow_layouts': ('cd', write_folder(CDNOW_sample__txt=lambda p: p.write_text(' 00004 0001 19970101  2   29.33\n'),
                                                CDNOW_master__txt=lambda p: p.write_text(' 00001 19970101  1   11.77\n')), 'cdnow', {},
                             ["cd: the folder mixes the two CDNOW layouts (CDNOW_master.txt: master, CDNOW_sample.txt: sample)"]),
}

def sha(p: Path):
    "Hash of a file, or of every file in a folder (None when absent)."
    if p.is_dir(): return {f.name: sha(f) for f in sorted(p.iterdir())}
    return hashlib.sha256(p.read_bytes()).hexdigest() if p.exists() else None

@pytest.fixture(params=list(CASES))
def case(request, tmp_path):
    fname, writer, kind, opts, expected = CASES[request.param]
    path = tmp_path/fname
    if writer: writer(path)
    return path, kind, opts, expected

def test_python_api(case):
    path, kind, opts, expected = case
    before = sha(path)
    with pytest.raises(ShopnbError) as e: datasets.LOADERS[kind](path, **opts) if kind != 'online_retail' else datasets.online_retail([path], **opts)
    msg = str(e.value)
    for s in expected: assert s in msg, f"{s!r} not in {msg!r}"
    assert sha(path) == before

def test_cli(case, tmp_path):
    path, kind, opts, expected = case
    before = sha(path)
    out = tmp_path/'shop'
    r = subprocess.run([*CMD, 'data', 'load', kind, str(path), '--out', str(out), *[a for k, v in opts.items() for a in ('--option', f'{k}={v}')]],
                       capture_output=True, text=True, cwd=ROOT, env={**os.environ, 'SHOPNB_PROGRESS': '0'})
    assert r.returncode == 1, r.stderr
    assert r.stderr.startswith('error: ') and 'Traceback' not in r.stderr
    for s in expected: assert s in r.stderr
    assert not out.exists()  # nothing half-written
    assert sha(path) == before

def test_validation_error_lists_every_problem(tmp_path):
    p = tmp_path/'reviews.csv'
    REVIEWS.assign(id=['r1', 'r1', 'r3'], Rating=[5, 9, 0]).to_csv(p, index=False)
    with pytest.raises(ValidationError) as e: datasets.reviews(p, review_id='id')
    assert {(x.column, x.problem) for x in e.value.problems} == {('review_id', 'duplicate key values'), ('rating', 'ratings outside 1-5')}
    assert str(e.value).startswith(f"2 problem(s) in {p}")

def test_validate_cli_corrupt_and_modified(tmp_path):
    (tmp_path/'orders.parquet').write_bytes(b'not parquet at all')
    r = subprocess.run([*CMD, 'data', 'validate', str(tmp_path/'orders.parquet')], capture_output=True, text=True, cwd=ROOT)
    assert r.returncode == 1 and 'cannot read Parquet file' in r.stderr and 'Traceback' not in r.stderr
    REVIEWS.to_csv(tmp_path/'reviews.csv', index=False)
    shop = datasets.reviews(tmp_path/'reviews.csv').save(tmp_path/'shop')
    pd.read_parquet(shop/'reviews.parquet').assign(rating=lambda d: d.rating.where(d.index != 0, 4)).to_parquet(shop/'reviews.parquet', index=False)
    r = subprocess.run([*CMD, 'data', 'validate', str(shop)], capture_output=True, text=True, cwd=ROOT)
    assert r.returncode == 1 and "['reviews'] differ from the hashes in manifest.json" in r.stderr
    pd.read_parquet(shop/'reviews.parquet').assign(rating=lambda d: d.rating.where(d.index != 0, 7)).to_parquet(shop/'reviews.parquet', index=False)
    r = subprocess.run([*CMD, 'data', 'validate', str(shop)], capture_output=True, text=True, cwd=ROOT)
    assert r.returncode == 1 and 'reviews.rating: ratings outside 1-5' in r.stderr
    r = subprocess.run([*CMD, 'data', 'validate', str(tmp_path/'nothing_here')], capture_output=True, text=True, cwd=ROOT)
    assert r.returncode == 1 and 'no such' in r.stderr

def test_excel(tmp_path):
    "xlsx needs openpyxl: without it, a clear error saying so; with it, every sheet is read (overlapping days once)."
    p = tmp_path/'online_retail_II.xlsx'
    try: import openpyxl  # noqa: F401
    except ImportError:
        p.write_bytes(b'PK\x03\x04 an xlsx file')
        before = sha(p)
        with pytest.raises(ShopnbError, match=r'online_retail_II\.xlsx: reading Excel files needs the package openpyxl'): datasets.online_retail(p)
        r = subprocess.run([*CMD, 'data', 'load', 'online_retail', str(p), '--out', str(tmp_path/'shop')], capture_output=True, text=True, cwd=ROOT)
        assert r.returncode == 1 and 'openpyxl' in r.stderr and 'Traceback' not in r.stderr
        assert sha(p) == before
        return
    ii = RETAIL.rename(columns={'InvoiceNo': 'Invoice', 'UnitPrice': 'Price', 'CustomerID': 'Customer ID'})
    later = ii.assign(Invoice=['536400', '536400', 'C536401'], InvoiceDate=['2010-12-10 09:00:00'] * 3)
    with pd.ExcelWriter(p) as w:
        ii.to_excel(w, sheet_name='Year 2009-2010', index=False)
        pd.concat([ii, later]).to_excel(w, sheet_name='Year 2010-2011', index=False)
    s = datasets.online_retail(p)
    assert s.orders.order_id.tolist() == ['536365', 'C536366', '536400', 'C536401']
