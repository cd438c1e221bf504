# shopnb: `make reports` runs the main job, `make test` the whole test suite.
# Both create .venv when missing and install the package (editable, with dev extras).
SHELL := /bin/bash
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
BIN := $(VENV)/bin
STAMP := $(VENV)/.shopnb-installed
JOBS ?= 2
export PYTHONHASHSEED := 0
export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1
export TOKENIZERS_PARALLELISM := false
export MPLBACKEND := Agg

.PHONY: install reports data test test-sync test-nbs test-py bench clean vendor docs check

install: $(STAMP)

$(STAMP): settings.ini setup.py
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e ".[dev]"
	@touch $(STAMP)

data: install
	$(BIN)/shopnb data synth --if-missing

reports: data
	$(BIN)/shopnb report run --all -j $(JOBS)

# The library documentation: every notebook in nbs/ executed and rendered into site/docs/ (linked from the site index).
docs: install
	$(BIN)/shopnb docs

# Open every page of the site in headless Chromium (Debian: apt-get install chromium); screenshots in site/_checks/.
check: install
	$(BIN)/shopnb report check

test: install test-sync test-nbs test-py

test-sync: install
	$(PY) -m pytest -q -p no:cacheprovider tests/test_sync.py

test-nbs: install
	$(BIN)/nbdev_test --n_workers $(JOBS) --do_print

test-py: install
	$(PY) -m pytest -q -p no:cacheprovider -n $(JOBS) --dist loadfile --ignore=tests/test_sync.py tests

# Benchmarks against peer libraries (their own environment, pandas < 3); QUICK=1 for one seed.
SHARED_DATA ?= ../shared/data
PEERS := bench/peers/.venv
BENCHES ?= behavior clv recommend sentiment forecast

$(PEERS)/.installed: bench/peers/requirements.txt
	@test -x $(PEERS)/bin/python || $(PYTHON) -m venv $(PEERS)
	$(PEERS)/bin/python -m pip install -q --upgrade pip
	$(PEERS)/bin/python -m pip install -q -r bench/peers/requirements.txt
	@touch $@

bench: install $(PEERS)/.installed
	@set -e; for b in $(BENCHES); do echo "== bench/$$b.py"; $(PY) bench/$$b.py --data $(SHARED_DATA) $(if $(QUICK),--quick); done

clean:
	rm -rf site _proc _docs .pytest_cache
	find . -name __pycache__ -prune -exec rm -rf {} +

# Browser assets embedded in the pages (shopnb/assets/README.md): fetch the pinned packages from the npm registry again.
vendor:
	@set -e; d=$$(mktemp -d); cd $$d; npm pack -s uplot@1.6.32 tablesort@5.7.1 >/dev/null; for f in *.tgz; do mkdir -p $${f%.tgz}; tar xzf $$f -C $${f%.tgz} --strip-components 1; done; \
	cp uplot-1.6.32/dist/uPlot.iife.min.js uplot-1.6.32/dist/uPlot.min.css tablesort-5.7.1/dist/tablesort.min.js tablesort-5.7.1/dist/sorts/tablesort.number.min.js $(CURDIR)/shopnb/assets/; \
	cp uplot-1.6.32/LICENSE $(CURDIR)/shopnb/assets/LICENSE.uplot; cp tablesort-5.7.1/LICENCE $(CURDIR)/shopnb/assets/LICENSE.tablesort; rm -rf $$d
