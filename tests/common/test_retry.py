"""Retries stop at the attempt cap or the total-wait cap, honour Retry-After, and say what they do."""

from __future__ import annotations

import email.utils
import logging
import time
from collections.abc import Callable

import pytest

from helm_lite.common.errors import UserError
from helm_lite.common.retry import (
    RetriesExhaustedError,
    RetryPolicy,
    Transient,
    call_with_retries,
    classify,
    parse_retry_after,
)


class Flaky:
    """Fails with `error` for the first `failures` calls, then returns the call count."""

    def __init__(self, failures: int, error: Exception | None = None) -> None:
        self.failures = failures
        self.error = error or ConnectionResetError("peer went away")
        self.calls = 0

    def __call__(self) -> int:
        self.calls += 1
        if self.calls <= self.failures:
            raise self.error
        return self.calls


def transient(
    what: str = "HTTP 503", retry_after: float | None = None
) -> Callable[[BaseException], Transient | None]:
    return lambda e: Transient(what, retry_after) if isinstance(e, ConnectionResetError) else None


def run(fn: Flaky, policy: RetryPolicy, classifier=None, rand: float = 1.0) -> tuple[list[float], object]:
    sleeps: list[float] = []
    try:
        result: object = call_with_retries(
            fn,
            policy,
            describe="acme/model",
            classify_error=classifier or transient(),
            sleep=sleeps.append,
            rand=lambda: rand,
        )
    except RetriesExhaustedError as e:
        result = e
    return sleeps, result


def test_succeeds_after_transient_failures_with_exponential_backoff(caplog: pytest.LogCaptureFixture) -> None:
    policy = RetryPolicy(max_attempts=5, max_total_wait_s=100, base_delay_s=0.5, max_delay_s=1.5)
    fn = Flaky(3)
    with caplog.at_level(logging.WARNING, logger="helm_lite.common.retry"):
        sleeps, result = run(fn, policy)
    assert result == 4 and fn.calls == 4
    assert sleeps == [0.5, 1.0, 1.5]  # base * 2^(n-1), capped at max_delay_s (rand = 1: the ceiling)
    lines = [r.getMessage() for r in caplog.records]
    assert lines == [
        "acme/model: attempt 1/5 failed (HTTP 503); retrying in 0.50 s",
        "acme/model: attempt 2/5 failed (HTTP 503); retrying in 1.00 s",
        "acme/model: attempt 3/5 failed (HTTP 503); retrying in 1.50 s",
    ]


def test_full_jitter_draws_below_the_ceiling() -> None:
    policy = RetryPolicy(base_delay_s=2.0, max_delay_s=5.0)
    assert policy.backoff(1, lambda: 0.25) == 0.5
    assert policy.backoff(3, lambda: 0.5) == 2.5  # min(5, 2 * 4) * 0.5
    assert policy.backoff(2, lambda: 0.0) == 0.0


def test_gives_up_at_the_attempt_cap() -> None:
    fn = Flaky(100)
    sleeps, result = run(fn, RetryPolicy(max_attempts=3, max_total_wait_s=100, base_delay_s=0.01))
    assert fn.calls == 3 and len(sleeps) == 2
    assert isinstance(result, RetriesExhaustedError)
    assert str(result).startswith("acme/model: gave up after 3 attempt(s)")
    assert "(max_attempts=3)" in str(result) and "HTTP 503: peer went away" in str(result)


def test_gives_up_at_the_total_wait_cap() -> None:
    fn = Flaky(100)
    policy = RetryPolicy(max_attempts=100, max_total_wait_s=1.0, base_delay_s=0.4, max_delay_s=10)
    sleeps, result = run(fn, policy)
    assert sleeps == [0.4, pytest.approx(0.6)]  # 0.8 clipped to what is left of the budget
    assert sum(sleeps) <= 1.0 + 1e-9 and fn.calls == 3
    assert isinstance(result, RetriesExhaustedError) and "max_total_wait_s=1" in str(result)


def test_retry_after_is_honoured_uncapped_and_respects_the_budget() -> None:
    policy = RetryPolicy(max_attempts=10, max_total_wait_s=1.0, base_delay_s=5, max_delay_s=0.3)
    fn = Flaky(100)
    sleeps, result = run(fn, policy, transient("HTTP 429", retry_after=0.25))
    # 0.25 s each (not the 5 s backoff); the 5th wait would pass 1.0 s in total, so it gives up.
    assert sleeps == [0.25, 0.25, 0.25, 0.25] and fn.calls == 5
    assert isinstance(result, RetriesExhaustedError)
    fn = Flaky(1)
    sleeps, _ = run(fn, policy, transient("HTTP 429", retry_after=0.5))
    assert sleeps == [0.5]  # max_delay_s caps the backoff, never the server's Retry-After


