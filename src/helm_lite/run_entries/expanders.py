"""Run expanders: description keys that transform a run spec after its function built it.

Each expander turns one RunSpec into one or more and appends HELM's suffix to the run name. The
registry `EXPANDERS` maps a key to its function; a new expander is one function and one line.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import Any

from helm_lite.common.errors import UserError
from helm_lite.common.plugins import Registry as PluginRegistry
from helm_lite.registry.loader import Registry
from helm_lite.run_entries.resolution import expand_model_value, split_model_value
from helm_lite.run_specs.run_spec import RunSpec

Expander = Callable[[RunSpec, Any, Registry], list[RunSpec]]


def _sep(name: str) -> str:
    return "," if ":" in name else ":"


def _san(value: Any) -> str:
    return str(value).replace("/", "_")


def _suffix(spec: RunSpec, key: str, value: Any) -> str:
    return f"{spec.name}{_sep(spec.name)}{key}={_san(value)}"


def _adapter(spec: RunSpec, name: str, **changes: Any) -> RunSpec:
    return replace(spec, name=name, adapter_spec=replace(spec.adapter_spec, **changes))


def _non_empty(key: str, value: Any) -> str:
    if str(value) == "":
        raise UserError(f"{key}= needs a value")
    return str(value)


def expand_model(spec: RunSpec, value: Any, registry: Registry) -> list[RunSpec]:
    _non_empty("model", value)
    out = []
    for x in expand_model_value(registry, str(value)):
        model, deployment = split_model_value(x)
        changes: dict[str, Any] = {"model": model}
        if deployment is not None:
            changes["model_deployment"] = deployment
        out.append(_adapter(spec, _suffix(spec, "model", model), **changes))
    return out


def expand_model_deployment(spec: RunSpec, value: Any, registry: Registry) -> list[RunSpec]:
    deployment = _non_empty("model_deployment", value)
    return [_adapter(spec, _suffix(spec, "model_deployment", value), model_deployment=deployment)]


def _int_list(key: str, value: Any, named: dict[str, list[int]]) -> list[int]:
    if isinstance(value, str) and value in named:
        return named[value]
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, int) and not isinstance(value, bool):
        return [value]
    choices = f" or one of {', '.join(named)}" if named else ""
    raise UserError(f"{key}={value}: expected an integer{choices}")


def _int_expander(key: str, field: str, named: dict[str, list[int]]) -> Expander:
    def expand(spec: RunSpec, value: Any, registry: Registry) -> list[RunSpec]:
        return [_adapter(spec, _suffix(spec, key, v), **{field: v}) for v in _int_list(key, value, named)]

    return expand


def expand_eval_split(spec: RunSpec, value: Any, registry: Registry) -> list[RunSpec]:
    if value not in ("test", "valid"):
        raise UserError(f"eval_split={value}: must be 'test' or 'valid'")
    return [_adapter(spec, _suffix(spec, "eval_split", value), eval_splits=[value])]


_STOPS = {"hash": "###", "semicolon": ";", "br": "<br>"}


def expand_stop(spec: RunSpec, value: Any, registry: Registry) -> list[RunSpec]:
    name = f"{spec.name},stop={value}"  # HELM always uses a comma here
    if value == "none":
        return [_adapter(spec, name, stop_sequences=[])]
    if value not in _STOPS:
        raise UserError(f"stop={value}: must be one of none, {', '.join(_STOPS)}")
    stop = _STOPS[value]
    return [_adapter(spec, name, stop_sequences=[stop], instance_prefix=f"{stop}\n\n")]


def expand_add_to_stop(spec: RunSpec, value: Any, registry: Registry) -> list[RunSpec]:
    stop = "\n" if value == "newline" else str(value)
    return [_adapter(spec, spec.name, stop_sequences=[*spec.adapter_spec.stop_sequences, stop])]


def expand_global_prefix(spec: RunSpec, value: Any, registry: Registry) -> list[RunSpec]:
    if value != "nlg":
        raise UserError(f"global_prefix={value}: only 'nlg' is supported")
    return [_adapter(spec, f"{spec.name},global_prefix=nlg", global_prefix="[NLG]")]


_EXPERT = "I am an expert AI assistant who is here to help you with the following. "


def expand_instructions(spec: RunSpec, value: Any, registry: Registry) -> list[RunSpec]:
    name = f"{spec.name},instructions={value}"
    if value == "none":
        return [_adapter(spec, name, instructions="")]
    if value == "expert":
        return [_adapter(spec, name, instructions=_EXPERT + spec.adapter_spec.instructions)]
    raise UserError(f"instructions={value}: must be 'none' or 'expert'")


def expand_temperature(spec: RunSpec, value: Any, registry: Registry) -> list[RunSpec]:
    try:
        return [_adapter(spec, spec.name, temperature=float(value))]
    except ValueError:
        raise UserError(f"temperature={value}: expected a number") from None


# HELM Lite's instruction expanders (neither changes the run name).
_FOLLOW_FORMAT_PREFIX = (
    "Here are some input-output examples. Read the examples carefully to figure out the mapping. "
    "The output of the last example is not given, and your job is to figure out what it is."
)
_FOLLOW_FORMAT_SUFFIX = (
    "Please provide the output to this last example. It is critical to follow the format of the "
    "preceding outputs!"
)


def expand_follow_format_instructions(spec: RunSpec, value: Any, registry: Registry) -> list[RunSpec]:
    """Frame the prompt for instruction-following models (`instruct`) or every model (`all`)."""
    from helm_lite.registry.schema import INSTRUCTION_FOLLOWING_MODEL_TAG

    if value not in ("all", "instruct"):
        raise UserError(
            "Value of add_follow_the_format_instructions run expander must be 'all' or 'instruct'"
        )
    a = spec.adapter_spec
    if a.method != "generation":
        raise UserError(
            "follow_format_instructions run expander only supports the generation adaptation method"
        )
    if value == "instruct":
        metadata = registry.get_model(a.model)
        if metadata is None:
            raise UserError(f"follow_format_instructions=instruct: no model metadata for {a.model!r}")
        if INSTRUCTION_FOLLOWING_MODEL_TAG not in metadata.tags:
            return [spec]
    suffix = f"\n\n{_FOLLOW_FORMAT_SUFFIX}\n{a.output_prefix.strip()}"
    return [_adapter(spec, spec.name, global_prefix=_FOLLOW_FORMAT_PREFIX + "\n\n", global_suffix=suffix)]


_SINGLE_LETTER = "Answer with only a single letter."
_MC_OUTPUT_FORMATS = {
    "mmlu_only_last_question": "Answer only the last question with only a single letter.",
    "mcqa_only_last_question": "Answer only the last question with only a single letter.",
    "mcqa_no_period": "Answer with only a single letter. Do not include a period in your answer.",
}
_GENERATION_OUTPUT_FORMATS = {
    "narrative_qa": "Answer with one word, a few-word phrase, or a short sentence. "
    "Avoid extra, unnecessary information in the answer.",
    "natural_qa": "Answer with a short answer or a boolean 'yes' or 'no' answer.",
    "natural_qa_short_answer": "Answer with a short answer.",
    "legalbench_abercrombie": "Answer with only 'generic', 'descriptive', 'suggestive', 'arbitrary' "
    "or 'fanciful'.",
    "legalbench_function_of_decision_section": "Answer with only 'Facts', 'Procedural History', 'Issue', "
    "'Rule', 'Analysis', 'Conclusion' or 'Decree'.",
    "legalbench_yes_or_no": "Answer with only 'Yes' or 'No'.",
    "wmt_14": "Answer with the English translation.",
    "wmt_14_only_last_sentence": "Answer with only the English translation for the last sentence.",
    "math": "Wrap the final answer with the \\boxed{} command.",
    "numeric_nlg": "Answer with only description of the last table as a single paragraph on a single line.",
    "tab_fact": "Answer with only the classification of the last statement, either 'refuted' or 'entailed'.",
    "wikitq": "Answer only the last question with a short answer. "
    "Avoid extra, unnecessary information in the answer.",
}


def expand_output_format_instructions(spec: RunSpec, value: Any, registry: Registry) -> list[RunSpec]:
    """Tell chat models the expected answer format; `_suffix` / `_no_prefix` tags as in HELM."""
    scenario = str(value)
    in_suffix = scenario.endswith("_suffix")
    scenario = scenario.removesuffix("_suffix")
    no_prefix = scenario.endswith("_no_prefix")
    scenario = scenario.removesuffix("_no_prefix")
    a = spec.adapter_spec
    if scenario == "arabic_mcqa":
        raise UserError(f"output_format_instructions={value}: not supported by helm_lite")
    if a.method == "multiple_choice_joint":
        text = _MC_OUTPUT_FORMATS.get(scenario, _SINGLE_LETTER)
    elif a.method == "generation":
        noun = a.output_prefix.split(":")[0]
        if scenario == "legalbench":
            text = f"Answer with the {noun.lower()}." if noun != "Answer" else "Answer yes or no."
        elif scenario in _GENERATION_OUTPUT_FORMATS:
            text = _GENERATION_OUTPUT_FORMATS[scenario]
        else:
            raise UserError(f"Unknown scenario {scenario}")
    elif a.method == "multiple_choice_joint_chain_of_thought" and scenario in ("mmlu_pro", "gpqa"):
        text = (
            'In your response, replace "insert answer here" with the single uppercase letter '
            "corresponding to your answer."
        )
    else:
        raise UserError(f"output_format_instructions={value}: not supported for method {a.method}")
    if no_prefix:
        text += f" Do not include '{a.output_prefix.strip()}' in your answer."
    if in_suffix:
        return [_adapter(spec, spec.name, global_suffix=f"{a.global_suffix}\n\n{text}")]
    instructions = f"{text}\n\n{a.instructions}" if a.instructions else f"{text}\n"
    return [_adapter(spec, spec.name, instructions=instructions)]


EXPANDERS: PluginRegistry[Expander] = PluginRegistry(
    "run expander",
    {
        "model": expand_model,
        "model_deployment": expand_model_deployment,
        "max_train_instances": _int_expander(
            "max_train_instances",
            "max_train_instances",
            {"zero": [0], "one": [1], "all": [0, 1, 2, 4, 8, 16], "big_bench_few_shot_setting": [0, 1, 2, 3]},
        ),
        "num_train_trials": _int_expander("num_train_trials", "num_train_trials", {}),
        "max_eval_instances": _int_expander("max_eval_instances", "max_eval_instances", {"default": [1000]}),
        "num_outputs": _int_expander("num_outputs", "num_outputs", {"default": [1]}),
        "eval_split": expand_eval_split,
        "stop": expand_stop,
        "add_to_stop": expand_add_to_stop,
        "global_prefix": expand_global_prefix,
        "instructions": expand_instructions,
        "temperature": expand_temperature,
        "follow_format_instructions": expand_follow_format_instructions,
        "output_format_instructions": expand_output_format_instructions,
        "increase_max_tokens": "helm_lite.run_entries.max_tokens_expander:expand_increase_max_tokens",
        "prompt": "helm_lite.run_entries.prompt_expander:expand_prompt",
        "data_augmentation": "helm_lite.augmentations.expander:expand_data_augmentation",
        "DataAugmentationRunExpander": "helm_lite.augmentations.expander:expand_data_augmentation",
    },
)
