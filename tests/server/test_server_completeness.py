"""helm-server applies helm-run's completeness rule and never lists or serves hidden temporaries."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path
from urllib.parse import quote

import pytest

SUITE = "s"
GOOD = "synthetic_reasoning:mode=pattern_match,model=simple_model1"
DYCK = "dyck_language_np=3:model=simple_model1"


def _q(name: str) -> str:
    return quote(name, safe="")


def _reaped_pid() -> int:
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


@pytest.fixture
def suite(built_output: Path, tmp_path: Path) -> Path:
    """A private copy of the built suite with a truncated run, a HELM-style run and a dead writer's
    leftovers: a half-written temporary run folder and a temporary file inside a run."""
    output = tmp_path / "benchmark_output"
    shutil.copytree(built_output, output)
    suite = output / "runs" / SUITE
    truncated = suite / "truncated:model=b"
    shutil.copytree(suite / DYCK, truncated)
    text = (truncated / "stats.json").read_text()
    (truncated / "stats.json").write_text(text[:-200])
    helm_style = suite / "helm:model=c"
    shutil.copytree(suite / DYCK, helm_style)
    (helm_style / "run_info.json").unlink()  # HELM writes no completion record
    pid = _reaped_pid()
    leftover_run = suite / f".{GOOD}.tmp-{pid}-0a1b2c3d"
    shutil.copytree(suite / GOOD, leftover_run)
    (leftover_run / "stats.json").write_text("[")
    (suite / GOOD / f".stats.json.part-{pid}-abcd1234").write_text('[{"half": ')
    return suite


def test_runs_are_listed_by_the_completeness_rule_with_reasons(suite: Path, serve, http) -> None:
    url = serve(suite.parent.parent)
    runs = {r["name"]: r for r in http.json(url, f"/api/suites/{SUITE}/runs")["runs"]}
    assert sorted(runs) == sorted([GOOD, DYCK, "truncated:model=b", "helm:model=c"])  # nothing hidden
    assert runs["truncated:model=b"]["status"] == "damaged"
    size = len((suite / DYCK / "stats.json").read_text())
    problems = runs["truncated:model=b"]["problems"]
    assert (
        problems[0]
        == f"stats.json has {size - 200} bytes, not the {size} written (truncated or changed since)"
    )
    assert "stats.json is not valid JSON" in problems[1]  # parsed anyway, for what can be shown
    assert runs["helm:model=c"]["status"] == "complete" and runs["helm:model=c"]["problems"] == []
    assert runs[GOOD]["status"] == runs[DYCK]["status"] == "complete"

    board = http.json(url, f"/api/suites/{SUITE}/leaderboard")
    assert board["skipped"] == [{"run": "truncated:model=b", "reason": "; ".join(problems)}]
    detail = http.json(url, f"/api/suites/{SUITE}/runs/{_q(GOOD)}")
    assert all(not f.startswith(".") for f in detail["files"])
    assert set(detail["run_info"]["outputs"]) == set(detail["files"]) - {"run_info.json"}


def test_hidden_paths_are_refused(suite: Path, serve, http) -> None:
    url = serve(suite.parent.parent)
    hidden_file = next(p.name for p in (suite / GOOD).iterdir() if p.name.startswith("."))
    hidden_run = next(p.name for p in suite.iterdir() if p.name.startswith("."))
    for path in (
        f"/files/{SUITE}/{_q(GOOD)}/{_q(hidden_file)}",
        f"/files/{SUITE}/{_q(hidden_run)}/stats.json",
        f"/api/suites/{SUITE}/runs/{_q(hidden_run)}",
        f"/api/suites/{SUITE}/runs/{_q(hidden_run)}/instances",
        f"/files/{SUITE}/.{_q(GOOD)}",
    ):
        response = http.get(url, path)
        assert response.status == 403, path
        assert "refused path" in json.loads(response.body)["error"]
    assert http.get(url, f"/files/{SUITE}/{_q(GOOD)}/stats.json").status == 200
