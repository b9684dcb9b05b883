"""HELM Capabilities' judged run specs: `wildbench` and `omni_math`, with HELM's settings and names.

Both are scored by a model judge: `ANNOTATORS` names HELM's annotator for each, which the annotation
stage runs (building the judge's prompt with `helm_lite.judges`) before the metric reads its
verdicts. WildBench sends each task's conversation as chat messages (method `chat`); Omni-MATH asks
for reasoning and a boxed answer, in HELM's exact words (no newline after the instructions sentence
other than the one between blocks).
"""

from __future__ import annotations

from helm_lite.adaptation.adapter_spec import AdapterSpec
from helm_lite.run_specs.helpers import basic_metric_specs
from helm_lite.run_specs.run_spec import AnnotatorSpec, MetricSpec, RunSpec, ScenarioSpec

_ANNOTATION = "helm.benchmark.annotation."
ANNOTATORS = {
    "wildbench": _ANNOTATION + "wildbench_annotator.WildBenchAnnotator",
    "omni_math": _ANNOTATION + "omni_math_annotator.OmniMATHAnnotator",
}
OMNI_MATH_INSTRUCTIONS = (
    "Answer the question, giving your reasoning beforehand. Wrap the final answer with the \\boxed{} command."
)


def wildbench(subset: str) -> RunSpec:
    return RunSpec(
        name=f"wildbench:subset={subset}",
        scenario_spec=ScenarioSpec(
            "helm.benchmark.scenarios.wildbench_scenario.WildBenchScenario",
            {"subset": subset, "use_model_outputs": False},
        ),
        adapter_spec=AdapterSpec(
            method="chat", input_prefix="", output_prefix="", max_tokens=2000, num_outputs=1, temperature=0.0
        ),
        metric_specs=basic_metric_specs([])
        + [MetricSpec("helm.benchmark.metrics.wildbench_metrics.WildBenchScoreMetric", {})],
        annotators=[AnnotatorSpec(ANNOTATORS["wildbench"], {})],
        groups=["wildbench"],
    )


def omni_math() -> RunSpec:
    return RunSpec(
        name="omni_math",
        scenario_spec=ScenarioSpec("helm.benchmark.scenarios.omni_math_scenario.OmniMATHScenario", {}),
        adapter_spec=AdapterSpec(
            method="generation",
            instructions=OMNI_MATH_INSTRUCTIONS,
            input_prefix="",
            output_prefix="",
            max_tokens=4096,
            num_outputs=1,
            temperature=0.0,
        ),
        metric_specs=basic_metric_specs([])
        + [MetricSpec("helm.benchmark.metrics.omni_math_metrics.OmniMATHMetric", {})],
        annotators=[AnnotatorSpec(ANNOTATORS["omni_math"], {})],
        groups=["omni_math"],
    )
