"""Token texts of generated or echoed ids, shared by the local engines (HuggingFace, vLLM).

Each token's text is decoded on its own, so the texts of a completion's tokens concatenate to its
text and a stop sequence can be cut at a token boundary (`stops.tokens_within`).
"""

from __future__ import annotations

from typing import Any


def token_texts(tokenizer: Any, ids: list[int]) -> list[str]:
    """The text of each token of `ids`, in order."""
    return [tokenizer.convert_tokens_to_string([t]) for t in tokenizer.convert_ids_to_tokens(ids)]
