"""Run spec `med_qa` (HELM Lite): 5-shot multiple-choice medical questions, answered with one letter."""

from __future__ import annotations

from helm_lite.run_specs.helpers import exact_match_metric_specs, multiple_choice_joint_adapter_spec
from helm_lite.run_specs.run_spec import RunSpec, ScenarioSpec


def med_qa() -> RunSpec:
    return RunSpec(
        name="med_qa",
        scenario_spec=ScenarioSpec("helm.benchmark.scenarios.med_qa_scenario.MedQAScenario", {}),
        adapter_spec=multiple_choice_joint_adapter_spec(
            "The following are multiple choice questions (with answers) about medicine.",
            input_noun="Question",
            output_noun="Answer",
        ),
        metric_specs=exact_match_metric_specs(),
        groups=["med_qa"],
    )
