"""Runs in flight together: a run waits only for earlier runs that may compute one of its requests."""

from __future__ import annotations

import threading
import time

import pytest

from helm_lite.common.errors import RunFailedError
from helm_lite.executors.turns import RequestTurns


def _in_thread(target) -> threading.Thread:
    thread = threading.Thread(target=target, daemon=True)
    thread.start()
    return thread


def test_a_run_sharing_a_request_waits_for_the_earlier_run_and_others_do_not() -> None:
    turns = RequestTurns([("a", "cache"), ("b", "cache"), ("c", "cache"), ("d", "other")])
    events: list[str] = []
    a_inside = threading.Event()
    a_may_finish = threading.Event()

    def run_a() -> None:
        with turns.turn("a", ["k1", "k2"]):
            a_inside.set()
            a_may_finish.wait(5)
            events.append("a done")

    def run(name: str, keys: list[str]):
        def body() -> None:
            with turns.turn(name, keys):
                events.append(f"{name} in")

        return body

    thread_a = _in_thread(run_a)
    assert a_inside.wait(5)
    # b shares nothing with a, d uses another cache: both go at once; c shares k2 with a: it waits.
    threads = [_in_thread(run("b", ["k3"])), _in_thread(run("c", ["k2", "k4"])), _in_thread(run("d", ["k1"]))]
    time.sleep(0.2)
    assert sorted(events) == ["b in", "d in"]
    a_may_finish.set()
    for thread in [thread_a, *threads]:
        thread.join(5)
    assert events[-2:] == ["a done", "c in"]


def test_a_later_run_waits_until_an_earlier_run_says_what_it_will_ask() -> None:
    turns = RequestTurns([("a", "cache"), ("b", "cache")])
    events: list[str] = []

    def run_b() -> None:
        with turns.turn("b", ["k1"]):
            events.append("b in")

    thread = _in_thread(run_b)
    time.sleep(0.2)
    assert events == []  # a's requests are unknown yet: they might include k1
    turns.release("a")  # a failed before asking anything
    thread.join(5)
    assert events == ["b in"]


def test_abort_lets_waiting_runs_fail() -> None:
    turns = RequestTurns([("a", "cache"), ("b", "cache")])
    errors: list[Exception] = []

    def run_b() -> None:
        try:
            with turns.turn("b", ["k1"]):
                pass
        except RunFailedError as e:
            errors.append(e)

    thread = _in_thread(run_b)
    time.sleep(0.1)
    turns.abort()
    thread.join(5)
    assert len(errors) == 1
    with pytest.raises(RunFailedError), turns.turn("a", []):
        pass
