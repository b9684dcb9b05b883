"""Language-modelling run specs: `user_text:path=…` scores the user's own text (perplexity, bits/byte)."""

from __future__ import annotations

from helm_lite.run_specs.helpers import language_modeling_adapter_spec, language_modeling_metric_specs
from helm_lite.run_specs.run_spec import RunSpec, ScenarioSpec


def user_text(path: str) -> RunSpec:
    """HELM's language-modelling settings (as for the_pile, wikitext …) on a .txt or .jsonl file."""
    from helm_lite.scenarios.user_text import load_texts

    load_texts(path)  # a bad file is reported before any run starts
    return RunSpec(
        name=f"user_text:path={path}",
        scenario_spec=ScenarioSpec("helm_lite.scenarios.user_text.UserTextScenario", {"path": path}),
        adapter_spec=language_modeling_adapter_spec(),
        metric_specs=language_modeling_metric_specs([]),
        groups=["user_text"],
    )
