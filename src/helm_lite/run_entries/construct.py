"""Run entries → run specs, by HELM's rules (§2.4–2.6 of the behaviour spec)."""

from __future__ import annotations

import inspect
import logging
from dataclasses import dataclass, replace
from typing import Any

from helm_lite.common.errors import UserError
from helm_lite.registry.loader import Registry
from helm_lite.run_entries.conf import RunEntry
from helm_lite.run_entries.description import ParsedDescription, parse_description
from helm_lite.run_entries.expanders import EXPANDERS
from helm_lite.run_entries.resolution import resolve_model_and_deployment
from helm_lite.run_specs.registry import get_run_spec_function
from helm_lite.run_specs.run_spec import RunSpec

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Selection:
    """The command-line filters and overrides that apply to every entry."""

    models_to_run: list[str] | None = None
    groups_to_run: list[str] | None = None
    priority: int | None = None
    max_eval_instances: int | None = None
    num_train_trials: int | None = None


def _call_run_spec_function(parsed: ParsedDescription, fn_args: dict[str, Any], description: str) -> RunSpec:
    fn = get_run_spec_function(parsed.name)
    params = inspect.signature(fn).parameters
    unknown = [k for k in fn_args if k not in params]
    if unknown:
        raise UserError(
            f"run entry {description!r}: unknown argument {unknown[0]!r} for {parsed.name} "
            f"(expected: {', '.join(params) or 'none'})"
        )
    missing = [k for k, p in params.items() if p.default is inspect.Parameter.empty and k not in fn_args]
    if missing:
        raise UserError(f"run entry {description!r}: missing required argument {missing[0]!r}")
    return fn(**fn_args)


def construct_run_specs_for(parsed: ParsedDescription, registry: Registry, description: str) -> list[RunSpec]:
    """One parsed description → run specs: the function, then expanders in order, then resolution."""
    fn_args = {k: v for k, v in parsed.args if k not in EXPANDERS}
    expanders = [(k, v) for k, v in parsed.args if k in EXPANDERS]
    if not any(k == "model" for k, _ in expanders):
        expanders.append(("model", "all"))
    specs = [_call_run_spec_function(parsed, fn_args, description)]
    for key, value in expanders:
        specs = [out for s in specs for out in EXPANDERS[key](s, value, registry)]
    resolved = []
    for s in specs:
        try:
            model, deployment = resolve_model_and_deployment(
                registry, s.adapter_spec.model, s.adapter_spec.model_deployment
            )
        except UserError as e:
            raise UserError(f"run entry {description!r}: {e}") from None
        resolved.append(
            replace(s, adapter_spec=replace(s.adapter_spec, model=model, model_deployment=deployment))
        )
    return resolved


def construct_run_specs(entries: list[RunEntry], registry: Registry, selection: Selection) -> list[RunSpec]:
    out: list[RunSpec] = []
    for entry in entries:
        if (
            selection.priority is not None
            and entry.priority is not None
            and entry.priority > selection.priority
        ):
            continue
        parsed = parse_description(entry.description)
        args = dict(parsed.args)
        if selection.models_to_run is not None and "/" not in str(args.get("model", "")):
            variants = [_with_model(parsed, m) for m in selection.models_to_run]
        else:
            variants = [parsed]
        for variant in variants:
            for rs in construct_run_specs_for(variant, registry, entry.description):
                out.extend(_select(rs, entry, selection))
    logger.info("%d entries produced %d run specs", len(entries), len(out))
    return out


def _with_model(parsed: ParsedDescription, model: str) -> ParsedDescription:
    """Replace (in place) or append the `model` argument."""
    args = list(parsed.args)
    for i, (k, _) in enumerate(args):
        if k == "model":
            args[i] = ("model", model)
            break
    else:
        args.append(("model", model))
    return replace(parsed, args=tuple(args))


def _select(rs: RunSpec, entry: RunEntry, selection: Selection) -> list[RunSpec]:
    a = rs.adapter_spec
    if selection.models_to_run is not None and not (
        a.model in selection.models_to_run or a.model_deployment in selection.models_to_run
    ):
        return []
    if selection.groups_to_run is not None and not set(rs.groups) & set(selection.groups_to_run):
        return []
    if selection.max_eval_instances is not None and a.max_eval_instances is None:
        a = replace(a, max_eval_instances=selection.max_eval_instances)
    if a.max_train_instances == 0:
        a = replace(a, num_train_trials=1)
    elif selection.num_train_trials is not None:
        a = replace(a, num_train_trials=selection.num_train_trials)
    name, groups = rs.name, list(rs.groups)
    if entry.groups is not None:
        if entry.groups:
            name += ",groups=" + "-".join(sorted(entry.groups))
        groups += entry.groups
    return [replace(rs, name=name, adapter_spec=a, groups=groups)]
