# The two commands of the README (`make run`, `make test`) do all the set-up themselves:
# they create .venv from uv.lock when it is missing or stale.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.synced-$(shell cat uv.lock pyproject.toml | cksum | cut -d' ' -f1)
export UV_PROJECT_ENVIRONMENT := $(abspath $(VENV))

.PHONY: run test dev emulate checks benchmark clean-data lock help

help:
	@echo "make run   - materialize the whole pipeline for every tenant on the embedded default"
	@echo "make test  - run the whole test suite (SQLite and PostgreSQL)"
	@echo "make dev   - start the Dagster UI on the same embedded default"

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check uv==0.13.9

$(STAMP): uv.lock pyproject.toml | $(BIN)/python
	$(BIN)/uv sync --frozen --quiet
	rm -f $(VENV)/.synced-*; touch $(STAMP)

run: $(STAMP)
	$(BIN)/crm-pipelines run

test: $(STAMP)
	$(BIN)/python -m pytest -n 2 --dist loadgroup -q

dev: $(STAMP)
	$(BIN)/crm-pipelines dev

emulate: $(STAMP)
	$(BIN)/crm-pipelines emulate

checks: $(STAMP)
	$(BIN)/crm-pipelines checks

benchmark: $(STAMP)
	$(BIN)/python benchmarks/run_all.py

lock:
	uv lock
