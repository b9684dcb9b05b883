"""The commit policy: when computed answers reach the cache file."""

from __future__ import annotations

import threading
import time
from typing import Any, cast

from helm_lite.clients.provider import Answer, RawRequest
from helm_lite.common.cache import SqliteCache


class AnswerStore:
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
        self._pending: list[tuple[RawRequest, Answer]] = []
        self._last = time.monotonic()

    def add(self, raw: RawRequest, response: Answer) -> None:
        self.add_many([(raw, response)])

    def add_many(self, items: list[tuple[RawRequest, Answer]]) -> None:
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
            # Raw requests and answers are plain dicts at run time (their types are TypedDicts).
            self.cache.put_many(cast("list[tuple[dict[str, Any], dict[str, Any]]]", self._pending))
            self._pending = []
        self._last = now
