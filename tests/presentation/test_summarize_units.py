"""helm-summarize building blocks: win rate, schema loading and defaults, stat matching, writers."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from helm_lite.common.errors import UserError
from helm_lite.presentation.read_runs import Run, read_run
from helm_lite.presentation.schema import (
    DEFAULT_SCHEMA_PATH,
    MetricMatcher,
    default_run_group,
    load_schema,
)
from helm_lite.presentation.stats import MergedStat, fmt_number, merge_runs, stat_matches
from helm_lite.presentation.tables import Cell, HeaderCell, Table
from helm_lite.presentation.win_rate import column_win_rates, mean_win_rates
from helm_lite.presentation.writers import latex_escape, table_csv, table_latex, table_markdown

# ---------------------------------------------------------------------------------------------
# Mean win rate (HELM's test vectors; higher is better unless said)


def test_win_rate_one_column() -> None:
    assert mean_win_rates([[1, 2, 3, 4, 5]], [False]) == [0, 0.25, 0.5, 0.75, 1]


def test_win_rate_two_columns() -> None:
    rates = mean_win_rates([[1, 2, 3, 4, 5], [3, 1, 2, 5, 4]], [False, False])
    assert rates == pytest.approx([0.25, 0.125, 0.375, 0.875, 0.875])


def test_win_rate_missing_values() -> None:
    rates = mean_win_rates([[1, 2, 3, 4, 5], [3, 1, None, None, None]], [False, False])
    assert rates == pytest.approx([0.5, 0.125, 0.5, 0.75, 1])


def test_win_rate_ties_lower_is_better_and_unordered_columns() -> None:
    assert column_win_rates([1.0, 1.0], lower_is_better=False) == [0.5, 0.5]
    assert column_win_rates([0.2, 0.1, 0.3], lower_is_better=True) == [0.5, 1.0, 0.0]
    assert column_win_rates([0.2, None], lower_is_better=False) == [None, None]  # N < 2: skipped
    # A column without a direction (a counter such as "# eval") does not count.
    assert mean_win_rates([[1, 2], [9, 1]], [False, None]) == [0.0, 1.0]
    assert mean_win_rates([[1, 2]], [None]) == [None, None]


# ---------------------------------------------------------------------------------------------
# Schema


def test_packaged_schema_covers_lite_and_offline_groups() -> None:
    schema = load_schema(DEFAULT_SCHEMA_PATH)
    core = schema.run_group_by_name["core_scenarios"]
    assert core.category == "All scenarios"
    assert core.subgroups == [
        "narrative_qa",
        "natural_qa_openbook_longans",
        "natural_qa_closedbook",
        "openbookqa",
        "mmlu",
        "math_chain_of_thought",
        "gsm",
        "legalbench",
        "med_qa",
        "wmt_14",
    ]
    expected_main = {
        "narrative_qa": ("f1_score", "test"),
        "natural_qa_closedbook": ("f1_score", "valid"),
        "openbookqa": ("exact_match", "test"),
        "mmlu": ("exact_match", "test"),
        "gsm": ("final_number_exact_match", "test"),
        "math_chain_of_thought": ("math_equiv_chain_of_thought", "test"),
        "legalbench": ("quasi_exact_match", "test"),
        "wmt_14": ("bleu_4", "test"),
        "synthetic_reasoning": ("quasi_exact_match", "test"),
        "dyck_language": ("exact_match_indicator", "test"),
        "user_data": ("exact_match", "test"),
        "user_text": ("bits_per_byte", "test"),
    }
    for name, (metric, split) in expected_main.items():
        matcher = schema.main_matcher(schema.run_group_by_name[name])
        assert matcher is not None and (matcher.name, matcher.split) == (metric, split), name
    assert schema.metric("inference_runtime").lower_is_better is True
    assert schema.metric("bits_per_byte").lower_is_better is True
    assert schema.metric("num_instances").lower_is_better is None
    assert schema.metric("no_such_metric").name == "no_such_metric"


def test_default_run_group_picks_the_main_metric_from_the_stats() -> None:
    schema = load_schema(DEFAULT_SCHEMA_PATH)
    group = default_run_group(
        "mine", [("num_instances", "valid"), ("quasi_exact_match", "valid"), ("exact_match", "valid")], schema
    )
    assert group.display_name == "mine"
    assert group.environment == {"main_split": "valid", "main_name": "exact_match"}
    assert group.metric_groups == ["accuracy", "efficiency", "general_information"]
    lm = default_run_group("lm", [("logprob", "test"), ("bits_per_byte", "test")], schema)
    assert lm.environment["main_name"] == "bits_per_byte"
    # Only a metric with a direction can stand in; without one there is no accuracy table.
    other = default_run_group("other", [("num_instances", "test"), ("logprob", "test")], schema)
    assert other.environment["main_name"] == "logprob"
    bare = default_run_group("bare", [("num_instances", "test")], schema)
    assert "main_name" not in bare.environment and "accuracy" not in bare.metric_groups


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("run_groups:\n  - name: a\n    subgroups: [b]\n", "run group 'a': undefined subgroup 'b'"),
        ("run_groups:\n  - name: a\n    metric_groups: [x]\n", "run group 'a': undefined metric group 'x'"),
        (
            "run_groups:\n  - name: a\n    subgroups: [b]\n  - name: b\n    subgroups: [a]\n",
            "subgroup cycle",
        ),
        ("run_groups:\n  - name: a\n  - name: a\n", "run_groups entry 'a': duplicate name"),
        ("metrics:\n  - display_name: M\n", "missing required field 'name'"),
        ("metrics:\n  - name: m\n    lower_is_better: maybe\n", "expected true or false"),
        (
            "metrics: [{name: m}]\nmetric_groups:\n  - name: g\n    metrics:\n      - {name: m, split: train}\n",
            "split must be test, valid or __all__",
        ),
        ("runs: []\n", "unknown top-level key 'runs'"),
        ("metrics: [\n", "invalid YAML at line 2"),
    ],
)
def test_schema_errors_name_the_entry_and_field(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "schema.yaml"
    path.write_text(text)
    with pytest.raises(UserError, match="schema.yaml: ") as info:
        load_schema(path)
    assert message in str(info.value)


def test_helm_schema_sections_models_and_adapter_are_ignored(tmp_path: Path) -> None:
    path = tmp_path / "schema.yaml"
    path.write_text("models:\n  - name: a/b\nadapter:\n  - name: method\nmetrics:\n  - name: m\n")
    assert [m.name for m in load_schema(path).metrics] == ["m"]


# ---------------------------------------------------------------------------------------------
# Stats


def _stat(name: str, mean: float, split: str = "test", count: int = 1, **extra: object) -> dict:
    return {
        "name": {"name": name, "split": split, **extra},
        "count": count,
        "sum": mean * count,
        "sum_squared": mean * mean * count,
        "min": mean,
        "max": mean,
        "mean": mean,
    }


def _run(name: str, stats: list[dict]) -> Run:
    spec = {"name": name, "adapter_spec": {"model": "a/b", "model_deployment": "a/b"}, "groups": ["g"]}
    return Run(suite="s", run_path=f"/x/{name}", run_spec=spec, stats=stats)


def test_stat_matching_rules() -> None:
    worst = {"name": "robustness", "robustness": True, "fairness": False, "computed_on": "worst"}
    plain = {"name": "exact_match", "split": "test"}
    assert stat_matches(plain, MetricMatcher("exact_match", "test"))
    assert not stat_matches(plain, MetricMatcher("exact_match", "valid"))
    assert stat_matches(plain, MetricMatcher("exact_match", "__all__"))
    assert not stat_matches({**plain, "perturbation": worst}, MetricMatcher("exact_match", "test"))
    assert stat_matches(
        {**plain, "perturbation": worst}, MetricMatcher("exact_match", "test", None, "robustness")
    )
    perturbed = {**worst, "computed_on": "perturbed"}
    assert not stat_matches(
        {**plain, "perturbation": perturbed}, MetricMatcher("exact_match", "test", None, "robustness")
    )


def test_merging_is_a_macro_average_over_runs_with_quasi_fallback() -> None:
    runs = [
        _run("a", [_stat("quasi_exact_match", 0.2)]),
        _run("b", [_stat("exact_match", 0.6)]),  # no quasi_exact_match: HELM falls back to exact_match
        _run("c", [_stat("quasi_exact_match", 1.0, split="valid")]),
    ]
    merged, matched = merge_runs(runs, MetricMatcher("quasi_exact_match", "test"))
    assert matched == 2 and merged.mean == pytest.approx(0.4)
    assert merged.describe() == "min=0.2, mean=0.4, max=0.6, sum=0.8 (2)"
    empty, matched = merge_runs(runs, MetricMatcher("f1_score", "test"))
    assert matched == 0 and empty.mean is None
    assert MergedStat().describe() == "no values"
    assert [fmt_number(x) for x in (3.0, 0.12345, 10)] == ["3", "0.123", "10"]


# ---------------------------------------------------------------------------------------------
# Reading runs


def test_read_run_reports_problems_instead_of_crashing(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    run_dir = tmp_path / "r"
    run_dir.mkdir()
    (run_dir / "run_spec.json").write_text(json.dumps({"name": "r", "adapter_spec": {}}))
    assert read_run(str(run_dir), "s") is None
    assert "scenario.json, scenario_state.json, stats.json, per_instance_stats.json missing" in caplog.text
    for name in ("scenario.json", "scenario_state.json", "per_instance_stats.json"):
        (run_dir / name).write_text("{}")  # summarize reads neither, but a complete run has all five
    (run_dir / "stats.json").write_text(json.dumps({"not": "a list"}))
    assert read_run(str(run_dir), "s") is None
    assert "stats.json is not a list of stats" in caplog.text
    (run_dir / "stats.json").write_text(json.dumps([_stat("exact_match", 1.0)]))
    (run_dir / "run_spec.json").write_text("[]")
    assert read_run(str(run_dir), "s") is None
    assert "run_spec.json is not a run spec" in caplog.text
    (run_dir / "run_spec.json").write_text(json.dumps({"name": "r", "adapter_spec": {}}))
    run = read_run(str(run_dir), "s")
    assert run is not None and run.groups == ["r"]  # no groups: grouped by its scenario name


# ---------------------------------------------------------------------------------------------
# Writers


def _table() -> Table:
    header = [HeaderCell(value="Model"), HeaderCell(value="Mean win rate"), HeaderCell(value="A_1 & B")]
    rows = [
        [Cell(value="M|1"), Cell(value=1.0, style={"font-weight": "bold"}), Cell(value=0.123456)],
        [Cell(value="M2"), Cell(value=None), Cell(value=None)],
    ]
    return Table(title="T", header=header, rows=rows)


def test_csv_markdown_and_latex_renderings() -> None:
    table = _table()
    assert table_csv(table) == "Model,Mean win rate,A_1 & B\nM|1,1.0,0.123456\nM2,,\n"
    md = table_markdown(table).splitlines()
    assert md[2:] == [
        "| Model | Mean win rate | A_1 & B |",
        "| --- | ---: | ---: |",
        "| M\\|1 | **1.000** | 0.123 |",
        "| M2 | - | - |",
    ]
    tex = table_latex(table, "t_1")
    assert "Model & Mean win rate & A\\_1 \\& B \\\\" in tex
    assert "M|1 & \\textbf{1.000} & 0.123 \\\\" in tex
    assert "M2 & -- & -- \\\\" in tex
    assert "\\label{tab:t\\_1}" in tex
    assert (
        latex_escape("50% $x^2$ #1 {a} ~")
        == "50\\% \\$x\\textasciicircum{}2\\$ \\#1 \\{a\\} \\textasciitilde{}"
    )
