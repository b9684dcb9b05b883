"""AdapterSpec: how instances become prompts. Field order is HELM's JSON key order."""

from __future__ import annotations

import math
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


# Smallest sensible value of each count (0 train instances = zero-shot; 0 tokens = score the prompt only).
_MINIMUMS = {
    "max_train_instances": 0,
    "max_eval_instances": 1,
    "num_outputs": 1,
    "num_train_trials": 1,
    "num_trials": 1,
    "max_tokens": 0,
}


def adapter_spec_problem(spec: AdapterSpec) -> str | None:
    """What is out of range in `spec` (named as in a run entry), or None.

    Checked when run specs are built, so a negative count stops the command before any run starts
    instead of failing deep inside example selection or a model call.
    """
    for name, minimum in _MINIMUMS.items():
        value = getattr(spec, name)
        if value is not None and value < minimum:
            return f"{name}={value}: must be at least {minimum}"
    if not (math.isfinite(spec.temperature) and spec.temperature >= 0):
        return f"temperature={spec.temperature}: must be a finite number >= 0"
    return None
