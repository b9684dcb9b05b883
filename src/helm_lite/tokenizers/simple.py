"""simple/tokenizer1: one token per character, token id = Unicode code point. No ML library needed."""

from __future__ import annotations

from helm_lite.tokenizers.base import Tokenizer


class SimpleTokenizer(Tokenizer):
    def encode(self, text: str) -> list[int]:
        return [ord(c) for c in text]

    def decode(self, tokens: list[int]) -> str:
        return "".join(chr(t) for t in tokens)

    def tokenize(self, text: str) -> list[str]:
        return list(text)
