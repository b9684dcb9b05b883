"""GSM8K run spec (HELM Lite): five worked examples, answers up to 400 tokens, scored on the final number."""

from __future__ import annotations

from helm_lite.run_specs.helpers import generation_adapter_spec
from helm_lite.run_specs.run_spec import MetricSpec, RunSpec, ScenarioSpec

_METRICS = "helm.benchmark.metrics.basic_metrics."


def gsm() -> RunSpec:
    return RunSpec(
        name="gsm",
        scenario_spec=ScenarioSpec("helm.benchmark.scenarios.gsm_scenario.GSM8KScenario", {}),
        adapter_spec=generation_adapter_spec(
            input_noun="Q",
            output_noun="A",
            max_train_instances=5,
            max_tokens=400,
            stop_sequences=["\n\n"],  # worked answers are one line; a blank line ends the answer
        ),
        # No BasicReferenceMetric here, unlike the other Lite runs (HELM's choice).
        metric_specs=[
            MetricSpec(
                _METRICS + "BasicGenerationMetric",
                {"names": ["exact_match_indicator", "final_number_exact_match"]},
            ),
            MetricSpec(_METRICS + "InstancesPerSplitMetric", {}),
        ],
        groups=["gsm"],
    )
