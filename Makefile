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

.PHONY: install reports data test test-sync test-nbs test-py bench clean

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
BENCHES ?= behavior recommend sentiment forecast

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
