"""Progress bars count requests, not batches, and their rate starts with the first answer: a local
engine answering 10 requests in one batch after loading its model must not show 1/10 with an ETA of
minutes."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from helm_lite.clients.provider import Capabilities, Provider
from helm_lite.common.cache import SqliteCache
from helm_lite.common.request import Request
from helm_lite.engine import RequestEngine
from helm_lite.runner.progress import ProgressBars


class Echo(Provider):
    """A local batching engine: answers up to `max_batch_size` prompts per call, recording each batch."""

    def __init__(self, max_batch_size: int) -> None:
        self.caps = Capabilities(max_batch_size=max_batch_size)
        self.batches: list[list[str]] = []

    @property
    def capabilities(self) -> Capabilities:
        return self.caps

    def raw_request(self, request: Request) -> dict[str, Any]:
        return {"prompt": request.prompt}

    def compute_batch(self, raw_requests: list[dict[str, Any]]) -> list[dict[str, Any]]:
        self.batches.append([r["prompt"] for r in raw_requests])
        return [{"completions": [{"text": r["prompt"], "logprob": 0.0, "tokens": []}]} for r in raw_requests]

    def batch_key(self, raw_request: dict[str, Any]) -> Any:
        return 0

    def batch_sort_key(self, raw_request: dict[str, Any]) -> Any:
        return raw_request["prompt"]


def _req(prompt: str) -> Request:
    return Request(model_deployment="toy/model", model="toy/model", prompt=prompt)


def test_the_bar_totals_the_requests_and_advances_by_each_batch_answered(tmp_path: Path) -> None:
    # 7 requests, 6 distinct ("a" twice): batches of 2 distinct prompts, so 3 compute calls.
    requests = [_req(p) for p in ["a", "b", "c", "a", "d", "e", "f"]]
    provider = Echo(max_batch_size=2)
    steps: list[int] = []
    with ProgressBars(show=True).for_run("toy", len(requests)) as progress:
        bar = progress.bar  # type: ignore[attr-defined]
        assert bar.total == 7

        def record(n: int) -> None:
            steps.append(n)
            progress(n)

        RequestEngine(provider, SqliteCache(str(tmp_path / "toy.sqlite"))).run(requests, 1, record)
        assert bar.n == 7
    assert provider.batches == [["a", "b"], ["c", "d"], ["e", "f"]]
    # One step per finished batch, by the number of requests it answered (the duplicate "a" counts).
    assert steps == [3, 2, 2]


def test_cached_answers_count_at_once(tmp_path: Path) -> None:
    path = str(tmp_path / "toy.sqlite")
    RequestEngine(Echo(8), SqliteCache(path)).run([_req("a"), _req("b")])
    steps: list[int] = []
    RequestEngine(Echo(8), SqliteCache(path)).run([_req("a"), _req("b"), _req("c")], 1, steps.append)
    assert steps == [2, 1]


def test_the_rate_ignores_the_time_before_the_first_answer() -> None:
    with ProgressBars(show=True).for_run("toy", 10) as progress:
        bar = progress.bar  # type: ignore[attr-defined]
        time.sleep(1.0)  # e.g. loading the model
        progress(1)
        assert bar.n == 1 and bar.format_dict["rate"] is None  # not 1 request per second
        assert bar.format_dict["elapsed"] >= 1.0  # the elapsed time shown stays the real one
        time.sleep(0.6)  # more than the bar's refresh interval, so the rate is measured
        progress(6)
        # 6 answers in ~0.6 s: ~10/s; counting the set-up time would give 7 in 1.6 s, ~4/s.
        assert bar.format_dict["rate"] > 5


def test_helm_run_shows_requests_on_its_bar(tmp_path: Path) -> None:
    # multiple_choice_separate_original asks one request per choice: 3 questions x 2 choices.
    data = tmp_path / "q.jsonl"
    data.write_text(
        "".join(f'{{"question": "Q{i}?", "choices": ["yes", "no"], "answer": "A"}}\n' for i in range(3))
    )
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "helm_lite.cli.run",
            "-r",
            f"user_data:path={data},method=multiple_choice_separate_original,model=simple/model1",
            "-m",
            "3",
        ],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    assert "6/6 [" in proc.stderr and "req" in proc.stderr
