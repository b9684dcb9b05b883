"""How computed answers reach the cache: expensive ones at once, cheap ones in timed batches."""

from __future__ import annotations

from helm_lite.common.cache import SqliteCache
from helm_lite.engine.store import AnswerStore


def test_expensive_answer_is_committed_at_once(tmp_path) -> None:
    cache = SqliteCache(str(tmp_path / "c.sqlite"))
    store = AnswerStore(cache)
    store.add({"p": 1}, {"v": 1, "request_time": 0.5})
    assert SqliteCache(str(tmp_path / "c.sqlite")).get({"p": 1}) == {"v": 1, "request_time": 0.5}


def test_cheap_answers_are_batched_until_flush(tmp_path) -> None:
    cache = SqliteCache(str(tmp_path / "c.sqlite"))
    store = AnswerStore(cache)
    for i in range(10):
        store.add({"p": i}, {"v": i, "request_time": 0.0})
    store.flush()
    other = SqliteCache(str(tmp_path / "c.sqlite"))
    assert all(other.get({"p": i}) == {"v": i, "request_time": 0.0} for i in range(10))
    assert cache.stats.num_computes == 10


def test_cheap_answers_are_committed_after_batch_size(tmp_path) -> None:
    cache = SqliteCache(str(tmp_path / "c.sqlite"))
    store = AnswerStore(cache)
    store.BATCH_S = 1e9  # only the count triggers a commit
    for i in range(store.BATCH_N):
        store.add({"p": i}, {"v": i, "request_time": 0.0})
    other = SqliteCache(str(tmp_path / "c.sqlite"))
    assert other.get({"p": store.BATCH_N - 1}) is not None
