"""The request engine answers any provider: cache first, each distinct request once, batches planned
from the declared capabilities, failures recorded as failed results and never cached."""

from __future__ import annotations

from typing import Any

from helm_lite.clients.provider import Capabilities, Provider
from helm_lite.common.cache import SqliteCache
from helm_lite.common.request import Request
from helm_lite.engine import RequestEngine


def _req(prompt: str, **kw: Any) -> Request:
    return Request(model_deployment="toy/model", model="toy/model", prompt=prompt, **kw)


class Upper(Provider):
    """Answers with the prompt in capitals; records every batch it is asked to compute."""

    def __init__(self, caps: Capabilities | None = None, fail_on: str = "") -> None:
        self.caps = caps or Capabilities()
        self.fail_on = fail_on
        self.batches: list[list[str]] = []

    @property
    def capabilities(self) -> Capabilities:
        return self.caps

    def raw_request(self, request: Request) -> dict[str, Any]:
        return {"prompt": request.prompt, "max_tokens": request.max_tokens}

    def compute_batch(self, raw_requests: list[dict[str, Any]]) -> list[dict[str, Any]]:
        prompts = [r["prompt"] for r in raw_requests]
        self.batches.append(prompts)
        if self.fail_on in prompts:
            raise ValueError(f"cannot answer {self.fail_on}")
        return [{"completions": [{"text": p.upper(), "logprob": 0.0, "tokens": []}]} for p in prompts]

    def batch_key(self, raw_request: dict[str, Any]) -> Any:
        return raw_request["max_tokens"]

    def batch_sort_key(self, raw_request: dict[str, Any]) -> Any:
        return len(raw_request["prompt"])


def test_each_distinct_request_is_computed_once_then_answered_from_the_cache(tmp_path) -> None:
    path = str(tmp_path / "toy.sqlite")
    provider = Upper()
    done: list[int] = []
    results = RequestEngine(provider, SqliteCache(path)).run(
        [_req("a"), _req("b"), _req("a")], 4, done.append
    )
    assert [r.completions[0].text for r in results] == ["A", "B", "A"]
    assert sorted(provider.batches) == [["a"], ["b"]] and sum(done) == 3
    assert not any(r.cached for r in results) and results[0].request_time is not None

    again = Upper()
    cached = RequestEngine(again, SqliteCache(path)).run([_req("b"), _req("a")])
    assert [r.completions[0].text for r in cached] == ["B", "A"] and all(r.cached for r in cached)
    assert again.batches == []


def test_batches_follow_the_declared_size_key_and_order() -> None:
    provider = Upper(Capabilities(max_batch_size=2))
    requests = [_req("ccc"), _req("a", max_tokens=1), _req("bb"), _req("d"), _req("eeee")]
    results = RequestEngine(provider).run(requests)
    assert [r.completions[0].text for r in results] == ["CCC", "A", "BB", "D", "EEEE"]
    # Same max_tokens together, shortest first, at most two per batch.
    assert provider.batches == [["d", "bb"], ["ccc", "eeee"], ["a"]]
    assert {r.batch_size for r in results} == {1, 2}


def test_a_failed_batch_becomes_failed_results_that_are_not_cached(tmp_path) -> None:
    cache = SqliteCache(str(tmp_path / "toy.sqlite"))
    provider = Upper(fail_on="bad")
    engine = RequestEngine(provider, cache)
    results = engine.run([_req("good"), _req("bad"), _req("bad")], num_threads=2)
    assert results[0].success and not results[1].success and not results[2].success
    assert results[1].error == "ValueError: cannot answer bad"
    assert provider.batches.count(["bad"]) == 1
    good_key, bad_key = engine.cache_keys([_req("good"), _req("bad")])
    assert cache.lookup([good_key, bad_key]).hits[1] is None
    assert cache.lookup([good_key]).hits[0] is not None


def test_raw_requests_built_for_cache_keys_are_not_built_again_by_run() -> None:
    built: list[str] = []

    class Counting(Upper):
        def raw_request(self, request: Request) -> dict[str, Any]:
            built.append(request.prompt)
            return super().raw_request(request)

    engine = RequestEngine(Counting())
    requests = [_req("a"), _req("b")]
    keys = engine.cache_keys(requests)
    results = engine.run(requests)
    assert built == ["a", "b"] and [r.completions[0].text for r in results] == ["A", "B"]
    assert keys == engine.cache_keys([_req("a"), _req("b")])
