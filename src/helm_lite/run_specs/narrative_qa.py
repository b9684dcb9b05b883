"""Run spec `narrative_qa` (HELM Lite): 5-shot free-text answers about a story summary."""

from __future__ import annotations

from helm_lite.run_specs.helpers import basic_metric_specs, generation_adapter_spec
from helm_lite.run_specs.run_spec import MetricSpec, RunSpec, ScenarioSpec

OPEN_ENDED_METRIC_NAMES = ["exact_match", "quasi_exact_match", "f1_score", "rouge_l", "bleu_1", "bleu_4"]


def open_ended_generation_metric_specs() -> list[MetricSpec]:
    """HELM's metrics for free-text answers (also used by wmt_14)."""
    return basic_metric_specs(OPEN_ENDED_METRIC_NAMES)


def narrative_qa() -> RunSpec:
    return RunSpec(
        name="narrative_qa",
        scenario_spec=ScenarioSpec("helm.benchmark.scenarios.narrativeqa_scenario.NarrativeQAScenario", {}),
        adapter_spec=generation_adapter_spec(input_noun="Passage", output_noun="Answer", max_tokens=100),
        metric_specs=open_ended_generation_metric_specs(),
        groups=["narrative_qa"],
    )
