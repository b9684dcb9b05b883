"""Run spec `natural_qa:mode=…` (HELM Lite): 5-shot short answers, closed book or with a passage."""

from __future__ import annotations

from helm_lite.run_specs.helpers import f1_metric_specs, generation_adapter_spec
from helm_lite.run_specs.run_spec import RunSpec, ScenarioSpec


def natural_qa(mode: str) -> RunSpec:
    # Open-book inputs already carry "Passage: … Question: …", so only closed book adds a noun.
    return RunSpec(
        name=f"natural_qa:mode={mode}",
        scenario_spec=ScenarioSpec(
            "helm.benchmark.scenarios.natural_qa_scenario.NaturalQAScenario", {"mode": mode}
        ),
        adapter_spec=generation_adapter_spec(
            input_noun="Question" if mode == "closedbook" else None, output_noun="Answer", max_tokens=300
        ),
        metric_specs=f1_metric_specs(),
        groups=[f"natural_qa_{mode}"],
    )
