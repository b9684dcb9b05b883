"""The request cache: one SQLite file per host organisation, so nothing is ever asked twice.

The file layout is sqlitedict's (table ``unnamed``, ``key TEXT PRIMARY KEY``, ``value BLOB`` holding a
pickled dict) and the key is ``json.dumps(raw_request, sort_keys=True)``, as in HELM, so HELM and
helm_lite can read each other's caches. Unlike HELM, one connection stays open per file and process
(HELM reopens the file per lookup), in WAL mode with a busy timeout, and writes are serialised by a
lock: many threads can share a cache without "database is locked" errors. Every write is committed at
once, so a killed process loses nothing it had already received.

A cache file is data, never code: values are loaded by `safe_pickle.loads_plain`, and a value that is
not a plain dict (garbled, truncated, or naming anything callable) is a *damaged entry*: a miss, to be
computed again and overwritten. A file SQLite cannot read stops the run with a `CacheDamagedError`
naming the file. Processes sharing a file coordinate through leases (`leases.py`): `claim` takes the
missing keys nobody else is computing, `await_answers` waits for the others' answers.
"""

from __future__ import annotations

import json
import logging
import os
import pickle
import sqlite3
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from typing import Any

from helm_lite.common import leases
from helm_lite.common.errors import UserError
from helm_lite.common.leases import Holder, LeasePolicy
from helm_lite.common.safe_pickle import loads_plain

logger = logging.getLogger(__name__)

_TABLE = "unnamed"
_CHUNK = 500  # keys per `IN (...)` query, well under SQLite's limit on bound parameters

Response = dict[str, Any]


def cache_key(raw_request: dict[str, Any]) -> str:
    """Canonical JSON of a raw request: the same request always gives the same key."""
    return json.dumps(raw_request, sort_keys=True)


class CacheDamagedError(UserError):
    """SQLite cannot read or write the cache file: every run using it would fail the same way."""

    def __init__(self, path: str, cause: BaseException) -> None:
        super().__init__(
            f"request cache {path} cannot be used ({cause}): move it aside "
            f"(e.g. mv {path} {path}.damaged) to start a new cache, or rerun with --disable-cache"
        )


@dataclass
class CacheStats:
    num_queries: int = 0
    num_computes: int = 0


@dataclass(frozen=True)
class Lookup:
    """Answers in key order (`None` for a miss) and how many distinct keys held a damaged value."""

    hits: list[Response | None]
    damaged: int = 0


@dataclass(frozen=True)
class Claim:
    """The outcome of `claim`: answers stored meanwhile, keys now leased to this process (compute and
    store them), and keys another live process is computing (wait for them)."""

    answers: dict[str, Response] = field(default_factory=dict)
    mine: list[str] = field(default_factory=list)
    elsewhere: dict[str, Holder] = field(default_factory=dict)


def _load(blob: Any) -> Response | None:
    """A stored value as a dict, or None when it is damaged (not a pickled plain dict)."""
    try:
        value = loads_plain(blob)
    except Exception:  # noqa: BLE001 - garbled bytes raise all sorts of errors; all mean "damaged"
        return None
    return value if isinstance(value, dict) else None


def _chunks(keys: list[str]) -> Iterator[list[str]]:
    for start in range(0, len(keys), _CHUNK):
        yield keys[start : start + _CHUNK]


def _marks(n: int) -> str:
    return ",".join("?" * n)


