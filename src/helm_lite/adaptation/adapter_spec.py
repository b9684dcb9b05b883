"""AdapterSpec: how instances become prompts. Field order is HELM's JSON key order."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Substitution:
    source: str
    target: str


@dataclass(frozen=True)
class AdapterSpec:
    method: str = ""
    global_prefix: str = ""
    global_suffix: str = ""
    instructions: str = ""
    input_prefix: str = "Input: "
    input_suffix: str = "\n"
    reference_prefix: str = "A. "
    reference_prefix_characters: list[str] | None = None
    reference_suffix: str = "\n"
    chain_of_thought_prefix: str = ""
    chain_of_thought_suffix: str = "\n"
    output_prefix: str = "Output: "
    output_suffix: str = "\n"
    instance_prefix: str = "\n"
    substitutions: list[Substitution] = field(default_factory=list)
    max_train_instances: int = 5
    max_eval_instances: int | None = None
    num_outputs: int = 5
    num_train_trials: int = 1
    num_trials: int = 1
    sample_train: bool = True
    model_deployment: str = ""
    model: str = ""
    temperature: float = 1
    max_tokens: int = 100
    stop_sequences: list[str] = field(default_factory=list)
    random: str | None = None
    multi_label: bool = False
    eval_splits: list[str] | None = None
    output_mapping_pattern: str | None = None
