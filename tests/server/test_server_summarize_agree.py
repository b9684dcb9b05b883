"""helm-server and helm-summarize show one leaderboard: the same main metric (name, split) per run group,
the presentation schema's, and the same cell values and mean win rates, on a suite of real runs
(offline scenarios, and GSM8K, LegalBench and MMLU from the data mirror when it is present) for two
models."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

import pytest
from data_mirror import MIRROR  # $HELM_LITE_DATA_MIRROR, else ../shared/data/scenarios

from helm_lite.presentation.schema import DEFAULT_SCHEMA_PATH, display_name, load_schema
from helm_lite.server.app import create_server

SUITE = "s"
OFFLINE = [
    "synthetic_reasoning:mode=pattern_match,model=simple/model1",
    "dyck_language:num_parenthesis_pairs=3,model=simple/model1",
]
FROM_MIRROR = [
    "gsm:model=simple/model1",
    "legalbench:model=simple/model1,subset=abercrombie",
    "legalbench:model=simple/model1,subset=corporate_lobbying",  # two runs in one cell: macro average
    "mmlu:model=simple/model1,subject=anatomy",
]
# What the packaged schema says (helm-summarize's columns), and what helm-server used to get wrong.
EXPECTED_MAIN = {
    "synthetic_reasoning": ("quasi_exact_match", "test"),
    "dyck_language": ("exact_match_indicator", "test"),
    "gsm": ("final_number_exact_match", "test"),
    "legalbench": ("quasi_exact_match", "test"),
    "mmlu": ("exact_match", "test"),
}


def _other_model(run_dir: Path, flip: bool) -> None:
    """Copy a run as if `other/model` had made it; with `flip`, every score in [0, 1] becomes 1 - score
    (sums too: cells merge sums), so the two models differ and win rates mean something."""
    other = run_dir.parent / run_dir.name.replace("simple_model1", "other_model")
    shutil.copytree(run_dir, other)
    spec = json.loads((other / "run_spec.json").read_text())
    spec["name"] = other.name
    spec["adapter_spec"]["model"] = spec["adapter_spec"]["model_deployment"] = "other/model"
    (other / "run_spec.json").write_text(json.dumps(spec))
    stats = json.loads((other / "stats.json").read_text())
    counters = ("num_", "inference_", "prompt_", "finish_", "max_")
    for stat in stats:
        mean, count = stat.get("mean"), stat.get("count")
        score = (
            isinstance(mean, float | int) and 0 <= mean <= 1 and not stat["name"]["name"].startswith(counters)
        )
        if flip and count and score:
            stat["mean"], stat["sum"] = 1 - mean, count - stat["sum"]
    (other / "stats.json").write_text(json.dumps(stats))
    (other / "run_info.json").unlink()  # edited by hand: read like a run HELM wrote


@pytest.fixture(scope="module")
def output(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("agree")
    entries = OFFLINE + (FROM_MIRROR if MIRROR.is_dir() else [])
    mirror = ["--data-mirror", str(MIRROR)] if MIRROR.is_dir() else []
    proc = subprocess.run(
        [sys.executable, "-m", "helm_lite.cli.run", "--no-progress", "-r", *entries]
        + ["--suite", SUITE, "-m", "3", *mirror],
        cwd=root,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr
    suite = root / "benchmark_output" / "runs" / SUITE
    for run_dir in sorted(p for p in suite.iterdir() if ":" in p.name):
        _other_model(run_dir, flip=not run_dir.name.startswith("dyck"))  # dyck: a tie
    proc = subprocess.run(
        [sys.executable, "-m", "helm_lite.cli.summarize", "--suite", SUITE]
        + ["--no-plots", "--no-display-files"],
        cwd=root,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr
    return root / "benchmark_output"


def _cell_runs(cell: dict[str, Any] | None) -> set[str]:
    return {r["name"] for r in cell["runs"]} if cell else set()


def test_server_and_summarize_show_the_same_leaderboard(output: Path, serve, http) -> None:
    board = http.json(serve(output), f"/api/suites/{SUITE}/leaderboard")
    summarized = json.loads((output / "runs" / SUITE / "leaderboard.json").read_text())
    schema = load_schema(DEFAULT_SCHEMA_PATH)

    # Columns: the same groups in the same order, each with the schema's main metric and split.
    shown = {c["group"]: (c["metric"], c["split"]) for c in board["columns"]}
    expected = {g: m for g, m in EXPECTED_MAIN.items() if g in shown}
    assert shown == expected and len(shown) == (5 if MIRROR.is_dir() else 2)
    headers = summarized["header"][2:]
    assert [c["title"] for c in board["columns"]] == [h["value"] for h in headers]
    for column, header in zip(board["columns"], headers, strict=True):
        assert header["metadata"]["metric"] == display_name(schema.metric(column["metric"]))
        assert column["lower_is_better"] == header["lower_is_better"] is False

    # Rows: matched by the runs behind their cells; identical values and mean win rates.
    assert len(board["rows"]) == len(summarized["rows"]) == 2
    rates = set()
    for row in summarized["rows"]:
        runs = set().union(*(set(c.get("run_spec_names") or []) for c in row[2:]))
        [served] = [r for r in board["rows"] if set().union(*map(_cell_runs, r["cells"])) == runs]
        assert served["win_rate"] == row[1]["value"]
        assert [c["value"] if c else None for c in served["cells"]] == [c.get("value") for c in row[2:]]
        rates.add(served["win_rate"])
    assert len(rates) == 2  # the models differ: the comparison is not between two ties

    # A run's own main metric is its column's (GSM8K: final_number_exact_match, not exact_match_indicator).
    for run in http.json(serve(output), f"/api/suites/{SUITE}/runs")["runs"]:
        assert (run["main"]["name"], run["main"]["split"]) == shown[run["main"]["group"]], run["name"]


CUSTOM_SCHEMA = """
metrics:
  - {name: exact_match, display_name: Exact match, lower_is_better: false}
metric_groups:
  - name: accuracy
    metrics: [{name: "${main_name}", split: "${main_split}"}]
run_groups:
  - name: synthetic_reasoning
    metric_groups: [accuracy]
    environment: {main_name: exact_match, main_split: test}
"""


def test_schema_path_sets_the_main_metric(output: Path, tmp_path: Path, http) -> None:
    """`--schema-path`: helm-server takes the schema as helm-summarize does; a bad one is one line, exit 2."""
    schema = tmp_path / "schema.yaml"
    schema.write_text(CUSTOM_SCHEMA)
    server = create_server(str(output), [SUITE], port=0, schema_path=str(schema))
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        board = http.json(server.url, f"/api/suites/{SUITE}/leaderboard")
    finally:
        server.shutdown()
        server.server_close()
    columns = {c["group"]: (c["metric"], c["split"]) for c in board["columns"]}
    assert columns["synthetic_reasoning"] == ("exact_match", "test")
    assert columns["dyck_language"] == ("exact_match_indicator", "test")  # not in it: the default rule

    for bad, message in (("missing.yaml", "schema file not found"), ("schema.yaml", "unknown field")):
        if bad == "schema.yaml":
            schema.write_text(CUSTOM_SCHEMA.replace("display_name:", "colour:"))
        proc = subprocess.run(
            [sys.executable, "-m", "helm_lite.cli.server", "-o", str(output), "--suite", SUITE]
            + ["--port", "0", "--schema-path", str(tmp_path / bad)],
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert proc.returncode == 2 and proc.stdout == ""
        assert proc.stderr.count("\n") == 1 and bad in proc.stderr and message in proc.stderr
