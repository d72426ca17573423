# One command per job. `make help` lists them.
#   make setup  - venv + pinned Python deps, npm ci (Pyodide), Debian chromium, Pyodide test wheels
#   make test   - unit tests in CPython, the same tests inside Pyodide, then browser tests
#   make serve  - live-reloading site on http://127.0.0.1:8000 (PORT=8001 for another port)
#   make build  - the site, strictly, into site/, for SITE_URL (needs Python and Node only)
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
# `make serve` listens here; the site is built for SITE_URL (mkdocs.yml reads it), by default
# this local address: set it to where the site is deployed, e.g.
# `make build SITE_URL=https://example.org/runbook/`.
PORT ?= 8000
SITE_URL ?= http://127.0.0.1:$(PORT)/
export SITE_URL
SITE_DIR ?= site
# The site's generator: MkDocs, or ProperDocs (its maintained fork), each a dependency group of
# pyproject.toml; `make build GENERATOR=properdocs`. The build's own steps run after it
# (`python -m sitebuild postbuild`): the site needs no generator hook.
GENERATORS := mkdocs properdocs
GENERATOR ?= mkdocs
ifeq ($(filter $(GENERATOR),$(GENERATORS)),)
$(error GENERATOR=$(GENERATOR) is not one of: $(GENERATORS))
endif
ALL_GROUPS := tests docs properdocs dev
# deploy/nginx.conf is written for a build at this address (make nginx-conf).
NGINX_EXAMPLE_URL := https://example.org/runbook/
SUDO := $(if $(filter 0,$(shell id -u)),,sudo)

export PIP_DISABLE_PIP_VERSION_CHECK := 1
# This machine's pip config lists extra local indexes that do not all exist; drop that noise.
PIP_NOISE := grep -v --line-buffered "is ignored: it is neither a file nor a directory" || true

section = @printf '\n==== %s ====\n' "$(1)"
comma := ,

.PHONY: stdlib-keep help setup site-tools site-python python-env node-env chromium nginx \
	pyodide-wheels test clean-reports test-cpython test-pyodide test-browser test-team-org serve \
	build nginx-conf bench golden \
	lint clean

help:
	@echo "make setup   install everything (idempotent; fast when done)"
	@echo "make test    setup, then unit tests in CPython, the same in Pyodide, then browser tests"
	@echo "make serve   the site with live reload on http://127.0.0.1:PORT (PORT=8000)"
	@echo "make build   the site with --strict into site/, for SITE_URL (see the Deploy page);"
	@echo "             GENERATOR=properdocs builds with ProperDocs instead of MkDocs"
	@echo "make nginx-conf  write deploy/nginx.conf from a build for $(NGINX_EXAMPLE_URL)"
	@echo "make bench   setup, then the load benchmark (BENCH_ARGS=\"--runs 3\" to pass options)"
	@echo "make golden  rewrite the golden files from the code (then review git diff)"
	@echo "make test-team-org  the suite again with a team's org file and template (TEAM_ORG)"
	@echo "make lint    ruff check + ruff format --check, mypy --strict, ESLint"
	@echo "make clean   remove .cache/, site/ and node_modules/ (keeps .venv)"

# ---------------------------------------------------------------- set-up

# Everything, for the tests; building or serving the site needs Python and Node only, and of
# Python only the generator's dependency group and the project (site-tools).
setup: python-env site-tools chromium nginx pyodide-wheels
site-tools: site-python node-env

python-env: $(VENV)/.installed
site-python: $(VENV)/.installed-$(GENERATOR)
node-env: node_modules/.installed
pyodide-wheels: $(PYODIDE_WHEELS)/.installed

define venv
	@if ! $(PY) -c '' 2>/dev/null; then $(BASE_PYTHON) -m venv --clear $(VENV); fi
	@$(PY) -m pip install -q "pip==$(PIP_VERSION)" 2>&1 | { $(PIP_NOISE); }
endef

# Building: the generator's group (docs for MkDocs; properdocs) and the project, no test tools.
$(VENV)/.installed-%: pyproject.toml
	$(call section,set-up: Python venv $(VENV) with group(s) docs $(filter-out docs mkdocs,$*) and the project editable)
	$(venv)
	@$(PY) -m pip install -q --group docs $(addprefix --group ,$(filter-out docs mkdocs,$*)) -e . \
		2>&1 | { $(PIP_NOISE); }
	@touch $@

