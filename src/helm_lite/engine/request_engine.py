"""The request engine: turns Requests into RequestResults through the cache, for any provider.

It owns everything between a run's requests and a provider's `compute_batch`: cache lookups,
deduplication, leases shared with other processes, batch planning, the commit policy, threads (via a
`Dispatcher`), progress, and turning failures into failed results. This process stays the only
cache writer whatever the dispatcher.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Hashable, Iterable
from typing import Any, Generic, cast

from helm_lite.clients.provider import Answer, Capabilities, Provider, RawRequest, RawT
from helm_lite.common.cache import Claim, NoCache, SqliteCache, cache_key
from helm_lite.common.request import Request, RequestResult
from helm_lite.engine.dispatch import LOCAL_DISPATCHER, Dispatcher
from helm_lite.engine.store import AnswerStore

logger = logging.getLogger(__name__)

#: Called with how many more requests are answered.
Progress = Callable[[int], object]


def key_of(raw: RawRequest) -> str:
    """The cache key of a raw request (a plain dict at run time, whatever its declared type)."""
    return cache_key(cast("dict[str, Any]", raw))


def stored_answers(found: dict[str, dict[str, Any]]) -> dict[str, Answer]:
    """Cache values by key, read as the answers they were stored as."""
    return cast("dict[str, Answer]", found)


class RequestEngine(Generic[RawT]):
    """Answers requests for one provider against one cache."""

    def __init__(self, provider: Provider[RawT], cache: SqliteCache | None = None) -> None:
        self.provider = provider
        self.cache: SqliteCache = cache if cache is not None else NoCache()
        # id(request) -> (request, raw, key) from `cache_keys`, taken by the `run` that follows, so a
        # request's raw request (chat templating included) is built once.
        self._prepared: dict[int, tuple[Request, RawT, str]] = {}

    def cache_keys(self, requests: Iterable[Request]) -> list[str]:
        """The cache key of each request (what runs sharing a cache compare before asking); `run`
        reuses the raw requests built here."""
        keys = []
        for request in requests:
            raw = self.provider.raw_request(request)
            key = key_of(raw)
            self._prepared[id(request)] = (request, raw, key)
            keys.append(key)
        return keys

    def _raws_and_keys(self, requests: list[Request]) -> tuple[list[RawT], list[str]]:
        raws: list[RawT] = []
        if not self._prepared:  # the usual case: nothing prepared, no per-request look-up
            raws = [self.provider.raw_request(r) for r in requests]
            return raws, [key_of(r) for r in raws]
        keys: list[str] = []
        for request in requests:
            entry = self._prepared.pop(id(request), None)
            if entry is None or entry[0] is not request:
                raw = self.provider.raw_request(request)
                entry = (request, raw, key_of(raw))
            raws.append(entry[1])
            keys.append(entry[2])
        return raws, keys

    def run(
        self,
        requests: list[Request],
        num_threads: int = 1,
        progress: Progress | None = None,
        dispatcher: Dispatcher | None = None,
    ) -> list[RequestResult]:
        """Answer requests in order: cached ones from the cache, the rest in batches or threads.

        Only the missing answers are computed, once per distinct raw request, by `dispatcher` (this
        process by default; a cluster with `helm-run --executor ray`). Each computed answer is stored
        as its batch arrives (see `AnswerStore` for when it is committed).

        Processes sharing the cache file do not pay twice: the missing keys are leased in one
        transaction, keys another live process holds are awaited (answered from the cache when it
        stores them), and computed here only if that process dies or stalls.
        """
        provider, cache = self.provider, self.cache
        caps = provider.capabilities
        raws, keys = self._raws_and_keys(requests)
        lookup = cache.lookup(keys)
        results: list[RequestResult | None] = [None] * len(requests)
        missing: dict[str, list[int]] = {}
        for i, hit in enumerate(lookup.hits):
            if hit is not None:
                results[i] = self._result(requests[i], cast(Answer, hit), cached=True)
            else:
                missing.setdefault(keys[i], []).append(i)
        num_hits = len(requests) - sum(len(g) for g in missing.values())
        if progress is not None and num_hits:
            progress(num_hits)

        def answered(found: dict[str, Answer]) -> None:
            """Answers another process stored meanwhile."""
            for key, response in found.items():
                for i in missing[key]:
                    results[i] = self._result(requests[i], response, cached=True)
                if progress is not None:
                    progress(len(missing[key]))

        def compute(mine: list[str]) -> None:
            groups = [missing[k] for k in mine]
            chunks = self.plan_batches(raws, groups, caps)
            batches = [[raws[g[0]] for g in chunk] for chunk in chunks]
            store = AnswerStore(cache)

            def done(index: int, responses: list[Answer] | None, error: str | None) -> None:
                chunk = chunks[index]
                if responses is not None:
                    store.add_many(list(zip(batches[index], responses, strict=True)))
                else:  # others waiting for these answers should not wait any longer
                    cache.release([keys[group[0]] for group in chunk])
                for k, group in enumerate(chunk):
                    for i in group:
                        if responses is None:
                            results[i] = RequestResult(
                                success=False, embedding=[], completions=[], cached=False, error=error
                            )
                        else:
                            results[i] = self._result(requests[i], responses[k], cached=False)
                if progress is not None:  # every request the batch answered, duplicates included
                    progress(sum(len(group) for group in chunk))

            try:
                (dispatcher or LOCAL_DISPATCHER).run(provider, batches, done, num_threads)
            finally:
                store.flush()

        claim = cache.claim(list(missing)) if caps.lease_requests else Claim(mine=list(missing))
        try:
            answered(stored_answers(claim.answers))
            compute(claim.mine)
            for found, mine in cache.await_answers(claim.elsewhere):
                answered(stored_answers(found))
                compute(mine)
        finally:
            cache.release(list(missing))  # whatever is still leased: failed or interrupted
        if lookup.damaged:
            logger.warning("%d damaged entries in %s were recomputed", lookup.damaged, cache.path)
        return [r for r in results if r is not None]

    def plan_batches(
        self, raws: list[RawT], groups: list[list[int]], caps: Capabilities
    ) -> list[list[list[int]]]:
        """Split groups of identical requests into the batches one compute call answers.

        Batching providers (`max_batch_size > 1`): groups with equal `batch_key`, sorted by
        `batch_sort_key`, in chunks of `max_batch_size`. Others: one group per batch.
        """
        size = caps.max_batch_size
        if size <= 1:
            return [[g] for g in groups]
        provider = self.provider
        by_key: dict[Hashable, list[list[int]]] = {}
        for g in groups:
            by_key.setdefault(provider.batch_key(raws[g[0]]), []).append(g)
        chunks = []
        for same in by_key.values():
            same.sort(key=lambda g: provider.batch_sort_key(raws[g[0]]))
            for start in range(0, len(same), size):
                chunks.append(same[start : start + size])
        return chunks

    def _result(self, request: Request, response: Answer, cached: bool) -> RequestResult:
        return RequestResult(
            success=True,
            embedding=[],
            completions=self.provider.parse_completions(request, response),
            cached=cached,
            request_time=response.get("request_time"),
            request_datetime=response.get("request_datetime"),
            batch_size=response.get("batch_size"),
            batch_request_time=response.get("batch_request_time"),
        )
