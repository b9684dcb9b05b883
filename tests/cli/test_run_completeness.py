"""A run is complete only when it really is: real helm-run processes killed with SIGKILL mid-write, and
runs damaged by hand, seen by `--skip-completed-runs`, helm-summarize's reader and helm-server's store."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from helm_lite.presentation.read_runs import read_suite
from helm_lite.run_directory import RUN_INFO_FILE, check_run
from helm_lite.server.store import Store

ENTRY = "synthetic_reasoning:mode=pattern_match,model=simple/model1"
RUN = "synthetic_reasoning:mode=pattern_match,model=simple_model1"
SUITE = "k"

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="SIGKILL")


def _args(max_instances: int, *extra: str) -> list[str]:
    run = [sys.executable, "-m", "helm_lite.cli.run", "--no-progress", "-r", ENTRY]
    return [*run, "--suite", SUITE, "-m", str(max_instances), *extra]


def _suite(root: Path) -> Path:
    return root / "benchmark_output" / "runs" / SUITE


def _temporaries(suite: Path) -> list[Path]:
    return [suite / n for n in os.listdir(suite) if n.startswith(".")] if suite.is_dir() else []


def _tmp_holds(name: str) -> Callable[[Path], bool]:
    """The moment the run being written has `name` in its temporary folder."""
    return lambda suite: any((t / name).exists() for t in _temporaries(suite) if ".tmp-" in t.name)


def _swapped(root: Path) -> Callable[[Path], bool]:
    """The moment the new run is in place (the old one is being removed)."""
    before = (_suite(root) / RUN).stat().st_ino
    return lambda suite: (suite / RUN).exists() and (suite / RUN).stat().st_ino != before


def _kill_at(root: Path, max_instances: int, moment: Callable[[Path], bool]) -> bool:
    """Start helm-run and SIGKILL it at `moment`; False when it finished first."""
    proc = subprocess.Popen(
        _args(max_instances), cwd=root, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:
        while proc.poll() is None:
            if moment(_suite(root)):
                proc.send_signal(signal.SIGKILL)
                proc.wait()
                return True
            time.sleep(0.001)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 0
    return False


def _instances(run_dir: Path) -> tuple[int, int]:
    states = json.loads((run_dir / "scenario_state.json").read_text())["request_states"]
    rows = json.loads((run_dir / "per_instance_stats.json").read_text())
    return len(states), len(rows)


@pytest.mark.slow
def test_a_run_killed_at_any_moment_of_a_rewrite_is_the_old_or_the_new_run(tmp_path: Path) -> None:
    suite = _suite(tmp_path)
    # A first write killed before its run is in place leaves no run, only a hidden leftover.
    assert _kill_at(tmp_path, 1500, _tmp_holds("scenario_state.json"))
    assert not (suite / RUN).exists() and _temporaries(suite)
    assert read_suite(str(tmp_path / "benchmark_output"), SUITE) == []
    first = subprocess.run(_args(1500, "--skip-completed-runs"), cwd=tmp_path, capture_output=True, text=True)
    assert first.returncode == 0, first.stderr
    assert _temporaries(suite) == [] and _instances(suite / RUN) == (1500, 1500)

    # Rewrites alternate between 1500 and 1000 instances, so a mix of the two would show.
    moments = [
        _tmp_holds("scenario.json"),
        _tmp_holds("scenario_state.json"),
        _tmp_holds("per_instance_stats.json"),
        _tmp_holds(RUN_INFO_FILE),
        None,  # once the new run is in place
    ]
    landed = 0
    for moment in moments:
        current = _instances(suite / RUN)[0]
        landed += _kill_at(tmp_path, 2500 - current, moment or _swapped(tmp_path))
        check = check_run(str(suite / RUN), hashes=True)
        assert check.verified, check.reason
        assert _instances(suite / RUN) in {(1500, 1500), (1000, 1000)}
    assert landed >= 3  # most kills hit the write itself (the rest saw the run finish first)

    runs = read_suite(str(tmp_path / "benchmark_output"), SUITE)
    assert [r.name for r in runs] == [RUN]
    listed = Store(str(tmp_path / "benchmark_output"), [SUITE]).suite(SUITE).runs()["runs"]
    assert [(r["name"], r["status"]) for r in listed] == [(RUN, "complete")]

    again = subprocess.run(_args(1500, "--skip-completed-runs"), cwd=tmp_path, capture_output=True, text=True)
    assert again.returncode == 0 and "already complete" in again.stderr, again.stderr
    assert _temporaries(suite) == []  # the dead writers' leftovers are gone


def _helm_run(root: Path, *extra: str) -> str:
    proc = subprocess.run(_args(5, *extra), cwd=root, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    return proc.stderr


def _redo_line(stderr: str) -> str:
    lines = [line for line in stderr.splitlines() if "Redoing run" in line]
    assert len(lines) == 1, stderr
    return lines[0]


@pytest.mark.slow  # several processes or a model (2-7 s)
def test_skip_completed_runs_redoes_damaged_and_unrecorded_runs_saying_why(tmp_path: Path) -> None:
    _helm_run(tmp_path)
    run_dir = _suite(tmp_path) / RUN
    stats = run_dir / "stats.json"
    text = stats.read_text()
    assert "already complete" in _helm_run(tmp_path, "--skip-completed-runs")

    stats.write_text(text[:100])
    line = _redo_line(_helm_run(tmp_path, "--skip-completed-runs"))
    assert f"{RUN}: stats.json has 100 bytes, not the {len(text)} written" in line
    assert stats.read_text() == text and check_run(str(run_dir), hashes=True).verified

    stats.write_text(text.replace('"count": 1', '"count": 7', 1))  # same size: only the sha256 differs
    assert "stats.json is not what was written" in _redo_line(_helm_run(tmp_path, "--skip-completed-runs"))

    info = json.loads((run_dir / RUN_INFO_FILE).read_text())
    del info["outputs"]  # as an older helm_lite, or HELM, leaves it
    (run_dir / RUN_INFO_FILE).write_text(json.dumps(info))
    assert "no completion record" in _redo_line(_helm_run(tmp_path, "--skip-completed-runs"))

    (run_dir / "per_instance_stats.json").unlink()
    line = _redo_line(_helm_run(tmp_path, "--skip-completed-runs"))
    assert "per_instance_stats.json missing" in line
    assert check_run(str(run_dir), hashes=True).verified
    assert "already complete" in _helm_run(tmp_path, "--skip-completed-runs")