class SqliteCache:
    """A persistent key → dict store backed by one SQLite file."""

    #: Lease timings; tests replace it on an instance.
    lease_policy: LeasePolicy = LeasePolicy()

    def __init__(self, path: str) -> None:
        self.path = path
        self._lock = threading.Lock()
        self.stats = CacheStats()
        self._owner = uuid.uuid4().hex  # this cache object's leases (one per file and process)
        self._leased: set[str] = set()
        self._closed = threading.Event()
        self._heartbeat: threading.Thread | None = None
        with self._guard():
            os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
            self._conn = sqlite3.connect(path, timeout=60, check_same_thread=False, isolation_level=None)
            self._initialise()

    def _initialise(self) -> None:
        """Switch to WAL and create the tables. SQLite may answer "locked" at once (without waiting)
        while another process creates the same file, so retry for a bounded time."""
        deadline = time.monotonic() + 60
        while True:
            try:
                self._conn.execute("PRAGMA journal_mode=WAL")
                self._conn.execute("PRAGMA synchronous=NORMAL")
                self._conn.execute(
                    f'CREATE TABLE IF NOT EXISTS "{_TABLE}" (key TEXT PRIMARY KEY, value BLOB)'
                )
                self._conn.execute(leases.CREATE)
                return
            except sqlite3.OperationalError as e:
                if "locked" not in str(e) or time.monotonic() > deadline:
                    raise
                time.sleep(0.05)

    @contextmanager
    def _guard(self) -> Iterator[None]:
        """SQLite or the file system refusing the file becomes one actionable line, not a traceback.
        "locked"/"busy" (another process held the file past the timeout) is not damage and passes."""
        try:
            yield
        except sqlite3.OperationalError as e:
            if "locked" in str(e) or "busy" in str(e):
                raise
            raise CacheDamagedError(self.path, e) from None
        except (sqlite3.ProgrammingError, sqlite3.InterfaceError):
            raise  # misuse of the connection, not the file's fault
        except (sqlite3.DatabaseError, OSError) as e:
            raise CacheDamagedError(self.path, e) from None

    @contextmanager
    def _transaction(self) -> Iterator[None]:
        """One write transaction (call with `_lock` held): committed, or rolled back on any error."""
        self._conn.execute("BEGIN IMMEDIATE")
        try:
            yield
            self._conn.execute("COMMIT")
        except BaseException:
            with suppress(sqlite3.Error):  # a damaged file may refuse the rollback too
                self._conn.execute("ROLLBACK")
            raise

    # --- reads ------------------------------------------------------------------------------------
    def get(self, raw_request: dict[str, Any]) -> Response | None:
        return self.get_many([raw_request])[0]

    def get_many(self, raw_requests: list[dict[str, Any]]) -> list[Response | None]:
        """Look up many keys in one transaction; counts one query per key."""
        return self.lookup([cache_key(r) for r in raw_requests]).hits

    def lookup(self, keys: list[str]) -> Lookup:
        """Answers for cache keys; a damaged value is a miss (and counted). One query per key."""
        found: dict[str, Response] = {}
        damaged: set[str] = set()
        with self._lock, self._guard():
            self.stats.num_queries += len(keys)
            for chunk in _chunks(list(dict.fromkeys(keys))):
                rows = self._conn.execute(
                    f'SELECT key, value FROM "{_TABLE}" WHERE key IN ({_marks(len(chunk))})', chunk
                ).fetchall()
                for key, blob in rows:
                    value = _load(blob)
                    if value is None:
                        damaged.add(key)
                    elif value:  # HELM treats a falsy stored value as a miss
                        found[key] = value
        return Lookup([found.get(k) for k in keys], len(damaged))

    def _answers(self, keys: list[str]) -> dict[str, Response]:
        """Good stored answers among `keys` (call with `_lock` held); uncounted."""
        found = {}
        for chunk in _chunks(keys):
            for key, blob in self._conn.execute(
                f'SELECT key, value FROM "{_TABLE}" WHERE key IN ({_marks(len(chunk))})', chunk
            ):
                value = _load(blob)
                if value:
                    found[key] = value
        return found

    # --- writes -----------------------------------------------------------------------------------
    def put(self, raw_request: dict[str, Any], response: Response) -> None:
        self.put_many([(raw_request, response)])

    def put_many(self, items: list[tuple[dict[str, Any], Response]]) -> None:
        """Store responses and commit before returning (durable against a kill). Leases this process
        holds on these keys are released in the same transaction, so a waiter sees either the lease
        or the answer."""
        rows = [(cache_key(r), pickle.dumps(v, protocol=pickle.HIGHEST_PROTOCOL)) for r, v in items]
        with self._lock, self._guard():
            self.stats.num_computes += len(rows)
            released = [k for k, _ in rows if k in self._leased] if self._leased else []
            with self._transaction():
                self._conn.executemany(f'INSERT OR REPLACE INTO "{_TABLE}" (key, value) VALUES (?, ?)', rows)
                self._delete_leases(released)
            self._leased.difference_update(released)

    def get_or_compute(
        self, raw_request: dict[str, Any], compute: Callable[[], Response]
    ) -> tuple[Response, bool]:
        """Return (response, cached). `compute` runs only on a miss, and its answer is stored."""
        hit = self.get(raw_request)
        if hit is not None:
            return hit, True
        response = compute()
        self.put(raw_request, response)
        return response, False

    # --- leases -----------------------------------------------------------------------------------
    def claim(self, keys: list[str], force: bool = False) -> Claim:
        """In one transaction: answers stored meanwhile, then a lease on every other key that no live
        process holds (all of them with `force`). Leases are renewed until released by `put_many` or
        `release`."""
        if not keys:
            return Claim()
        now = time.time()
        expires = now + self.lease_policy.ttl_s
        with self._lock, self._guard():
            with self._transaction():
                answers = self._answers(keys)
                rest = [k for k in keys if k not in answers]
                holders = self._holders(rest)
                live = set() if force else _live(holders, now)
                elsewhere = {k: holders[k] for k in rest if k in live and holders[k].owner != self._owner}
                mine = [k for k in rest if k not in elsewhere]
                self._conn.executemany(
                    f'INSERT OR REPLACE INTO "{leases.TABLE}" (key, owner, pid, host, expires) '
                    "VALUES (?, ?, ?, ?, ?)",
                    [(k, self._owner, os.getpid(), leases.HOST, expires) for k in mine],
                )
            self._leased.update(mine)
        if mine:
            self._start_heartbeat()
        return Claim(answers, mine, elsewhere)

    def release(self, keys: list[str]) -> None:
        """Give up this process's leases on `keys` (e.g. their computation failed): waiters take over."""
        with self._lock:
            held = [k for k in keys if k in self._leased] if self._leased else []
            if not held:
                return
            with self._guard(), self._transaction():
                self._delete_leases(held)
            self._leased.difference_update(held)

    def await_answers(self, waiting: dict[str, Holder]) -> Iterator[tuple[dict[str, Response], list[str]]]:
        """Wait for answers other processes are computing; yields `(answers, keys now mine)` as they
        come. A key whose lease ends without an answer (its process died, stopped renewing, or failed)
        is leased to this process; after `max_wait_s` without any awaited answer, all the rest are.
        Keys yielded as mine must be computed and stored (or released) by the caller."""
        if not waiting:
            return
        logger.info(
            "Waiting for %d requests that %s is computing (%s)",
            len(waiting),
            ", ".join(sorted({h.describe() for h in waiting.values()})),
            self.path,
        )
        policy = self.lease_policy
        waiting = dict(waiting)
        delay = policy.poll_min_s
        last_progress = time.monotonic()
        while waiting:
            time.sleep(delay)
            answers, free = self._poll(list(waiting))
            overdue = time.monotonic() - last_progress > policy.max_wait_s
            if overdue:
                free = [k for k in waiting if k not in answers]
                logger.warning(
                    "Waited %g s for %d requests that %s is computing, with no answer arriving; "
                    "computing them here",
                    policy.max_wait_s,
                    len(free),
                    ", ".join(sorted({waiting[k].describe() for k in free})),
                )
            elif free:
                logger.warning(
                    "%d requests that %s was computing are unanswered and no longer leased "
                    "(process ended or stalled); computing them here",
                    len(free),
                    ", ".join(sorted({waiting[k].describe() for k in free})),
                )
            mine: list[str] = []
            if free:
                claim = self.claim(free, force=overdue)
                answers.update(claim.answers)
                mine = claim.mine
                waiting.update(claim.elsewhere)  # another waiter was faster: wait for it instead
            for key in (*answers, *mine):
                waiting.pop(key, None)
            if answers or mine:
                yield answers, mine
                last_progress, delay = time.monotonic(), policy.poll_min_s
            else:
                delay = min(delay * 2, policy.poll_max_s)

    def _poll(self, keys: list[str]) -> tuple[dict[str, Response], list[str]]:
        """Answers stored for `keys`, and the unanswered keys with no live lease (read only: `claim`
        settles who computes them)."""
        with self._lock, self._guard():
            answers = self._answers(keys)
            rest = [k for k in keys if k not in answers]
            holders = self._holders(rest)
        live = _live(holders, time.time())
        return answers, [k for k in rest if k not in live]

    def _holders(self, keys: list[str]) -> dict[str, Holder]:
        found = {}
        for chunk in _chunks(keys):
            query = f'SELECT key, owner, pid, host, expires FROM "{leases.TABLE}" WHERE key IN '
            query += f"({_marks(len(chunk))})"
            for key, owner, pid, host, expires in self._conn.execute(query, chunk):
                found[key] = Holder(owner, pid, host, expires)
        return found

    def _delete_leases(self, keys: list[str]) -> None:
        for chunk in _chunks(keys):
            self._conn.execute(
                f'DELETE FROM "{leases.TABLE}" WHERE owner = ? AND key IN ({_marks(len(chunk))})',
                [self._owner, *chunk],
            )

    def _start_heartbeat(self) -> None:
        with self._lock:
            if self._heartbeat is None:
                self._heartbeat = threading.Thread(
                    target=self._renew_leases, name="cache-leases", daemon=True
                )
                self._heartbeat.start()

    def _renew_leases(self) -> None:
        """Heartbeat: every `renew_s`, push back the expiry of every lease this process holds."""
        while not self._closed.wait(self.lease_policy.renew_s):
            with self._lock:
                if self._closed.is_set() or not self._leased:
                    continue
                try:
                    self._conn.execute(
                        f'UPDATE "{leases.TABLE}" SET expires = ? WHERE owner = ?',
                        (time.time() + self.lease_policy.ttl_s, self._owner),
                    )
                except sqlite3.Error as e:  # the next beat retries; a lapsed lease only costs a recompute
                    logger.debug("Renewing leases in %s failed: %s", self.path, e)

    def close(self) -> None:
        self._closed.set()
        with self._lock:
            if self._leased:
                with suppress(sqlite3.Error):
                    self._conn.execute(f'DELETE FROM "{leases.TABLE}" WHERE owner = ?', (self._owner,))
                self._leased.clear()
            self._conn.close()


def _live(holders: dict[str, Holder], now: float) -> set[str]:
    """Keys whose lease is live (each holder's process checked once)."""
    alive: dict[tuple[str, int], bool] = {}
    live = set()
    for key, h in holders.items():
        if h.expires <= now:
            continue
        if (h.host, h.pid) not in alive:
            alive[(h.host, h.pid)] = h.process_alive()
        if alive[(h.host, h.pid)]:
            live.add(key)
    return live


class NoCache(SqliteCache):
    """`--disable-cache`: every lookup misses, nothing is stored, and no lease is taken."""

    def __init__(self, path: str = "disabled_cache") -> None:  # noqa: D107 - no file at all
        self.path = path
        self._lock = threading.Lock()
        self.stats = CacheStats()

    def lookup(self, keys: list[str]) -> Lookup:
        with self._lock:
            self.stats.num_queries += len(keys)
        return Lookup([None] * len(keys))

    def put_many(self, items: list[tuple[dict[str, Any], Response]]) -> None:
        with self._lock:
            self.stats.num_computes += len(items)

    def claim(self, keys: list[str], force: bool = False) -> Claim:
        return Claim(mine=list(keys))

    def release(self, keys: list[str]) -> None:
        pass

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
