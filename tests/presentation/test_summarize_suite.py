"""helm-summarize end to end on a real suite: two deterministic models, three run groups.

The suite is made once per module by helm-run (in a subprocess) and summarized once; tests that need
a changed suite (broken runs, unknown groups, several suites) copy it first.
"""

from __future__ import annotations

import csv
import io
import json
import logging
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from helm_lite.cli.summarize import main as summarize_main
from helm_lite.presentation.win_rate import mean_win_rates

DEPLOYMENTS = """\
model_deployments:
  - name: acme/echo
    model_name: acme/echo
    tokenizer_name: simple/tokenizer1
    max_sequence_length: 2048
    client_spec:
      class_name: "helm.clients.simple_client.SimpleClient"
"""
METADATA = """\
models:
  - name: acme/echo
    display_name: Acme Echo
    description: A second deterministic test model.
    creator_organization_name: Acme
    access: open
    release_date: 2024-01-01
    tags: [TEXT_MODEL_TAG, FULL_FUNCTIONALITY_TEXT_MODEL_TAG]
"""
# simple/model1 runs two Dyck sizes, acme/echo one: their Dyck columns (macro averages) differ.
ENTRIES = [
    "synthetic_reasoning:mode=pattern_match,model=simple/model1",
    "synthetic_reasoning:mode=pattern_match,model=acme/echo",
    "dyck_language:num_parenthesis_pairs=3,model=simple/model1",
    "dyck_language:num_parenthesis_pairs=2,model=simple/model1",
    "dyck_language:num_parenthesis_pairs=3,model=acme/echo",
]
SUITE_FILES = [
    "runs.json",
    "run_specs.json",
    "groups.json",
    "summary.json",
    "schema.json",
    "runs_to_run_suites.json",
    "groups_metadata.json",
    "costs.json",
    "leaderboard.csv",
    "leaderboard.md",
    "leaderboard.tex",
    "leaderboard.json",
]
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(scope="module")
def root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A directory holding prod_env/ and benchmark_output/runs/s, already summarized."""
    root = tmp_path_factory.mktemp("summarize")
    (root / "prod_env").mkdir()
    (root / "prod_env" / "model_deployments.yaml").write_text(DEPLOYMENTS)
    (root / "prod_env" / "model_metadata.yaml").write_text(METADATA)
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
            "10",
        ],
        cwd=root,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    assert summarize(root, "--suite", "s") == 0
    return root


def summarize(root: Path, *args: str) -> int:
    try:
        return summarize_main(
            ["-o", str(root / "benchmark_output"), "--local-path", str(root / "prod_env"), *args]
        )
    except SystemExit as e:
        return int(e.code or 0)


def cli(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "helm_lite.cli.summarize", *args],
        cwd=root,
        capture_output=True,
        text=True,
        timeout=120,
    )


def suite_path(root: Path, suite: str = "s") -> Path:
    return root / "benchmark_output" / "runs" / suite


def load(path: Path) -> Any:
    return json.loads(path.read_text())


def copy_suite(root: Path, new: str) -> Path:
    target = suite_path(root, new)
    shutil.copytree(suite_path(root), target)
    return target


def stat_mean(run_dir: Path, metric: str, split: str = "test") -> float:
    (stat,) = [s for s in load(run_dir / "stats.json") if s["name"] == {"name": metric, "split": split}]
    return stat["mean"]


def leaderboard_rows(suite_dir: Path) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO((suite_dir / "leaderboard.csv").read_text())))


# ---------------------------------------------------------------------------------------------


def test_writes_helm_summary_files(root: Path) -> None:
    suite = suite_path(root)
    for name in SUITE_FILES:
        assert (suite / name).is_file(), name
    assert load(suite / "summary.json")["suite"] == "s"
    assert list(load(suite / "summary.json")) == ["suites", "suite", "date"]
    runs = load(suite / "runs.json")
    assert len(runs) == len(ENTRIES)
    assert [list(r) for r in runs] == [["run_path", "run_spec", "stats"]] * len(ENTRIES)
    names = [r["run_spec"]["name"] for r in runs]
    assert names == sorted(names)  # sorted directory order
    assert runs[0]["run_path"] == os.path.join(str(root / "benchmark_output"), "runs", "s", names[0])
    assert [s["name"] for s in load(suite / "run_specs.json")] == names
    assert load(suite / "runs_to_run_suites.json") == dict.fromkeys(names, "s")
    assert load(suite / "costs.json") == {}

    schema = load(suite / "schema.json")
    assert list(schema) == ["metrics", "perturbations", "metric_groups", "run_groups", "adapter", "models"]
    models = {m["name"]: m for m in schema["models"]}
    assert set(models) == {"simple/model1", "acme/echo"}
    assert models["acme/echo"]["display_name"] == "Acme Echo"
    assert models["acme/echo"]["release_date"] == "2024-01-01"
    assert {"name": "method", "description": schema["adapter"][0]["description"]} == schema["adapter"][0]

    metadata = load(suite / "groups_metadata.json")
    assert metadata["dyck_language"]["display_name"] == "Dyck"
    assert set(metadata["dyck_language"]) == {"display_name", "description", "taxonomy"}


def test_leaderboard_numbers_are_the_means_in_stats_json(root: Path) -> None:
    suite = suite_path(root)
    rows = {r["Model"]: r for r in leaderboard_rows(suite)}
    assert set(rows) == {"Simple Model 1", "Acme Echo"}
    dyck_simple = [
        stat_mean(suite / "dyck_language_np=3:model=simple_model1", "exact_match_indicator"),
        stat_mean(suite / "dyck_language_np=2:model=simple_model1", "exact_match_indicator"),
    ]
    assert float(rows["Simple Model 1"]["Dyck - EM"]) == pytest.approx(sum(dyck_simple) / 2)
    dyck_acme = stat_mean(suite / "dyck_language_np=3:model=acme_echo", "exact_match_indicator")
    assert float(rows["Acme Echo"]["Dyck - EM"]) == pytest.approx(dyck_acme)
    synthetic = stat_mean(
        suite / "synthetic_reasoning:mode=pattern_match,model=acme_echo", "quasi_exact_match"
    )
    assert float(rows["Acme Echo"]["Synthetic reasoning - EM"]) == pytest.approx(synthetic)


def test_mean_win_rate_by_hand(root: Path) -> None:
    rows = leaderboard_rows(suite_path(root))
    columns = ["Mean win rate", "Synthetic reasoning - EM", "Dyck - EM"]
    assert list(rows[0]) == [
        "Rank",
        "Model",
        *(f"{c}{b}" for c in columns for b in ("", " lo", " hi")),
        "Tied with",
    ]
    by_model = {r["Model"]: r for r in rows}
    simple, acme = by_model["Simple Model 1"], by_model["Acme Echo"]
    # Both models score the same on synthetic reasoning (a tie: 0.5 each); on Dyck the better one wins 1.
    assert simple["Synthetic reasoning - EM"] == acme["Synthetic reasoning - EM"]
    dyck = {"simple": float(simple["Dyck - EM"]), "acme": float(acme["Dyck - EM"])}
    assert dyck["simple"] != dyck["acme"]
    best = "simple" if dyck["simple"] > dyck["acme"] else "acme"
    expected = {"simple": 0.5 * (0.5 + (1.0 if best == "simple" else 0.0))}
    expected["acme"] = 1.0 - expected["simple"]
    assert float(simple["Mean win rate"]) == pytest.approx(expected["simple"])
    assert float(acme["Mean win rate"]) == pytest.approx(expected["acme"])
    # Best first.
    assert [float(r["Mean win rate"]) for r in rows] == sorted(expected.values(), reverse=True)


def test_markdown_and_latex_leaderboards(root: Path) -> None:
    suite = suite_path(root)
    rows = leaderboard_rows(suite)
    md = (suite / "leaderboard.md").read_text().splitlines()
    assert md[0] == "# Leaderboard"
    assert md[2] == "| Rank | Model | Mean win rate | Synthetic reasoning - EM | Dyck - EM | Tied with |"
    assert md[3].startswith("| ---: | --- | ---: |")
    first = rows[0]
    # Values with ± half the width of their 95% interval.
    win = float(first["Mean win rate"])
    half = (float(first["Mean win rate hi"]) - float(first["Mean win rate lo"])) / 2
    assert md[4].startswith(f"| {first['Rank']} | {first['Model']} | **{win:.3f} ± {half:.3f}** |")
    tex = (suite / "leaderboard.tex").read_text()
    assert "\\begin{tabular}{rlrrrl}" in tex
    assert "Rank & Model & Mean win rate & Synthetic reasoning - EM & Dyck - EM & Tied with \\\\" in tex
    assert f"{first['Model']} & \\textbf{{{win:.3f} $\\pm$ {half:.3f}}}" in tex
    assert tex.rstrip().endswith("\\end{table}")


def test_plots_are_valid_pngs(root: Path) -> None:
    plots = suite_path(root) / "plots"
    names = sorted(p.name for p in plots.iterdir())
    assert names == ["dyck_language.png", "main_metrics.png", "mean_win_rate.png", "synthetic_reasoning.png"]
    for name in names:
        data = (plots / name).read_bytes()
        assert data.startswith(PNG_SIGNATURE) and data[12:16] == b"IHDR", name
        width, height = int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")
        assert width > 100 and height > 50


def test_group_tables_have_helms_shape(root: Path) -> None:
    suite = suite_path(root)
    index = load(suite / "groups.json")
    assert [t["title"] for t in index] == ["All scenarios", "Scenarios"]
    assert [c["value"] for c in index[0]["header"]] == [
        "Group",
        "Description",
        "Adaptation method",
        "# instances",
        "# references",
        "# prompt tokens",
        "# completion tokens",
        "# models",
    ]
    offline = index[0]["rows"][0]
    assert offline[0]["value"] == "Offline scenarios" and offline[0]["href"] == "?group=offline_scenarios"
    assert offline[2]["value"] == "generation" and offline[7]["value"] == 2
    assert [r[0]["value"] for r in index[1]["rows"]] == ["Synthetic reasoning (abstract symbols)", "Dyck"]

    tables = load(suite / "groups" / "offline_scenarios.json")
    assert [t["name"] for t in tables] == ["accuracy", "efficiency", "general_information"]
    accuracy = tables[0]
    assert list(accuracy) == ["title", "header", "rows", "links", "name"]
    header = accuracy["header"]
    assert [h["value"] for h in header] == ["Model", "Mean win rate", "Synthetic reasoning - EM", "Dyck - EM"]
    assert header[2]["lower_is_better"] is False
    assert header[2]["metadata"] == {"metric": "Quasi-exact match", "run_group": "Synthetic reasoning"}
    assert accuracy["links"] == [
        {"text": "LaTeX", "href": f"{suite}/groups/latex/offline_scenarios_accuracy.tex"},
        {"text": "JSON", "href": f"{suite}/groups/json/offline_scenarios_accuracy.json"},
    ]
    assert (suite / "groups" / "json" / "offline_scenarios_accuracy.json").is_file()
    assert (suite / "groups" / "latex" / "offline_scenarios_accuracy.tex").is_file()
    cell = accuracy["rows"][0][3]
    assert set(cell) >= {"value", "description", "style", "markdown", "run_spec_names"}
    assert cell["description"].startswith("min=")

    # A scenario group with two scenario specs: an aggregate table first, then one per spec.
    dyck = load(suite / "groups" / "dyck_language.json")
    assert [t["title"] for t in dyck] == ["Dyck", "num_parenthesis_pairs: 2", "num_parenthesis_pairs: 3"]
    assert [h["value"] for h in dyck[0]["header"]][:2] == ["Model", "EM"]
    first_cell = dyck[2]["rows"][0][0]
    assert first_cell["href"].startswith(
        "?group=dyck_language&subgroup=num_parenthesis_pairs%3A%203&runSpecs="
    )
    assert first_cell["run_spec_names"]
    assert dyck[2]["links"][0]["text"] == "compare all"


def test_display_files(root: Path) -> None:
    run = suite_path(root) / "dyck_language_np=3:model=acme_echo"
    predictions = load(run / "display_predictions.json")
    requests = load(run / "display_requests.json")
    instances = load(run / "instances.json")
    assert len(predictions) == len(requests) == len(instances) == 10
    assert list(predictions[0])[:4] == ["instance_id", "train_trial_index", "predicted_text", "base64_images"]
    assert "exact_match_indicator" in predictions[0]["stats"]
    assert list(requests[0]) == ["instance_id", "train_trial_index", "request"]
    assert predictions[0]["instance_id"] == instances[0]["id"]


def test_broken_and_partial_runs_are_skipped_with_a_warning(root: Path) -> None:
    suite = copy_suite(root, "broken")
    truncated = suite / "dyck_language_np=2:model=simple_model1" / "stats.json"
    truncated.write_text(truncated.read_text()[:500])
    (suite / "dyck_language_np=3:model=acme_echo" / "stats.json").unlink()
    proc = cli(root, "--suite", "broken", "--local-path", "prod_env", "--no-plots")
    assert proc.returncode == 0, proc.stderr
    warnings = [line for line in proc.stderr.splitlines() if "WARNING" in line]
    assert len(warnings) == 2, proc.stderr
    # The completion record in run_info.json gives the truncated file away before it is parsed.
    assert "dyck_language_np=2:model=simple_model1: stats.json has 500 bytes, not the" in warnings[0]
    assert "dyck_language_np=3:model=acme_echo: stats.json missing" in warnings[1]
    assert "Traceback" not in proc.stderr
    assert len(load(suite / "runs.json")) == len(ENTRIES) - 2
    rows = {r["Model"]: r for r in leaderboard_rows(suite)}
    assert rows["Acme Echo"]["Dyck - EM"] == ""  # its only Dyck run was skipped


def test_several_suites_and_a_release(root: Path) -> None:
    other = copy_suite(root, "t")
    shutil.rmtree(other / "dyck_language_np=2:model=simple_model1")
    assert summarize(root, "--suites", "s", "t", "--no-plots") == 0
    assert load(suite_path(root, "t") / "summary.json")["suite"] == "t"
    assert len(load(suite_path(root, "t") / "runs.json")) == len(ENTRIES) - 1
    assert len(load(suite_path(root) / "runs.json")) == len(ENTRIES)

    assert summarize(root, "--release", "r1", "--suites", "s", "t", "--no-plots", "--no-display-files") == 0
    release = root / "benchmark_output" / "releases" / "r1"
    assert list(load(release / "summary.json")) == ["release", "suites", "date"]
    assert load(release / "summary.json")["suites"] == ["s", "t"]
    # A run in both suites belongs to the last one.
    runs_to_suites = load(release / "runs_to_run_suites.json")
    assert runs_to_suites["dyck_language_np=2:model=simple_model1"] == "s"
    assert runs_to_suites["dyck_language_np=3:model=acme_echo"] == "t"
    assert (release / "leaderboard.csv").is_file()


def test_unknown_group_gets_a_default(root: Path, caplog: pytest.LogCaptureFixture) -> None:
    suite = copy_suite(root, "custom")
    for run_dir in suite.glob("dyck_language_np=3*"):
        spec_path = run_dir / "run_spec.json"
        spec = load(spec_path)
        spec["groups"] = ["my_puzzles"]
        spec_path.write_text(json.dumps(spec))
        # Edited by hand, the run no longer matches helm-run's completion record: drop it, so the
        # folder is read like a run HELM wrote (five files, no record).
        (run_dir / "run_info.json").unlink()
    with caplog.at_level(logging.INFO):
        assert summarize(root, "--suite", "custom", "--no-plots", "--no-display-files") == 0
    assert "my_puzzles is not in the schema" in caplog.text
    tables = load(suite / "groups" / "my_puzzles.json")
    assert [t["title"] for t in tables] == ["num_parenthesis_pairs: 3"]  # one scenario spec: one table
    header = [h["value"] for h in tables[0]["header"]]
    assert header[:2] == ["Model", "EM"]  # exact_match_indicator, the only accuracy metric of Dyck runs
    assert tables[0]["header"][1]["metadata"]["metric"] == "Exact match (up to specified indicator)"
    columns = [c for c in leaderboard_rows(suite)[0] if not c.endswith((" lo", " hi"))]
    expected = ["Mean win rate", "Synthetic reasoning - EM", "Dyck - EM", "my_puzzles - EM"]
    assert columns == ["Rank", "Model", *expected, "Tied with"]
    schema = load(suite / "schema.json")
    custom = [g for g in schema["run_groups"] if g["name"] == "my_puzzles"][0]
    assert custom["environment"] == {"main_split": "test", "main_name": "exact_match_indicator"}


def test_win_rates_in_json_match_the_definition(root: Path) -> None:
    table = load(suite_path(root) / "groups" / "offline_scenarios.json")[0]
    columns = [[row[j].get("value") for row in table["rows"]] for j in range(2, len(table["header"]))]
    expected = mean_win_rates(columns, [h.get("lower_is_better") for h in table["header"][2:]])
    assert [row[1].get("value") for row in table["rows"]] == pytest.approx(expected)
    best = max(e for e in expected if e is not None)
    for row in table["rows"]:
        assert (row[1].get("style") == {"font-weight": "bold"}) == (row[1].get("value") == best)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--suite", "nope"], "no suite 'nope' in benchmark_output/runs (available: "),
        (["--release", "r"], "--release needs --suites"),
        (["--suite", "s", "--suites", "s"], "argument --suites: not allowed with argument --suite"),
        (["--suite", "s", "--schema-path", "missing.yaml"], "missing.yaml: schema file not found"),
        (["--suite", "a/b"], "must be a plain name"),
        (["--suites", "s", "s"], "a suite is named twice"),
    ],
)
def test_bad_flags_are_one_line_errors(root: Path, args: list[str], message: str) -> None:
    proc = cli(root, *args)
    assert proc.returncode == 2
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr
    assert lines[0].startswith("helm-summarize: error: ") and message in lines[0]


def test_bad_schema_is_a_one_line_error(root: Path) -> None:
    bad = root / "bad_schema.yaml"
    bad.write_text("metrics:\n  - name: exact_match\n    lower_is_beter: false\n")
    proc = cli(root, "--suite", "s", "--schema-path", str(bad))
    assert proc.returncode == 2
    assert proc.stderr.strip() == (
        f"helm-summarize: error: {bad}: metrics entry 'exact_match': unknown field 'lower_is_beter' "
        "(did you mean 'lower_is_better'?)"
    )


def test_empty_suite_writes_empty_summaries(root: Path) -> None:
    empty = suite_path(root, "empty")
    empty.mkdir()
    assert summarize(root, "--suite", "empty") == 0
    assert load(empty / "runs.json") == []
    assert load(empty / "groups.json") == []
    assert (empty / "leaderboard.csv").read_text() == "Rank,Model,Mean win rate,Tied with\n"
    assert not (empty / "plots").exists()


def test_display_stats_are_the_same_with_msgspec_json_and_nan_files(root: Path, monkeypatch) -> None:
    """The typed msgspec decoding of per_instance_stats.json, the json fallback, and a file msgspec
    refuses (Python's NaN) all give the display the same per-instance values."""
    from helm_lite.presentation import display

    run = suite_path(root) / "dyck_language_np=3:model=acme_echo"
    path = str(run / "per_instance_stats.json")
    names = {"exact_match_indicator", "num_prompt_tokens", "not_a_metric"}
    assert display._typed_rows() is not None  # msgspec comes with the summarize extra
    typed = display.read_instance_stats(path, names)
    monkeypatch.setattr(display, "_typed_rows", lambda: None)
    plain = display.read_instance_stats(path, names)
    assert typed == plain and len(typed) == 10
    assert all(set(v) == {"exact_match_indicator", "num_prompt_tokens"} for v in typed.values())
    monkeypatch.undo()

    rows = load(run / "per_instance_stats.json")
    rows[0]["stats"][0]["max"] = float("nan")  # not strict JSON: msgspec refuses, json reads it
    nan_path = run.parent / "nan_per_instance_stats.json"
    nan_path.write_text(json.dumps(rows, indent=2))
    assert "NaN" in nan_path.read_text()
    assert display.read_instance_stats(str(nan_path), names) == typed
    nan_path.unlink()


def test_display_file_errors_reach_summarize(root: Path, monkeypatch) -> None:
    """Display files are written in worker processes; a failure there still fails the summary."""
    suite = copy_suite(root, "unwritable")
    run = suite / "dyck_language_np=3:model=acme_echo"
    for name in ("instances.json", "display_predictions.json", "display_requests.json"):
        (run / name).unlink()
        (run / name).mkdir()  # a directory where a display file must go: the atomic rename fails
    with pytest.raises(OSError):
        summarize(root, "--suite", "unwritable", "--no-plots")
