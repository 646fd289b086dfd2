# `make run` serves the demo site, `make test` runs the whole suite.
# DATABASE_URL (e.g. postgres://postgres@127.0.0.1:5432/progress) switches to PostgreSQL.
# `make serve` is production (DEBUG off; needs SECRET_KEY and ALLOWED_HOSTS, see README),
# `make bench` measures it against PostgreSQL on this machine (docs/performance.md).

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8000
STAMP := $(VENV)/.installed
BENCH_STAMP := $(VENV)/.installed-bench
# IMS Global's Open Badges validator, for the credentials tests: its own environment,
# since its pins break Django's (requirements/validator.txt).
VALIDATOR := .venv-validator
VALIDATOR_STAMP := $(VALIDATOR)/.installed
# gunicorn's control socket is one fixed path per user: two servers on a host would fight
# over it, and nothing here uses it (--no-control-socket).
# Sync workers: one request at a time each, so 3 keep 2 cores busy while one waits on
# PostgreSQL. Raise to about 2 x cores + 1 on a bigger machine.
WORKERS ?= 3
BIND ?= 127.0.0.1:$(PORT)
# Names the code in cache keys, so a deployment never serves pages the previous one
# rendered (settings.RELEASE).
RELEASE ?= $(shell git rev-parse --short HEAD 2>/dev/null || echo unknown)

.PHONY: run test lint format migrate serve bench bench-scale bench-insights clean

$(BIN)/python:
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 12) else 1)' || { \
		echo "Python 3.12 or newer is needed (Django 6.1); '$(PYTHON)' is $$($(PYTHON) --version 2>&1)." >&2; \
		echo "Install 3.12+ or run: make PYTHON=python3.13 ..." >&2; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	@touch $(STAMP)

$(VALIDATOR_STAMP): requirements/validator.txt | $(BIN)/python
	$(PYTHON) -m venv $(VALIDATOR)
	$(VALIDATOR)/bin/python -m pip install --quiet --no-deps -r requirements/validator.txt
	@touch $(VALIDATOR_STAMP)

migrate: $(STAMP)
	$(BIN)/python manage.py migrate --noinput

run: migrate
	$(BIN)/python manage.py seed_demo
	$(BIN)/python manage.py runserver 127.0.0.1:$(PORT)

serve: $(STAMP)
	DEBUG=0 $(BIN)/python manage.py collectstatic --noinput --verbosity 0
	DEBUG=0 $(BIN)/python manage.py migrate --noinput
	DEBUG=0 RELEASE=$(RELEASE) $(BIN)/gunicorn progress_site.wsgi --bind $(BIND) --workers $(WORKERS) \
		--error-logfile - --graceful-timeout 20 --no-control-socket

# The task worker production needs beside `make serve` (backfills, lesson-edit follow-ups).
worker: $(STAMP)
	DEBUG=0 RELEASE=$(RELEASE) $(BIN)/python manage.py db_worker

$(BENCH_STAMP): $(STAMP)
	$(BIN)/python -m pip install --quiet -e ".[dev,bench]"
	@touch $(BENCH_STAMP)

bench: $(BENCH_STAMP)
	$(BIN)/python benchmarks/run.py $(BENCH_ARGS)

# A database of 100,000 learners (benchmarks/scale.py), e.g.
# make bench-scale BENCH_ARGS="--learners 2000 --database progress_scale_2k --keep"
bench-scale: $(BENCH_STAMP)
	$(BIN)/python benchmarks/scale.py $(BENCH_ARGS)

# Course insights' pages and CSV exports against a database bench-scale kept, e.g.
# make bench-insights BENCH_ARGS="--database progress_scale_100k"
# (DEBUG off serves static files from the manifest collectstatic writes).
bench-insights: $(BENCH_STAMP)
	DEBUG=0 SECRET_KEY=bench ALLOWED_HOSTS=testserver $(BIN)/python manage.py collectstatic \
		--noinput --verbosity 0
	$(BIN)/python benchmarks/insights_scale.py $(BENCH_ARGS)

test: $(STAMP) $(VALIDATOR_STAMP)
	$(BIN)/python -m pytest $(PYTEST_ARGS)

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(STAMP)
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

clean:
	rm -rf $(VENV) $(VALIDATOR) db.sqlite3 staticfiles .pytest_cache
