"""Run entries → run specs, by HELM's rules."""

from __future__ import annotations

import logging
from collections import Counter
from dataclasses import dataclass, replace
from typing import Any

from helm_lite.adaptation.adapter_spec import adapter_spec_problem
from helm_lite.common.errors import NotImplementedInHelmLite, UserError
from helm_lite.registry.loader import Registry
from helm_lite.run_entries.conf import RunEntry
from helm_lite.run_entries.description import ParsedDescription, parse_description
from helm_lite.run_entries.expanders import EXPANDERS
from helm_lite.run_entries.resolution import resolve_model_and_deployment
from helm_lite.run_specs.arguments import bind_arguments
from helm_lite.run_specs.helm_names import HELM_RUN_SPEC_NAMES
from helm_lite.run_specs.registry import RUN_SPECS, get_run_spec_function
from helm_lite.run_specs.run_spec import RunSpec, run_name_problem

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Selection:
    """The command-line filters and overrides that apply to every entry."""

    models_to_run: list[str] | None = None
    groups_to_run: list[str] | None = None
    priority: int | None = None
    max_eval_instances: int | None = None
    num_train_trials: int | None = None
    # HELM stops at an entry whose run-spec function it lacks; by default helm_lite skips entries that
    # name HELM run specs it has not implemented (`--exit-on-error` restores HELM's stop).
    stop_on_unimplemented: bool = False


def is_unimplemented(name: str) -> bool:
    """`name` is one of HELM's run-spec functions that helm_lite (with its plug-ins) lacks."""
    return name not in RUN_SPECS and name in HELM_RUN_SPEC_NAMES


def unimplemented_line(name: str, count: int) -> str:
    """The one line that reports the skipped entries naming `name`."""
    return f"not implemented in helm_lite: {name} ({count} {'entry' if count == 1 else 'entries'})"


def _call_run_spec_function(parsed: ParsedDescription, fn_args: dict[str, Any]) -> RunSpec:
    if is_unimplemented(parsed.name):
        # HELM's own message, as HELM stops with it (--exit-on-error); otherwise skipped and counted.
        message = f"Unknown run spec name: {parsed.name} (a HELM run spec that helm_lite does not implement)"
        raise NotImplementedInHelmLite(parsed.name, message)
    fn = get_run_spec_function(parsed.name)
    return fn(**bind_arguments(fn, parsed.name, fn_args))


def construct_run_specs_for(parsed: ParsedDescription, registry: Registry, description: str) -> list[RunSpec]:
    """One parsed description → run specs: the function, then expanders in order, then resolution.

    Every problem is a `UserError` that quotes `description`, so the user sees which entry is wrong.
    """
    try:
        return _construct(parsed, registry)
    except NotImplementedInHelmLite:
        raise  # counted (or reported with its entry) by `construct_run_specs`
    except UserError as e:
        prefix = f"run entry {description!r}: "
        raise UserError(str(e) if str(e).startswith(prefix) else prefix + str(e)) from None


def _construct(parsed: ParsedDescription, registry: Registry) -> list[RunSpec]:
    fn_args = {k: v for k, v in parsed.args if k not in EXPANDERS}
    expanders = [(k, v) for k, v in parsed.args if k in EXPANDERS]
    if not any(k == "model" for k, _ in expanders):
        expanders.append(("model", "all"))
    specs = [_call_run_spec_function(parsed, fn_args)]
    for key, value in expanders:
        specs = [out for s in specs for out in EXPANDERS[key](s, value, registry)]
    resolved = []
    for s in specs:
        model, deployment = resolve_model_and_deployment(
            registry, s.adapter_spec.model, s.adapter_spec.model_deployment
        )
        resolved.append(
            replace(s, adapter_spec=replace(s.adapter_spec, model=model, model_deployment=deployment))
        )
    return resolved


def construct_run_specs(entries: list[RunEntry], registry: Registry, selection: Selection) -> list[RunSpec]:
    """Run specs of all `entries`; a bad entry, or two different runs with one name (one folder), is a
    `UserError`. A run made again identically (HELM's own conf files repeat a few entries) runs once."""
    out: list[RunSpec] = []
    made_by: dict[str, tuple[str, RunSpec]] = {}
    skipped: Counter[str] = Counter()
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
            try:
                made = construct_run_specs_for(variant, registry, entry.description)
            except NotImplementedInHelmLite as e:
                if selection.stop_on_unimplemented:
                    raise UserError(f"run entry {entry.description!r}: {e}") from None
                skipped[e.what] += 1
                break
            for rs in made:
                for selected in _select(rs, entry, selection):
                    problem = adapter_spec_problem(selected.adapter_spec) or run_name_problem(selected.name)
                    earlier = made_by.get(selected.name)
                    if problem is None and earlier is not None:
                        if earlier[1] == selected:
                            logger.info("Run %s is made twice; running it once", selected.name)
                            continue
                        problem = f"run {selected.name} is also made, differently, by {earlier[0]!r}"
                    if problem is not None:
                        raise UserError(f"run entry {entry.description!r}: {problem}")
                    made_by[selected.name] = (entry.description, selected)
                    out.append(selected)
    for name, count in sorted(skipped.items()):
        logger.warning("%s", unimplemented_line(name, count))
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
