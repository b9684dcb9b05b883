"""Offline synthetic run specs: synthetic_reasoning and dyck_language (HELM's definitions)."""

from __future__ import annotations

from helm_lite.adaptation.adapter_spec import AdapterSpec
from helm_lite.run_specs.helpers import (
    exact_match_metric_specs,
    format_instructions,
    generation_adapter_spec,
)
from helm_lite.run_specs.run_spec import MetricSpec, RunSpec, ScenarioSpec

_SCENARIOS = "helm.benchmark.scenarios."


def synthetic_reasoning(mode: str) -> RunSpec:
    return RunSpec(
        name=f"synthetic_reasoning:mode={mode}",
        scenario_spec=ScenarioSpec(
            _SCENARIOS + "synthetic_reasoning_scenario.SyntheticReasoningScenario", {"mode": mode}
        ),
        adapter_spec=generation_adapter_spec(
            instructions="Please solve the following problem.",
            output_noun="Target",
            max_train_instances=5,
            max_tokens=50,
            stop_sequences=["\n"],
        ),
        metric_specs=exact_match_metric_specs(),
        groups=["synthetic_reasoning", f"synthetic_reasoning_{mode}"],
    )


def dyck_language(num_parenthesis_pairs: int) -> RunSpec:
    n = num_parenthesis_pairs
    adapter_spec = AdapterSpec(
        method="generation",
        instructions=format_instructions(
            "Please complete the rest of the following Dyck sequences, "
            "making sure that the parentheses are closed properly."
        ),
        input_prefix="Input: ",
        input_suffix="",
        output_prefix="",
        output_suffix="",
        max_train_instances=3,
        num_outputs=1,
        temperature=0.0,
        max_tokens=5,
        stop_sequences=["\n"],
    )
    return RunSpec(
        name=f"dyck_language_np={n}",
        scenario_spec=ScenarioSpec(
            _SCENARIOS + "dyck_language_scenario.DyckLanguageScenario", {"num_parenthesis_pairs": n}
        ),
        adapter_spec=adapter_spec,
        metric_specs=[
            MetricSpec(
                "helm.benchmark.metrics.basic_metrics.BasicGenerationMetric",
                {"names": ["exact_match_indicator"]},
            ),
            MetricSpec("helm.benchmark.metrics.basic_metrics.InstancesPerSplitMetric", {}),
        ],
        groups=["dyck_language"],
    )
