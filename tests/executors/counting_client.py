"""A test model that logs every request it computes, so tests can count model calls across processes.

It answers like `simple/model1` (deterministic), in batches of `max_batch_size` after sleeping
`delay_s` per batch (time for a test to kill its process mid-run), and appends one JSON line per
computed request, ``{"pid": <process id>, "key": <cache key>}``, to `log_path` once the batch is done.
Tests plug it in by class name (`counting_client.CountingClient`) from a `--local-path` registry; Ray
workers import it from the driver's working directory, which Ray puts on their `sys.path`.
"""

from __future__ import annotations

import json
import os
import time
from typing import Any

from helm_lite.clients.simple import SimpleClient
from helm_lite.common.cache import SqliteCache, cache_key


class CountingClient(SimpleClient):
    def __init__(
        self, log_path: str, delay_s: float = 0.0, max_batch_size: int = 4, cache: SqliteCache | None = None
    ) -> None:
        super().__init__(cache)
        self.log_path = log_path
        self.delay_s = delay_s
        self.max_batch_size = max_batch_size

    def compute_batch(self, raw_requests: list[dict[str, Any]]) -> list[dict[str, Any]]:
        time.sleep(self.delay_s)
        responses = [self.compute(raw) for raw in raw_requests]
        lines = "".join(json.dumps({"pid": os.getpid(), "key": cache_key(r)}) + "\n" for r in raw_requests)
        with open(self.log_path, "a", encoding="utf-8") as f:
            f.write(lines)
        return responses


def read_log(path: str) -> list[dict[str, Any]]:
    """The computed requests, in order (a line cut short by a kill is ignored)."""
    if not os.path.exists(path):
        return []
    entries = []
    with open(path, encoding="utf-8") as f:
        for line in f:
            try:
                entries.append(json.loads(line))
            except json.JSONDecodeError:
                continue
    return entries
