"""HELM Safety entries through helm-run on the real mirror data: run names, settings and prompts as HELM's.

Each expected prompt is rebuilt here from the source file and HELM's template facts (the prompt as is
for the judged scenarios; BBQ: the `mcqa` line, the instructions, `Passage:`, lettered options).
"""

from __future__ import annotations

import csv
import json
import random
from pathlib import Path
from typing import Any

import pytest
from data_mirror import MIRROR as SHARED_DATA

from helm_lite.common import data

pytestmark = pytest.mark.skipif(not (SHARED_DATA / "bbq").is_dir(), reason="no safety data in the mirror")

BBQ_ENTRY = (
    "bbq:subject={},method=multiple_choice_joint,output_format_instructions=mcqa,max_train_instances=0"
)
SAFETY_CLASS = "helm.benchmark.metrics.safety_metrics."
SAFETY_METRICS = [
    SAFETY_CLASS + "SafetyScoreMetric",
    SAFETY_CLASS + "SafetyBasicGenerationMetric",
    "helm.benchmark.metrics.basic_metrics.InstancesPerSplitMetric",
]


@pytest.fixture(autouse=True)
def offline(monkeypatch: pytest.MonkeyPatch) -> None:
    """Nothing may be downloaded here: the missing BBQ categories must be refused, not fetched."""
    monkeypatch.setenv(data.OFFLINE_ENV, "1")


def csv_rows(relative: str) -> list[dict[str, str]]:
    with open(SHARED_DATA / relative, encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def first_state(run: Path) -> dict[str, Any]:
    state: dict[str, Any] = json.loads((run / "scenario_state.json").read_text())["request_states"][0]
    return state


def row_index(instance_id: str) -> int:
    return int(instance_id.removeprefix("id"))


def expected_safety_prompt(name: str, instance_id: str) -> str:
    if name == "xstest":
        return csv_rows("xstest/xstest_prompts.csv")[row_index(instance_id)]["prompt"]
    if name == "simple_safety_tests":
        rows = csv_rows("simple_safety_tests/SimpleSafetyTests - test cases.csv")
        return rows[row_index(instance_id)]["prompts_final"]
    assert name == "harm_bench"
    rows = csv_rows("harm_bench/data/behavior_datasets/harmbench_behaviors_text_all.csv")
    row = next(r for r in rows if r["BehaviorID"] == instance_id)
    if row["FunctionalCategory"] == "contextual":
        return f"{row['ContextString']}\n\n---\n\n{row['Behavior']}"
    return row["Behavior"]


def expected_bbq_prompt(instance_id: str) -> str:
    with open(SHARED_DATA / "bbq/data/Age.jsonl", encoding="utf-8") as f:
        rows = [json.loads(line) for line in f]
    random.seed(0)
    random.shuffle(rows)
    row = rows[row_index(instance_id)]
    return (
        "Answer with only a single letter.\n\n"
        "The following are multiple choice questions (with answers).\n\n"
        f"Passage: {row['context']}\nQuestion: {row['question']}\n"
        f"A. {row['ans0']}\nB. {row['ans1']}\nC. {row['ans2']}\nAnswer:"
    )


def test_safety_entries_run_as_helm_defines_them(helm_run, tmp_path: Path) -> None:
    entries = [
        "xstest:model=simple/model1",
        "simple_safety_tests:model=simple/model1",
        "harm_bench:model=simple/model1",
        BBQ_ENTRY.format("Age") + ",model=simple/model1",
    ]
    judge = ("--judge-deployment", "simple/model1")  # HELM's default judges need API keys
    done = helm_run("-r", *entries, "-m", "3", "--suite", "s", "--data-mirror", str(SHARED_DATA), *judge)
    assert done.returncode == 0, done.stderr
    runs = tmp_path / "benchmark_output" / "runs" / "s"
    assert sorted(p.name for p in runs.iterdir()) == [
        "bbq:subject=Age,method=multiple_choice_joint,max_train_instances=0,model=simple_model1",
        "harm_bench:model=simple_model1",
        "simple_safety_tests:model=simple_model1",
        "xstest:model=simple_model1",
    ]
    # No judge ran: the judged stat is missing, with one line saying why.
    assert "safety_score is missing" in done.stderr

    for name in ("xstest", "simple_safety_tests", "harm_bench"):
        run = runs / f"{name}:model=simple_model1"
        spec = json.loads((run / "run_spec.json").read_text())
        assert spec["groups"] == [name]
        assert [m["class_name"] for m in spec["metric_specs"]] == SAFETY_METRICS
        a = spec["adapter_spec"]
        assert (a["method"], a["max_tokens"], a["temperature"], a["stop_sequences"]) == (
            "generation",
            512,
            0.0,
            [],
        )
        assert (a["instructions"], a["input_prefix"], a["output_prefix"], a["instance_prefix"]) == (
            "",
            "",
            "",
            "",
        )
        state = first_state(run)
        assert state["request"]["prompt"] == expected_safety_prompt(name, state["instance"]["id"])
        stats = {s["name"]["name"] for s in json.loads((run / "stats.json").read_text())}
        assert {"num_instances", "num_prompt_tokens", "finish_reason_length"} <= stats
        assert "safety_score" not in stats and "exact_match" not in stats

    bbq = runs / "bbq:subject=Age,method=multiple_choice_joint,max_train_instances=0,model=simple_model1"
    spec = json.loads((bbq / "run_spec.json").read_text())
    assert spec["scenario_spec"] == {
        "class_name": "helm.benchmark.scenarios.bbq_scenario.BBQScenario",
        "args": {"subject": "Age"},
    }
    assert spec["metric_specs"][0]["class_name"] == "helm.benchmark.metrics.bbq_metrics.BBQMetric"
    state = first_state(bbq)
    assert state["request"]["prompt"] == expected_bbq_prompt(state["instance"]["id"])
    bbq_stats = {
        s["name"]["name"]: s
        for s in json.loads((bbq / "stats.json").read_text())
        if s["name"]["split"] == "test"
    }
    for name in ("bbq_accuracy", "bbq_metric_ambiguous_bias", "bbq_metric_unambiguous_bias", "exact_match"):
        assert bbq_stats[name]["count"] == 1, name


def test_bbq_all_refuses_without_every_category(helm_run, tmp_path: Path) -> None:
    done = helm_run(
        "-r", BBQ_ENTRY.format("all") + ",model=simple/model1", "-m", "3", "--suite", "s",
        "--data-mirror", str(SHARED_DATA),
    )  # fmt: skip
    assert done.returncode != 0
    missing = [
        f"bbq/data/{c}.jsonl" for c in ("Gender_identity", "Race_ethnicity", "Race_x_SES", "Race_x_gender")
    ]
    lines = [
        line for line in done.stderr.splitlines() if "bbq:subject=all needs all 11 BBQ category files" in line
    ]
    assert len(lines) == 1 and all(m in lines[0] for m in [*missing, "bbq/data/SES.jsonl"]), done.stderr
    assert "bbq/data/Age.jsonl" not in lines[0]
    runs = tmp_path / "benchmark_output" / "runs" / "s"
    assert not runs.exists() or not any(p.name.startswith("bbq") for p in runs.iterdir())
