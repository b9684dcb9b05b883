"""The standard answer shape every built-in client returns and the cache stores (pickled).

These are `TypedDict`s: plain dicts at run time, so cache values and keys are exactly what they were
before they had types, and HELM reads the same cache files. A provider whose answers take another
shape overrides `Provider.parse_completions`.
"""

from __future__ import annotations

from typing import TypedDict


class TokenDict(TypedDict):
    """One token of a completion: its text and log probability."""

    text: str
    logprob: float


#: Why a completion ended, ``{"reason": "stop" | "length" | "endoftext" | an API's own word}``
#: (a plain dict, as `GeneratedOutput.finish_reason` holds it).
FinishReason = dict[str, str]


class _CompletionFields(TypedDict):
    text: str
    logprob: float
    tokens: list[TokenDict]


class CompletionDict(_CompletionFields, total=False):
    """One completion; its tokens' texts concatenate to its text. An API that gives no finish
    reason leaves it None."""

    finish_reason: FinishReason | None


class _AnswerFields(TypedDict):
    completions: list[CompletionDict]


class Answer(_AnswerFields, total=False):
    """A provider's answer to one raw request, with the timing fields the request engine adds."""

    request_time: float
    request_datetime: int
    batch_size: int
    batch_request_time: float