# Everything: the tests (which also build with ProperDocs), the docs and the dev tools.
$(VENV)/.installed: pyproject.toml
	$(call section,set-up: Python venv $(VENV) with groups $(ALL_GROUPS) and the project editable)
	$(venv)
	@$(PY) -m pip install -q $(addprefix --group ,$(ALL_GROUPS)) -e . 2>&1 | { $(PIP_NOISE); }
	@touch $@ $(addprefix $(VENV)/.installed-,$(GENERATORS))

node_modules/.installed: package.json package-lock.json
	$(call section,set-up: npm ci (Pyodide and terser for the site; axe-core and ESLint for the tests and lint))
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

# Debian's nginx, for the tests that serve the site with the nginx recipe (tests/test_nginx.py,
# tests/test_browser_nginx.py start their own on a free port; the system's is left alone).
nginx:
	@if ! command -v nginx >/dev/null && [ ! -x /usr/sbin/nginx ]; then \
		printf '\n==== set-up: apt-get install nginx ====\n'; \
		export DEBIAN_FRONTEND=noninteractive; \
		$(SUDO) apt-get update -q && $(SUDO) apt-get install -y -q nginx; \
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
	$(call section,[2/3] the browser engine under Node: the wheel the site publishes (compiled)$(comma) with Pyodide's stdlib then with the trimmed one it publishes)
	@$(PY) -m sitebuild wheel $(CACHE)/wheel-published
	@$(PY) -m sitebuild stdlib $(CACHE)/python_stdlib.published.zip
	@$(PY) -m sitebuild stdlib $(CACHE)/python_stdlib.loadpackage.zip --also $(LOADPACKAGE_KEEP)
	@node tests/pyodide/engine_check.mjs $(CACHE)/wheel-published/runbook_core-*.whl --keep sitebuild/stdlib-keep.txt --keep-loadpackage $(LOADPACKAGE_KEEP)
	@node tests/pyodide/engine_check.mjs $(CACHE)/wheel-published/runbook_core-*.whl $(TRIMMED_STDLIB)

# The modules the engine imports: the standard library the site publishes is trimmed to these.
# The others that Pyodide's loadPackage imports, for the benchmark's floor and peer (they install
# the wheel with it): bench/stdlib-loadpackage.txt.
LOADPACKAGE_KEEP = bench/stdlib-loadpackage.txt
TRIMMED_STDLIB = --stdlib $(CACHE)/python_stdlib.published.zip --loadpackage-stdlib $(CACHE)/python_stdlib.loadpackage.zip
stdlib-keep: setup
	@$(PY) -m sitebuild wheel $(CACHE)/wheel-published
	@node tests/pyodide/engine_check.mjs $$(ls $(CACHE)/wheel-published/runbook_core-*.whl) --list-modules > $(CACHE)/stdlib-modules.txt
	@node tests/pyodide/engine_check.mjs $$(ls $(CACHE)/wheel-published/runbook_core-*.whl) --list-loadpackage-modules > $(CACHE)/stdlib-loadpackage.txt
	@{ grep '^#' sitebuild/stdlib-keep.txt; cat $(CACHE)/stdlib-modules.txt; } > sitebuild/stdlib-keep.txt.tmp
	@mv sitebuild/stdlib-keep.txt.tmp sitebuild/stdlib-keep.txt
	@{ grep '^#' $(LOADPACKAGE_KEEP); cat $(CACHE)/stdlib-loadpackage.txt; } > $(LOADPACKAGE_KEEP).tmp
	@mv $(LOADPACKAGE_KEEP).tmp $(LOADPACKAGE_KEEP)
	@git diff --stat -- sitebuild/stdlib-keep.txt $(LOADPACKAGE_KEEP)

# The browser fixtures (tests/browser_support.py) build and serve the site themselves, on a
# free port, so they run beside `make serve` or another site.
test-browser: setup
	$(call section,[3/3] browser tests: pytest -m browser (headless Debian chromium))
	@$(PY) -m pytest --ignore=tests/pyodide -m browser --junitxml=$(REPORTS)/browser.xml

# The suite again as a team that adopted the runbook (tests/data/acme/: its own words, its own
# template with an added section, its golden files in golden/ beside it): CPython, Pyodide and
# one whole incident in the browser. CI runs it after `make test` (.ci/run).
TEAM_ORG ?= tests/data/acme/org.toml
TEAM_BROWSER_TESTS ?= tests/test_browser_walkthrough.py::test_rollback_failed_requires_escalation_then_records_it
test-team-org: setup
	$(call section,the suite as a team: RUNBOOK_ORG=$(TEAM_ORG) - CPython$(comma) Pyodide$(comma) one browser incident)
	@RUNBOOK_ORG=$(TEAM_ORG) $(PY) -m pytest $(UNIT_ARGS) -q --junitxml=$(REPORTS)/team-cpython.xml
	@RUNBOOK_ORG=$(TEAM_ORG) node tests/pyodide/run_pytest.mjs --junitxml=$(REPORTS)/team-pyodide.xml
	@$(PY) -m sitebuild wheel $(CACHE)/wheel-published
	@$(PY) -m sitebuild stdlib $(CACHE)/python_stdlib.published.zip
	@$(PY) -m sitebuild stdlib $(CACHE)/python_stdlib.loadpackage.zip --also $(LOADPACKAGE_KEEP)
	@RUNBOOK_ORG=$(TEAM_ORG) node tests/pyodide/engine_check.mjs $(CACHE)/wheel-published/runbook_core-*.whl $(TRIMMED_STDLIB)
	@RUNBOOK_ORG=$(TEAM_ORG) $(PY) -m pytest --ignore=tests/pyodide -m browser $(TEAM_BROWSER_TESTS) \
		--junitxml=$(REPORTS)/team-browser.xml

# ---------------------------------------------------------------- site

# Material's instant navigation engages only at the site_url's origin: SITE_URL follows PORT.
# mkdocs.serve.yml is mkdocs.yml plus a hook running the post-build step in the dev server.
serve: site-tools
	$(PY) -m $(GENERATOR) serve -f mkdocs.serve.yml -a 127.0.0.1:$(PORT) --livereload \
		--watch runbook_core --watch overrides --watch mkdocs.yml

# The generator writes the pages; the build's own steps (the wheel, Pyodide, the stdlib, the
# policy, the headers, the offline list) run after it, on the folder it wrote.
build: site-tools
	@case "$(SITE_URL)" in http://127.0.0.1:*) echo "note: building for $(SITE_URL) (local); \
	for a deploy: make build SITE_URL=https://your.host/path/" ;; esac
	$(PY) -m $(GENERATOR) build --strict -f mkdocs.yml -d $(SITE_DIR)
	$(PY) -m sitebuild postbuild $(SITE_DIR)

# The example nginx recipe, from a build for NGINX_EXAMPLE_URL (its Content-Security-Policy);
# tests/test_site_build.py fails when deploy/nginx.conf is older than the build's policy.
nginx-conf: site-tools
	$(MAKE) build SITE_URL=$(NGINX_EXAMPLE_URL) SITE_DIR=$(CACHE)/site-nginx-example
	$(PY) -m sitebuild nginx $(CACHE)/site-nginx-example > deploy/nginx.conf.tmp
	mv deploy/nginx.conf.tmp deploy/nginx.conf

# Builds and serves the site itself (a free port), headless Chromium; a benchmark, not a test:
# exits 0 whatever the numbers unless BENCH_ARGS=--check.
BENCH_ARGS ?=
bench: setup
	$(PY) bench/run.py $(BENCH_ARGS)

# Rewrites every golden file (example records, tickets in each format, messages, the record's
# JSON Schema) from the code; review `git diff` after. Run it after an intended change to the
# rules, texts, template, scenarios or the org file. With RUNBOOK_ORG (a team's org file) it
# writes that org's own golden files (RUNBOOK_GOLDEN_DIR, else golden/ beside the org file),
# never the tracked ones; without, it also rewrites this project's team fixture's (TEAM_ORG).
golden: python-env
	$(PY) -m tests.golden
	@if [ -z "$${RUNBOOK_ORG:-}" ]; then RUNBOOK_ORG=$(TEAM_ORG) $(PY) -m tests.golden; fi

# ruff, then the type checker (mypy, configured in pyproject.toml), then ESLint
# (eslint.config.js) on every JavaScript file.
lint: python-env node-env
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .
	$(PY) -m mypy
	node_modules/.bin/eslint --max-warnings 0 .

clean:
	rm -rf $(CACHE) site node_modules
