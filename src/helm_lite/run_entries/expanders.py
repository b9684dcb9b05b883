"""Run expanders: description keys that transform a run spec after its function built it.

Each expander turns one RunSpec into one or more and appends HELM's suffix to the run name. The
table `EXPANDERS` maps a key to its function; a new expander is one function and one line.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import Any

from helm_lite.common.errors import UserError
from helm_lite.registry.loader import Registry
from helm_lite.run_entries.resolution import expand_model_value, split_model_value
from helm_lite.run_specs.run_spec import RunSpec

Expander = Callable[[RunSpec, Any, Registry], list[RunSpec]]


def _sep(name: str) -> str:
    return "," if ":" in name else ":"


def _san(value: Any) -> str:
    return str(value).replace("/", "_")


def _suffix(spec: RunSpec, key: str, value: Any) -> str:
    return f"{spec.name}{_sep(spec.name)}{key}={_san(value)}"


def _adapter(spec: RunSpec, name: str, **changes: Any) -> RunSpec:
    return replace(spec, name=name, adapter_spec=replace(spec.adapter_spec, **changes))


def expand_model(spec: RunSpec, value: Any, registry: Registry) -> list[RunSpec]:
    out = []
    for x in expand_model_value(registry, str(value)):
        model, deployment = split_model_value(x)
        changes: dict[str, Any] = {"model": model}
        if deployment is not None:
            changes["model_deployment"] = deployment
        out.append(_adapter(spec, _suffix(spec, "model", model), **changes))
    return out


def expand_model_deployment(spec: RunSpec, value: Any, registry: Registry) -> list[RunSpec]:
    return [_adapter(spec, _suffix(spec, "model_deployment", value), model_deployment=str(value))]


def _int_list(key: str, value: Any, named: dict[str, list[int]]) -> list[int]:
    if isinstance(value, str) and value in named:
        return named[value]
    try:
        return [int(value)]
    except (TypeError, ValueError):
        raise UserError(f"{key}={value}: expected an integer or one of {', '.join(named)}") from None


def _int_expander(key: str, field: str, named: dict[str, list[int]]) -> Expander:
    def expand(spec: RunSpec, value: Any, registry: Registry) -> list[RunSpec]:
        return [_adapter(spec, _suffix(spec, key, v), **{field: v}) for v in _int_list(key, value, named)]

    return expand


def expand_eval_split(spec: RunSpec, value: Any, registry: Registry) -> list[RunSpec]:
    if value not in ("test", "valid"):
        raise UserError(f"eval_split={value}: must be 'test' or 'valid'")
    return [_adapter(spec, _suffix(spec, "eval_split", value), eval_splits=[value])]


_STOPS = {"hash": "###", "semicolon": ";", "br": "<br>"}


def expand_stop(spec: RunSpec, value: Any, registry: Registry) -> list[RunSpec]:
    name = f"{spec.name},stop={value}"  # HELM always uses a comma here
    if value == "none":
        return [_adapter(spec, name, stop_sequences=[])]
    if value not in _STOPS:
        raise UserError(f"stop={value}: must be one of none, {', '.join(_STOPS)}")
    stop = _STOPS[value]
    return [_adapter(spec, name, stop_sequences=[stop], instance_prefix=f"{stop}\n\n")]


def expand_add_to_stop(spec: RunSpec, value: Any, registry: Registry) -> list[RunSpec]:
    stop = "\n" if value == "newline" else str(value)
    return [_adapter(spec, spec.name, stop_sequences=[*spec.adapter_spec.stop_sequences, stop])]


def expand_global_prefix(spec: RunSpec, value: Any, registry: Registry) -> list[RunSpec]:
    if value != "nlg":
        raise UserError(f"global_prefix={value}: only 'nlg' is supported")
    return [_adapter(spec, f"{spec.name},global_prefix=nlg", global_prefix="[NLG]")]


_EXPERT = "I am an expert AI assistant who is here to help you with the following. "


def expand_instructions(spec: RunSpec, value: Any, registry: Registry) -> list[RunSpec]:
    name = f"{spec.name},instructions={value}"
    if value == "none":
        return [_adapter(spec, name, instructions="")]
    if value == "expert":
        return [_adapter(spec, name, instructions=_EXPERT + spec.adapter_spec.instructions)]
    raise UserError(f"instructions={value}: must be 'none' or 'expert'")


def expand_temperature(spec: RunSpec, value: Any, registry: Registry) -> list[RunSpec]:
    try:
        return [_adapter(spec, spec.name, temperature=float(value))]
    except ValueError:
        raise UserError(f"temperature={value}: expected a number") from None


EXPANDERS: dict[str, Expander] = {
    "model": expand_model,
    "model_deployment": expand_model_deployment,
    "max_train_instances": _int_expander(
        "max_train_instances",
        "max_train_instances",
        {"zero": [0], "one": [1], "all": [0, 1, 2, 4, 8, 16], "big_bench_few_shot_setting": [0, 1, 2, 3]},
    ),
    "num_train_trials": _int_expander("num_train_trials", "num_train_trials", {}),
    "max_eval_instances": _int_expander("max_eval_instances", "max_eval_instances", {"default": [1000]}),
    "num_outputs": _int_expander("num_outputs", "num_outputs", {"default": [1]}),
    "eval_split": expand_eval_split,
    "stop": expand_stop,
    "add_to_stop": expand_add_to_stop,
    "global_prefix": expand_global_prefix,
    "instructions": expand_instructions,
    "temperature": expand_temperature,
}
