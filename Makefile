# Two commands for a newcomer: `make demo` and `make test` (README).
SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON ?= python3
# uv comes from PyPI the first time, into .tools/ (pip --target works on any Python,
# including Debian's externally-managed one); nothing is installed globally.
UV_LOCAL := $(CURDIR)/.tools/uv/bin/uv
UV := $(shell command -v uv 2>/dev/null || echo $(UV_LOCAL))
VENV_BIN := .venv/bin
export AR_HOME ?= $(CURDIR)/data
export DBT_SEND_ANONYMOUS_USAGE_STATS := false
export DO_NOT_TRACK := 1
# idle OpenMP threads sleep instead of spinning (scikit-learn beside dbt on few cores; docs/decisions.md)
export OMP_WAIT_POLICY ?= PASSIVE
SCALE ?= S
SEED ?= 42
FORMAT ?= csv
SOURCE ?= files

.PHONY: help install demo run ui up test lint format docs clean distclean

help:  ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-10s %s\n", $$1, $$2}'

$(UV_LOCAL):
	$(PYTHON) -m pip install --quiet --target $(CURDIR)/.tools/uv uv

.venv/.synced: pyproject.toml uv.lock | $(UV)
	$(UV) sync --frozen --compile-bytecode
	@touch $@

install: .venv/.synced  ## install everything from uv.lock (nothing else)

demo: install  ## generate demo ERP/CRM data, run the real Airflow DAGs, print the summary
	$(VENV_BIN)/ar-risk demo --scale $(SCALE) --seed $(SEED) --format $(FORMAT) --source $(SOURCE)

run: install  ## run the DAGs on $$AR_LANDING_DIR for $$AR_AS_OF (default today)
	$(VENV_BIN)/ar-risk run

# Two pytest-xdist workers, each test module whole on one worker (its module fixtures built
# once): 23 min on an idle 2-core machine (one process, TEST_WORKERS=0, about twice that)
# (docs/decisions.md, "Two test workers, one demo build"; docs/benchmarks.md).
TEST_WORKERS ?= 2

ui: install  ## Airflow UI (http://127.0.0.1:8080) and MLflow UI (:5000) on $$AR_HOME, DAGs paused; Ctrl-C stops
	$(VENV_BIN)/ar-risk ui

up: install  ## as ui, and the scheduler runs the daily schedule
	$(VENV_BIN)/ar-risk up

test: install  ## the whole test suite: lint, unit, dbt, end to end through Airflow
	$(VENV_BIN)/python -m pytest -n $(TEST_WORKERS) --dist loadscope --no-loadscope-reorder --durations=25

lint: install  ## ruff and sqlfluff only
	$(VENV_BIN)/python -m pytest tests/test_lint.py

format: install  ## apply ruff's formatting and fixes
	$(VENV_BIN)/ruff format . && $(VENV_BIN)/ruff check --fix .

docs: install  ## generate the dbt docs site under $$AR_HOME/dbt/target
	$(VENV_BIN)/ar-risk dbt-docs

clean:  ## remove $$AR_HOME (generated data, warehouse, publication, Airflow metadata)
	rm -rf "$(AR_HOME)"

distclean: clean  ## also remove the environment (.venv) and the bootstrapped uv (.tools)
	rm -rf .venv .tools

SCALES ?= S
.PHONY: bench deploy-check
bench: install  ## benchmarks: generate, extract, dbt build, train, score, publish, next day through Airflow (SCALES="S M L")
	$(VENV_BIN)/python benchmarks/run_all.py --scales $(SCALES)

deploy-check: install  ## docker-compose.yml through the Compose parser, and the DAGs on Celery/PostgreSQL/Redis as local processes
	$(VENV_BIN)/python -m pytest tests/test_deployment_compose.py tests/test_deployment_celery.py
