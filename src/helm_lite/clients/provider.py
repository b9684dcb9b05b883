"""The provider contract: what a model back end implements, and nothing else.

A provider says how a `Request` becomes its raw request (the cache key, sent to the model), how to
answer a batch of raw requests, and how to read an answer back as completions; `capabilities`
declares how its requests may be grouped and run. Cache lookups, deduplication, leases, batching,
threads, timing and error capture belong to the request engine (`helm_lite.engine`), so a new
provider is a few dozen lines and every provider gets them the same way.

A provider is generic in its raw request type: each built-in client declares a `TypedDict` (a plain
dict at run time, so cache keys are unchanged), which `compute_batch` and `batch_key` then read with
checked keys. The engine sees any `RawRequest` (a string-keyed mapping that JSON can encode); a bare
`Provider` means a provider of any raw request type. Answers take one shape, `answers.Answer`.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Hashable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Generic

from helm_lite.clients.answers import Answer, CompletionDict, TokenDict
from helm_lite.common.request import GeneratedOutput, Request, Token

__all__ = [
    "Answer",
    "Capabilities",
    "CompletionDict",
    "Provider",
    "RawRequest",
    "RawT",
    "TokenDict",
    "standard_completions",
]

#: What the engine knows of a raw request: JSON-encodable fields by name (the cache key).
RawRequest = Mapping[str, object]

if TYPE_CHECKING:
    import typing_extensions

    # The default makes a bare `Provider` mean any provider (type checkers only read it).
    RawT = typing_extensions.TypeVar("RawT", bound=RawRequest, default=RawRequest)
else:  # `typing.TypeVar` takes `default` only from Python 3.13
    from typing import TypeVar

    RawT = TypeVar("RawT", bound=RawRequest)


@dataclass(frozen=True)
class Capabilities:
    """How the engine may group and run a provider's requests."""

    #: Local engines answer up to this many raw requests per `compute_batch` call (grouped by
    #: `Provider.batch_key`, ordered by `Provider.batch_sort_key`); remote APIs keep 1 and get threads.
    max_batch_size: int = 1
    #: In-process CPU-only providers set 1: under the GIL threads add only overhead. `None`: as many
    #: as `--num-threads`.
    max_threads: int | None = None
    #: Lease missing keys so processes sharing a cache file compute each answer once. Providers whose
    #: answers cost nothing may turn it off: leasing 10,000 requests costs more than answering them.
    lease_requests: bool = True


def standard_completions(answer: Answer) -> list[GeneratedOutput]:
    """Completions of an answer in the standard shape (`answers.Answer`)."""
    return [
        GeneratedOutput(
            text=c["text"],
            logprob=c["logprob"],
            tokens=[Token(t["text"], t["logprob"]) for t in c["tokens"]],
            finish_reason=c.get("finish_reason"),
        )
        for c in answer["completions"]
    ]


class Provider(ABC, Generic[RawT]):
    """A model back end, as the request engine sees it."""

    @property
    def capabilities(self) -> Capabilities:
        return Capabilities()

    @abstractmethod
    def raw_request(self, request: Request) -> RawT:
        """The cache key: every request field that can change the output, and never a secret."""

    @abstractmethod
    def compute_batch(self, raw_requests: list[RawT]) -> list[Answer]:
        """One answer per raw request, in order. Raise on failure: the whole batch is then recorded
        as failed (and not cached)."""

    def parse_completions(self, request: Request, answer: Answer) -> list[GeneratedOutput]:
        """The answer's completions; answers in the standard shape need no override."""
        return standard_completions(answer)

    def batch_key(self, raw_request: RawT) -> Hashable:
        """Raw requests with equal keys may share one `compute_batch` call (e.g. same decoding)."""
        return None

    def batch_sort_key(self, raw_request: RawT) -> Any:
        """Order within a batch group (any comparable value); local engines sort by length so
        batches need little padding."""
        return 0
