"""The HuggingFace client's settings (``client_spec.args``) and its raw request (the cache key)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TypedDict


@dataclass(frozen=True)
class HuggingFaceSettings:
    """A deployment's ``client_spec.args`` for `HuggingFaceClient`."""

    pretrained_model_name_or_path: str  # a local folder, a hub id, or ``bundled/<name>``
    dtype: str = "auto"
    device: str = "auto"
    max_batch_size: int = 64
    max_batch_tokens: int = 32768  # padded positions per forward pass (fast engine)
    trust_remote_code: bool = False
    revision: str | None = None
    apply_chat_template: bool | None = None  # None: when the tokenizer has a template
    engine: str = "fast"  # see `engines.ENGINES`


class _HuggingFaceRawFields(TypedDict):
    model: str
    dtype: str
    prompt: str
    temperature: float
    num_return_sequences: int
    max_new_tokens: int
    top_p: float
    echo_prompt: bool
    top_k_per_token: int
    stop_sequences: list[str]


class HuggingFaceRawRequest(_HuggingFaceRawFields, total=False):
    """What a HuggingFace answer depends on; optional fields are left out when unset, so keys made
    before they existed still match."""

    random: str  # the HELM trial
    engine: str  # only when not ``fast``
    identity: str  # what the model is (`models.identity`): retrained weights get new keys
