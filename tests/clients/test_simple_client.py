"""simple/model1 behaves as its docstring says, and the cache stands in front of it."""

from __future__ import annotations

from typing import Any

from helm_lite.clients.base import Client
from helm_lite.clients.simple import SimpleClient
from helm_lite.common.cache import SqliteCache
from helm_lite.common.request import Request


def _req(prompt: str, **kw: Any) -> Request:
    return Request(model_deployment="simple/model1", model="simple/model1", prompt=prompt, **kw)


def test_docstring_example() -> None:
    result = SimpleClient().make_request(_req("7 2 4 6", num_completions=3))
    assert result.success and not result.cached
    assert [(c.text, c.logprob) for c in result.completions] == [("6", 0.0), ("4", -1.0), ("2", -2.0)]
    assert [t.text for t in result.completions[0].tokens] == ["6"]


def test_stop_sequences_max_tokens_and_echo() -> None:
    client = SimpleClient()
    c = client.make_request(_req("a b hello;world", stop_sequences=[";"])).completions[0]
    assert (c.text, c.finish_reason) == ("hello", {"reason": "stop"})
    c = client.make_request(_req("a abcdef", max_tokens=3)).completions[0]
    assert (c.text, c.finish_reason, len(c.tokens)) == ("abc", {"reason": "length"}, 3)
    c = client.make_request(_req("x y", echo_prompt=True, max_tokens=5)).completions[0]
    assert c.text == "x yy" and len(c.tokens) == 4


def test_cache_hit_never_calls_the_model(tmp_path) -> None:
    path = str(tmp_path / "simple.sqlite")
    first = SimpleClient(SqliteCache(path)).make_requests([_req("p q"), _req("r s")])
    assert [r.cached for r in first] == [False, False]

    class Exploding(SimpleClient):
        def compute(self, raw_request: dict[str, Any]) -> dict[str, Any]:
            raise AssertionError("the model must not be called on a cache hit")

    again = Exploding(SqliteCache(path)).make_requests([_req("p q"), _req("r s")])
    assert [r.cached for r in again] == [True, True]
    assert [r.completions for r in again] == [r.completions for r in first]
    assert again[0].request_time == first[0].request_time  # the original timing, as HELM keeps it


def test_duplicate_requests_are_computed_once() -> None:
    calls = []

    class Counting(SimpleClient):
        def compute(self, raw_request: dict[str, Any]) -> dict[str, Any]:
            calls.append(raw_request["prompt"])
            return super().compute(raw_request)

    results = Counting().make_requests([_req("a"), _req("a"), _req("b")], num_threads=4)
    assert sorted(calls) == ["a", "b"]
    assert [r.completions[0].text for r in results] == ["a", "a", "b"]


def test_a_failure_is_recorded_not_raised_and_not_cached(tmp_path) -> None:
    class Flaky(SimpleClient):
        def compute(self, raw_request: dict[str, Any]) -> dict[str, Any]:
            if raw_request["prompt"] == "bad":
                raise RuntimeError("backend exploded")
            return super().compute(raw_request)

    cache = SqliteCache(str(tmp_path / "f.sqlite"))
    results = Flaky(cache).make_requests([_req("good"), _req("bad")], num_threads=2)
    assert results[0].success and not results[1].success
    assert "backend exploded" in (results[1].error or "")
    assert cache.get(Flaky().raw_request(_req("bad"))) is None
    assert cache.get(Flaky().raw_request(_req("good"))) is not None


def test_batched_clients_get_whole_batches() -> None:
    batches: list[int] = []

    class Batched(SimpleClient):
        max_batch_size = 3

        def compute_batch(self, raw_requests: list[dict[str, Any]]) -> list[dict[str, Any]]:
            batches.append(len(raw_requests))
            return [self.compute(r) for r in raw_requests]

    results = Batched().make_requests([_req(f"w{i}") for i in range(7)])
    assert batches == [3, 3, 1]
    assert [r.completions[0].text for r in results] == [f"w{i}" for i in range(7)]
    assert results[0].batch_size == 3


def test_client_interface_is_small() -> None:
    assert {"raw_request", "compute"} <= Client.__abstractmethods__
