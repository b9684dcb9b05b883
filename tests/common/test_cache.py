"""The request cache: durable, thread-safe, per host, readable by sqlitedict (HELM's library)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import threading
import time

import pytest

from helm_lite.common.cache import CacheManager, SqliteCache, cache_key


def test_key_is_canonical_json() -> None:
    assert cache_key({"b": 1, "a": [1, 2]}) == cache_key({"a": [1, 2], "b": 1}) == '{"a": [1, 2], "b": 1}'


def test_get_or_compute_calls_compute_only_on_a_miss(tmp_path) -> None:
    cache = SqliteCache(str(tmp_path / "host.sqlite"))
    calls = []

    def compute() -> dict:
        calls.append(1)
        return {"completions": ["x"]}

    assert cache.get_or_compute({"prompt": "p"}, compute) == ({"completions": ["x"]}, False)
    assert cache.get_or_compute({"prompt": "p"}, compute) == ({"completions": ["x"]}, True)
    assert len(calls) == 1
    assert (cache.stats.num_queries, cache.stats.num_computes) == (2, 1)


def test_persists_across_reopen_and_is_readable_by_sqlitedict(tmp_path) -> None:
    sqlitedict = pytest.importorskip("sqlitedict")
    path = str(tmp_path / "openai.sqlite")
    cache = SqliteCache(path)
    cache.put({"prompt": "hello", "engine": "m"}, {"completions": [{"text": "hi"}]})
    cache.close()
    reopened = SqliteCache(path)
    assert reopened.get({"engine": "m", "prompt": "hello"}) == {"completions": [{"text": "hi"}]}
    reopened.close()  # sqlitedict resets the journal mode, which needs the file to itself
    with sqlitedict.SqliteDict(path, tablename="unnamed") as d:  # opened as HELM opens it
        assert d[cache_key({"prompt": "hello", "engine": "m"})] == {"completions": [{"text": "hi"}]}


def test_one_file_per_host_organisation(tmp_path) -> None:
    manager = CacheManager(str(tmp_path / "cache"))
    manager.for_shard("simple").put({"a": 1}, {"v": 1})
    manager.for_shard("openai").put({"a": 1}, {"v": 2})
    assert manager.for_shard("simple") is manager.for_shard("simple")
    assert sorted(f for f in os.listdir(tmp_path / "cache") if f.endswith(".sqlite")) == [
        "openai.sqlite",
        "simple.sqlite",
    ]
    assert manager.for_shard("simple").get({"a": 1}) == {"v": 1}
    assert manager.status_lines() == [
        f"{tmp_path}/cache/simple.sqlite: 1 queries, 1 computes",
        f"{tmp_path}/cache/openai.sqlite: 0 queries, 1 computes",
    ]


def test_eight_threads_lose_nothing_and_never_lock(tmp_path) -> None:
    path = str(tmp_path / "t.sqlite")
    cache = SqliteCache(path)
    errors: list[BaseException] = []

    def work(t: int) -> None:
        try:
            for i in range(200):
                cache.get_or_compute({"t": t, "i": i}, lambda t=t, i=i: {"v": t * 1000 + i})
        except BaseException as e:  # noqa: BLE001 - collected for the assertion
            errors.append(e)

    threads = [threading.Thread(target=work, args=(t,)) for t in range(8)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert errors == []
    reopened = SqliteCache(path)
    assert all(reopened.get({"t": t, "i": i}) == {"v": t * 1000 + i} for t in range(8) for i in range(200))


def test_two_processes_share_a_file(tmp_path) -> None:
    path = str(tmp_path / "shared.sqlite")
    script = textwrap.dedent(
        f"""
        import sys
        from helm_lite.common.cache import SqliteCache
        c = SqliteCache({path!r})
        for i in range(300):
            c.put({{"p": sys.argv[1], "i": i}}, {{"v": i}})
        """
    )
    procs = [subprocess.Popen([sys.executable, "-c", script, name]) for name in ("a", "b")]
    assert [p.wait(60) for p in procs] == [0, 0]
    cache = SqliteCache(path)
    assert all(cache.get({"p": n, "i": i}) == {"v": i} for n in "ab" for i in range(300))


def test_sigkill_loses_no_stored_response(tmp_path) -> None:
    """A process killed with SIGKILL keeps every response it had stored before the kill."""
    path = str(tmp_path / "killed.sqlite")
    progress = tmp_path / "progress.txt"
    script = textwrap.dedent(
        f"""
        import os
        import time
        from helm_lite.common.cache import SqliteCache
        c = SqliteCache({path!r})
        i = 0
        while True:
            c.put({{"i": i}}, {{"v": i}})
            with open({str(progress)!r} + ".tmp", "w") as f:  # atomic: the reader never sees half
                f.write(str(i))
            os.replace({str(progress)!r} + ".tmp", {str(progress)!r})
            i += 1
            time.sleep(0.001)
        """
    )
    proc = subprocess.Popen([sys.executable, "-c", script])
    deadline = time.time() + 60
    while time.time() < deadline:
        if progress.exists() and int(progress.read_text()) >= 50:
            break
        time.sleep(0.05)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    last = int(progress.read_text())
    assert last >= 50
    cache = SqliteCache(path)
    assert all(cache.get({"i": i}) == {"v": i} for i in range(last + 1))
