"""Leases on missing cache entries: one computer per key, waiters get its answer, and neither a dead
nor a stuck owner can make anyone wait for ever.

Each `SqliteCache` object is one lease owner, so two of them on one real file behave as two processes
on one host; the dead-owner case uses a real process killed with SIGKILL.
"""

from __future__ import annotations

import logging
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import pytest

from helm_lite.common.cache import NoCache, SqliteCache, cache_key
from helm_lite.common.leases import LeasePolicy

FAST = LeasePolicy(ttl_s=5.0, renew_s=1.0, max_wait_s=30.0, poll_min_s=0.01, poll_max_s=0.05)
RAWS = [{"prompt": f"p{i}"} for i in range(5)]
KEYS = [cache_key(r) for r in RAWS]


def open_cache(path: Path, policy: LeasePolicy = FAST) -> SqliteCache:
    cache = SqliteCache(str(path))
    cache.lease_policy = policy
    return cache


def lease_rows(path: Path) -> list[tuple[str, int]]:
    conn = sqlite3.connect(path)
    try:
        return list(conn.execute("SELECT key, pid FROM helm_lite_leases ORDER BY key"))
    finally:
        conn.close()


def later(seconds: float, action) -> threading.Thread:
    def run() -> None:
        time.sleep(seconds)
        action()

    thread = threading.Thread(target=run)
    thread.start()
    return thread


def test_a_waiter_gets_the_owners_answers_and_computes_nothing(tmp_path: Path) -> None:
    path = tmp_path / "c.sqlite"
    owner, waiter = open_cache(path), open_cache(path)
    assert owner.claim(KEYS).mine == KEYS
    claim = waiter.claim(KEYS)
    assert claim.mine == [] and set(claim.elsewhere) == set(KEYS)

    storing = later(0.2, lambda: owner.put_many([(r, {"v": i}) for i, r in enumerate(RAWS)]))
    got: dict[str, dict] = {}
    for answers, mine in waiter.await_answers(claim.elsewhere):
        assert mine == []
        got.update(answers)
    storing.join()
    assert got == {k: {"v": i} for i, k in enumerate(KEYS)}
    assert lease_rows(path) == []  # released in the transaction that stored the answers
    assert waiter.claim(KEYS).answers == got  # a late claimer finds answers, not leases


def test_a_lease_is_renewed_while_its_owner_lives_and_lapses_when_it_stops(tmp_path: Path) -> None:
    path = tmp_path / "c.sqlite"
    renewing = open_cache(path, LeasePolicy(ttl_s=0.4, renew_s=0.05))
    silent = open_cache(path, LeasePolicy(ttl_s=0.4, renew_s=3600))
    other = open_cache(path)
    assert renewing.claim(KEYS[:2]).mine == KEYS[:2]
    assert silent.claim(KEYS[2:]).mine == KEYS[2:]
    time.sleep(1.0)
    claim = other.claim(KEYS)
    assert set(claim.elsewhere) == set(KEYS[:2])  # the heartbeat kept these
    assert claim.mine == KEYS[2:]  # not renewed for longer than the lease lasts: free


def test_a_killed_owner_frees_its_leases_at_once(tmp_path: Path) -> None:
    path = tmp_path / "c.sqlite"
    script = textwrap.dedent(
        f"""
        import time
        from helm_lite.common.cache import SqliteCache
        cache = SqliteCache({str(path)!r})
        assert cache.claim({KEYS!r}).mine == {KEYS!r}
        print("leased", flush=True)
        time.sleep(120)
        """
    )
    proc = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None and proc.stdout.readline() == "leased\n"
        waiter = open_cache(path)
        assert set(waiter.claim(KEYS).elsewhere) == set(KEYS)  # alive: its leases hold
        assert {pid for _, pid in lease_rows(path)} == {proc.pid}
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait()
    claim = waiter.claim(KEYS)  # its leases have 5 s to run, but its process is gone
    assert claim.mine == KEYS and claim.elsewhere == {}


def test_a_waiter_takes_over_what_the_owner_gives_up(tmp_path: Path, caplog) -> None:
    path = tmp_path / "c.sqlite"
    owner, waiter = open_cache(path), open_cache(path)
    owner.claim(KEYS)
    owner.put_many([(RAWS[0], {"v": 0})])
    claim = waiter.claim(KEYS)
    assert list(claim.answers) == KEYS[:1] and set(claim.elsewhere) == set(KEYS[1:])

    giving_up = later(0.2, lambda: owner.release(KEYS))  # e.g. its requests failed
    with caplog.at_level(logging.WARNING, logger="helm_lite.common.cache"):
        rounds = list(waiter.await_answers(claim.elsewhere))
    giving_up.join()
    assert rounds == [({}, KEYS[1:])]
    assert [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING] == [
        f"4 requests that process {os.getpid()} on {socket.gethostname()} was computing are "
        "unanswered and no longer leased (process ended or stalled); computing them here"
    ]
    assert len(lease_rows(path)) == 4  # now the waiter's, until it stores the answers
    waiter.put_many([(r, {"v": i}) for i, r in enumerate(RAWS) if i > 0])
    assert lease_rows(path) == []


def test_a_stuck_owner_is_waited_for_only_a_bounded_time(tmp_path: Path, caplog) -> None:
    path = tmp_path / "c.sqlite"
    stuck, waiter = open_cache(path), open_cache(path, LeasePolicy(max_wait_s=0.5, poll_min_s=0.01))
    stuck.claim(KEYS)  # alive and renewing, but never answers
    claim = waiter.claim(KEYS)
    started = time.monotonic()
    with caplog.at_level(logging.WARNING, logger="helm_lite.common.cache"):
        rounds = list(waiter.await_answers(claim.elsewhere))
    waited = time.monotonic() - started
    assert rounds == [({}, KEYS)]
    assert 0.5 <= waited < 3
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1 and warnings[0].startswith("Waited 0.5 s for 5 requests that process ")
    assert warnings[0].endswith("is computing, with no answer arriving; computing them here")


def test_closing_a_cache_releases_its_leases(tmp_path: Path) -> None:
    path = tmp_path / "c.sqlite"
    owner = open_cache(path)
    owner.claim(KEYS)
    owner.close()
    assert lease_rows(path) == []
    assert open_cache(path).claim(KEYS).mine == KEYS


def test_a_disabled_cache_takes_no_lease() -> None:
    claim = NoCache().claim(KEYS)
    assert claim.mine == KEYS and claim.elsewhere == {} and claim.answers == {}


def test_leases_leave_the_file_readable_by_sqlitedict(tmp_path: Path) -> None:
    sqlitedict = pytest.importorskip("sqlitedict")
    path = tmp_path / "c.sqlite"
    cache = open_cache(path)
    cache.claim(KEYS)
    cache.put_many([(RAWS[0], {"v": 0})])
    cache.close()
    with sqlitedict.SqliteDict(str(path), tablename="unnamed") as d:  # as HELM opens it
        assert dict(d.items()) == {KEYS[0]: {"v": 0}}
