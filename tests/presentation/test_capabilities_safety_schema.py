"""HELM Capabilities and HELM Safety suites get HELM's main metrics and `Mean score` tables.

One suite of real runs (simple/model1, 3 instances; the entries of HELM's Capabilities and Safety
run-entry files whose data is in the mirror, BBQ on one subject) is made once per module with real
`helm-run`, then summarized by real `helm-summarize` subprocesses: with the packaged default schema
(no flag), with HELM's own `schema_capabilities.yaml` / `schema_safety.yaml`, and with a small schema
of the test's own that lists two aggregation strategies. simple/model1 judges the safety answers, so
every judgement fails and `safety_score` is missing: the tables show it as missing, and the mean
score leaves it out, as HELM's does.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from data_mirror import MIRROR as SHARED_DATA

HELM_SCHEMAS = Path(__file__).resolve().parents[3] / "shared" / "data" / "helm_formats" / "schemas"
CAPABILITIES = {
    "mmlu_pro:subject=all": "chain_of_thought_correctness",
    "gpqa:subset=main": "chain_of_thought_correctness",
    "ifeval": "ifeval_strict_accuracy",
}
SAFETY = {
    "harm_bench": "safety_score",
    "simple_safety_tests": "safety_score",
    "bbq:subject=Age,method=multiple_choice_joint,output_format_instructions=mcqa,max_train_instances=0": (
        "bbq_accuracy"
    ),
    "xstest": "safety_score",
}
# Run group → main metric, in the order of the parent groups' subgroups (the table columns).
CAPABILITY_GROUPS = {"mmlu_pro": "COT correct", "gpqa": "COT correct", "ifeval": "IFEval Strict Acc"}
SAFETY_GROUPS = ["harm_bench", "simple_safety_tests", "bbq", "xstest"]

pytestmark = pytest.mark.skipif(
    not all((SHARED_DATA / name).is_dir() for name in ("mmlu_pro", "gpqa", "ifeval", "xstest", "bbq")),
    reason="no Capabilities/Safety data in the mirror",
)


@pytest.fixture(scope="module")
def root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("capabilities_safety")
    entries = [f"{e}{',' if ':' in e else ':'}model=simple/model1" for e in [*CAPABILITIES, *SAFETY]]
    proc = subprocess.run(
        [sys.executable, "-m", "helm_lite.cli.run", "--no-progress", "-r", *entries, "-m", "3",
         "--suite", "s", "--data-mirror", str(SHARED_DATA), "--judge-deployment", "simple/model1"],
        cwd=root, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    # helm-run's closing summary reads the packaged schema too: HELM's main metric per run.
    lines = {line.split()[0]: line for line in proc.stdout.splitlines() if line.startswith("  ")}
    assert "ifeval_strict_accuracy" in lines["ifeval"]
    assert "safety_score" in lines["xstest"] and "no score" in lines["xstest"]
    return root


def summarize(root: Path, *schema: str) -> Path:
    out = root / "benchmark_output"
    groups = out / "runs" / "s" / "groups"
    for stale in groups.glob("*.json"):  # each schema writes its own set of group pages
        stale.unlink()
    proc = subprocess.run(
        [sys.executable, "-m", "helm_lite.cli.summarize", "--suite", "s", "-o", str(out),
         "--no-plots", "--no-display-files", *schema],
        cwd=root, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    return out / "runs" / "s"


def main_scores(root: Path, entries: dict[str, str]) -> dict[str, float | None]:
    """Each run's main score straight from its stats.json: group → mean of the unperturbed test stat."""
    out: dict[str, float | None] = {}
    for run_dir in (root / "benchmark_output" / "runs" / "s").iterdir():
        if ":" not in run_dir.name:
            continue
        group = json.loads((run_dir / "run_spec.json").read_text())["groups"][0]
        metric = next((m for e, m in entries.items() if e.split(":")[0] == group), None)
        if metric is None:
            continue
        stats = json.loads((run_dir / "stats.json").read_text())
        found = [
            s["mean"]
            for s in stats
            if s["name"]["name"] == metric
            and s["name"].get("split") == "test"
            and "perturbation" not in s["name"]
        ]
        out[group] = found[0] if found else None
    return out


def table(suite: Path, group: str, name: str) -> dict[str, Any]:
    tables = json.loads((suite / "groups" / f"{group}.json").read_text())
    return next(t for t in tables if t["name"] == name)


def check_mean_table(tab: dict[str, Any], groups: list[str], scores: dict[str, float | None]) -> None:
    """Header `Model, Mean score, <group> - <metric>…`; the mean is over the cells that have a value."""
    header = [h["value"] for h in tab["header"]]
    assert header[:2] == ["Model", "Mean score"]
    assert "Mean win rate" not in header
    assert len(header) == 2 + len(groups)
    (row,) = tab["rows"]
    assert row[0]["value"] == "Simple Model 1"
    cells = [cell.get("value") for cell in row[2:]]
    expected = [scores[g] for g in groups]
    assert cells == pytest.approx(expected)
    present = [v for v in expected if v is not None]
    assert present, "every score is missing: the test checks nothing"
    assert row[1]["value"] == pytest.approx(sum(present) / len(present))


