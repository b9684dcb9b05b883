"""Client: the base class of the built-in providers, with their capabilities as class attributes.

A client implements `raw_request` (the cache key) and `compute` (one raw request) or, for local
engines, `compute_batch`. Its capabilities are plain attributes (`max_batch_size` may be a
constructor argument), read into a `Capabilities` whenever the engine starts a run. `make_requests`
is a shortcut to the request engine with the client's own cache, for tests and scripts; helm-run
goes through `Services.engine`.
"""

from __future__ import annotations

from abc import abstractmethod
from typing import TYPE_CHECKING, Any, ClassVar

from helm_lite.clients.provider import Answer, Capabilities, Provider, RawT
from helm_lite.clients.settings import settings_signature
from helm_lite.common.cache import NoCache, SqliteCache
from helm_lite.common.request import Request, RequestResult
from helm_lite.engine.dispatch import Dispatcher
from helm_lite.engine.request_engine import Progress, RequestEngine

if TYPE_CHECKING:
    from _typeshed import DataclassInstance

__all__ = ["Client", "Progress"]


class Client(Provider[RawT]):
    """Base class for the built-in serving routes, generic in their raw request type. Subclasses
    get `cache` injected by the registry."""

    #: See `Capabilities.max_batch_size`.
    max_batch_size: int = 1
    #: See `Capabilities.max_threads`.
    max_threads: int | None = None
    #: See `Capabilities.lease_requests`.
    lease_requests: bool = True
    #: The dataclass a client taking ``**args`` reads them into (see `clients.settings`).
    settings_class: ClassVar[type[DataclassInstance] | None] = None

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if cls.settings_class is not None:
            setattr(cls, "__signature__", settings_signature(cls.__init__, cls.settings_class))  # noqa: B010

    def __init__(self, cache: SqliteCache | None = None) -> None:
        self.cache: SqliteCache = cache if cache is not None else NoCache()

    @property
    def capabilities(self) -> Capabilities:
        return Capabilities(self.max_batch_size, self.max_threads, self.lease_requests)

    @abstractmethod
    def raw_request(self, request: Request) -> RawT:
        """The cache key: every request field that can change the output, and never a secret."""

    @abstractmethod
    def compute(self, raw_request: RawT) -> Answer:
        """Ask the model. Raise on failure (the request is then recorded as failed, not cached)."""

    def compute_batch(self, raw_requests: list[RawT]) -> list[Answer]:
        """Local engines override this to run a whole batch at once."""
        return [self.compute(r) for r in raw_requests]

    def make_request(self, request: Request) -> RequestResult:
        return self.make_requests([request])[0]

    def make_requests(
        self,
        requests: list[Request],
        num_threads: int = 1,
        progress: Progress | None = None,
        dispatcher: Dispatcher | None = None,
    ) -> list[RequestResult]:
        """`RequestEngine.run` with this client's cache."""
        return RequestEngine(self, self.cache).run(requests, num_threads, progress, dispatcher)
