"""The in-process vLLM client's settings (``client_spec.args``) and its raw request (the cache key)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, TypedDict

from helm_lite.clients.vllm_engine import VLLMEngineArgs
from helm_lite.common.errors import UserError


@dataclass(frozen=True)
class VLLMSettings:
    """A deployment's ``client_spec.args`` for `VLLMClient`: the engine's settings (shared with
    ``helm-serve``) and how many requests one `generate` call takes."""

    engine: VLLMEngineArgs
    max_batch_size: int = 256

    @classmethod
    def from_args(
        cls, model: str, max_batch_size: int, engine_args: Mapping[str, Any], label: str
    ) -> VLLMSettings:
        """`engine_args`: `VLLMEngineArgs`' fields other than `model`; another name is a `UserError`."""
        unknown = sorted(set(engine_args) - VLLMEngineArgs.field_names())
        if unknown:
            known = ", ".join(sorted(VLLMEngineArgs.field_names() - {"model"}))
            raise UserError(f"{label}: unknown vLLM engine setting(s) {', '.join(unknown)} (known: {known})")
        return cls(VLLMEngineArgs(model=model, **engine_args), max_batch_size)


class _VLLMRawFields(TypedDict):
    engine: str  # always "vllm"
    model: str
    dtype: str
    prompt: str
    temperature: float
    top_p: float
    max_tokens: int
    n: int
    stop: list[str]
    echo_prompt: bool
    presence_penalty: float
    frequency_penalty: float


class VLLMRawRequest(_VLLMRawFields, total=False):
    """What a vLLM answer depends on; settings that are usually unset stay out of the key then."""

    tokenizer: str
    quantization: str
    revision: str
    random: str  # the HELM trial
    identity: str  # what the model is (`models.identity`): retrained weights get new keys
