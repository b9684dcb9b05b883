"""The leaderboard's uncertainty: bootstrap intervals against scipy and exact enumeration, the
instance as resampling unit, paired differences, tie groups, the head-to-head and the files.

The suite here is written in HELM's run-file format with chosen per-instance scores (three models on
one group: A always right, B and C wrong except where they differ on two instances), so ties and
differences are known in advance; `helm-summarize` and `--compare` run on it as real subprocesses.
"""

from __future__ import annotations

import csv
import io
import itertools
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from scipy import stats as scipy_stats

from helm_lite.presentation.compare import head_to_head, suite_view
from helm_lite.presentation.instance_values import InstanceValues
from helm_lite.presentation.leaderboard import leaderboard_data
from helm_lite.presentation.uncertainty import (
    RESAMPLES,
    board_uncertainty,
    percentile_interval,
    resample_means,
)

N = 60
MODELS = {  # model -> per-instance quasi-exact-match of id0..id{N-1}
    "t/a": [1.0] * N,
    "t/b": [1.0 if i < 10 else 0.0 for i in range(N)],
    "t/c": [1.0 if i < 9 or i == 20 else 0.0 for i in range(N)],
}
METADATA = "models:\n" + "".join(
    f"  - name: {m}\n    display_name: Model {m[-1].upper()}\n    description: Test.\n"
    "    creator_organization_name: T\n    access: open\n    release_date: 2025-01-01\n"
    for m in MODELS
)


def _stat(name: dict[str, Any], values: list[float]) -> dict[str, Any]:
    return {"name": name, "count": len(values), "sum": sum(values), "mean": sum(values) / len(values)}


def write_run(suite: Path, model: str, values: list[float], trials: int = 1) -> None:
    name = f"synthetic_reasoning:mode=pattern_match,model={model.replace('/', '_')}"
    run = suite / name
    run.mkdir(parents=True)
    split = {"name": "quasi_exact_match", "split": "test"}
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
        # One trial-level stat per trial, as HELM writes them (count = trials, sum = trial means).
        "stats.json": [
            {"name": split, "count": trials, "sum": trials * sum(values) / len(values)},
            _stat({"name": "num_instances", "split": "test"}, [float(len(values))]),
        ],
        "per_instance_stats.json": [
            {
                "instance_id": f"id{i}",
                "train_trial_index": t,
                "stats": [_stat(split, [v]), _stat({**split, "name": "x"}, [0.5])],
            }
            for t in range(trials)
            for i, v in enumerate(values)
        ],
        "scenario.json": {"name": "synthetic_reasoning"},
        "scenario_state.json": {"adapter_spec": {}, "request_states": []},
    }
    for file, data in files.items():
        (run / file).write_text(json.dumps(data))


