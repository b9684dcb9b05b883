"""helm-summarize applies helm-run's completeness rule, never reads hidden folders as runs, and clears
dead writers' leftovers from the folders it writes to."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ENTRIES = [
    "synthetic_reasoning:mode=pattern_match,model=simple/model1",
    "dyck_language:num_parenthesis_pairs=3,model=simple/model1",
]
GOOD = "synthetic_reasoning:mode=pattern_match,model=simple_model1"
DYCK = "dyck_language_np=3:model=simple_model1"


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("completeness")
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "helm_lite.cli.run",
            "--no-progress",
            "-r",
            *ENTRIES,
            "--suite",
            "s",
            "-m",
            "5",
        ],
        cwd=root,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    return root / "benchmark_output" / "runs" / "s"


def _reaped_pid() -> int:
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


def _copy_run(suite: Path, source: str, name: str) -> Path:
    target = suite / name
    shutil.copytree(suite / source, target)
    spec = json.loads((target / "run_spec.json").read_text())
    spec["name"] = name
    (target / "run_spec.json").write_text(json.dumps(spec))
    return target


def test_summarize_reads_only_complete_runs_and_clears_dead_leftovers(built: Path, tmp_path: Path) -> None:
    root = tmp_path
    suite = root / "benchmark_output" / "runs" / "s"
    shutil.copytree(built, suite)
    # A damaged helm_lite run: its truncated stats.json no longer matches the completion record.
    truncated = suite / DYCK / "stats.json"
    size = truncated.stat().st_size
    truncated.write_text(truncated.read_text()[:300])
    # Runs as HELM writes them (no run_info.json): read when whole, skipped when a file is broken.
    for name in ("helm:model=a", "helm_broken:model=b"):
        (_copy_run(suite, GOOD, name) / "run_info.json").unlink()
    (suite / "helm_broken:model=b" / "stats.json").write_text("[{")
    # A dead writer's leftovers: a whole run in a hidden temporary folder and a half-written file.
    dead, live = _reaped_pid(), os.getppid()
    shutil.copytree(suite / GOOD, suite / f".hidden:model=z.tmp-{dead}-0a1b2c3d")
    (suite / f".runs.json.part-{dead}-abcd1234").write_text("[")
    (suite / GOOD / f".instances.json.part-{dead}-abcd1234").write_text("[")
    (suite / f".runs.json.part-{live}-abcd1234").write_text("[")  # a live writer's: left alone

    proc = subprocess.run(
        [sys.executable, "-m", "helm_lite.cli.summarize", "--suite", "s", "--no-plots"],
        cwd=root,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    warnings = [line for line in proc.stderr.splitlines() if "WARNING" in line]
    assert len(warnings) == 2, proc.stderr
    assert (
        f"{DYCK}: stats.json has 300 bytes, not the {size} written (truncated or changed since)"
        in warnings[0]
    )
    assert "helm_broken:model=b: stats.json is not valid JSON" in warnings[1]

    runs = json.loads((suite / "runs.json").read_text())
    assert sorted(r["run_spec"]["name"] for r in runs) == sorted([GOOD, "helm:model=a"])
    assert sorted(n for n in os.listdir(suite) if n.startswith(".")) == [f".runs.json.part-{live}-abcd1234"]
    assert [n for n in os.listdir(suite / GOOD) if n.startswith(".")] == []
    assert (suite / GOOD / "instances.json").is_file()  # display files were written there
