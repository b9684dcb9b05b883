"""helm-summarize and helm-server pick the same suite when --suite is omitted (the one with the newest
run), and a suite that does not exist is a one-line error listing the suites that do."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest


def _cli(module: str, *args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", f"helm_lite.cli.{module}", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.fixture(scope="module")
def two_suites(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """`old` and `new`, one run each; `new`'s run is the newer, `old`'s folder was touched last."""
    root = tmp_path_factory.mktemp("suites")
    for suite in ("new", "old"):
        proc = _cli(
            "run",
            "--no-progress",
            "-r",
            "synthetic_reasoning:mode=pattern_match,model=simple/model1",
            "-m",
            "2",
            "--suite",
            suite,
            cwd=root,
        )
        assert proc.returncode == 0, proc.stderr
    runs = root / "benchmark_output" / "runs"
    (new_run,) = [p for p in (runs / "new").iterdir() if (p / "run_spec.json").is_file()]
    (old_run,) = [p for p in (runs / "old").iterdir() if (p / "run_spec.json").is_file()]
    os.utime(old_run, (1_000_000_000, 1_000_000_000))
    os.utime(new_run, (1_500_000_000, 1_500_000_000))
    os.utime(runs / "old", (1_900_000_000, 1_900_000_000))  # the folder's own time does not count
    os.utime(runs / "new", (1_000_000_000, 1_000_000_000))
    return root


def test_summarize_without_suite_takes_the_suite_with_the_newest_run(two_suites: Path) -> None:
    proc = _cli("summarize", "--no-plots", cwd=two_suites)
    assert proc.returncode == 0, proc.stderr
    assert "Summarizing suite 'new'" in proc.stdout
    runs = two_suites / "benchmark_output" / "runs"
    assert (runs / "new" / "summary.json").is_file()
    assert not (runs / "old" / "summary.json").exists()


@pytest.mark.parametrize("module", ["summarize", "server"])
def test_a_missing_suite_lists_the_suites_that_exist(two_suites: Path, module: str) -> None:
    proc = _cli(module, "--suite", "nwe", cwd=two_suites)
    assert proc.returncode == 2
    prog = {"summarize": "helm-summarize", "server": "helm-server"}[module]
    assert proc.stderr.strip().splitlines() == [
        f"{prog}: error: no suite 'nwe' in benchmark_output/runs (available: new, old)"
    ]


def test_summarize_with_no_suite_at_all_says_so(tmp_path: Path) -> None:
    proc = _cli("summarize", cwd=tmp_path)
    assert proc.returncode == 2
    assert proc.stderr.strip().splitlines() == [
        "helm-summarize: error: No suites found in benchmark_output/runs "
        "(run helm-run first, or pass --output-path)"
    ]


def test_server_without_suite_serves_the_suite_with_the_newest_run(two_suites: Path) -> None:
    proc = subprocess.Popen(
        [sys.executable, "-m", "helm_lite.cli.server", "--port", "0"],
        cwd=two_suites,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        first_line = proc.stdout.readline()
    finally:
        proc.terminate()
        proc.wait(timeout=10)
    assert first_line.startswith("Serving suite 'new' from "), first_line
