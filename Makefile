# The two commands of the README: `make run` (app with demo data) and `make test` (everything).
SHELL := /bin/bash
VENV := .venv
BIN := $(VENV)/bin
UV := $(shell command -v uv 2>/dev/null || echo .tools/bin/uv)
CHROMIUM := /usr/bin/chromium
# Where `make run` serves: `make run HOST=0.0.0.0 PORT=8080`.
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run test setup lint typecheck pytest chromium pango messages audit

run: setup pango
	$(BIN)/hamkor db upgrade
	$(BIN)/hamkor demo
	$(BIN)/hamkor serve --host $(HOST) --port $(PORT)

test: setup chromium pango lint typecheck pytest

setup: $(VENV)/.synced node_modules/.installed

.tools/bin/uv:
	python3 -m venv .tools
	.tools/bin/pip install --quiet --disable-pip-version-check uv==0.13.9

$(VENV)/.synced: pyproject.toml uv.lock | $(UV)
	$(UV) sync --frozen --all-groups
	touch $@

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

chromium:
	@test -x $(CHROMIUM) || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; }
	@test -x $(CHROMIUM) || { echo "Chromium is missing: apt-get install -y chromium (as root)"; exit 1; }

# WeasyPrint draws the PDF reports and letters with Pango, which Debian ships apart from Python.
pango:
	@ldconfig -p | grep -q libpangoft2-1.0 || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq libpango-1.0-0 libpangoft2-1.0-0 >/dev/null; }
	@ldconfig -p | grep -q libpangoft2-1.0 || { echo "Pango is missing: apt-get install -y libpangoft2-1.0-0 (as root)"; exit 1; }

lint:
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench

typecheck:
	$(BIN)/mypy

# pytest-xdist runs the suite on every core, a test module in one worker (its module fixtures
# built once); `make test WORKERS=0` runs it in one process.
WORKERS ?= auto
pytest:
	$(BIN)/pytest -n $(WORKERS) --dist loadfile $(PYTEST_ARGS)

messages: setup
	$(BIN)/hamkor messages update

# Known vulnerabilities in the locked dependencies: printed, never a gate (advisories change daily).
audit: setup
	-$(BIN)/pip-audit --progress-spinner off
	-npm audit --omit=dev
