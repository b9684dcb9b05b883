"""Run-spec functions by name. Modules register with `@run_spec_function`; lookups import them lazily."""

from __future__ import annotations

import difflib
import importlib
from collections.abc import Callable

from helm_lite.common.errors import UserError
from helm_lite.run_specs.run_spec import RunSpec

RunSpecFunction = Callable[..., RunSpec]

# Modules that define run-spec functions; a new family is one new line here.
RUN_SPEC_MODULES = [
    "helm_lite.run_specs.synthetic",
    "helm_lite.run_specs.user_data",
    # HELM Lite
    "helm_lite.run_specs.mmlu",
    "helm_lite.run_specs.gsm",
    "helm_lite.run_specs.math",
    "helm_lite.run_specs.legalbench",
    "helm_lite.run_specs.narrative_qa",
    "helm_lite.run_specs.natural_qa",
    "helm_lite.run_specs.commonsense",
    "helm_lite.run_specs.med_qa",
    "helm_lite.run_specs.wmt_14",
    "helm_lite.run_specs.language_modeling",
]

_FUNCTIONS: dict[str, RunSpecFunction] = {}
_loaded = False


def run_spec_function(name: str) -> Callable[[RunSpecFunction], RunSpecFunction]:
    def register(fn: RunSpecFunction) -> RunSpecFunction:
        _FUNCTIONS[name] = fn
        return fn

    return register


def _load_all() -> None:
    global _loaded
    if not _loaded:
        for module in RUN_SPEC_MODULES:
            importlib.import_module(module)
        _loaded = True


def get_run_spec_function(name: str) -> RunSpecFunction:
    _load_all()
    if name not in _FUNCTIONS:
        close = difflib.get_close_matches(name, list(_FUNCTIONS), n=3)
        hint = f" (did you mean: {', '.join(close)}?)" if close else ""
        raise UserError(f"Unknown run spec name: {name}{hint}")
    return _FUNCTIONS[name]


def all_run_spec_names() -> list[str]:
    _load_all()
    return sorted(_FUNCTIONS)
