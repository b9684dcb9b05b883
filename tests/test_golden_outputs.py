"""Refactors change no result: helm-run's outputs must equal the recorded ones (timing fields aside).

`tests/golden/<model>/<run>/` holds the five HELM files of the quickstart entries, recorded before the
request path and the run directory were redesigned, with what legitimately changes from run to run
removed (request times and dates, batch sizes, `cached`, runtime stats). Texts, prompts, token counts
and scores must match exactly; log probabilities to 1e-6 relative (float summation order).

To record them again after an intended change of results:
``HELM_LITE_REGEN_GOLDEN=1 .venv/bin/pytest tests/test_golden_outputs.py`` (and say why in the commit).
"""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from helm_lite.run_directory import HELM_FILES

REPO = Path(__file__).resolve().parent.parent
GOLDEN = REPO / "tests" / "golden"
REGEN = os.environ.get("HELM_LITE_REGEN_GOLDEN") == "1"

# Fields of a request result that depend on when and how a request was computed, not on its answer.
RESULT_TIMING = ("request_time", "request_datetime", "batch_size", "batch_request_time", "cached")
# Stats that measure time or batching.
TIMING_STATS = ("inference_runtime", "inference_denoised_runtime", "batch_size")

MODELS = {
    "simple": ("simple/model1", "5"),
    "smollm2": ("huggingfacetb/smollm2-135m-instruct", "3"),
}


def normalise(name: str, data: Any) -> Any:
    """`data` from file `name` without the fields that legitimately differ between two runs."""
    if name == "scenario_state.json":
        for state in data["request_states"]:
            for key in RESULT_TIMING:
                state["result"].pop(key, None)
    elif name == "stats.json":
        data = [s for s in data if s["name"]["name"] not in TIMING_STATS]
    elif name == "per_instance_stats.json":
        for row in data:
            row["stats"] = [s for s in row["stats"] if s["name"]["name"] not in TIMING_STATS]
    return data


def assert_same(actual: Any, expected: Any, where: str) -> None:
    if isinstance(expected, float) or isinstance(actual, float):
        assert isinstance(actual, (int, float)) and isinstance(expected, (int, float)), where
        assert math.isclose(actual, expected, rel_tol=1e-6, abs_tol=1e-9), f"{where}: {actual} != {expected}"
    elif isinstance(expected, dict):
        assert isinstance(actual, dict) and actual.keys() == expected.keys(), (
            f"{where}: keys {sorted(actual) if isinstance(actual, dict) else actual} != {sorted(expected)}"
        )
        for key in expected:
            assert_same(actual[key], expected[key], f"{where}.{key}")
    elif isinstance(expected, list):
        assert isinstance(actual, list) and len(actual) == len(expected), f"{where}: length differs"
        for i, (a, e) in enumerate(zip(actual, expected, strict=True)):
            assert_same(a, e, f"{where}[{i}]")
    else:
        assert actual == expected, f"{where}: {actual!r} != {expected!r}"


@pytest.mark.parametrize(
    "label", [pytest.param(m, marks=[pytest.mark.slow] if m == "smollm2" else []) for m in sorted(MODELS)]
)
def test_outputs_equal_the_recorded_ones(label: str, tmp_path: Path) -> None:
    model, max_eval = MODELS[label]
    if label == "smollm2":
        pytest.importorskip("transformers")
    (tmp_path / "examples").symlink_to(REPO / "examples")
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "helm_lite.cli.run",
            "--no-progress",
            "-c",
            str(REPO / "run_specs/quickstart.conf"),
        ]
        + ["--models-to-run", model, "--suite", "golden", "-m", max_eval],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert proc.returncode == 0, proc.stderr
    suite = tmp_path / "benchmark_output" / "runs" / "golden"
    runs = sorted(p.name for p in suite.iterdir() if not p.name.startswith("."))
    golden = GOLDEN / label
    if REGEN:
        for run in runs:
            for name in HELM_FILES:
                data = normalise(name, json.loads((suite / run / name).read_text()))
                target = golden / run / name
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_text(json.dumps(data, indent=0, sort_keys=True) + "\n")
        pytest.skip("golden outputs recorded")
    assert runs == sorted(p.name for p in golden.iterdir()), "a different set of runs"
    assert len(runs) == 9
    for run in runs:
        for name in HELM_FILES:
            actual = normalise(name, json.loads((suite / run / name).read_text()))
            expected = json.loads((golden / run / name).read_text())
            assert_same(actual, expected, f"{label}/{run}/{name}")
