"""The request cache: one SQLite file per host organisation, so nothing is ever asked twice.

The file layout is sqlitedict's (table ``unnamed``, ``key TEXT PRIMARY KEY``, ``value BLOB`` holding a
pickled dict) and the key is ``json.dumps(raw_request, sort_keys=True)``, as in HELM, so HELM and
helm_lite can read each other's caches. Unlike HELM, one connection stays open per file and process
(HELM reopens the file per lookup), in WAL mode with a busy timeout, and writes are serialised by a
lock: many threads can share a cache without "database is locked" errors. Every write is committed at
once, so a killed process loses nothing it had already received.
"""

from __future__ import annotations

import json
import logging
import os
import pickle
import sqlite3
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

logger = logging.getLogger(__name__)

_TABLE = "unnamed"


def cache_key(raw_request: dict[str, Any]) -> str:
    """Canonical JSON of a raw request: the same request always gives the same key."""
    return json.dumps(raw_request, sort_keys=True)


@dataclass
class CacheStats:
    num_queries: int = 0
    num_computes: int = 0


class SqliteCache:
    """A persistent key → dict store backed by one SQLite file."""

    def __init__(self, path: str) -> None:
        self.path = path
        os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
        self._lock = threading.Lock()
        self._conn = sqlite3.connect(path, timeout=60, check_same_thread=False, isolation_level=None)
        self._initialise()
        self.stats = CacheStats()

    def _initialise(self) -> None:
        """Switch to WAL and create the table. SQLite may answer "locked" at once (without waiting)
        while another process creates the same file, so retry for a bounded time."""
        deadline = time.monotonic() + 60
        while True:
            try:
                self._conn.execute("PRAGMA journal_mode=WAL")
                self._conn.execute("PRAGMA synchronous=NORMAL")
                self._conn.execute(
                    f'CREATE TABLE IF NOT EXISTS "{_TABLE}" (key TEXT PRIMARY KEY, value BLOB)'
                )
                return
            except sqlite3.OperationalError as e:
                if "locked" not in str(e) or time.monotonic() > deadline:
                    raise
                time.sleep(0.05)

    def get(self, raw_request: dict[str, Any]) -> dict[str, Any] | None:
        return self.get_many([raw_request])[0]

    def get_many(self, raw_requests: list[dict[str, Any]]) -> list[dict[str, Any] | None]:
        """Look up many keys in one transaction; counts one query per key."""
        keys = [cache_key(r) for r in raw_requests]
        found: dict[str, dict[str, Any]] = {}
        with self._lock:
            self.stats.num_queries += len(keys)
            unique = list(dict.fromkeys(keys))
            for start in range(0, len(unique), 500):
                chunk = unique[start : start + 500]
                marks = ",".join("?" * len(chunk))
                rows = self._conn.execute(
                    f'SELECT key, value FROM "{_TABLE}" WHERE key IN ({marks})', chunk
                ).fetchall()
                for key, blob in rows:
                    value = pickle.loads(blob)
                    if value:  # HELM treats a falsy stored value as a miss
                        found[key] = value
        return [found.get(k) for k in keys]

    def put(self, raw_request: dict[str, Any], response: dict[str, Any]) -> None:
        self.put_many([(raw_request, response)])

    def put_many(self, items: list[tuple[dict[str, Any], dict[str, Any]]]) -> None:
        """Store responses and commit before returning (durable against a kill)."""
        rows = [(cache_key(r), pickle.dumps(v, protocol=pickle.HIGHEST_PROTOCOL)) for r, v in items]
        with self._lock:
            self.stats.num_computes += len(rows)
            self._conn.execute("BEGIN IMMEDIATE")
            try:
                self._conn.executemany(f'INSERT OR REPLACE INTO "{_TABLE}" (key, value) VALUES (?, ?)', rows)
                self._conn.execute("COMMIT")
            except BaseException:
                self._conn.execute("ROLLBACK")
                raise

    def get_or_compute(
        self, raw_request: dict[str, Any], compute: Callable[[], dict[str, Any]]
    ) -> tuple[dict[str, Any], bool]:
        """Return (response, cached). `compute` runs only on a miss, and its answer is stored."""
        hit = self.get(raw_request)
        if hit is not None:
            return hit, True
        response = compute()
        self.put(raw_request, response)
        return response, False

    def close(self) -> None:
        with self._lock:
            self._conn.close()


class NoCache(SqliteCache):
    """`--disable-cache`: every lookup misses and nothing is stored."""

    def __init__(self, path: str = "disabled_cache") -> None:  # noqa: D107 - no file at all
        self.path = path
        self._lock = threading.Lock()
        self.stats = CacheStats()

    def get_many(self, raw_requests: list[dict[str, Any]]) -> list[dict[str, Any] | None]:
        with self._lock:
            self.stats.num_queries += len(raw_requests)
        return [None] * len(raw_requests)

    def put_many(self, items: list[tuple[dict[str, Any], dict[str, Any]]]) -> None:
        with self._lock:
            self.stats.num_computes += len(items)

    def close(self) -> None:
        pass


class CacheManager:
    """Hands out one cache per shard (host organisation) under `<local-path>/cache/`."""

    def __init__(self, cache_dir: str, disabled: bool = False) -> None:
        self.cache_dir = cache_dir
        self.disabled = disabled
        self._caches: dict[str, SqliteCache] = {}
        self._lock = threading.Lock()

    def for_shard(self, shard: str) -> SqliteCache:
        with self._lock:
            if shard not in self._caches:
                if self.disabled:
                    self._caches[shard] = NoCache()
                else:
                    self._caches[shard] = SqliteCache(os.path.join(self.cache_dir, f"{shard}.sqlite"))
            return self._caches[shard]

    def status_lines(self) -> list[str]:
        """HELM's per-file summary: `<path>: N queries, M computes`, in first-use order."""
        with self._lock:
            return [
                f"{c.path}: {c.stats.num_queries} queries, {c.stats.num_computes} computes"
                for c in self._caches.values()
            ]

    def close(self) -> None:
        with self._lock:
            for c in self._caches.values():
                c.close()
            self._caches.clear()
