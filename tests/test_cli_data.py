"""`shopnb data synth|load|validate|info`: round trips, --if-missing, help texts and exit codes."""
import json, os, subprocess, sys
from pathlib import Path
import pandas as pd
import pytest
from shopnb.cli import main
from shopnb.schema import Shop, read_manifest
from shopnb import datasets

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = Path(sys.executable).parent/'shopnb'

def run(capsys, *argv):
    rc = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return rc, out, err

# --- help texts and usage errors -----------------------------------------------------------------------------

@pytest.mark.parametrize('argv, words', [
    ([], ['data', 'usage: shopnb']),
    (['data'], ['synth', 'load', 'validate', 'info']),
    (['data', 'synth'], ['--seed', '--out', '--if-missing', '--small', '--customers', '--days', 'deterministic']),
    (['data', 'load'], ['KIND', 'online_retail', 'reviews', 'cdnow', 'clickstream', 'files', '--option']),
    (['data', 'validate'], ['DIR|FILE', '--table', 'manifest']),
    (['data', 'info'], ['date range', '--json']),
])
def test_help(capsys, argv, words):
    rc, out, err = run(capsys, *argv, '--help')
    assert rc == 0
    for w in words: assert w in out, f"{w!r} missing from `shopnb {' '.join(argv)} --help`"

@pytest.mark.parametrize('argv', [[], ['data'], ['data', 'load'], ['data', 'load', 'excel', 'x.csv'], ['data', 'synth', '--seed', 'abc'], ['bogus']])
def test_usage_errors_exit_2(capsys, argv):
    rc, out, err = run(capsys, *argv)
    assert rc == 2 and 'usage:' in err and 'Traceback' not in err

def test_console_script():
    cmd = [str(SCRIPT)] if SCRIPT.exists() else [sys.executable, '-m', 'shopnb.cli']
    r = subprocess.run([*cmd, 'data', '--help'], capture_output=True, text=True, cwd=ROOT)
    assert r.returncode == 0 and 'synth' in r.stdout
    r = subprocess.run([sys.executable, '-m', 'shopnb.cli', 'data', 'info', '/no/such/shop'], capture_output=True, text=True, cwd=ROOT)
    assert r.returncode == 1 and r.stderr.startswith('error: ') and 'no such shop folder' in r.stderr

# --- load / info / validate round trip on user files ----------------------------------------------------------

@pytest.fixture
def user_files(tmp_path):
    pd.DataFrame({'customer_id': ['c1', 'c2'], 'country': ['DE', 'FR']}).to_csv(tmp_path/'customers.csv', index=False)
    pd.DataFrame({'order_id': ['o1', 'o2', 'o3'], 'customer_id': ['c1', 'c2', 'c1'],
                  'ts': ['2024-01-01 10:00', '2024-02-01 11:00', '2024-03-05 12:00'], 'status': 'completed'}).to_parquet(tmp_path/'orders.parquet')
    pd.DataFrame({'id': ['p1', 'p2'], 'cat': ['toys', 'books']}).to_csv(tmp_path/'products.csv', index=False)
    pd.DataFrame({'order_id': ['o1', 'o2', 'o3'], 'product_id': ['p1', 'p2', 'p2'], 'quantity': [1, 2, 1], 'unit_price': [9.5, 4.0, 4.0]}).to_csv(tmp_path/'items.csv', index=False)
    return tmp_path

def test_load_files_info_validate(capsys, user_files):
    d, out = user_files, user_files/'shop'
    mapping = json.dumps({'products': {'path': str(d/'products.csv'), 'columns': {'product_id': 'id', 'category': 'cat'}}})
    rc, o, e = run(capsys, 'data', 'load', 'files', f"customers={d/'customers.csv'}", f"orders={d/'orders.parquet'}",
                   f"order_items={d/'items.csv'}", '--option', f'mapping={mapping}', '--out', out, '--name', 'mine')
    assert rc == 0, e
    assert 'saved' in o and str(out) in o
    shop = Shop.load(out)
    assert shop.name == 'mine' and shop.table_names == ['customers', 'products', 'orders', 'order_items']
    assert shop.products.category.tolist() == ['toys', 'books']
    rc, o, e = run(capsys, 'data', 'info', out)
    assert rc == 0
    assert 'mine' in o and shop.content_hash in o and '2024-01-01 10:00:00 .. 2024-03-05 12:00:00' in o
    rc, o, e = run(capsys, 'data', 'info', out, '--json')
    man = json.loads(o)
    assert man['rows'] == {'customers': 2, 'products': 2, 'orders': 3, 'order_items': 3}
    assert man['date_ranges'] == {'orders': ['2024-01-01 10:00:00', '2024-03-05 12:00:00']}
    rc, o, e = run(capsys, 'data', 'validate', out)
    assert rc == 0 and o.startswith('ok:')
    rc, o, e = run(capsys, 'data', 'validate', out/'manifest.json')
    assert rc == 0
    rc, o, e = run(capsys, 'data', 'validate', d/'items.csv', '--table', 'order_items')
    assert rc == 0 and 'valid order_items table (3 rows' in o
    rc, o, e = run(capsys, 'data', 'validate', d/'items.csv')
    assert rc == 1 and "cannot tell which table" in e and '--table' in e

