"""Window services: how many tokens a prompt has, whether it fits the deployment, how to cut it."""

from __future__ import annotations

import threading

from helm_lite.tokenizers.base import Tokenizer

MAX_INT = 2**31 - 1


class WindowService:
    """HELM's default (local) window service over the deployment's tokenizer and limits.

    Token counts are memoised: adapters and metrics count the same prompts repeatedly.
    """

    def __init__(
        self,
        tokenizer: Tokenizer,
        max_sequence_length: int | None,
        max_request_length: int | None = None,
        max_sequence_and_generated_tokens_length: int | None = None,
        end_of_text_token: str | None = None,
        prefix_token: str | None = None,
    ) -> None:
        self.tokenizer = tokenizer
        self.max_sequence_length = max_sequence_length if max_sequence_length is not None else MAX_INT
        self.max_request_length = (
            max_request_length if max_request_length is not None else self.max_sequence_length
        )
        self.max_sequence_and_generated_tokens_length = (
            max_sequence_and_generated_tokens_length
            if max_sequence_and_generated_tokens_length is not None
            else MAX_INT
        )
        self.end_of_text_token = end_of_text_token or ""
        self.prefix_token = prefix_token or ""
        self._counts: dict[str, int] = {}
        self._lock = threading.Lock()

    def encode(self, text: str) -> list[int]:
        return self.tokenizer.encode(text)

    def decode(self, tokens: list[int]) -> str:
        return self.tokenizer.decode(tokens)

    def tokenize(self, text: str) -> list[str]:
        return self.tokenizer.tokenize(text)

    def get_num_tokens(self, text: str) -> int:
        n = self._counts.get(text)
        if n is None:
            n = len(self.tokenizer.encode(text))
            with self._lock:
                if len(self._counts) > 200_000:
                    self._counts.clear()
                self._counts[text] = n
        return n

    def fits_within_context_window(self, text: str, expected_completion_token_length: int = 0) -> bool:
        return self.get_num_tokens(text) + expected_completion_token_length <= self.max_request_length

    def truncate_from_right(self, text: str, expected_completion_token_length: int = 0) -> str:
        """Keep the longest head of `text` that fits (HELM: token cut, then drop characters)."""
        limit = max(self.max_request_length - expected_completion_token_length, 0)
        result = self.decode(self.encode(text)[:limit])
        # Stop at "": when the completion alone exceeds the window nothing fits, and HELM loops forever.
        while result and not self.fits_within_context_window(result, expected_completion_token_length):
            result = result[:-1]
        return result


class NoTokenizerWindowService(WindowService):
    """For deployments with no tokenizer and no limits: everything fits, one "token" per text."""

    def __init__(self) -> None:
        self.tokenizer = None  # type: ignore[assignment]
        self.max_sequence_length = MAX_INT
        self.max_request_length = MAX_INT
        self.max_sequence_and_generated_tokens_length = MAX_INT
        self.end_of_text_token = ""
        self.prefix_token = ""

    def encode(self, text: str) -> list[int]:
        raise NotImplementedError("This deployment has no tokenizer; tokens cannot be encoded")

    def decode(self, tokens: list[int]) -> str:
        raise NotImplementedError("This deployment has no tokenizer; tokens cannot be decoded")

    def tokenize(self, text: str) -> list[str]:
        return [text]

    def get_num_tokens(self, text: str) -> int:
        return 1

    def fits_within_context_window(self, text: str, expected_completion_token_length: int = 0) -> bool:
        return True

    def truncate_from_right(self, text: str, expected_completion_token_length: int = 0) -> str:
        return text
