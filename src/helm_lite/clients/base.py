"""Client: turns Requests into RequestResults through the request cache.

A client implementation only says how to build the cache key (`raw_request`) and how to compute a
response for one raw request (`compute`) or a whole batch (`compute_batch`, overridden by local
engines). Everything else — cache lookups, batching, threads for remote APIs, timing, turning
exceptions into failed results — lives here once. Where the missing answers are computed is a
`Dispatcher`'s choice (this process by default, Ray actors with `helm-run --executor ray`); the
calling process always does the cache lookups and writes.

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
from typing import Any, Protocol

from helm_lite.common.cache import Claim, NoCache, SqliteCache, cache_key
from helm_lite.common.request import GeneratedOutput, Request, RequestResult, Token
from helm_lite.common.secrets import redact

logger = logging.getLogger(__name__)

Progress = Callable[[int], object]


class Client(ABC):
    """Base class for every serving route. Subclasses get `cache` injected by the registry."""

    #: Local engines set this to a batch size; remote clients keep 1 and get threads instead.
    max_batch_size: int = 1
    #: In-process Python clients that only use the CPU set this to 1: under the GIL threads add
    #: nothing but overhead. `None` means "as many as `--num-threads`".
    max_threads: int | None = None
    #: Lease missing requests so that processes sharing the cache file compute each answer once.
    #: Clients whose answers cost nothing (the in-process test model) may turn it off: leasing
    #: 10,000 requests costs more than answering them.
    lease_requests: bool = True

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
        self,
        requests: list[Request],
        num_threads: int = 1,
        progress: Progress | None = None,
        dispatcher: Dispatcher | None = None,
    ) -> list[RequestResult]:
        """Answer requests in order: cached ones from the cache, the rest in batches or threads.

        Only the missing answers are computed, once per distinct raw request, by `dispatcher` (this
        process by default; a cluster with `helm-run --executor ray`). This process stays the only
        cache writer: each computed answer is stored as soon as its batch arrives; answers that took
        under 10 ms to compute (cheap local models) are committed together, at least every 0.2 s.

        Processes sharing the cache file do not pay twice: the missing keys are leased in one
        transaction, keys another live process holds are awaited (answered from the cache when it
        stores them), and computed here only if that process dies or stalls.
        """
        raws = [self.raw_request(r) for r in requests]
        keys = [cache_key(r) for r in raws]
        lookup = self.cache.lookup(keys)
        results: list[RequestResult | None] = [None] * len(requests)
        missing: dict[str, list[int]] = {}
        for i, hit in enumerate(lookup.hits):
            if hit is not None:
                results[i] = self._result(requests[i], hit, cached=True)
            else:
                missing.setdefault(keys[i], []).append(i)
        num_hits = len(requests) - sum(len(g) for g in missing.values())
        if progress is not None and num_hits:
            progress(num_hits)

        def answered(found: dict[str, dict[str, Any]]) -> None:
            """Answers another process stored meanwhile."""
            for key, response in found.items():
                for i in missing[key]:
                    results[i] = self._result(requests[i], response, cached=True)
                if progress is not None:
                    progress(len(missing[key]))

        def compute(mine: list[str]) -> None:
            groups = [missing[k] for k in mine]
            chunks = self.plan_batches(raws, groups)
            batches = [[raws[g[0]] for g in chunk] for chunk in chunks]
            store = _Store(self.cache)

            def done(index: int, responses: list[dict[str, Any]] | None, error: str | None) -> None:
                chunk = chunks[index]
                if responses is not None:
                    store.add_many(list(zip(batches[index], responses, strict=True)))
                else:  # others waiting for these answers should not wait any longer
                    self.cache.release([keys[group[0]] for group in chunk])
                for k, group in enumerate(chunk):
                    for i in group:
                        if responses is None:
                            results[i] = RequestResult(
                                success=False, embedding=[], completions=[], cached=False, error=error
                            )
                        else:
                            results[i] = self._result(requests[i], responses[k], cached=False)
                    if progress is not None:
                        progress(len(group))

            try:
                (dispatcher or LOCAL_DISPATCHER).run(self, batches, done, num_threads)
            finally:
                store.flush()

        claim = self.cache.claim(list(missing)) if self.lease_requests else Claim(mine=list(missing))
        try:
            answered(claim.answers)
            compute(claim.mine)
            for found, mine in self.cache.await_answers(claim.elsewhere):
                answered(found)
                compute(mine)
        finally:
            self.cache.release(list(missing))  # whatever is still leased: failed or interrupted
        if lookup.damaged:
            logger.warning("%d damaged entries in %s were recomputed", lookup.damaged, self.cache.path)
        return [r for r in results if r is not None]

    def plan_batches(self, raws: list[dict[str, Any]], groups: list[list[int]]) -> list[list[list[int]]]:
        """Split groups of identical requests into the batches one compute call answers.

        Local engines (`max_batch_size > 1`): groups with equal `batch_key`, sorted by
        `batch_sort_key`, in chunks of `max_batch_size`. Remote clients: one group per batch.
        """
        if self.max_batch_size <= 1:
            return [[g] for g in groups]
        by_key: dict[Any, list[list[int]]] = {}
        for g in groups:
            by_key.setdefault(self.batch_key(raws[g[0]]), []).append(g)
        chunks = []
        for same in by_key.values():
            same.sort(key=lambda g: self.batch_sort_key(raws[g[0]]))
            for start in range(0, len(same), self.max_batch_size):
                chunks.append(same[start : start + self.max_batch_size])
        return chunks

    def compute_timed(self, batch: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """Answers for one planned batch, with the timing fields the cache stores; raises on failure.

        Local engines answer the batch with one `compute_batch` call (every answer records the batch
        size and time); remote clients answer their one-request batches with `compute`.
        """
        if self.max_batch_size <= 1:
            return [self._timed_one(raw) for raw in batch]
        t0, started_at = time.perf_counter(), int(time.time())
        responses = self.compute_batch(batch)
        elapsed = time.perf_counter() - t0
        if len(responses) != len(batch):
            raise RuntimeError(f"compute_batch returned {len(responses)} answers for {len(batch)} requests")
        timed = []
        for response in responses:
            response = dict(response)
            response.setdefault("request_time", elapsed)
            response["request_datetime"] = started_at
            response["batch_size"] = len(batch)
            response["batch_request_time"] = elapsed
            timed.append(response)
        return timed

    def try_compute(self, batch: list[dict[str, Any]]) -> tuple[list[dict[str, Any]] | None, str | None]:
        """`(answers, None)` or `(None, error)`: a failed batch is recorded, never a crash losing work."""
        try:
            return self.compute_timed(batch), None
        except Exception as e:
            if self.max_batch_size > 1:
                logger.warning("Batch of %d requests failed: %s", len(batch), e)
            else:
                logger.warning("Request failed: %s", e)
            return None, redact(f"{type(e).__name__}: {e}")  # recorded in scenario_state.json

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


#: `done(batch_index, answers, error)`: exactly one of `answers` and `error` is None.
Done = Callable[[int, list[dict[str, Any]] | None, str | None], None]


class Dispatcher(Protocol):
    """Where a client's missing batches are computed: this process, or Ray actors on a cluster.

    `run` calls `done` once per batch, from the calling thread, as each batch finishes (in any
    order); the client then stores the answers. A dispatcher never touches the cache.
    """

    def run(self, client: Client, batches: list[list[dict[str, Any]]], done: Done, num_threads: int) -> None:
        """Compute every batch (with `client.try_compute` or a copy of the client elsewhere)."""


class LocalDispatcher:
    """This process: local engines batch after batch; remote clients in `num_threads` threads."""

    def run(self, client: Client, batches: list[list[dict[str, Any]]], done: Done, num_threads: int) -> None:
        if client.max_threads is not None:
            num_threads = min(num_threads, client.max_threads)
        if client.max_batch_size > 1 or num_threads <= 1 or len(batches) <= 1:
            for index, batch in enumerate(batches):
                done(index, *client.try_compute(batch))
            return
        with ThreadPoolExecutor(max_workers=num_threads) as pool:
            futures = {pool.submit(client.try_compute, batch): index for index, batch in enumerate(batches)}
            for future in as_completed(futures):
                done(futures[future], *future.result())


LOCAL_DISPATCHER = LocalDispatcher()


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
        self.add_many([(raw, response)])

    def add_many(self, items: list[tuple[dict[str, Any], dict[str, Any]]]) -> None:
        """Answers of one batch: committed together, at once if any of them was expensive."""
        with self._lock:
            self._pending.extend(items)
            now = time.monotonic()
            if (
                any(response.get("request_time", 0.0) >= self.CHEAP_S for _, response in items)
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
