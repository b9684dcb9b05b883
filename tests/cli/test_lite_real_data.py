"""helm-run on the real Lite data from the shared mirror: one entry per scenario, five instances each."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from data_mirror import MIRROR  # $HELM_LITE_DATA_MIRROR, else ../shared/data/scenarios

from helm_lite.metrics.scoring import SCORERS

FILES = [
    "per_instance_stats.json",
    "run_info.json",
    "run_spec.json",
    "scenario.json",
    "scenario_state.json",
    "stats.json",
]
DEFINITIONS = "https://github.com/stanford-crfm/helm/blob/main/src/helm/benchmark/scenarios/"
HAS_MATH_SCORER = "math_equiv_chain_of_thought" in SCORERS

# entry → (run directory, scenario.json as HELM writes it, evaluated instance ids, a stat that must exist)
RUNS: dict[str, tuple[str, dict[str, Any], list[str], str]] = {
    "mmlu:subject=abstract_algebra,model=simple/model1": (
        "mmlu:subject=abstract_algebra,method=multiple_choice_joint,model=simple_model1",
        {
            "name": "mmlu",
            "description": "Massive Multitask Language Understanding",
            "tags": ["knowledge", "multiple_choice"],
            "definition_path": DEFINITIONS + "mmlu_scenario.py",
        },
        ["id104", "id15", "id81", "id7", "id29"],
        "exact_match",
    ),
    "gsm:model=simple/model1": (
        "gsm:model=simple_model1",
        {
            "name": "gsm",
            "description": "Grade school math dataset with 8.5K examples (GSM8K).",
            "tags": ["reasoning", "math"],
            "definition_path": DEFINITIONS + "gsm_scenario.py",
        },
        [f"id{7473 + row}" for row in (658, 406, 1202, 202, 1187)],
        "final_number_exact_match",
    ),
    "math:model=simple/model1,subject=precalculus,level=1,use_chain_of_thought=True": (
        "math:subject=precalculus,level=1,use_official_examples=False,use_chain_of_thought=True,model=simple_model1",
        {
            "name": "MATH",
            "description": "Mathematical Problem Solving",
            "tags": ["knowledge", "reasoning"],
            "definition_path": DEFINITIONS + "math_scenario.py",
        },
        ["id99", "id98", "id105", "id91", "id75"],
        "math_equiv_chain_of_thought",
    ),
    "legalbench:model=simple/model1,subset=abercrombie": (
        "legalbench:subset=abercrombie,model=simple_model1",
        {
            "name": "legalbench",
            "description": "LegalBench",
            "tags": ["text_classification", "robustness"],
            "definition_path": DEFINITIONS + "legalbench_scenario.py",
        },
        ["id7", "id35", "id61", "id21", "id18"],
        "exact_match",
    ),
}


@pytest.fixture(scope="module")
def output(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One helm-run over all four entries (offline, reading the mirror in place)."""
    if not MIRROR.is_dir():
        pytest.skip("shared data mirror not present")
    cwd = tmp_path_factory.mktemp("lite")
    entries = [e for e in RUNS if HAS_MATH_SCORER or not e.startswith("math:")]
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "helm_lite.cli.run",
            "--no-progress",
            "-r",
            *entries,
            "--suite",
            "lite",
            "-m",
            "5",
        ]
        + ["--data-mirror", str(MIRROR)],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "PYTHONUNBUFFERED": "1", "HELM_LITE_OFFLINE": "1"},
    )
    assert proc.returncode == 0, proc.stderr
    assert not (cwd / "benchmark_output" / "scenarios").exists() or not any(
        p.is_file() for p in (cwd / "benchmark_output" / "scenarios").rglob("*")
    )  # nothing downloaded or copied: the mirror was read in place
    return cwd / "benchmark_output" / "runs" / "lite"


@pytest.mark.parametrize("entry", list(RUNS))
def test_run_files(output: Path, entry: str) -> None:
    if entry.startswith("math:") and not HAS_MATH_SCORER:
        pytest.skip("math_equiv_chain_of_thought scorer not registered yet")
    run_dir_name, scenario, ids, stat = RUNS[entry]
    run_dir = output / run_dir_name
    assert sorted(os.listdir(run_dir)) == FILES
    assert json.loads((run_dir / "scenario.json").read_text()) == scenario
    assert list(json.loads((run_dir / "scenario.json").read_text())) == [
        "name",
        "description",
        "tags",
        "definition_path",
    ]
    assert json.loads((run_dir / "run_spec.json").read_text())["name"] == run_dir_name
    states = json.loads((run_dir / "scenario_state.json").read_text())["request_states"]
    assert [s["instance"]["id"] for s in states] == ids
    assert all(s["result"]["success"] for s in states)
    stats = json.loads((run_dir / "stats.json").read_text())
    names = {(s["name"]["name"], s["name"].get("split")) for s in stats}
    assert (stat, "test") in names and ("num_instances", "test") in names
    assert len(json.loads((run_dir / "per_instance_stats.json").read_text())) == 5