def test_load_errors(capsys, user_files):
    d = user_files
    rc, o, e = run(capsys, 'data', 'load', 'files', str(d/'orders.parquet'), '--out', d/'x')
    assert rc == 1 and 'TABLE=PATH' in e
    rc, o, e = run(capsys, 'data', 'load', 'cdnow', d/'a.txt', d/'b.txt', '--out', d/'x')
    assert rc == 1 and 'reads one file' in e
    rc, o, e = run(capsys, 'data', 'load', 'reviews', d/'orders.parquet', '--option', 'stars=Rating', '--out', d/'x')
    assert rc == 1 and "unknown option(s) ['stars']" in e and 'rating' in e
    rc, o, e = run(capsys, 'data', 'load', 'reviews', '--out', d/'x')
    assert rc == 1 and 'needs an input file' in e
    assert not (d/'x').exists()

def test_load_default_out(capsys, user_files, monkeypatch):
    monkeypatch.setenv('SHOPNB_DATA', str(user_files/'data'))
    (user_files/'r.csv').write_text('Clothing ID,Review Text,Rating\n1,great,5\n2,bad,1\n')
    rc, o, e = run(capsys, 'data', 'load', 'reviews', user_files/'r.csv')
    assert rc == 0 and (user_files/'data'/'reviews'/'manifest.json').exists()

# --- synth: CLI plumbing (with a stand-in generator) and the real synthetic shop -------------------------------

def test_synth_plumbing(capsys, tmp_path, monkeypatch):
    calls = []
    def fake(**kw):
        calls.append(kw)
        return Shop.from_tables({'customers': pd.DataFrame({'customer_id': [str(kw['seed'])]})}, name='synthetic')
    monkeypatch.setitem(datasets.LOADERS, 'synthetic', fake)
    out = tmp_path/'syn'
    rc, o, e = run(capsys, 'data', 'synth', '--seed', 3, '--customers', 50, '--days', 30, '--option', 'n_products=20', '--out', out)
    assert rc == 0 and calls[-1] == dict(seed=3, n_customers=50, days=30, n_products=20)
    assert Shop.load(out).customers.customer_id.tolist() == ['3']
    rc, o, e = run(capsys, 'data', 'synth', '--small', '--out', out)
    assert rc == 0 and calls[-1] == dict(seed=0, small=True)
    mtime = (out/'manifest.json').stat().st_mtime_ns
    rc, o, e = run(capsys, 'data', 'synth', '--if-missing', '--out', out)
    assert rc == 0 and 'skipping' in o and len(calls) == 2 and (out/'manifest.json').stat().st_mtime_ns == mtime
    (out/'customers.parquet').unlink()  # no longer a valid shop: --if-missing rebuilds it
    rc, o, e = run(capsys, 'data', 'synth', '--if-missing', '--out', out)
    assert rc == 0 and len(calls) == 3 and (out/'customers.parquet').exists()
    monkeypatch.setenv('SHOPNB_DATA', str(tmp_path/'data'))
    rc, o, e = run(capsys, 'data', 'synth', '--small')
    assert rc == 0 and (tmp_path/'data'/'synthetic'/'manifest.json').exists()

def test_synth_round_trip(capsys, tmp_path):
    pytest.importorskip('shopnb.synthetic', reason='shopnb.synthetic (nbs/03_synthetic.ipynb) is not exported')
    out = tmp_path/'syn'
    rc, o, e = run(capsys, 'data', 'synth', '--small', '--out', out)
    assert rc == 0, e
    man = read_manifest(out)
    assert set(man['tables']) >= {'customers', 'products', 'orders', 'order_items'} and all(v > 0 for v in man['rows'].values())
    rc, o, e = run(capsys, 'data', 'validate', out)
    assert rc == 0 and o.startswith('ok:')
    rc, o, e = run(capsys, 'data', 'info', out)
    assert rc == 0 and man['content_hash'] in o and 'orders' in o
    rc, o, e = run(capsys, 'data', 'synth', '--small', '--out', out, '--if-missing')
    assert rc == 0 and 'skipping' in o
    rc, o, e = run(capsys, 'data', 'synth', '--small', '--out', tmp_path/'again')
    assert read_manifest(tmp_path/'again')['content_hash'] == man['content_hash']  # same seed, same shop
    rc, o, e = run(capsys, 'data', 'synth', '--small', '--seed', 1, '--out', tmp_path/'seed1')
    assert rc == 0 and read_manifest(tmp_path/'seed1')['content_hash'] != man['content_hash']
