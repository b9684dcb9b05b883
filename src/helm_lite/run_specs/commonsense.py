"""Run spec `commonsense:dataset=…,method=…` (HELM Lite uses dataset=openbookqa, multiple_choice_joint)."""

from __future__ import annotations

from helm_lite.adaptation.adapter_spec import AdapterSpec
from helm_lite.common.errors import NotImplementedInHelmLite, UserError
from helm_lite.run_specs.helpers import (
    exact_match_metric_specs,
    multiple_choice_joint_adapter_spec,
    multiple_choice_separate_adapter_spec,
)
from helm_lite.run_specs.run_spec import RunSpec, ScenarioSpec

# dataset= value → HELM scenario class; only OpenBookQA (the Lite one) is implemented.
DATASETS = {"openbookqa": "helm.benchmark.scenarios.commonsense_scenario.OpenBookQA"}
# The other dataset= values HELM's commonsense run spec accepts: entries naming them are skipped.
HELM_ONLY_DATASETS = ("hellaswag", "commonsenseqa", "piqa", "siqa")
SEPARATE_METHODS = ("multiple_choice_separate_original", "multiple_choice_separate_calibrated")


def multiple_choice_adapter_spec(method: str, instructions: str) -> AdapterSpec:
    """HELM's multiple-choice helper with nouns Question/Answer: joint prompt or per-option scoring."""
    if method == "multiple_choice_joint":
        return multiple_choice_joint_adapter_spec(instructions, input_noun="Question", output_noun="Answer")
    if method in SEPARATE_METHODS:
        return multiple_choice_separate_adapter_spec(method)
    raise UserError(f"Invalid adaptation method: {method}")


def commonsense(dataset: str, method: str) -> RunSpec:
    if dataset in HELM_ONLY_DATASETS:
        raise NotImplementedInHelmLite(f"commonsense:dataset={dataset}")
    if dataset not in DATASETS:
        raise UserError(f"commonsense: unknown dataset {dataset!r} (supported: {', '.join(DATASETS)})")
    return RunSpec(
        name=f"commonsense:dataset={dataset},method={method}",
        scenario_spec=ScenarioSpec(DATASETS[dataset], {}),
        adapter_spec=multiple_choice_adapter_spec(
            method, "The following are multiple choice questions (with answers) about common sense."
        ),
        metric_specs=exact_match_metric_specs(),
        groups=[dataset],
    )
