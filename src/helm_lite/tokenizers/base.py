"""Tokenizer interface: encode/decode token ids and split text into token strings."""

from __future__ import annotations

from abc import ABC, abstractmethod


class Tokenizer(ABC):
    @abstractmethod
    def encode(self, text: str) -> list[int]:
        """Token ids of `text`, without special tokens."""

    @abstractmethod
    def decode(self, tokens: list[int]) -> str:
        """Text of token ids (no clean-up of tokenization spaces)."""

    @abstractmethod
    def tokenize(self, text: str) -> list[str]:
        """Token strings of `text`, one per token."""
