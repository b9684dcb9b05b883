"""The HuggingFace client's engines by name (`client_spec.args.engine`).

An engine loads the model and turns encoded prompts into continuations and prompt log probabilities;
`generation.generate_batch` does the rest (stops, finish reasons, token texts) the same way for all.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol

from helm_lite.clients.huggingface.decoding import Decoding
from helm_lite.clients.huggingface.fast import FastEngine
from helm_lite.clients.huggingface.reference import ReferenceEngine


class Engine(Protocol):
    name: str

    def load(self, auto_kwargs: dict[str, Any], path: str, device: str) -> Any:
        """The model from `AutoModelForCausalLM.from_pretrained(path, **auto_kwargs)`, on the CPU."""

    def groups(self, lengths: list[int], decoding: Decoding, max_batch_tokens: int) -> list[range]:
        """Consecutive rows that run together, from each prompt's length in tokens."""

    def score(self, model: Any, tokenizer: Any, device: str, encoded: list[list[int]]) -> list[list[float]]:
        """Each prompt token's log probability given the ones before it (the first gets 0.0)."""

    def continuations(
        self,
        model: Any,
        tokenizer: Any,
        device: str,
        encoded: list[list[int]],
        decoding: Decoding,
        generate_tokenizer: Callable[[], Any],
    ) -> tuple[list[list[int]], list[list[float]]]:
        """New token ids and their log probabilities, `num_return_sequences` rows per prompt in
        prompt order; a row may end with the end-of-text token or run past a stop sequence."""


ENGINES: dict[str, Engine] = {"fast": FastEngine(), "reference": ReferenceEngine()}