def test_other_errors_are_not_retried() -> None:
    fn = Flaky(5, error=ValueError("bad request"))
    with pytest.raises(ValueError, match="bad request"):
        call_with_retries(fn, RetryPolicy(), describe="x", classify_error=transient(), sleep=lambda s: None)
    assert fn.calls == 1


def test_given_up_message_is_redacted() -> None:
    fn = Flaky(10, error=ConnectionResetError("bad key sk-live-0123456789abcdef"))
    with pytest.raises(RetriesExhaustedError) as info:
        call_with_retries(
            fn,
            RetryPolicy(max_attempts=2, base_delay_s=0),
            describe="x",
            classify_error=transient(),
            redact=lambda s: s.replace("sk-live-0123456789abcdef", "[REDACTED]"),
            sleep=lambda s: None,
        )
    assert "sk-live" not in str(info.value) and "[REDACTED]" in str(info.value)


def test_classify_real_sdk_errors() -> None:
    httpx2 = pytest.importorskip("httpx2")  # openai's HTTP library: both come with the openai extra
    openai = pytest.importorskip("openai")

    request = httpx2.Request("POST", "http://127.0.0.1:1/v1/completions")

    def status_error(cls: type, code: int, headers: dict[str, str] | None = None) -> Exception:
        response = httpx2.Response(code, headers=headers or {}, request=request)
        error: Exception = cls("boom", response=response, body=None)
        return error

    assert classify(status_error(openai.RateLimitError, 429, {"retry-after": "7"})) == Transient(
        "HTTP 429", 7.0
    )
    assert classify(status_error(openai.InternalServerError, 503)) == Transient("HTTP 503", None)
    assert classify(status_error(openai.BadRequestError, 400)) is None
    assert classify(status_error(openai.AuthenticationError, 401)) is None
    assert classify(openai.APITimeoutError(request=request)) == Transient("timeout")
    assert classify(openai.APIConnectionError(request=request)) == Transient("connection error")
    assert classify(ValueError("x")) is None


def test_classify_together_errors() -> None:
    httpx = pytest.importorskip("httpx")  # together's HTTP library: both come with the together extra
    together = pytest.importorskip("together")

    request = httpx.Request("POST", "http://127.0.0.1:1/v1/completions")
    response = httpx.Response(429, headers={"retry-after-ms": "1500"}, request=request)
    assert classify(together.RateLimitError("slow down", response=response, body=None)) == Transient(
        "HTTP 429", 1.5
    )
    response = httpx.Response(502, request=request)
    assert classify(together.InternalServerError("bad gateway", response=response, body=None)) == Transient(
        "HTTP 502"
    )
    assert classify(together.APITimeoutError(request=request)) == Transient("timeout")
    response = httpx.Response(404, request=request)
    assert classify(together.NotFoundError("no such model", response=response, body=None)) is None


def test_parse_retry_after() -> None:
    assert parse_retry_after({"retry-after": "3"}) == 3.0
    assert parse_retry_after({"retry-after-ms": "250", "retry-after": "9"}) == 0.25
    assert parse_retry_after({"retry-after": "soon"}) is None
    assert parse_retry_after({}) is None
    when = email.utils.formatdate(time.time() + 30, usegmt=True)
    assert 25 < (parse_retry_after({"retry-after": when}) or 0) <= 30


def test_policy_from_deployment_args() -> None:
    assert RetryPolicy.from_args(None, "d") == RetryPolicy()
    assert RetryPolicy.from_args({"max_attempts": 2, "max_total_wait_s": 5}, "d") == RetryPolicy(2, 5.0)
    with pytest.raises(
        UserError, match=r"^model deployment acme/x: unknown retry setting\(s\) attempts \(known:"
    ):
        RetryPolicy.from_args({"attempts": 2}, "model deployment acme/x")
    with pytest.raises(
        UserError, match="^model deployment acme/x: retry max_attempts must be an integer >= 1, got 0$"
    ):
        RetryPolicy.from_args({"max_attempts": 0}, "model deployment acme/x")
    with pytest.raises(UserError, match="max_total_wait_s must be a number >= 0"):
        RetryPolicy(max_total_wait_s=-1)
