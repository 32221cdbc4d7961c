# Every target uses the project's own virtual environment, created on demand.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.DEFAULT_GOAL := help
.PHONY: help setup test lint format typecheck regenerate unit bench demo

help:
	@echo "make demo        run examples/quickstart.py against a local mock Trodo server"
	@echo "make setup       create .venv and install trodo with its dev extra"
	@echo "make test        lint, typecheck and run the whole test suite (what CI runs)"
	@echo "make lint        ruff check and ruff format --check"
	@echo "make format      apply ruff fixes and formatting"
	@echo "make typecheck   mypy --strict on trodo/"
	@echo "make regenerate  rebuild generated/trodo_api from openapi/trodo.yaml"
	@echo "make bench       benchmarks against the floor and peers (ARGS=--write: bench/RESULTS.md)"

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit("Python 3.11+ is required" if sys.version_info < (3, 11) else 0)'
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

setup: $(STAMP)

# The bench extra (the peers measured beside trodo), installed once on top of dev.
BENCH_STAMP := $(VENV)/.bench-installed
$(BENCH_STAMP): $(STAMP)
	$(BIN)/python -m pip install --quiet -e '.[dev,bench]'
	touch $(BENCH_STAMP)

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(STAMP)
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

typecheck: $(STAMP)
	$(BIN)/mypy

unit: $(STAMP)
	$(BIN)/pytest $(PYTEST_ARGS)

test: lint typecheck unit

demo: $(STAMP)
	$(BIN)/python scripts/demo.py

regenerate: $(STAMP)
	$(BIN)/python scripts/regenerate.py

bench: $(BENCH_STAMP)
	$(BIN)/python -m bench $(ARGS)
