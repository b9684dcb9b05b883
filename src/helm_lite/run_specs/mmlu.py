"""MMLU run spec (HELM Lite): one subject, joint multiple choice by default."""

from __future__ import annotations

from helm_lite.common.errors import UserError
from helm_lite.run_specs.helpers import (
    exact_match_metric_specs,
    multiple_choice_joint_adapter_spec,
    multiple_choice_separate_adapter_spec,
)
from helm_lite.run_specs.run_spec import RunSpec, ScenarioSpec

JOINT = "multiple_choice_joint"
SEPARATE = ("multiple_choice_separate_original", "multiple_choice_separate_calibrated")


def mmlu(subject: str, method: str = JOINT) -> RunSpec:
    if method == JOINT:
        adapter_spec = multiple_choice_joint_adapter_spec(
            instructions=f"The following are multiple choice questions (with answers) about "
            f"{subject.replace('_', ' ')}.",
            input_noun="Question",
            output_noun="Answer",
        )
    elif method in SEPARATE:
        adapter_spec = multiple_choice_separate_adapter_spec(method)
    else:
        raise UserError(f"mmlu: method={method} is not supported (use {JOINT} or {' or '.join(SEPARATE)})")
    return RunSpec(
        name=f"mmlu:subject={subject},method={method}",
        scenario_spec=ScenarioSpec(
            "helm.benchmark.scenarios.mmlu_scenario.MMLUScenario", {"subject": subject}
        ),
        adapter_spec=adapter_spec,
        metric_specs=exact_match_metric_specs(),
        groups=["mmlu"],
    )
