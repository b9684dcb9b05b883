"""Run-spec functions by name: built-ins are named below and imported on first use; plug-ins add
their own with `@run_spec_function("name")`."""

from __future__ import annotations

import difflib
import inspect
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
        # HELM Capabilities
        "mmlu_pro": "helm_lite.run_specs.capabilities:mmlu_pro",
        "gpqa": "helm_lite.run_specs.capabilities:gpqa",
        "ifeval": "helm_lite.run_specs.capabilities:ifeval",
        "wildbench": "helm_lite.run_specs.capabilities_judged:wildbench",
        "omni_math": "helm_lite.run_specs.capabilities_judged:omni_math",
        # HELM Safety
        "bbq": "helm_lite.run_specs.bbq:bbq",
        "harm_bench": "helm_lite.run_specs.safety:harm_bench",
        "simple_safety_tests": "helm_lite.run_specs.safety:simple_safety_tests",
        "xstest": "helm_lite.run_specs.safety:xstest",
        "anthropic_red_team": "helm_lite.run_specs.safety:anthropic_red_team",
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


def run_spec_signature(name: str) -> str:
    """`name(arg: type = default, …)`: the run-entry arguments the function takes, as it declares them.

    These are the keys a run entry may give besides the expanders (`model=`, `max_train_instances=` …).
    """
    params = []
    for param in inspect.signature(get_run_spec_function(name)).parameters.values():
        if param.kind in (param.VAR_POSITIONAL, param.VAR_KEYWORD):
            continue
        text = param.name
        if param.annotation is not param.empty:
            annotation = param.annotation
            text += f": {annotation if isinstance(annotation, str) else inspect.formatannotation(annotation)}"
        if param.default is not param.empty:
            text += f" = {param.default!r}"
        params.append(text)
    return f"{name}({', '.join(params)})"
