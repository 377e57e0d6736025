# Every target bootstraps what it needs: uv (if missing), then the locked environment.
SHELL := /bin/bash
PYTHON ?= python3
# uv from PATH, else a private copy bootstrapped into .tools/ (a venv, so it works even where
# the system Python refuses user-level pip installs).
UV := $(shell command -v uv 2>/dev/null || echo $(CURDIR)/.tools/bin/uv)
VENV := .venv
RUN := $(VENV)/bin
export ORCH_DATA_DIR ?= $(CURDIR)/data
export ORCH_LANDING_DIR ?= $(ORCH_DATA_DIR)/landing
export ORCH_LAKE_DIR ?= $(ORCH_DATA_DIR)/lake
export ORCH_QUARANTINE_DIR ?= $(ORCH_DATA_DIR)/quarantine
export ORCH_WAREHOUSE_DIR ?= $(ORCH_DATA_DIR)/warehouse
export DAGSTER_HOME ?= $(ORCH_DATA_DIR)/dagster_home

.PHONY: help env demo pipeline test lint format bench dev docs clean chromium

help:
	@echo "make demo      sample feeds, full pipeline, published snapshot, then the scorecard"
	@echo "make pipeline  the same without serving"
	@echo "make test      linters and the whole test suite"
	@echo "make lint      ruff and sqlfluff"
	@echo "make bench     throughput report in reports/bench.md"
	@echo "make dev       dagster dev -w workspace.yaml"

$(UV):
	$(PYTHON) -m venv .tools
	.tools/bin/pip install --quiet uv

$(VENV)/.synced: pyproject.toml uv.lock | $(UV)
	$(UV) sync --frozen
	@touch $@

env: $(VENV)/.synced

$(DAGSTER_HOME):
	@mkdir -p $@ $(ORCH_WAREHOUSE_DIR)

pipeline: env | $(DAGSTER_HOME)
	$(RUN)/orch pipeline

demo: pipeline
	@echo "Serving the scorecard on http://localhost:8501 (Ctrl-C stops it)."
	$(RUN)/streamlit run app/main.py --server.port 8501

lint: env | $(DAGSTER_HOME)
	$(RUN)/ruff check .
	$(RUN)/ruff format --check .
	@if [ -d dbt_project/models ]; then $(RUN)/sqlfluff lint dbt_project/models; fi

format: env
	$(RUN)/ruff check --fix .
	$(RUN)/ruff format .

# The browser test drives Debian's chromium (never a browser a test tool downloads).
chromium:
	@command -v chromium >/dev/null 2>&1 || { apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; }

test: lint chromium
	$(RUN)/pytest

bench: env
	$(RUN)/orch bench

docs: env
	$(RUN)/orch docs

dev: env | $(DAGSTER_HOME)
	$(RUN)/dagster dev -w workspace.yaml

clean:
	rm -rf data reports $(VENV) .tools
