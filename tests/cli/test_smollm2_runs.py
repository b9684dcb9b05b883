"""helm-run on the bundled SmolLM2, offline: real completions, logprob adapters, the quickstart."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow  # each test loads SmolLM2 and runs it on CPU

REPO = Path(__file__).resolve().parents[2]
MODEL = "huggingfacetb/smollm2-135m-instruct"


def _stats(run_dir: Path) -> dict[str, float]:
    return {
        s["name"]["name"]: s["mean"]
        for s in json.loads((run_dir / "stats.json").read_text())
        if "perturbation" not in s["name"] and "mean" in s and s["name"].get("split") in ("test", None)
    }


def test_synthetic_reasoning_gives_real_completions(helm_run, tmp_path: Path, smollm2_path: str) -> None:
    result = helm_run(
        "--run-entries", f"synthetic_reasoning:mode=pattern_match,model={MODEL}", "--suite", "s", "-m", "10"
    )
    assert result.returncode == 0, result.stderr
    run_dir = (
        tmp_path
        / "benchmark_output/runs/s/synthetic_reasoning:mode=pattern_match,model=huggingfacetb_smollm2-135m-instruct"
    )
    states = json.loads((run_dir / "scenario_state.json").read_text())["request_states"]
    assert len(states) == 10
    assert all(s["result"]["success"] and s["result"]["completions"][0]["text"].strip() for s in states)
    assert all(s["request"]["model_deployment"] == "huggingface/smollm2-135m-instruct" for s in states)
    assert max(s["result"].get("batch_size", 1) for s in states) > 1  # one generate call per batch
    info = json.loads((run_dir / "run_info.json").read_text())
    assert "torch" in info["libraries"] and "transformers" in info["libraries"]


def test_quickstart_conf_on_the_bundled_model(helm_run, tmp_path: Path, smollm2_path: str) -> None:
    # The conf names example files relative to the repository root, so run from there.
    result = helm_run(
        "--conf-paths",
        "run_specs/quickstart.conf",
        "--models-to-run",
        MODEL,
        "--suite",
        "q",
        "-m",
        "3",
        "--output-path",
        str(tmp_path / "benchmark_output"),
        "--local-path",
        str(tmp_path / "prod_env"),
        cwd=REPO,
    )
    assert result.returncode == 0, result.stderr
    runs = tmp_path / "benchmark_output/runs/q"
    names = sorted(p.name for p in runs.iterdir())
    assert len(names) == 9, names

    separate = _stats(next(runs.glob("user_data*method=multiple_choice_separate_original*")))
    assert 0 <= separate["exact_match"] <= 1 and separate["num_instances"] == 3
    calibrated_dir = next(runs.glob("user_data*method=multiple_choice_separate_calibrated*"))
    calibrated = _stats(calibrated_dir)
    assert 0 <= calibrated["exact_match"] <= 1
    states = json.loads((calibrated_dir / "scenario_state.json").read_text())["request_states"]
    assert {s["request_mode"] for s in states} == {"original", "calibration"}
    assert all(s["result"]["completions"][0]["tokens"][-1]["logprob"] < 0 for s in states)
    text = _stats(next(runs.glob("user_text*")))
    assert 1 < text["perplexity"] < 10_000 and text["bits_per_byte"] > 0 and math.isfinite(text["logprob"])