def test_packaged_schema_shows_helm_main_metrics_and_mean_scores(root: Path) -> None:
    suite = summarize(root)
    board = json.loads((suite / "leaderboard.json").read_text())
    columns = {h["metadata"]["run_group"]: h["metadata"]["metric"] for h in board["header"][2:]}
    assert columns == {
        "MMLU-Pro": "COT correct",
        "GPQA": "COT correct",
        "IFEval": "IFEval strict accuracy",
        "HarmBench": "LM Evaluated Safety score",
        "SimpleSafetyTests": "LM Evaluated Safety score",
        "BBQ": "BBQ accuracy",
        "XSTest": "LM Evaluated Safety score",
    }
    capabilities = main_scores(root, CAPABILITIES)
    safety = main_scores(root, SAFETY)
    assert safety["xstest"] is None and safety["bbq"] is not None  # no judgement, a real BBQ score

    accuracy = table(suite, "capabilities", "accuracy_mean")
    assert accuracy["title"] == "Accuracy"
    assert [h["value"] for h in accuracy["header"][2:]] == [
        "MMLU-Pro - COT correct",
        "GPQA - COT correct",
        "IFEval - IFEval Strict Acc",
    ]
    check_mean_table(accuracy, list(CAPABILITY_GROUPS), capabilities)
    check_mean_table(table(suite, "safety", "accuracy_mean"), SAFETY_GROUPS, safety)
    # Counters are not ranked: no aggregate column in the general information table.
    info = [h["value"] for h in table(suite, "safety", "general_information_counts")["header"]]
    assert info[:2] == ["Model", "HarmBench - # eval"]
    missing = table(suite, "safety", "accuracy_mean")["rows"][0][2]
    assert missing["description"] == "1 matching runs, but no matching metrics"
    index = json.loads((suite / "groups.json").read_text())
    listed = {row[0]["value"] for t in index for row in t["rows"]}
    assert {"HELM Capabilities", "HELM Safety", "MMLU-Pro", "BBQ", "XSTest"} <= listed


@pytest.mark.skipif(not HELM_SCHEMAS.is_dir(), reason="HELM's schemas are not in the shared data")
@pytest.mark.parametrize("kind", ["capabilities", "safety"])
def test_helm_schemas_give_helm_mean_score_tables(root: Path, kind: str) -> None:
    suite = summarize(root, "--schema-path", str(HELM_SCHEMAS / f"schema_{kind}.yaml"))
    if kind == "capabilities":
        check_mean_table(
            table(suite, "core_scenarios", "accuracy"),
            list(CAPABILITY_GROUPS),
            main_scores(root, CAPABILITIES),
        )
        efficiency = [h["value"] for h in table(suite, "core_scenarios", "efficiency")["header"]]
        assert efficiency[:2] == ["Model", "Mean score"]
    else:
        # HELM's safety parent lists anthropic_red_team too; it has no run here, so no column.
        check_mean_table(
            table(suite, "safety_scenarios", "accuracy"), SAFETY_GROUPS, main_scores(root, SAFETY)
        )
        bias = [h["value"] for h in table(suite, "safety_scenarios", "bbq_metrics")["header"]]
        assert bias == ["Model", "BBQ - BBQ (ambiguous)", "BBQ - BBQ (unambiguous)"]


def test_aggregate_columns_follow_the_declared_order(root: Path) -> None:
    """`aggregation_strategies: [mean, win_rate]` puts Mean score before Mean win rate, and declared
    strategies win over `hide_win_rates` (HELM's precedence)."""
    schema = root / "schema_order.yaml"
    leaf = "metric_groups: [acc, info]\n    environment: {main_name: %s, main_split: test}"
    schema.write_text(
        "metrics:\n"
        "  - {name: chain_of_thought_correctness, lower_is_better: false}\n"
        "  - {name: ifeval_strict_accuracy, lower_is_better: false}\n"
        "metric_groups:\n"
        "  - name: acc\n"
        "    aggregation_strategies: [mean, win_rate]\n"
        "    metrics: [{name: '${main_name}', split: '${main_split}'}]\n"
        "  - name: info\n"
        "    hide_win_rates: true\n"
        "    aggregation_strategies: [mean]\n"
        "    metrics: [{name: num_instances, split: '${main_split}'}]\n"
        "run_groups:\n"
        "  - {name: parent, category: All scenarios, subgroups: [mmlu_pro, ifeval]}\n"
        f"  - name: mmlu_pro\n    {leaf % 'chain_of_thought_correctness'}\n"
        f"  - name: ifeval\n    {leaf % 'ifeval_strict_accuracy'}\n"
    )
    suite = summarize(root, "--schema-path", str(schema))
    acc = table(suite, "parent", "acc")
    assert [h["value"] for h in acc["header"][:3]] == ["Model", "Mean score", "Mean win rate"]
    scores = main_scores(root, CAPABILITIES)
    mean = (scores["mmlu_pro"] + scores["ifeval"]) / 2  # type: ignore[operator]
    assert acc["rows"][0][1]["value"] == pytest.approx(mean)
    info = table(suite, "parent", "info")
    assert [h["value"] for h in info["header"][:2]] == ["Model", "Mean score"]
    assert info["rows"][0][1]["value"] == pytest.approx(3.0)  # 3 instances in each run
