# One command per job. `make help` lists them.
#   make setup  - venv + pinned Python deps, npm ci (Pyodide), Debian chromium, Pyodide test wheels
#   make test   - unit tests in CPython, the same tests inside Pyodide, then browser tests
#   make serve  - live-reloading site on http://127.0.0.1:8000
#   make build  - the site, strictly, into site/
#   make bench  - the load benchmark (bench/run.py): prints a table, writes bench/results.json

SHELL := /bin/bash
.SHELLFLAGS := -euo pipefail -c
.DEFAULT_GOAL := help
.NOTPARALLEL:
.DELETE_ON_ERROR:
MAKEFLAGS += --no-builtin-rules

BASE_PYTHON ?= python3
# pip >= 25.1 understands [dependency-groups] (`pip install --group`); the venv's own pip may be older.
PIP_VERSION := 26.3
VENV := .venv
PY := $(VENV)/bin/python
CACHE := .cache
PYODIDE_WHEELS := $(CACHE)/pyodide-wheels
PYODIDE_REQUIREMENTS := tests/pyodide/requirements.txt
REPORTS := $(CACHE)/reports
# Unit tests: everything under tests/ except browser tests and the Pyodide harness.
UNIT_ARGS := --ignore=tests/pyodide -m "not browser"
SUDO := $(if $(filter 0,$(shell id -u)),,sudo)

export PIP_DISABLE_PIP_VERSION_CHECK := 1
# This machine's pip config lists extra local indexes that do not all exist; drop that noise.
PIP_NOISE := grep -v --line-buffered "is ignored: it is neither a file nor a directory" || true

section = @printf '\n==== %s ====\n' "$(1)"

.PHONY: stdlib-keep help setup python-env node-env chromium pyodide-wheels \
	test clean-reports test-cpython test-pyodide test-browser serve build bench lint clean

help:
	@echo "make setup   install everything (idempotent; fast when done)"
	@echo "make test    setup, then unit tests in CPython, the same in Pyodide, then browser tests"
	@echo "make serve   setup, then the site with live reload on http://127.0.0.1:8000"
	@echo "make build   setup, then the site with --strict into site/"
	@echo "make bench   setup, then the load benchmark (BENCH_ARGS=\"--runs 3\" to pass options)"
	@echo "make lint    ruff check + ruff format --check"
	@echo "make clean   remove .cache/, site/ and node_modules/ (keeps .venv)"

# ---------------------------------------------------------------- set-up

setup: python-env node-env chromium pyodide-wheels

python-env: $(VENV)/.installed
node-env: node_modules/.installed
pyodide-wheels: $(PYODIDE_WHEELS)/.installed

$(VENV)/.installed: pyproject.toml
	$(call section,set-up: Python venv $(VENV) with groups tests+docs+dev and the project editable)
	@if ! $(PY) -c '' 2>/dev/null; then $(BASE_PYTHON) -m venv --clear $(VENV); fi
	@$(PY) -m pip install -q "pip==$(PIP_VERSION)" 2>&1 | { $(PIP_NOISE); }
	@$(PY) -m pip install -q --group tests --group docs --group dev -e . 2>&1 | { $(PIP_NOISE); }
	@touch $@

node_modules/.installed: package.json package-lock.json
	$(call section,set-up: npm ci (pyodide))
	@npm ci --no-audit --no-fund --loglevel=error
	@touch $@

# Debian's chromium for the browser tests (Playwright drives it; no browser download), and a
# colour emoji font so the screenshots show the declaration's 🚨 instead of an empty box.
chromium:
	@if ! command -v chromium >/dev/null || [ ! -d /usr/share/fonts/truetype/noto ]; then \
		printf '\n==== set-up: apt-get install chromium fonts-noto-color-emoji ====\n'; \
		export DEBIAN_FRONTEND=noninteractive; \
		$(SUDO) apt-get update -q && $(SUDO) apt-get install -y -q chromium fonts-noto-color-emoji; \
	fi

$(PYODIDE_WHEELS)/.installed: $(PYODIDE_REQUIREMENTS) | python-env
	$(call section,set-up: pure-Python wheels for pytest in Pyodide -> $(PYODIDE_WHEELS))
	@rm -rf $(PYODIDE_WHEELS)
	@$(PY) -m pip download -q --only-binary=:all: --python-version 3.14 --platform any --no-deps \
		-d $(PYODIDE_WHEELS) -r $(PYODIDE_REQUIREMENTS) 2>&1 | { $(PIP_NOISE); }
	@touch $@

# ---------------------------------------------------------------- tests

# Prerequisites run left to right (.NOTPARALLEL), failing fast; `make -k test` runs all three.
# The last line sums the three runs from their JUnit reports.
test: setup clean-reports test-cpython test-pyodide test-browser
	$(call section,summary)
	@$(PY) .ci/summary.py $(REPORTS)/cpython.xml $(REPORTS)/pyodide.xml $(REPORTS)/browser.xml

clean-reports:
	@rm -rf $(REPORTS)

test-cpython: setup
	$(call section,[1/3] unit tests in CPython: pytest -m 'not browser')
	@$(PY) -m pytest $(UNIT_ARGS) --junitxml=$(REPORTS)/cpython.xml

test-pyodide: setup
	$(call section,[2/3] the same unit tests inside Pyodide under Node - on the built wheel)
	@node tests/pyodide/run_pytest.mjs --junitxml=$(REPORTS)/pyodide.xml
	$(call section,[2/3] the browser engine under Node: full, and the trimmed precompiled stdlib the site publishes)
	@$(PY) -m sitebuild stdlib $(CACHE)/python_stdlib.published.zip
	@node tests/pyodide/engine_check.mjs $(CACHE)/wheel/runbook_core-*.whl
	@node tests/pyodide/engine_check.mjs $(CACHE)/wheel/runbook_core-*.whl --stdlib $(CACHE)/python_stdlib.published.zip

# The modules the engine imports, for the trimmed standard library the site publishes.
stdlib-keep: setup
	@node tests/pyodide/engine_check.mjs $$(ls $(CACHE)/wheel/runbook_core-*.whl) --list-modules > $(CACHE)/stdlib-modules.txt
	@echo "Merge $(CACHE)/stdlib-modules.txt into sitebuild/stdlib-keep.txt (keep the hand-added lines), then run make test."

# The browser fixtures (tests/browser_support.py) build and serve the site themselves, on a
# free port, so they run beside `make serve` or another site.
# TODO(browser tests): exit 5 ("no tests collected") is tolerated only until the first
# @pytest.mark.browser test lands; then remove the tolerance so a lost browser suite fails CI.
test-browser: setup
	$(call section,[3/3] browser tests: pytest -m browser (headless Debian chromium))
	@$(PY) -m pytest --ignore=tests/pyodide -m browser --junitxml=$(REPORTS)/browser.xml

# ---------------------------------------------------------------- site

serve: setup
	$(PY) -m mkdocs serve -a 127.0.0.1:8000 --livereload --watch runbook_core --watch overrides

build: setup
	$(PY) -m mkdocs build --strict -d site

# Builds and serves the site itself (a free port), headless Chromium; a benchmark, not a test:
# exits 0 whatever the numbers unless BENCH_ARGS=--check.
BENCH_ARGS ?=
bench: setup
	$(PY) bench/run.py $(BENCH_ARGS)

lint: setup
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .

clean:
	rm -rf $(CACHE) site node_modules
