"""A server's Retry-After longer than the wait budget, and 200 answers that are not completions.

Real loopback HTTP (the fake OpenAI-compatible server behind the fault-injecting proxy) through both
SDKs and through helm-run. A Retry-After the budget cannot cover ends the request at once with one
line naming it, instead of sleeping through the budget; the SDKs' own retries are off, so every
attempt the proxy sees is one of ours. A 200 whose body is not a completion is retried, never cached.
"""

from __future__ import annotations

import email.utils
import logging
import sqlite3
import time
from pathlib import Path
from typing import Any

import pytest
from fake_openai_server import FakeOpenAIServer
from fault_proxy import FaultProxy, body, status

from helm_lite.clients.openai_client import OpenAICompatibleClient
from helm_lite.clients.together_client import TogetherClient
from helm_lite.common.cache import SqliteCache
from helm_lite.common.request import Request

pytest.importorskip("openai")  # the SDKs of the openai and together extras
pytest.importorskip("together")

MODEL = "acme/fake-7b"
FLAVOURS = {"openai": (OpenAICompatibleClient, "/v1"), "together": (TogetherClient, "/together")}
FAST_RETRY = {"max_attempts": 6, "max_total_wait_s": 5, "base_delay_s": 0.01, "max_delay_s": 0.02}


@pytest.fixture(scope="module")
def server():
    with FakeOpenAIServer(model=MODEL) as s:
        yield s


@pytest.fixture(scope="module")
def shared_proxy(server: FakeOpenAIServer):
    with FaultProxy(server.url) as p:
        yield p


@pytest.fixture
def proxy(server: FakeOpenAIServer, shared_proxy: FaultProxy) -> FaultProxy:
    server.received.clear()
    shared_proxy.clear()
    return shared_proxy


def client(flavour: str, url: str, **kw: Any) -> OpenAICompatibleClient:
    cls, suffix = FLAVOURS[flavour]
    return cls(base_url=url + suffix, model=MODEL, api_key="sk-retry-after-test-key", **kw)


def req(prompt: str = "alpha beta gamma", **kw: Any) -> Request:
    return Request(model_deployment=MODEL, model=MODEL, prompt=prompt, temperature=0.0, max_tokens=1, **kw)


@pytest.mark.parametrize("flavour", FLAVOURS)
@pytest.mark.parametrize("form", ["seconds", "http-date"])
def test_retry_after_beyond_the_budget_gives_up_at_once(
    flavour: str, form: str, proxy: FaultProxy, server: FakeOpenAIServer
) -> None:
    header = "3600" if form == "seconds" else email.utils.formatdate(time.time() + 3600, usegmt=True)
    proxy.always(status(429, retry_after=header))
    start = time.monotonic()
    result = client(flavour, proxy.url).make_request(req())  # the default policy: 60 s of waiting
    elapsed = time.monotonic() - start
    assert elapsed < 2, elapsed
    assert not result.success
    error = result.error or ""
    assert "\n" not in error
    assert error.startswith(
        f"RetriesExhaustedError: {MODEL}: gave up after 1 attempt(s) and 0.0 s of waiting"
    )
    asked = error.split("Retry-After of ")[1].split(" s ")[0]
    assert 3595 <= float(asked) <= 3600  # a date has whole seconds, and time passes before it is read
    assert "is more than the 60 s left of max_total_wait_s=60" in error
    assert "last error: HTTP 429" in error
    assert len(proxy.actions()) == 1 and server.calls() == []  # one attempt: neither we nor the SDK retried


@pytest.mark.parametrize("flavour", FLAVOURS)
def test_retry_after_within_the_budget_is_obeyed_even_above_max_delay(
    flavour: str, proxy: FaultProxy, server: FakeOpenAIServer
) -> None:
    proxy.script(status(429, retry_after="0.3"))
    c = client(flavour, proxy.url, retry={"max_delay_s": 0.01, "max_total_wait_s": 1})
    start = time.monotonic()
    result = c.make_request(req())
    assert result.success, result.error
    assert time.monotonic() - start >= 0.3  # not shortened to max_delay_s: asking sooner is refused again
    assert proxy.actions() == ["429 (Retry-After 0.3)", "pass"]


