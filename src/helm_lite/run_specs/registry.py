"""Run-spec functions by name: built-ins are named below and imported on first use; plug-ins add
their own with `@run_spec_function("name")`."""

from __future__ import annotations

import difflib
from collections.abc import Callable

from helm_lite.common.plugins import Registry
from helm_lite.run_specs.run_spec import RunSpec

RunSpecFunction = Callable[..., RunSpec]


def _unknown(name: str, known: list[str]) -> str:
    close = difflib.get_close_matches(name, known, n=3)
    hint = f" (did you mean: {', '.join(close)}?)" if close else ""
    return f"Unknown run spec name: {name}{hint}"


# A new family is one module and a line per function here.
RUN_SPECS: Registry[RunSpecFunction] = Registry(
    "run spec",
    {
        "synthetic_reasoning": "helm_lite.run_specs.synthetic:synthetic_reasoning",
        "dyck_language": "helm_lite.run_specs.synthetic:dyck_language",
        "user_data": "helm_lite.run_specs.user_data:user_data",
        "user_text": "helm_lite.run_specs.language_modeling:user_text",
        # HELM Lite
        "mmlu": "helm_lite.run_specs.mmlu:mmlu",
        "gsm": "helm_lite.run_specs.gsm:gsm",
        "math": "helm_lite.run_specs.math:math",
        "legalbench": "helm_lite.run_specs.legalbench:legalbench",
        "narrative_qa": "helm_lite.run_specs.narrative_qa:narrative_qa",
        "natural_qa": "helm_lite.run_specs.natural_qa:natural_qa",
        "commonsense": "helm_lite.run_specs.commonsense:commonsense",
        "med_qa": "helm_lite.run_specs.med_qa:med_qa",
        "wmt_14": "helm_lite.run_specs.wmt_14:wmt_14",
    },
    unknown=_unknown,
)


def run_spec_function(name: str) -> Callable[[RunSpecFunction], RunSpecFunction]:
    """``@run_spec_function("my_task")`` makes run entries ``my_task:…`` call the decorated function."""
    return RUN_SPECS.decorator(name)


def get_run_spec_function(name: str) -> RunSpecFunction:
    return RUN_SPECS.get(name)


def all_run_spec_names() -> list[str]:
    return RUN_SPECS.names()
