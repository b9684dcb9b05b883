"""`user_data:path=…`: evaluate on the user's own JSONL/CSV questions without writing code."""

from __future__ import annotations

from dataclasses import replace

from helm_lite.common.errors import UserError
from helm_lite.run_specs.helpers import (
    exact_match_metric_specs,
    format_instructions,
    generation_adapter_spec,
    multiple_choice_joint_adapter_spec,
    multiple_choice_separate_adapter_spec,
)
from helm_lite.run_specs.run_spec import RunSpec, ScenarioSpec

SEPARATE_METHODS = ("multiple_choice_separate_original", "multiple_choice_separate_calibrated")
MULTIPLE_CHOICE_METHODS = ("multiple_choice_joint", *SEPARATE_METHODS)
DEFAULT_MAX_TRAIN_INSTANCES = 5


def user_data(
    path: str,
    instructions: str = "",
    max_train_instances: int | None = None,
    max_tokens: int = 20,
    method: str | None = None,
) -> RunSpec:
    """Multiple-choice files default to `multiple_choice_joint`, free-answer files to `generation`.

    `method=multiple_choice_separate_original|_calibrated` scores each choice by its likelihood
    instead (HELM's separate-method prompt; no in-context examples unless `max_train_instances` is
    given, no instructions unless `instructions` is given).
    """
    from helm_lite.scenarios.user_data import is_multiple_choice

    multiple_choice = is_multiple_choice(path)
    name = f"user_data:path={path}" + (f",method={method}" if method is not None else "")
    allowed = MULTIPLE_CHOICE_METHODS if multiple_choice else ("generation",)
    if method is not None and method not in allowed:
        kind = "multiple-choice" if multiple_choice else "free-answer"
        raise UserError(
            f"{name}: method {method!r} cannot be used with {kind} questions (use {', '.join(allowed)})"
        )

    if method in SEPARATE_METHODS:
        assert method is not None
        adapter_spec = replace(
            multiple_choice_separate_adapter_spec(method),
            instructions=format_instructions(instructions),
            max_train_instances=max_train_instances or 0,
        )
    elif multiple_choice:
        adapter_spec = multiple_choice_joint_adapter_spec(
            instructions=instructions or "The following are multiple choice questions (with answers).",
            input_noun="Question",
            output_noun="Answer",
            max_train_instances=_train_instances(max_train_instances),
        )
    else:
        adapter_spec = generation_adapter_spec(
            instructions=instructions,
            input_noun="Question",
            output_noun="Answer",
            max_train_instances=_train_instances(max_train_instances),
            max_tokens=max_tokens,
        )
    return RunSpec(
        name=name,
        scenario_spec=ScenarioSpec("helm_lite.scenarios.user_data.UserDataScenario", {"path": path}),
        adapter_spec=adapter_spec,
        metric_specs=exact_match_metric_specs(),
        groups=["user_data"],
    )


def _train_instances(value: int | None) -> int:
    return DEFAULT_MAX_TRAIN_INSTANCES if value is None else value