@pytest.fixture(scope="module")
def root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("uncertainty")
    (root / "prod_env").mkdir()
    (root / "prod_env" / "model_metadata.yaml").write_text(METADATA)
    suite = root / "benchmark_output" / "runs" / "u"
    for model, values in MODELS.items():
        write_run(suite, model, values)
    proc = subprocess.run(
        [sys.executable, "-m", "helm_lite.cli.summarize", "--suite", "u", "--no-display-files"],
        cwd=root,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    return root


def view_of(root: Path, suite: str = "u") -> Any:
    return suite_view(str(root / "benchmark_output"), suite, local_path=str(root / "prod_env"))


# -- the bootstrap itself -------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["continuous", "binary"])
def test_intervals_agree_with_scipy_percentile_bootstrap(kind: str) -> None:
    rng = np.random.default_rng(3)
    data = rng.normal(0.5, 0.2, 80) if kind == "continuous" else (rng.random(80) < 0.3).astype(float)
    ours = percentile_interval(resample_means(data[:, None], "test")[:, 0])
    reference = scipy_stats.bootstrap(
        (data,), np.mean, method="percentile", n_resamples=20000, random_state=np.random.default_rng(0)
    ).confidence_interval
    width = reference.high - reference.low
    # 1,000 resamples: the ends move by a few percent of the width from run to run.
    assert abs(ours[0] - reference.low) < 0.12 * width
    assert abs(ours[1] - reference.high) < 0.12 * width


def test_small_sample_matches_the_exact_bootstrap_distribution() -> None:
    data = np.array([0.0, 1.0, 5.0, 2.0])
    # All 4^4 equally likely resamples: the exact bootstrap distribution of the mean.
    exact = np.array([np.mean(data[list(idx)]) for idx in itertools.product(range(4), repeat=4)])
    drawn = resample_means(data[:, None], "exact")[:, 0]
    assert drawn.shape == (RESAMPLES,)
    assert np.std(drawn, ddof=1) == pytest.approx(np.std(exact), rel=0.08)
    assert drawn.mean() == pytest.approx(exact.mean(), abs=0.1)
    lo, hi = percentile_interval(drawn)
    assert (lo, hi) == pytest.approx(tuple(np.percentile(exact, [2.5, 97.5])), abs=0.3)


def test_resamples_are_seeded_and_shared_by_models_with_the_same_instances() -> None:
    data = np.random.default_rng(1).random((50, 2))
    first = resample_means(data, "k")
    assert np.array_equal(first, resample_means(data, "k"))  # reproducible
    # Columns are resampled together: each column equals its own resample with the same draw.
    alone = resample_means(data[:, :1], "k")
    assert np.allclose(first[:, 0], alone[:, 0])


def test_trials_of_one_instance_are_one_resampling_unit() -> None:
    ids = tuple(f"id{i}" for i in range(20))
    values = tuple(float(i % 2) for i in range(20))
    once = InstanceValues(ids, (0,) * 20, values)
    twice = InstanceValues(ids + ids, (0,) * 20 + (1,) * 20, values + values)
    # Two identical trials are the same 20 instances, not 40 independent draws: same interval.
    ids_once, values_once = once.by_instance()
    ids_twice, values_twice = twice.by_instance()
    assert ids_once == ids_twice and np.array_equal(values_once, values_twice)
    mixed = InstanceValues(("a", "a", "b"), (0, 1, 0), (1.0, 0.0, 1.0))
    assert mixed.by_instance()[1].tolist() == [0.5, 1.0]  # averaged within the instance first


# -- the leaderboard ------------------------------------------------------------------------------


def test_leaderboard_data_has_intervals_ranks_and_tie_groups(root: Path) -> None:
    data = leaderboard_data(view_of(root))
    rows = {r["model"]: r for r in data["rows"]}
    for model, values in MODELS.items():
        cell = rows[model]["cells"][0]
        assert cell["value"] == pytest.approx(np.mean(values))
        lo, hi = cell["interval"]
        assert lo <= cell["value"] <= hi and cell["stderr"] >= 0
        reference = scipy_stats.bootstrap(
            (np.array(values),),
            np.mean,
            method="percentile",
            n_resamples=20000,
            random_state=np.random.default_rng(0),
        ).confidence_interval
        assert abs(lo - reference.low) <= 0.034 and abs(hi - reference.high) <= 0.034  # 2 instances of 60
    assert rows["t/a"]["cells"][0]["interval"] == [1.0, 1.0]
    # A beats both everywhere; B and C differ on two instances only: tied.
    assert (rows["t/a"]["rank"], rows["t/a"]["tie_group"], rows["t/a"]["tied_with"]) == (1, 1, [])
    assert (rows["t/b"]["rank"], rows["t/b"]["tie_group"], rows["t/b"]["tied_with"]) == (2, 2, ["t/c"])
    assert (rows["t/c"]["rank"], rows["t/c"]["tie_group"], rows["t/c"]["tied_with"]) == (2, 2, ["t/b"])
    assert rows["t/a"]["win_rate_interval"] == [1.0, 1.0]
    lo, hi = rows["t/b"]["win_rate_interval"]
    assert lo <= rows["t/b"]["win_rate"] <= hi and lo < hi
    assert "comparisons" not in data  # the board leaves every pair's bootstrap to the head-to-head
    pairs = {(p["a"], p["b"]): p for p in board_uncertainty(view_of(root)).comparisons()}
    a_b = pairs[("t/a", "t/b")]
    assert a_b["difference"] == pytest.approx(50 / 60) and a_b["interval"][0] > 0
    b_c = pairs[("t/b", "t/c")]
    assert b_c["difference"] == pytest.approx(0.0) and b_c["interval"][0] < 0 < b_c["interval"][1]


def test_leaderboard_files_show_intervals_and_ranks(root: Path) -> None:
    suite = root / "benchmark_output" / "runs" / "u"
    rows = list(csv.DictReader(io.StringIO((suite / "leaderboard.csv").read_text())))
    data = {r["model"]: r for r in leaderboard_data(view_of(root))["rows"]}
    by_name = {r["Model"]: r for r in rows}
    assert [r["Model"] for r in rows][0] == "Model A"  # best first
    b = by_name["Model B"]
    column = [c for c in b if c.endswith(" lo") and "Mean win rate" not in c][0][: -len(" lo")]
    assert [float(b[f"{column} lo"]), float(b[f"{column} hi"])] == data["t/b"]["cells"][0]["interval"]
    assert (b["Rank"], b["Tied with"], by_name["Model C"]["Rank"]) == ("2", "Model C", "2")
    md = (suite / "leaderboard.md").read_text()
    lo, hi = data["t/b"]["cells"][0]["interval"]
    assert "| 2 | Model B | " in md and f"{10 / 60:.3f} ± {(hi - lo) / 2:.3f}" in md
    tex = (suite / "leaderboard.tex").read_text()
    assert f"{10 / 60:.3f} $\\pm$ {(hi - lo) / 2:.3f}" in tex
    # HELM's group tables carry the interval inside the cell (a field HELM's front end ignores).
    tables = json.loads((suite / "groups" / "synthetic_reasoning.json").read_text())
    intervals = [c.get("interval") for t in tables for row in t["rows"] for c in row[1:]]
    assert data["t/b"]["cells"][0]["interval"] in intervals


def test_head_to_head_lists_the_instances_each_model_alone_gets_right(root: Path) -> None:
    result = head_to_head(view_of(root), "t/b", "t/c")
    column = result["columns"][0]
    assert (column["compared"], column["a_only_count"], column["b_only_count"]) == (N, 1, 1)
    runs = {m: f"synthetic_reasoning:mode=pattern_match,model={m.replace('/', '_')}" for m in MODELS}
    named = {"run_a": runs["t/b"], "run_b": runs["t/c"]}  # the two runs each instance was compared in
    assert column["pairs"] == 1
    assert column["a_only"] == [{"instance_id": "id9", "train_trial_index": 0, **named}]
    assert column["b_only"] == [{"instance_id": "id20", "train_trial_index": 0, **named}]
    assert column["difference"] == pytest.approx(0.0) and column["interval"][0] < 0 < column["interval"][1]
    json.dumps(result)  # plain JSON
    # Models are named by model, deployment or display name.
    proc = subprocess.run(
        [sys.executable, "-m", "helm_lite.cli.summarize", "--suite", "u", "--compare", "t/a", "Model B"],
        cwd=root,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 0, proc.stderr
    assert "A right, B wrong: 50: id10, id11" in proc.stdout and "B right, A wrong: 0" in proc.stdout
    assert "A − B = +0.833, 95% interval [+" in proc.stdout
    bad = subprocess.run(
        [sys.executable, "-m", "helm_lite.cli.summarize", "--suite", "u", "--compare", "t/a", "t/zz"],
        cwd=root,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert bad.returncode == 2
    assert bad.stderr.strip().splitlines() == [
        "helm-summarize: error: --compare: no model or deployment 't/zz' in the suite (it has: t/a, t/b, t/c)"
    ]


def test_repeated_trials_keep_the_cell_value_and_do_not_narrow_the_interval(tmp_path: Path) -> None:
    (tmp_path / "prod_env").mkdir()
    (tmp_path / "prod_env" / "model_metadata.yaml").write_text(METADATA)
    for suite, trials in (("one", 1), ("three", 3)):
        write_run(tmp_path / "benchmark_output" / "runs" / suite, "t/b", MODELS["t/b"], trials)
    one = leaderboard_data(view_of(tmp_path, "one"))["rows"][0]["cells"][0]
    three = leaderboard_data(view_of(tmp_path, "three"))["rows"][0]["cells"][0]
    assert three["value"] == pytest.approx(one["value"])
    assert three["interval"] == one["interval"]  # the same 60 instances, however many trials


# -- plots and the end-of-run summary ---------------------------------------------------------------


def test_plots_have_whole_labels_one_axis_per_unit_and_error_bars(tmp_path: Path) -> None:
    pytest.importorskip("matplotlib")
    from helm_lite.presentation.plots import main_figure, unit_groups, write_plots
    from helm_lite.presentation.tables import Cell, HeaderCell, Table

    header = [
        HeaderCell(value="Model"),
        HeaderCell(value="Mean win rate", lower_is_better=False),
        HeaderCell(value="Synthetic reasoning - EM", lower_is_better=False, metadata={"metric": "EM"}),
        HeaderCell(value="Your text - BPB", lower_is_better=True, metadata={"metric": "Bits/byte"}),
    ]
    row = [Cell(value="Only Model"), Cell(value=None), Cell(value=0.4, interval=[0.3, 0.5]), Cell(value=1.2)]
    board = Table(title="Leaderboard", header=header, rows=[row])
    assert unit_groups(board, [2, 3]) == [
        ("score (higher is better)", [2]),
        ("Bits/byte (lower is better)", [3]),
    ]
    fig = main_figure(board)
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    box = fig.bbox
    axes = fig.get_axes()
    assert len(axes) == 2  # EM and bits per byte never share an axis
    for ax in axes:
        for label in ax.get_xticklabels() + [ax.yaxis.label]:
            extent = label.get_window_extent(renderer)
            assert box.x0 <= extent.x0 and extent.x1 <= box.x1 and box.y0 <= extent.y0, label.get_text()
    bars = [seg for c in axes[0].collections for seg in c.get_segments()]
    assert [sorted(y for _, y in seg) for seg in bars] == [pytest.approx([0.3, 0.5])]  # the error bar
    written = write_plots(board, ["synthetic_reasoning", "user_text"], str(tmp_path))
    # One model: no mean-win-rate plot.
    assert sorted(Path(p).name for p in written) == [
        "main_metrics.png",
        "synthetic_reasoning.png",
        "user_text.png",
    ]


def test_helm_run_ends_with_the_main_scores_and_the_next_commands(tmp_path: Path) -> None:
    (tmp_path / "prod_env").mkdir()
    entries = ["dyck_language:num_parenthesis_pairs=3,model=simple/model1"]
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "helm_lite.cli.run",
            "--no-progress",
            "-r",
            *entries,
            "--suite",
            "end",
            "-m",
            "20",
        ],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    assert lines[0] == "Main scores of suite end (95% bootstrap interval over instances):"
    data = leaderboard_data(view_of(tmp_path, "end"))
    cell = data["rows"][0]["cells"][0]
    lo, hi = cell["interval"]
    assert lines[1].split() == [
        "dyck_language_np=3",
        "exact_match_indicator",
        f"{cell['value']:.3f}",
        f"[{lo:.3f},",
        f"{hi:.3f}]",
    ]
    assert (
        "  helm-summarize --suite end   # leaderboard, tables and plots in benchmark_output/runs/end/"
        in lines
    )
    assert any(line.startswith("  helm-server --suite end") for line in lines)
