"""Run spec `wmt_14:language_pair=xx-yy` (HELM Lite): one-shot translation, scored by BLEU and friends."""

from __future__ import annotations

from helm_lite.adaptation.adapter_spec import AdapterSpec
from helm_lite.common.errors import UserError
from helm_lite.run_specs.narrative_qa import open_ended_generation_metric_specs
from helm_lite.run_specs.run_spec import RunSpec, ScenarioSpec

LANGUAGE_NAMES = {
    "cs": "Czech",
    "de": "German",
    "fr": "French",
    "hi": "Hindi",
    "ru": "Russian",
    "en": "English",
}


def machine_translation_adapter_spec(source: str, target: str, max_train_instances: int) -> AdapterSpec:
    """HELM's translation prompt; note the instructions have no trailing newline of their own."""
    return AdapterSpec(
        method="generation",
        instructions=f"Translate the following sentences from {source} to {target}.",
        input_prefix=f"{source}: ",
        input_suffix="\n",
        output_prefix=f"{target}: ",
        output_suffix="\n",
        max_train_instances=max_train_instances,
        num_outputs=1,
        stop_sequences=["\n\n"],
        temperature=0.0,
    )


def wmt_14(language_pair: str, max_train_instances: int = 1) -> RunSpec:
    languages = str(language_pair).split("-")
    if len(languages) != 2 or not all(lang in LANGUAGE_NAMES for lang in languages):
        raise UserError(
            f"wmt_14: language_pair={language_pair} must be two of {', '.join(LANGUAGE_NAMES)} "
            "joined by '-', e.g. de-en"
        )
    source, target = languages
    return RunSpec(
        name=f"wmt_14:language_pair={language_pair}",
        scenario_spec=ScenarioSpec(
            "helm.benchmark.scenarios.wmt_14_scenario.WMT14Scenario",
            {"source_language": source, "target_language": target},
        ),
        adapter_spec=machine_translation_adapter_spec(
            LANGUAGE_NAMES[source], LANGUAGE_NAMES[target], max_train_instances
        ),
        metric_specs=open_ended_generation_metric_specs(),
        groups=["wmt_14"],
    )
