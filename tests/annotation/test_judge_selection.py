"""Judges named by model or by deployment, as `--models-to-run` takes them."""

from __future__ import annotations

from pathlib import Path

from helm_lite.annotation.judges import JudgeSelection
from helm_lite.registry.loader import load_registry


def test_a_judge_named_by_its_model_plays_through_the_models_default_deployment(tmp_path: Path) -> None:
    registry = load_registry(tmp_path)
    model = "huggingfacetb/smollm2-135m-instruct"
    deployment = registry.default_deployment_for(model)
    assert deployment is not None and deployment != model
    selection = JudgeSelection(override=model, per_annotator={"xstest": {"gpt": model}}).resolved(registry)
    assert selection.override == deployment
    assert selection.per_annotator == {"xstest": {"gpt": deployment}}
    # A deployment name is kept as given, and an unknown name is left for check_judges to refuse.
    assert JudgeSelection(override=deployment).resolved(registry).override == deployment
    assert JudgeSelection(override="no/such-judge").resolved(registry).override == "no/such-judge"
