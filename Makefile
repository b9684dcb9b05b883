# The two commands a newcomer needs:  `make quickstart`  and  `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
MODEL ?= simple/model1
MAX_EVAL ?= 20

.PHONY: install quickstart test lint

$(BIN)/helm-run: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $@

install: $(BIN)/helm-run

quickstart: install
	$(BIN)/helm-run --conf-paths run_specs/quickstart.conf --models-to-run $(MODEL) \
		--suite quickstart --max-eval-instances $(MAX_EVAL)

lint: install
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/ruff format --check src tests benchmarks
	$(BIN)/mypy

test: lint
	$(BIN)/pytest -q
