"""Where missing batches are computed, and how one batch is computed, timed and its failure caught.

A `Dispatcher` runs planned batches (this process by default, Ray actors with `helm-run --executor
ray`) and reports each through `done`; it never touches the cache. `try_compute` is the one way a
batch is answered, here or on a replica, so timing fields and error capture are the same everywhere.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor, as_completed
from typing import Protocol

from helm_lite.clients.provider import Answer, Capabilities, Provider, RawT
from helm_lite.common.secrets import redact

logger = logging.getLogger(__name__)

#: A batch's answers, or why it failed (exactly one is None).
Outcome = tuple[list[Answer] | None, str | None]
#: `done(batch_index, answers, error)`: exactly one of `answers` and `error` is None.
Done = Callable[[int, list[Answer] | None, str | None], None]


def compute_timed(provider: Provider[RawT], batch: list[RawT], caps: Capabilities) -> list[Answer]:
    """Answers for one planned batch, with the timing fields the cache stores; raises on failure.

    Batching providers answer the batch with one `compute_batch` call (every answer records the batch
    size and time); others answer their one-request batches one at a time, each timed alone.
    """
    if caps.max_batch_size <= 1:
        return [_timed_one(provider, raw) for raw in batch]
    t0, started_at = time.perf_counter(), int(time.time())
    responses = provider.compute_batch(batch)
    elapsed = time.perf_counter() - t0
    if len(responses) != len(batch):
        raise RuntimeError(f"compute_batch returned {len(responses)} answers for {len(batch)} requests")
    timed = []
    for response in responses:
        response = response.copy()
        response.setdefault("request_time", elapsed)
        response["request_datetime"] = started_at
        response["batch_size"] = len(batch)
        response["batch_request_time"] = elapsed
        timed.append(response)
    return timed


def _timed_one(provider: Provider[RawT], raw: RawT) -> Answer:
    start, started_at = time.perf_counter(), int(time.time())
    response = provider.compute_batch([raw])[0].copy()
    response["request_time"] = time.perf_counter() - start
    response["request_datetime"] = started_at
    return response


def try_compute(provider: Provider[RawT], batch: list[RawT], caps: Capabilities) -> Outcome:
    """`(answers, None)` or `(None, error)`: a failed batch is recorded, never a crash losing work."""
    try:
        return compute_timed(provider, batch, caps), None
    except Exception as e:
        if caps.max_batch_size > 1:
            logger.warning("Batch of %d requests failed: %s", len(batch), e)
        else:
            logger.warning("Request failed: %s", e)
        return None, redact(f"{type(e).__name__}: {e}")  # recorded in scenario_state.json


class Dispatcher(Protocol):
    """Where a provider's missing batches are computed: this process, or Ray actors on a cluster.

    `run` calls `done` once per batch, from the calling thread, as each batch finishes (in any
    order); the engine then stores the answers.
    """

    def run(self, provider: Provider[RawT], batches: list[list[RawT]], done: Done, num_threads: int) -> None:
        """Compute every batch (with `try_compute`, here or on a copy of the provider elsewhere)."""


class LocalDispatcher:
    """This process: batching providers batch after batch; others in `num_threads` threads."""

    def run(self, provider: Provider[RawT], batches: list[list[RawT]], done: Done, num_threads: int) -> None:
        caps = provider.capabilities
        if caps.max_threads is not None:
            num_threads = min(num_threads, caps.max_threads)
        if caps.max_batch_size > 1 or num_threads <= 1 or len(batches) <= 1:
            for index, batch in enumerate(batches):
                done(index, *try_compute(provider, batch, caps))
            return
        with ThreadPoolExecutor(max_workers=num_threads) as pool:
            futures = {
                pool.submit(try_compute, provider, batch, caps): index for index, batch in enumerate(batches)
            }
            for future in as_completed(futures):
                done(futures[future], *future.result())


LOCAL_DISPATCHER = LocalDispatcher()
