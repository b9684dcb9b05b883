"""HELM's 37 packaged presentation schemas, as shipped, drive `helm-summarize --schema-path`.

One small suite (simple/model1: synthetic reasoning and Dyck) is made once per module; it is then
summarized with every schema. Most schemas name none of its groups, so they show the default tables;
`schema_classic.yaml` names both, so its `reasoning` table is a partial one (two of its scenarios).
"""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from helm_lite.cli.summarize import main as summarize_main
from helm_lite.common.errors import UserError
from helm_lite.presentation.schema import load_schema

HELM_SCHEMAS = Path(__file__).resolve().parents[3] / "shared" / "data" / "helm_formats" / "schemas"
SCHEMA_FILES = sorted(HELM_SCHEMAS.glob("schema_*.yaml"))
NAMED = ["schema_classic.yaml", "schema_lite.yaml", "schema_capabilities.yaml", "schema_safety.yaml"]

if not SCHEMA_FILES:
    if os.environ.get("CI"):
        raise RuntimeError(f"HELM's schemas are missing from {HELM_SCHEMAS}")
    pytest.skip(f"HELM's schemas are not at {HELM_SCHEMAS}", allow_module_level=True)


@pytest.fixture(scope="module")
def root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("helm_schemas")
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "helm_lite.cli.run",
            "--no-progress",
            "-r",
            "synthetic_reasoning:mode=pattern_match,model=simple/model1",
            "dyck_language:num_parenthesis_pairs=3,model=simple/model1",
            "-m",
            "2",
            "--suite",
            "s",
        ],
        cwd=root,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    return root


def _summarize(root: Path, schema: Path) -> int:
    out = root / "benchmark_output"
    argv = ["--suite", "s", "-o", str(out), "--local-path", str(root / "prod_env")]
    return summarize_main([*argv, "--schema-path", str(schema), "--no-plots", "--no-display-files"])


def _rows(root: Path, group: str) -> dict[str, list[object]]:
    """The `group` tables by title: the first row's values (one model: simple/model1)."""
    tables = json.loads((root / "benchmark_output" / "runs" / "s" / "groups" / f"{group}.json").read_text())
    return {t["title"]: [cell.get("value") for cell in t["rows"][0]] for t in tables}


def test_all_37_packaged_schemas_load() -> None:
    assert len(SCHEMA_FILES) == 37
    assert {p.name for p in SCHEMA_FILES} >= set(NAMED)
    for path in SCHEMA_FILES:
        schema = load_schema(path)
        raw = yaml.safe_load(path.read_text())
        assert [g.name for g in schema.run_groups] == [g["name"] for g in raw.get("run_groups") or []]
        assert [m.name for m in schema.metrics] == [m["name"] for m in raw.get("metrics") or []]


@pytest.mark.slow  # 37 helm-summarize runs (~50 s); the four named schemas have fast tests below
@pytest.mark.parametrize("path", SCHEMA_FILES, ids=[p.name for p in SCHEMA_FILES])
def test_summarize_with_each_schema(root: Path, path: Path) -> None:
    assert _summarize(root, path) == 0
    suite = root / "benchmark_output" / "runs" / "s"
    written = json.loads((suite / "schema.json").read_text())
    raw = yaml.safe_load(path.read_text())
    assert {m["name"] for m in written["metrics"]} == {m["name"] for m in raw.get("metrics") or []}
    # Both scenarios get their table, named or not by this schema; simple/model1 answers Dyck wrongly.
    for group in ("synthetic_reasoning", "dyck_language"):
        assert _rows(root, group), group
    groups = [g["title"] for g in json.loads((suite / "groups.json").read_text())]
    assert groups


def test_classic_schema_shows_a_partial_parent_table_and_warns_about_its_own_dangling_names(
    root: Path,
) -> None:
    """`helm-summarize` as a user runs it: HELM's default schema shows the `reasoning` table with the
    two of its scenarios the suite has, and its two dangling names are warning lines, not errors."""
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "helm_lite.cli.summarize",
            "--suite",
            "s",
            "--no-plots",
            "--schema-path",
            str(HELM_SCHEMAS / "schema_classic.yaml"),
        ],
        cwd=root,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    assert "undefined metric 'bleu' (did you mean 'bleu_4'?)" in proc.stderr
    assert "undefined perturbation 'synonyms' (did you mean 'synonym'?)" in proc.stderr
    accuracy = _rows(root, "reasoning")["Accuracy"]
    tables = json.loads((root / "benchmark_output/runs/s/groups/reasoning.json").read_text())
    headers = [h["value"] for h in tables[0]["header"]]
    assert headers == ["Model", "Mean win rate", "Synthetic reasoning (abstract symbols) - EM", "Dyck - EM"]
    assert accuracy[0] == "Simple Model 1" and len(accuracy) == 4


@pytest.mark.parametrize("name", NAMED[1:])
def test_named_schemas_through_the_cli(root: Path, name: str) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "helm_lite.cli.summarize", "--suite", "s", "--no-plots"]
        + ["--no-display-files", "--schema-path", str(HELM_SCHEMAS / name)],
        cwd=root,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    assert "error" not in proc.stderr.lower()
    written = json.loads((root / "benchmark_output/runs/s/schema.json").read_text())
    names = {g["name"] for g in written["run_groups"]}
    assert {g["name"] for g in yaml.safe_load((HELM_SCHEMAS / name).read_text())["run_groups"]} <= names
    assert _rows(root, "synthetic_reasoning")


def test_a_typo_in_a_users_schema_is_still_an_error_with_the_closest_name(tmp_path: Path) -> None:
    path = tmp_path / "mine.yaml"
    path.write_text("metrics:\n  - name: exact_match\n    lower_is_beter: false\n")
    with pytest.raises(UserError) as info:
        load_schema(path)
    assert str(info.value) == (
        f"{path}: metrics entry 'exact_match': unknown field 'lower_is_beter' "
        "(did you mean 'lower_is_better'?)"
    )
    path.write_text("metric: []\n")
    with pytest.raises(UserError, match="unknown top-level key 'metric' \\(did you mean 'metrics'\\?\\)"):
        load_schema(path)


def test_helm_fields_on_groups_are_accepted(tmp_path: Path) -> None:
    """HELM gives every schema entry the common fields, `lower_is_better` included."""
    path = tmp_path / "mine.yaml"
    path.write_text(
        "metrics: [{name: m}]\n"
        "metric_groups: [{name: g, lower_is_better: false, metrics: [{name: m, split: test}]}]\n"
        "run_groups: [{name: r, lower_is_better: false, metric_groups: [g]}]\n"
        "perturbations: [{name: p, lower_is_better: false}]\n"
    )
    schema = load_schema(path)
    assert schema.run_groups[0].metric_groups == ["g"]


def test_dangling_metric_is_a_warning_naming_the_closest_metric(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / "mine.yaml"
    path.write_text(
        "metrics: [{name: exact_match}, {name: m, display_name: First}, {name: m, display_name: Second}]\n"
        "metric_groups: [{name: g, metrics: [{name: exact_matc, split: test}]}]\n"
    )
    with caplog.at_level(logging.WARNING):
        schema = load_schema(path)
    messages = [r.getMessage() for r in caplog.records]
    assert messages[1] == (
        f"{path}: metric group 'g': undefined metric 'exact_matc' (did you mean 'exact_match'?); "
        "shown by its name"
    )
    assert messages[0] == f"{path}: metrics entry 'm': defined twice; the later definition is used"
    assert schema.metric("m").display_name == "Second"
    assert schema.metric("exact_matc").name == "exact_matc"
