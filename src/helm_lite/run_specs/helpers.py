"""Shared adapter and metric helpers with HELM's defaults, so run-spec functions stay one-liners."""

from __future__ import annotations

from helm_lite.adaptation.adapter_spec import AdapterSpec
from helm_lite.run_specs.run_spec import MetricSpec

_BASIC = "helm.benchmark.metrics.basic_metrics."


def format_instructions(instructions: str) -> str:
    return f"{instructions}\n" if instructions else ""


def _noun_prefix(noun: str | None, newline: bool) -> str:
    return f"{noun}:" + ("\n" if newline else " ") if noun is not None else ""


def generation_adapter_spec(
    instructions: str = "",
    input_noun: str | None = None,
    newline_after_input_noun: bool = False,
    output_noun: str | None = None,
    newline_after_output_noun: bool = False,
    max_train_instances: int = 5,
    num_outputs: int = 1,
    max_tokens: int = 5,
    stop_sequences: list[str] | None = None,
    temperature: float = 0.0,
    multi_label: bool = False,
    sample_train: bool = True,
) -> AdapterSpec:
    return AdapterSpec(
        method="generation",
        instructions=format_instructions(instructions),
        input_prefix=_noun_prefix(input_noun, newline_after_input_noun),
        input_suffix="\n",
        output_prefix=_noun_prefix(output_noun, newline_after_output_noun),
        output_suffix="\n",
        max_train_instances=max_train_instances,
        num_outputs=num_outputs,
        max_tokens=max_tokens,
        stop_sequences=["\n"] if stop_sequences is None else stop_sequences,
        temperature=temperature,
        multi_label=multi_label,
        sample_train=sample_train,
    )


def multiple_choice_joint_adapter_spec(
    instructions: str,
    input_noun: str | None,
    output_noun: str,
    max_train_instances: int = 5,
    num_outputs: int = 5,
    max_tokens: int = 1,
    sample_train: bool = True,
) -> AdapterSpec:
    return AdapterSpec(
        method="multiple_choice_joint",
        instructions=format_instructions(instructions),
        input_prefix=f"{input_noun}: " if input_noun is not None else "",
        input_suffix="\n" if input_noun is not None else "",
        output_prefix=f"{output_noun}: ",
        output_suffix="\n",
        max_train_instances=max_train_instances,
        num_outputs=num_outputs,
        max_tokens=max_tokens,
        temperature=0.0,
        stop_sequences=["\n"],
        sample_train=sample_train,
    )


def multiple_choice_separate_adapter_spec(method: str, empty_input: bool = False) -> AdapterSpec:
    """Prompt `⟨input⟩ ⟨reference⟩` (just `⟨reference⟩` for empty inputs), scored by echoed logprobs.

    Only the fields HELM's helper sets; reference/instance prefixes keep their (unused) defaults.
    """
    return AdapterSpec(
        method=method,
        instructions="",
        input_prefix="",
        input_suffix="",
        output_prefix="" if empty_input else " ",
        output_suffix="",
        max_train_instances=0,
        num_outputs=1,
        max_tokens=0,
        temperature=0.0,
    )


def language_modeling_adapter_spec() -> AdapterSpec:
    """The raw text, nothing added: its windows are echoed and their logprobs scored."""
    return AdapterSpec(
        method="language_modeling",
        instructions="",
        input_prefix="",
        input_suffix="",
        output_prefix="",
        output_suffix="",
        max_train_instances=0,
        num_outputs=1,
        max_tokens=0,
        temperature=0.0,
    )


def basic_metric_specs(names: list[str]) -> list[MetricSpec]:
    return [
        MetricSpec(_BASIC + "BasicGenerationMetric", {"names": names}),
        MetricSpec(_BASIC + "BasicReferenceMetric", {}),
        MetricSpec(_BASIC + "InstancesPerSplitMetric", {}),
    ]


def exact_match_metric_specs() -> list[MetricSpec]:
    return basic_metric_specs(
        ["exact_match", "quasi_exact_match", "prefix_exact_match", "quasi_prefix_exact_match"]
    )


def f1_metric_specs() -> list[MetricSpec]:
    return basic_metric_specs(["exact_match", "quasi_exact_match", "f1_score"])


def language_modeling_metric_specs(names: list[str]) -> list[MetricSpec]:
    """HELM's metric for language_modeling runs (one text may span several window requests)."""
    return [
        MetricSpec(
            "helm.benchmark.metrics.language_modeling_metrics.LanguageModelingMetric", {"names": names}
        )
    ]
