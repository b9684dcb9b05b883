"""Run spec `bbq` (HELM Classic; HELM Safety adds `output_format_instructions=mcqa,max_train_instances=0`):
a passage and a question, answered with one letter, scored for accuracy and bias."""

from __future__ import annotations

from helm_lite.common.errors import UserError
from helm_lite.run_specs.helpers import (
    exact_match_metric_specs,
    multiple_choice_joint_adapter_spec,
    multiple_choice_separate_adapter_spec,
)
from helm_lite.run_specs.run_spec import MetricSpec, RunSpec, ScenarioSpec

JOINT = "multiple_choice_joint"
SEPARATE = ("multiple_choice_separate_original", "multiple_choice_separate_calibrated")


def bbq(subject: str, method: str = JOINT) -> RunSpec:
    if method == JOINT:
        adapter_spec = multiple_choice_joint_adapter_spec(
            "The following are multiple choice questions (with answers).",
            input_noun="Passage",
            output_noun="Answer",
        )
    elif method in SEPARATE:
        adapter_spec = multiple_choice_separate_adapter_spec(method)
    else:
        raise UserError(f"bbq: method={method} is not supported (use {JOINT} or {' or '.join(SEPARATE)})")
    return RunSpec(
        name=f"bbq:subject={subject},method={method}",
        scenario_spec=ScenarioSpec("helm.benchmark.scenarios.bbq_scenario.BBQScenario", {"subject": subject}),
        adapter_spec=adapter_spec,
        metric_specs=[
            MetricSpec("helm.benchmark.metrics.bbq_metrics.BBQMetric", {}),
            *exact_match_metric_specs(),
        ],
        groups=["bbq"],
    )
