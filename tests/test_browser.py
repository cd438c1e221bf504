"Every report of the default suite and the site index, opened in headless Chromium: no console errors, no failed or off-host requests, no horizontal overflow at 1,280 px, every chart drawn. Screenshots go to SITE/_checks/."
import os, shutil, subprocess
import pytest

from shopnb.browser import find_chromium, check_site
from shopnb.reports import list_reports, run_reports


def _chromium():
    "Chromium, installed with apt when missing and allowed (root on Debian, as in CI)."
    if find_chromium(): return find_chromium()
    if os.geteuid() == 0 and shutil.which('apt-get'):
        subprocess.run('apt-get update -qq && apt-get install -y -qq chromium', shell=True, capture_output=True, timeout=900)
    return find_chromium()


@pytest.fixture(scope='module')
def checked_site(small_shop_dir, tmp_path_factory):
    if not _chromium(): pytest.skip('no Chromium: install it (apt-get install chromium) to run the browser checks')
    site = tmp_path_factory.mktemp('browser')/'site'
    # the default suite with its training capped, so the pages are complete but quick to make
    grid = {'max_train': ['150'], 'epochs': ['1'], 'baselines': ['majority,tfidf'], 'max_score': ['300'], 'sasrec_epochs': ['2'], 'windows': ['2']}
    results = run_reports(None, grid, data_dir=small_shop_dir, out=site, only_applicable=True)
    assert all(r.status == 'ok' for r in results), [(r.report, r.error) for r in results if r.status != 'ok']
    return site, check_site(site)


def test_every_page_is_clean_in_a_browser(checked_site):
    site, results = checked_site
    pages = {r['page'] for r in results}
    assert 'index.html' in pages and {p.split('/')[0] for p in pages if p != 'index.html'} == set(list_reports())
    for r in results: assert r['problems'] == [], (r['page'], r['problems'])  # includes the 2 MB page budget
    assert sum(r['charts'] for r in results) >= 3  # daily orders, the forecast series and the forecast are interactive


def test_every_chart_is_drawn_and_shot(checked_site):
    site, results = checked_site
    for r in results:
        if r['page'] != 'index.html': assert r['images'] >= 1 and r['images_not_drawn'] == 0, r['page']
        assert (site/r['screenshot']).read_bytes()[:4] == b'\x89PNG'
