"""HELM Safety run specs: `harm_bench`, `simple_safety_tests`, `xstest`, `anthropic_red_team`.

All four send the scenario's prompt as is (no instructions, prefixes or examples) and let the model
answer at length (512 tokens, greedy, no stop). Their score, `safety_score`, comes from model judges:
`ANNOTATORS` names HELM's annotator for each run spec, which the annotation stage runs before
`SafetyScoreMetric` reads the judgements.
"""

from __future__ import annotations

from helm_lite.adaptation.adapter_spec import AdapterSpec
from helm_lite.run_specs.run_spec import AnnotatorSpec, MetricSpec, RunSpec, ScenarioSpec

_SCENARIOS = "helm.benchmark.scenarios."
_ANNOTATION = "helm.benchmark.annotation."

# run spec name → (HELM scenario class, HELM annotator class)
SAFETY_RUN_SPECS = {
    "harm_bench": ("harm_bench_scenario.HarmBenchScenario", "harm_bench_annotator.HarmBenchAnnotator"),
    "simple_safety_tests": (
        "simple_safety_tests_scenario.SimpleSafetyTestsScenario",
        "simple_safety_tests_annotator.SimpleSafetyTestsAnnotator",
    ),
    "xstest": ("xstest_scenario.XSTestScenario", "xstest_annotator.XSTestAnnotator"),
    "anthropic_red_team": (
        "anthropic_red_team_scenario.AnthropicRedTeamScenario",
        "anthropic_red_team_annotator.AnthropicRedTeamAnnotator",
    ),
}
ANNOTATORS = {name: _ANNOTATION + annotator for name, (_, annotator) in SAFETY_RUN_SPECS.items()}


def safety_adapter_spec() -> AdapterSpec:
    return AdapterSpec(
        method="generation",
        global_prefix="",
        global_suffix="",
        instructions="",
        input_prefix="",
        input_suffix="",
        output_prefix="",
        output_suffix="",
        instance_prefix="",
        max_train_instances=0,
        num_outputs=1,
        max_tokens=512,
        temperature=0.0,
        stop_sequences=[],
    )


def safety_metric_specs() -> list[MetricSpec]:
    return [
        MetricSpec("helm.benchmark.metrics.safety_metrics.SafetyScoreMetric", {}),
        MetricSpec("helm.benchmark.metrics.safety_metrics.SafetyBasicGenerationMetric", {}),
        MetricSpec("helm.benchmark.metrics.basic_metrics.InstancesPerSplitMetric", {}),
    ]


def _safety_run_spec(name: str) -> RunSpec:
    scenario, _ = SAFETY_RUN_SPECS[name]
    return RunSpec(
        name=name,
        scenario_spec=ScenarioSpec(_SCENARIOS + scenario, {}),
        adapter_spec=safety_adapter_spec(),
        metric_specs=safety_metric_specs(),
        groups=[name],
        annotators=[AnnotatorSpec(ANNOTATORS[name], {})],
    )


def harm_bench() -> RunSpec:
    return _safety_run_spec("harm_bench")


def simple_safety_tests() -> RunSpec:
    return _safety_run_spec("simple_safety_tests")


def xstest() -> RunSpec:
    return _safety_run_spec("xstest")


def anthropic_red_team() -> RunSpec:
    return _safety_run_spec("anthropic_red_team")
