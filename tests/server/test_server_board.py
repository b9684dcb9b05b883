"""The leaderboard page's data: metric-group tables, helm-summarize freshness, head to head, suites and
runs that appear while the server runs (real helm-run suites, real servers on 127.0.0.1)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from helm_lite.server.app import create_server

SUITE = "s"
DYCK = "dyck_language_np=3:model=simple_model1"
TWIN = "dyck_language_np=3:model=simple_model2"  # made by the `second_model` fixture


@pytest.fixture
def output(built_output: Path, tmp_path: Path) -> Path:
    out = tmp_path / "benchmark_output"
    shutil.copytree(built_output, out)
    return out


def test_metric_group_picker_tables(output: Path, serve, http) -> None:
    url = serve(output)
    board = http.json(url, f"/api/suites/{SUITE}/leaderboard")
    assert board["metric_group"] == "main"
    names = [g["name"] for g in board["metric_groups"]]
    assert names == ["main", "efficiency", "general_information"]  # the schema's, in its order
    assert board["metric_groups"][0]["display_name"] == "Accuracy"
    assert [c["group_display_name"] for c in board["columns"]] == [
        "Synthetic reasoning (abstract symbols)",
        "Dyck",
    ]
    assert (
        "[(Suzgun et al., 2019)](https://aclanthology.org/W19-3905/)"
        in board["columns"][1]["group_description"]
    )
    assert board["rows"][0]["model_display_name"] == "Simple Model 1"

    info = http.json(url, f"/api/suites/{SUITE}/leaderboard?metric_group=general_information")
    metrics = [(c["group"], c["metric"]) for c in info["columns"]]
    assert ("dyck_language", "num_instances") in metrics and len(metrics) == 10  # 5 metrics × 2 groups
    j = metrics.index(("dyck_language", "num_instances"))
    assert info["rows"][0]["cells"][j]["value"] == 10  # stats.json's num_instances for -m 10
    bad = http.get(url, f"/api/suites/{SUITE}/leaderboard?metric_group=nope")
    assert bad.status == 400 and b"main, efficiency, general_information" in bad.body


def test_summarize_state_follows_the_newest_run(output: Path, serve, http) -> None:
    url = serve(output)
    assert http.json(url, f"/api/suites/{SUITE}/leaderboard")["summarize"]["state"] == "absent"
    proc = subprocess.run(
        [sys.executable, "-m", "helm_lite.cli.summarize", "--suite", SUITE, "-o", str(output)],
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert proc.returncode == 0, proc.stderr
    assert http.json(url, f"/api/suites/{SUITE}/leaderboard")["summarize"]["state"] == "current"
    assert http.json(url, f"/api/suites/{SUITE}")["summarize"]["state"] == "current"
    stats = output / "runs" / SUITE / DYCK / "stats.json"
    later = time.time() + 5
    os.utime(stats, (later, later))  # a rerun of one run after helm-summarize
    board = http.json(url, f"/api/suites/{SUITE}/leaderboard")
    assert board["summarize"]["state"] == "stale" and board["summarize"]["newest_run"] == pytest.approx(later)


def test_head_to_head_lists_the_instances_one_model_gets_right(
    output: Path, serve, http, second_model
) -> None:
    original = second_model(output / "runs" / SUITE)
    url = serve(output)
    board = http.json(url, f"/api/suites/{SUITE}/leaderboard")
    assert {r["model_deployment"] for r in board["rows"]} == {"simple/model1", "simple/model2"}
    h2h = http.json(url, f"/api/suites/{SUITE}/head_to_head?a=simple/model1&b=simple/model2")
    [dyck] = [c for c in h2h["columns"] if c["group"] == "dyck_language"]
    right = sorted(i for i, v in original.items() if v == 1)
    wrong = sorted(i for i, v in original.items() if v == 0)
    assert dyck["comparable"] and dyck["pairs"] == 1 and dyck["compared"] == 10
    assert sorted(x["instance_id"] for x in dyck["a_only"]) == right and dyck["a_only_count"] == len(right)
    assert sorted(x["instance_id"] for x in dyck["b_only"]) == wrong
    # The page links each instance to both runs' instance views.
    assert {(x["run_a"], x["run_b"]) for x in dyck["a_only"] + dyck["b_only"]} == {(DYCK, TWIN)}
    assert h2h["a_display_name"] == "Simple Model 1" and h2h["b_display_name"] == "simple/model2"
    [other] = [c for c in h2h["columns"] if c["group"] == "synthetic_reasoning"]
    assert other["pairs"] == 0  # model2 did not run it
    assert http.get(url, f"/api/suites/{SUITE}/head_to_head?a=simple/model1&b=nope").status == 404
    assert http.get(url, f"/api/suites/{SUITE}/head_to_head?a=simple/model1").status == 400


def test_new_suites_and_runs_appear_without_a_restart(output: Path, http) -> None:
    server = create_server(str(output), None, port=0, default_suite=SUITE)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        listed = http.json(server.url, "/api/suites")
        assert listed["suites"] == [SUITE] and listed["default"] == SUITE
        assert http.get(server.url, "/api/suites/later").status == 404
        shutil.copytree(output / "runs" / SUITE, output / "runs" / "later")
        assert http.json(server.url, "/api/suites")["suites"] == ["later", SUITE]  # by name
        assert http.json(server.url, "/api/suites/later/runs")["total"] == 2
        shutil.copytree(
            output / "runs" / SUITE / DYCK,
            output / "runs" / "later" / "dyck_language_np=4:model=simple_model1",
        )
        assert http.json(server.url, "/api/suites/later/runs")["total"] == 3
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def _write_exact_match_run(suite: Path, model: str, values: list[float]) -> str:
    """A HELM-format synthetic-reasoning run whose files hold `exact_match` only: the leaderboard's
    `quasi_exact_match` column falls back to it (`presentation.stats.FALLBACK_METRICS`)."""
    name = f"synthetic_reasoning:mode=pattern_match,model={model.replace('/', '_')}"
    run = suite / name
    run.mkdir(parents=True)
    stat_name = {"name": "exact_match", "split": "test"}

    def stat(vs: list[float]) -> dict[str, Any]:
        return {"name": stat_name, "count": len(vs), "sum": sum(vs), "mean": sum(vs) / len(vs)}

    files = {
        "run_spec.json": {
            "name": name,
            "scenario_spec": {
                "class_name": "x.SyntheticReasoningScenario",
                "args": {"mode": "pattern_match"},
            },
            "adapter_spec": {"method": "generation", "model_deployment": model, "model": model},
            "metric_specs": [],
            "groups": ["synthetic_reasoning_pattern_match", "synthetic_reasoning"],
        },
        "stats.json": [stat(values)],
        "per_instance_stats.json": [
            {"instance_id": f"id{i}", "train_trial_index": 0, "stats": [stat([v])]}
            for i, v in enumerate(values)
        ],
        "scenario.json": {"name": "synthetic_reasoning"},
        "scenario_state.json": {"adapter_spec": {}, "request_states": []},
    }
    for file, data in files.items():
        (run / file).write_text(json.dumps(data))
    return name


def test_head_to_head_links_instances_of_a_fallback_metric(tmp_path: Path, serve, http) -> None:
    """The column reads `quasi_exact_match`, the runs have only `exact_match`: the listed instances
    still name both runs, so the page links them to both answers."""
    suite = tmp_path / "benchmark_output" / "runs" / SUITE
    run_a = _write_exact_match_run(suite, "t/a", [1.0, 1.0, 0.0, 1.0])
    run_b = _write_exact_match_run(suite, "t/b", [0.0, 1.0, 1.0, 1.0])
    url = serve(tmp_path / "benchmark_output")
    h2h = http.json(url, f"/api/suites/{SUITE}/head_to_head?a=t/a&b=t/b")
    [column] = [c for c in h2h["columns"] if c["group"] == "synthetic_reasoning_pattern_match"]
    assert column["metric"] == "quasi_exact_match" and column["pairs"] == 1 and column["compared"] == 4
    assert column["a_only"] == [
        {"instance_id": "id0", "train_trial_index": 0, "run_a": run_a, "run_b": run_b}
    ]
    assert column["b_only"] == [
        {"instance_id": "id2", "train_trial_index": 0, "run_a": run_a, "run_b": run_b}
    ]