@pytest.mark.parametrize("flavour", FLAVOURS)
def test_the_sdks_own_retries_are_off(flavour: str, proxy: FaultProxy) -> None:
    proxy.always(status(503))
    result = client(flavour, proxy.url, retry={"max_attempts": 1}).make_request(req())
    assert not result.success and "gave up after 1 attempt(s)" in (result.error or "")
    assert proxy.actions() == ["503"]  # an SDK retrying on its own would have sent more


def test_helm_run_fails_fast_on_a_long_retry_after(helm_run, tmp_path: Path, proxy: FaultProxy) -> None:
    local = tmp_path / "prod_env"
    local.mkdir()
    (local / "model_deployments.yaml").write_text(
        f"""model_deployments:
  - name: limited/fake-7b
    model_name: {MODEL}
    client_spec:
      class_name: helm_lite.clients.openai_client.OpenAICompatibleClient
      args: {{base_url: "{proxy.url}/v1", model: "{MODEL}"}}
"""
    )
    proxy.always(status(429, retry_after="3600"))
    start = time.monotonic()
    r = helm_run("-r", "synthetic_reasoning:mode=pattern_match,model_deployment=limited/fake-7b", "-m", "2")
    elapsed = time.monotonic() - start
    assert r.returncode == 1, r.stderr
    assert elapsed < 20, elapsed  # interpreter start and the run; the default budget alone is 60 s
    assert len(proxy.actions()) == 2  # one attempt per instance, no waiting
    assert "retrying in" not in r.stderr
    failed = [line for line in r.stderr.splitlines() if "Request failed" in line]
    assert len(failed) == 2 and all(
        "the server's Retry-After of 3600 s is more than the 60 s left of max_total_wait_s=60" in line
        for line in failed
    )
    assert r.stderr.strip().splitlines()[-1].startswith("helm-run: error: Failed runs: ")


# --- 200 answers that are not completions ---------------------------------------------------------

MALFORMED = {
    "cut short": body(b'{"id": "cmpl-1", "choi'),
    "no choices": body(b'{"id": "cmpl-1", "object": "text_completion"}'),
    "not an object": body(b"[1, 2]"),
    "html page": body(b"<html>upstream busy</html>", content_type="text/html"),
}


@pytest.mark.parametrize("flavour", FLAVOURS)
@pytest.mark.parametrize("api", ["completions", "chat"])
def test_malformed_answers_are_retried_then_the_good_one_is_kept(
    flavour: str, api: str, proxy: FaultProxy, server: FakeOpenAIServer, caplog: pytest.LogCaptureFixture
) -> None:
    proxy.script(*MALFORMED.values())
    c = client(flavour, proxy.url, api=api, retry=FAST_RETRY)
    with caplog.at_level(logging.WARNING):
        result = c.make_request(req())
    assert result.success, result.error
    assert result.completions[0].text == " gamma"
    assert len(proxy.actions()) == 5 and proxy.actions()[-1] == "pass"
    retried = [r.getMessage() for r in caplog.records if "retrying in" in r.getMessage()]
    assert len(retried) == 4 and all("failed (malformed answer)" in line for line in retried)


@pytest.mark.parametrize("flavour", FLAVOURS)
@pytest.mark.parametrize("fault", MALFORMED)
def test_a_malformed_answer_that_persists_fails_and_is_not_cached(
    flavour: str, fault: str, proxy: FaultProxy, tmp_path: Path
) -> None:
    path = tmp_path / "acme.sqlite"
    proxy.always(MALFORMED[fault])
    c = client(flavour, proxy.url, cache=SqliteCache(str(path)), retry={**FAST_RETRY, "max_attempts": 3})
    result = c.make_request(req())
    assert not result.success
    error = result.error or ""
    assert "gave up after 3 attempt(s)" in error and "last error: malformed answer: the answer" in error
    assert len(proxy.actions()) == 3
    with sqlite3.connect(path) as db:
        assert db.execute("SELECT COUNT(*) FROM unnamed").fetchone() == (0,)


def test_an_answer_with_an_empty_choices_list_is_not_retried(proxy: FaultProxy) -> None:
    proxy.always(body(b'{"id": "cmpl-1", "object": "text_completion", "choices": []}'))
    result = client("openai", proxy.url, retry=FAST_RETRY).make_request(req())
    assert not result.success and "the API answered with no choices" in (result.error or "")
    assert len(proxy.actions()) == 1  # a well-formed answer: asking again would get the same
