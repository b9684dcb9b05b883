"""Client: turns Requests into RequestResults through the request cache.

A client implementation only says how to build the cache key (`raw_request`) and how to compute a
response for one raw request (`compute`) or a whole batch (`compute_batch`, overridden by local
engines). Everything else — cache lookups, batching, threads for remote APIs, timing, turning
exceptions into failed results — lives here once.

Responses are plain dicts (pickled into the cache):
``{"completions": [{"text", "logprob", "tokens": [{"text", "logprob"}], "finish_reason"?}], ...}``.
"""

from __future__ import annotations

import logging
import threading
import time
from abc import ABC, abstractmethod
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor, as_completed
from typing import Any

from helm_lite.common.cache import NoCache, SqliteCache, cache_key
from helm_lite.common.request import GeneratedOutput, Request, RequestResult, Token

logger = logging.getLogger(__name__)

Progress = Callable[[int], object]


class Client(ABC):
    """Base class for every serving route. Subclasses get `cache` injected by the registry."""

    #: Local engines set this to a batch size; remote clients keep 1 and get threads instead.
    max_batch_size: int = 1
    #: In-process Python clients that only use the CPU set this to 1: under the GIL threads add
    #: nothing but overhead. `None` means "as many as `--num-threads`".
    max_threads: int | None = None

    def __init__(self, cache: SqliteCache | None = None) -> None:
        self.cache: SqliteCache = cache if cache is not None else NoCache()

    # --- what a client implements -------------------------------------------------------------
    @abstractmethod
    def raw_request(self, request: Request) -> dict[str, Any]:
        """The cache key: every request field that can change the output, and never a secret."""

    @abstractmethod
    def compute(self, raw_request: dict[str, Any]) -> dict[str, Any]:
        """Ask the model. Raise on failure (the request is then recorded as failed, not cached)."""

    def compute_batch(self, raw_requests: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """Local engines override this to run a whole batch at once."""
        return [self.compute(r) for r in raw_requests]

    def batch_key(self, raw_request: dict[str, Any]) -> Any:
        """Requests with equal batch keys may share one `compute_batch` call (e.g. same decoding)."""
        return None

    def batch_sort_key(self, raw_request: dict[str, Any]) -> Any:
        """Order within a batch group; local engines sort by length so batches need little padding."""
        return 0

    def parse_completions(self, request: Request, response: dict[str, Any]) -> list[GeneratedOutput]:
        return [
            GeneratedOutput(
                text=c["text"],
                logprob=c["logprob"],
                tokens=[Token(t["text"], t["logprob"]) for t in c["tokens"]],
                finish_reason=c.get("finish_reason"),
            )
            for c in response["completions"]
        ]

    # --- what callers use -----------------------------------------------------------------------
    def make_request(self, request: Request) -> RequestResult:
        return self.make_requests([request])[0]

    def make_requests(
        self, requests: list[Request], num_threads: int = 1, progress: Progress | None = None
    ) -> list[RequestResult]:
        """Answer requests in order: cached ones from the cache, the rest in batches or threads.

        Each computed answer is stored as soon as it (or its batch) arrives; answers that took under
        10 ms to compute (cheap local models) are committed together, at least every 0.2 s.
        """
        raws = [self.raw_request(r) for r in requests]
        hits = self.cache.get_many(raws)
        results: list[RequestResult | None] = [None] * len(requests)
        missing: dict[str, list[int]] = {}
        for i, (raw, hit) in enumerate(zip(raws, hits, strict=True)):
            if hit is not None:
                results[i] = self._result(requests[i], hit, cached=True)
            else:
                missing.setdefault(cache_key(raw), []).append(i)
        groups = list(missing.values())
        num_hits = len(requests) - sum(len(g) for g in groups)
        if progress is not None and num_hits:
            progress(num_hits)

        def finish(group: list[int], response: dict[str, Any] | None, error: str | None) -> None:
            for i in group:
                if response is None:
                    results[i] = RequestResult(
                        success=False, embedding=[], completions=[], cached=False, error=error
                    )
                else:
                    results[i] = self._result(requests[i], response, cached=False)
            if progress is not None:
                progress(len(group))

        if self.max_batch_size > 1:
            self._run_batches(raws, groups, finish)
        else:
            self._run_threads(raws, groups, finish, num_threads)
        return [r for r in results if r is not None]

    # --- internals --------------------------------------------------------------------------------
    def _result(self, request: Request, response: dict[str, Any], cached: bool) -> RequestResult:
        return RequestResult(
            success=True,
            embedding=[],
            completions=self.parse_completions(request, response),
            cached=cached,
            request_time=response.get("request_time"),
            request_datetime=response.get("request_datetime"),
            batch_size=response.get("batch_size"),
            batch_request_time=response.get("batch_request_time"),
        )

    def _timed_one(self, raw: dict[str, Any]) -> dict[str, Any]:
        start, started_at = time.perf_counter(), int(time.time())
        response = dict(self.compute(raw))
        response["request_time"] = time.perf_counter() - start
        response["request_datetime"] = started_at
        return response

    def _run_threads(
        self,
        raws: list[dict[str, Any]],
        groups: list[list[int]],
        finish: Callable[[list[int], dict[str, Any] | None, str | None], None],
        num_threads: int,
    ) -> None:
        store = _Store(self.cache)

        def one(group: list[int]) -> tuple[list[int], dict[str, Any] | None, str | None]:
            raw = raws[group[0]]
            try:
                response = self._timed_one(raw)
            except Exception as e:  # a failed request is recorded, never a crash that loses work
                logger.warning("Request failed: %s", e)
                return group, None, f"{type(e).__name__}: {e}"
            store.add(raw, response)
            return group, response, None

        if self.max_threads is not None:
            num_threads = min(num_threads, self.max_threads)
        try:
            if num_threads <= 1 or len(groups) <= 1:
                for g in groups:
                    finish(*one(g))
                return
            with ThreadPoolExecutor(max_workers=num_threads) as pool:
                for fut in as_completed([pool.submit(one, g) for g in groups]):
                    finish(*fut.result())
        finally:
            store.flush()

    def _run_batches(
        self,
        raws: list[dict[str, Any]],
        groups: list[list[int]],
        finish: Callable[[list[int], dict[str, Any] | None, str | None], None],
    ) -> None:
        by_key: dict[Any, list[list[int]]] = {}
        for g in groups:
            by_key.setdefault(self.batch_key(raws[g[0]]), []).append(g)
        for same in by_key.values():
            same.sort(key=lambda g: self.batch_sort_key(raws[g[0]]))
            for start in range(0, len(same), self.max_batch_size):
                chunk = same[start : start + self.max_batch_size]
                batch = [raws[g[0]] for g in chunk]
                t0, started_at = time.perf_counter(), int(time.time())
                try:
                    responses = self.compute_batch(batch)
                except Exception as e:
                    logger.warning("Batch of %d requests failed: %s", len(batch), e)
                    for g in chunk:
                        finish(g, None, f"{type(e).__name__}: {e}")
                    continue
                elapsed = time.perf_counter() - t0
                stored = []
                for raw, response in zip(batch, responses, strict=True):
                    response = dict(response)
                    response.setdefault("request_time", elapsed)
                    response["request_datetime"] = started_at
                    response["batch_size"] = len(batch)
                    response["batch_request_time"] = elapsed
                    stored.append((raw, response))
                self.cache.put_many(stored)
                for g, (_, response) in zip(chunk, stored, strict=True):
                    finish(g, response, None)


class _Store:
    """Stores computed answers: an expensive one (a real model call) is committed at once, cheap ones
    (answered in under `CHEAP_S`, e.g. the test model) are committed together every `BATCH_S` seconds
    or `BATCH_N` answers, since a commit costs more than computing them. A kill can lose only answers
    that are cheap to compute again."""

    CHEAP_S = 0.01
    BATCH_S = 0.2
    BATCH_N = 1000

    def __init__(self, cache: SqliteCache) -> None:
        self.cache = cache
        self._lock = threading.Lock()
        self._pending: list[tuple[dict[str, Any], dict[str, Any]]] = []
        self._last = time.monotonic()

    def add(self, raw: dict[str, Any], response: dict[str, Any]) -> None:
        with self._lock:
            self._pending.append((raw, response))
            now = time.monotonic()
            if (
                response.get("request_time", 0.0) >= self.CHEAP_S
                or len(self._pending) >= self.BATCH_N
                or now - self._last >= self.BATCH_S
            ):
                self._flush_locked(now)

    def flush(self) -> None:
        with self._lock:
            self._flush_locked(time.monotonic())

    def _flush_locked(self, now: float) -> None:
        if self._pending:
            self.cache.put_many(self._pending)
            self._pending = []
        self._last = now
