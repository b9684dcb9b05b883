"""helm-server's JSON API on a real helm-run suite: leaderboard = stats.json, runs, paged instances,
half-written runs, helm-summarize outputs, caching by mtime, read-only methods and the CLI."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import quote

import pytest

from helm_lite.presentation.win_rate import mean_win_rates
from helm_lite.server import run_files
from helm_lite.server.app import json_bytes

SUITE = "s"
PATTERN_MATCH = "synthetic_reasoning:mode=pattern_match,model=simple_model1"
DYCK = "dyck_language_np=3:model=simple_model1"


def _q(name: str) -> str:
    return quote(name, safe="")


def _load(path: Path):
    return json.loads(path.read_text())


def _stat_mean(run_dir: Path, name: str, split: str = "test") -> float:
    for stat in _load(run_dir / "stats.json"):
        if stat["name"] == {"name": name, "split": split}:
            return float(stat["mean"])
    raise AssertionError(f"{name}/{split} not in {run_dir}")


@pytest.fixture
def output(built_output: Path, tmp_path: Path) -> Path:
    """A private copy of the built suite (tests below damage runs and add files)."""
    copy = tmp_path / "benchmark_output"
    shutil.copytree(built_output, copy, symlinks=True)
    return copy


def _suite(output: Path) -> Path:
    return output / "runs" / SUITE


def test_suites_and_overview_without_summarize_outputs(built_output: Path, serve, http) -> None:
    url = serve(built_output)
    assert http.json(url, "/api/suites")["suites"] == [SUITE]
    overview = http.json(url, f"/api/suites/{SUITE}")
    assert overview["num_runs"] == 2
    assert overview["leaderboard_csv"] is None and overview["groups"] is None and overview["plots"] == []
    assert overview["problems"] == []


def test_leaderboard_cells_equal_stats_json_means(built_output: Path, serve, http) -> None:
    url = serve(built_output)
    board = http.json(url, f"/api/suites/{SUITE}/leaderboard")
    # Main metrics and column order are the presentation schema's (as in helm-summarize's leaderboard).
    columns = [(c["group"], c["metric"], c["split"]) for c in board["columns"]]
    assert columns == [
        ("synthetic_reasoning", "quasi_exact_match", "test"),
        ("dyck_language", "exact_match_indicator", "test"),
    ]
    [row] = board["rows"]
    assert row["model"] == "simple/model1"
    suite = _suite(built_output)
    assert row["cells"][0]["value"] == _stat_mean(suite / PATTERN_MATCH, "quasi_exact_match")
    assert row["cells"][1]["value"] == _stat_mean(suite / DYCK, "exact_match_indicator")
    assert row["cells"][1]["runs"] == [{"name": DYCK, "value": row["cells"][1]["value"]}]
    assert row["win_rate"] is None  # one model: no column has two values
    assert board["skipped"] == []


def test_mean_win_rate_matches_helm_test_vectors() -> None:
    assert mean_win_rates([[1, 2, 3, 4, 5]], [False]) == [0, 0.25, 0.5, 0.75, 1]
    a = [1, 2, 3, 4, 5]
    assert mean_win_rates([a, [3, 1, 2, 5, 4]], [False, False]) == [0.25, 0.125, 0.375, 0.875, 0.875]
    assert mean_win_rates([a, [3, 1, None, None, None]], [False, False]) == [0.5, 0.125, 0.5, 0.75, 1]
    assert mean_win_rates([[1.0, 2.0]], [True]) == [1.0, 0.0]  # perplexity: lower wins
    assert mean_win_rates([[7.0, None]], [False]) == [None, None]


def test_leaderboard_averages_runs_of_one_group_and_ranks_models(output: Path, serve, http) -> None:
    suite = _suite(output)
    # A second model: copy the dyck run under another model name with a different score.
    other = suite / "dyck_language_np=3:model=other_model"
    shutil.copytree(suite / DYCK, other)
    spec = _load(other / "run_spec.json")
    spec["adapter_spec"]["model"] = "other/model"
    (other / "run_spec.json").write_text(json.dumps(spec))
    stats = _load(other / "stats.json")
    for stat in stats:
        if stat["name"] == {"name": "exact_match_indicator", "split": "test"}:
            stat["mean"], stat["sum"] = 0.7, 0.7 * stat["count"]  # a cell merges sums, as HELM does
    (other / "stats.json").write_text(json.dumps(stats))
    # Edited by hand, the copy no longer matches helm-run's completion record: without run_info.json
    # it is read like a run HELM wrote.
    (other / "run_info.json").unlink()
    board = http.json(serve(output), f"/api/suites/{SUITE}/leaderboard")
    rows = {r["model"]: r for r in board["rows"]}
    assert rows["other/model"]["cells"][1]["value"] == 0.7
    assert rows["other/model"]["cells"][0] is None  # no synthetic_reasoning run for it
    assert rows["other/model"]["win_rate"] == 1.0 and rows["simple/model1"]["win_rate"] == 0.0


def test_runs_list_and_filters(built_output: Path, serve, http) -> None:
    url = serve(built_output)
    data = http.json(url, f"/api/suites/{SUITE}/runs")
    assert [r["name"] for r in data["runs"]] == [DYCK, PATTERN_MATCH]
    assert data["models"] == ["simple/model1"]
    assert data["scenarios"] == ["dyck_language", "synthetic_reasoning"]
    assert "synthetic_reasoning_pattern_match" in data["groups"]
    assert all(r["status"] == "complete" and r["problems"] == [] for r in data["runs"])
    assert all(r["num_instances"] == 10 for r in data["runs"])

    def names(query: str) -> list[str]:
        return [r["name"] for r in http.json(url, f"/api/suites/{SUITE}/runs?{query}")["runs"]]

    assert names("group=synthetic_reasoning_pattern_match") == [PATTERN_MATCH]
    assert names("scenario=dyck_language") == [DYCK]
    assert names("model=simple%2Fmodel1") == [DYCK, PATTERN_MATCH]
    assert names("model=nobody") == []


def test_run_detail(built_output: Path, serve, http) -> None:
    detail = http.json(serve(built_output), f"/api/suites/{SUITE}/runs/{_q(PATTERN_MATCH)}")
    run_dir = _suite(built_output) / PATTERN_MATCH
    assert detail["name"] == PATTERN_MATCH and detail["status"] == "complete"
    assert detail["run_spec"] == _load(run_dir / "run_spec.json")
    assert detail["scenario_info"]["name"] == "synthetic_reasoning"
    assert len(detail["stats"]) == len(_load(run_dir / "stats.json"))
    assert detail["main"]["name"] == "quasi_exact_match" and detail["main"]["split"] == "test"
    assert set(detail["files"]) >= {"run_spec.json", "stats.json", "scenario_state.json", "run_info.json"}


def test_instances_are_paged_and_carry_prompt_references_completions_and_stats(
    built_output: Path, serve, http
) -> None:
    url = serve(built_output)
    run_dir = _suite(built_output) / DYCK
    states = _load(run_dir / "scenario_state.json")["request_states"]
    per_instance = {row["instance_id"]: row for row in _load(run_dir / "per_instance_stats.json")}
    base = f"/api/suites/{SUITE}/runs/{_q(DYCK)}/instances"

    first = http.json(url, f"{base}?offset=0&limit=3")
    assert (first["total"], first["offset"], first["limit"], len(first["instances"])) == (10, 0, 3, 3)
    last = http.json(url, f"{base}?offset=9&limit=3")
    assert len(last["instances"]) == 1
    everything = http.json(url, base)["instances"]
    assert [i["id"] for i in everything] == [s["instance"]["id"] for s in states]

    for view, state in zip(everything, states, strict=True):
        assert view["input"] == state["instance"]["input"]["text"]
        assert view["requests"][0]["prompt"] == state["request"]["prompt"]
        assert view["requests"][0]["completions"][0]["text"] == state["result"]["completions"][0]["text"]
        assert [r["correct"] for r in view["references"]] == [
            "correct" in r["tags"] for r in state["instance"]["references"]
        ]
        expected = {s["name"]["name"]: s.get("mean") for s in per_instance[view["id"]]["stats"]}
        shown = {s["name"]: s["mean"] for s in view["stats"]}
        assert shown == expected
        indicator = expected["exact_match_indicator"]
        assert view["status"] == ("correct" if indicator == 1 else "incorrect")

    counts = http.json(url, base)["counts"]
    assert counts["correct"] + counts["incorrect"] == 10
    assert counts["correct"] == round(_stat_mean(run_dir, "exact_match_indicator") * 10)
    wrong = http.json(url, f"{base}?status=incorrect")
    assert wrong["total"] == counts["incorrect"]
    assert {i["status"] for i in wrong["instances"]} == {"incorrect"}

    one = http.json(url, f"{base}?id={states[4]['instance']['id']}")
    assert [i["id"] for i in one["instances"]] == [states[4]["instance"]["id"]]
    assert http.get(url, f"{base}?id=nope").status == 404


@pytest.mark.parametrize(
    "query", ["limit=0", "limit=501", "offset=-1", "limit=abc", "status=bogus", "offset=1.5"]
)
def test_bad_paging_parameters_are_400_with_a_message(built_output: Path, serve, http, query: str) -> None:
    response = http.get(serve(built_output), f"/api/suites/{SUITE}/runs/{_q(DYCK)}/instances?{query}")
    assert response.status == 400
    assert response.json()["error"]


def _write_big_run(suite: Path, name: str, n: int) -> Path:
    """A synthetic run with `n` instances, shaped like helm-run's files."""
    run_dir = suite / name
    run_dir.mkdir(parents=True)
    states, rows = [], []
    for i in range(n):
        states.append(
            {
                "instance": {
                    "input": {"text": f"question {i}"},
                    "references": [{"output": {"text": str(i)}, "tags": ["correct"]}],
                    "split": "test",
                    "id": f"id{i}",
                },
                "train_trial_index": 0,
                "request": {"prompt": f"Q: question {i}\nA:"},
                "result": {
                    "success": True,
                    "completions": [{"text": str(i if i % 3 else -1), "logprob": 0.0}],
                },
            }
        )
        value = 0 if i % 3 == 0 else 1
        rows.append(
            {
                "instance_id": f"id{i}",
                "train_trial_index": 0,
                "stats": [{"name": {"name": "exact_match", "split": "test"}, "count": 1, "mean": value}],
            }
        )
    mean = sum(r["stats"][0]["mean"] for r in rows) / n
    files = {
        "run_spec.json": {
            "name": name,
            "adapter_spec": {"model": "big/model", "method": "generation"},
            "groups": ["big"],
        },
        "scenario.json": {"name": "big"},
        "scenario_state.json": {"adapter_spec": {}, "request_states": states},
        "stats.json": [
            {"name": {"name": "exact_match", "split": "test"}, "count": 1, "sum": mean, "mean": mean},
            {"name": {"name": "num_instances", "split": "test"}, "count": 1, "sum": n, "mean": n},
        ],
        "per_instance_stats.json": rows,
    }
    for file_name, obj in files.items():
        (run_dir / file_name).write_text(json.dumps(obj))
    return run_dir


def test_thousands_of_instances_are_paged_and_parsed_once_per_version(
    output: Path, serve, http, monkeypatch: pytest.MonkeyPatch
) -> None:
    run_dir = _write_big_run(_suite(output), "big:model=big_model", 2500)
    parsed: list[str] = []
    real_read = run_files.read_json

    def counting_read(path: str, label: str):
        parsed.append(label)
        return real_read(path, label)

    monkeypatch.setattr(run_files, "read_json", counting_read)
    url = serve(output)
    base = f"/api/suites/{SUITE}/runs/{_q('big:model=big_model')}/instances"
    pages = [http.json(url, f"{base}?offset={offset}&limit=50") for offset in (0, 50, 2450)]
    assert [len(p["instances"]) for p in pages] == [50, 50, 50]
    assert pages[2]["instances"][-1]["id"] == "id2499"
    assert pages[0]["total"] == 2500 and pages[0]["counts"] == {
        "correct": 1666,
        "incorrect": 834,
        "partial": 0,
        "unscored": 0,
    }
    assert parsed.count("scenario_state.json") == 1
    # Rewritten run: the next request sees the new version (parsed once more).
    data = _load(run_dir / "scenario_state.json")
    data["request_states"] = data["request_states"][:7]
    (run_dir / "scenario_state.json").write_text(json.dumps(data))
    later = time.time() + 5
    os.utime(run_dir / "scenario_state.json", (later, later))
    assert http.json(url, base)["total"] == 7
    assert parsed.count("scenario_state.json") == 2


def test_missing_and_half_written_runs_show_messages_not_crashes(output: Path, serve, http) -> None:
    suite = _suite(output)
    no_state = suite / "partial:model=a"
    shutil.copytree(suite / DYCK, no_state)
    (no_state / "scenario_state.json").unlink()
    truncated = suite / "truncated:model=b"
    shutil.copytree(suite / DYCK, truncated)
    text = (truncated / "stats.json").read_text()
    (truncated / "stats.json").write_text(text[: len(text) // 2])
    starting = suite / "starting:model=c"
    starting.mkdir()
    (starting / "run_info.json").write_text("{")
    url = serve(output)

    runs = {r["name"]: r for r in http.json(url, f"/api/suites/{SUITE}/runs")["runs"]}
    assert runs["partial:model=a"]["status"] == "incomplete"
    assert "scenario_state.json" in runs["partial:model=a"]["problems"][0]
    assert runs["truncated:model=b"]["status"] == "damaged"
    assert any("stats.json is not valid JSON" in p for p in runs["truncated:model=b"]["problems"])
    assert runs["starting:model=c"]["status"] == "incomplete"

    detail = http.json(url, f"/api/suites/{SUITE}/runs/{_q('partial:model=a')}")
    assert detail["status"] == "incomplete" and detail["stats"]
    missing = http.get(url, f"/api/suites/{SUITE}/runs/{_q('partial:model=a')}/instances")
    assert missing.status == 404 and "scenario_state.json is missing" in missing.json()["error"]

    damaged = http.json(url, f"/api/suites/{SUITE}/runs/{_q('truncated:model=b')}")
    assert damaged["stats"] == [] and damaged["main"] is None
    page = http.json(url, f"/api/suites/{SUITE}/runs/{_q('truncated:model=b')}/instances")
    assert page["main"] is None and "not scored" in page["notes"][0]
    assert {i["status"] for i in page["instances"]} == {"unscored"}

    board = http.json(url, f"/api/suites/{SUITE}/leaderboard")
    skipped = {s["run"] for s in board["skipped"]}
    # Only complete runs count: the incomplete one is left out (with its reason) like the others.
    assert {"truncated:model=b", "starting:model=c", "partial:model=a"} <= skipped
    assert len(board["rows"]) == 1

    # Invalid JSON in scenario_state.json: a 422 with a message.
    (no_state / "scenario_state.json").write_text('{"request_states": [')
    broken = http.get(url, f"/api/suites/{SUITE}/runs/{_q('partial:model=a')}/instances")
    assert broken.status == 422 and "not valid JSON" in broken.json()["error"]

    assert http.get(url, f"/api/suites/{SUITE}/runs/nope").status == 404
    assert http.get(url, "/api/suites/other/runs").status == 404


def test_empty_suite(tmp_path: Path, serve, http) -> None:
    (tmp_path / "runs" / "empty").mkdir(parents=True)
    url = serve(tmp_path, ["empty"])
    assert http.json(url, "/api/suites/empty/leaderboard")["rows"] == []
    assert http.json(url, "/api/suites/empty/runs")["runs"] == []


def test_summarize_outputs_are_offered_when_present(output: Path, serve, http) -> None:
    suite = _suite(output)
    (suite / "plots").mkdir()
    (suite / "plots" / "accuracy.png").write_bytes(b"\x89PNG\r\n\x1a\nfake")
    (suite / "plots" / "notes.txt").write_text("not a plot")
    (suite / "leaderboard.csv").write_text("Model,Mean win rate,dyck_language\nsimple/model1,,0.1\n")
    (suite / "summary.json").write_text(json.dumps({"suites": [SUITE], "suite": SUITE, "date": "2026-01-01"}))
    table = {"title": "Scenarios", "header": [{"value": "Group"}], "rows": [[{"value": "dyck_language"}]]}
    (suite / "groups.json").write_text(json.dumps([table]))
    (suite / "groups").mkdir()
    (suite / "groups" / "dyck_language.json").write_text(json.dumps([table]))
    url = serve(output)

    overview = http.json(url, f"/api/suites/{SUITE}")
    assert overview["plots"] == ["accuracy.png"]
    assert overview["leaderboard_csv"] == {
        "header": ["Model", "Mean win rate", "dyck_language"],
        "rows": [["simple/model1", "", "0.1"]],
    }
    assert overview["summary"]["suite"] == SUITE and overview["groups"] == [table]
    assert overview["num_runs"] == 2  # groups/ and plots/ are not runs
    assert http.json(url, f"/api/suites/{SUITE}/groups/dyck_language") == [table]
    assert http.get(url, f"/api/suites/{SUITE}/groups/nope").status == 404
    png = http.get(url, f"/files/{SUITE}/plots/accuracy.png")
    assert png.status == 200 and png.headers["content-type"] == "image/png"
    assert png.body.startswith(b"\x89PNG") and "sandbox" in png.headers["content-security-policy"]


def test_only_get_and_head(built_output: Path, serve, http) -> None:
    url = serve(built_output)
    for method in ("POST", "PUT", "DELETE", "PATCH", "OPTIONS"):
        response = http.raw(url, f"/api/suites/{SUITE}/runs", method=method)
        assert response.status == 405, method
        assert response.headers["allow"] == "GET, HEAD"
    head = http.raw(url, f"/api/suites/{SUITE}/leaderboard", method="HEAD")
    assert head.status == 200 and head.body == b"" and int(head.headers["content-length"]) > 0
    page = http.get(url, "/")
    assert page.status == 200 and b"/static/app.js" in page.body
    assert "script-src 'self'" in page.headers["content-security-policy"]
    assert http.get(url, "/static/app.js").headers["content-type"].startswith("text/javascript")
    assert http.get(url, "/static/nope.js").status == 404


def test_loopback_server_refuses_foreign_host_headers(built_output: Path, serve, http) -> None:
    """DNS rebinding: a page on evil.example resolving to 127.0.0.1 must not read the results."""
    url = serve(built_output)
    assert http.raw(url, "/api/suites", host="evil.example").status == 403
    assert http.raw(url, "/api/suites", host="localhost.evil.example:80").status == 403
    port = url.rsplit(":", 1)[1]
    assert http.raw(url, "/api/suites", host=f"localhost:{port}").status == 200


def test_json_never_contains_nan() -> None:
    assert json.loads(json_bytes({"a": float("nan"), "b": [float("inf"), 1.5]})) == {
        "a": None,
        "b": [None, 1.5],
    }


# -- CLI --------------------------------------------------------------------------------------------


def _cli(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "helm_lite.cli.server", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=30,
    )


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (["--suite", "nope"], "no suite 'nope'"),
        (["--suite", "../s"], "--suite"),
        (["--output-path", "missing"], "no such directory"),
        (["--port", "70000"], "--port"),
        (["--port", "x"], "--port"),
        (["--bogus"], "unrecognized arguments"),
    ],
)
def test_cli_bad_input_is_one_line_exit_2(built_output: Path, args: list[str], fragment: str) -> None:
    result = _cli(*args, cwd=built_output.parent)
    assert result.returncode == 2, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("helm-server: error:"), result.stderr
    assert fragment in lines[0]


def test_cli_without_suites(tmp_path: Path) -> None:
    (tmp_path / "benchmark_output").mkdir()
    result = _cli(cwd=tmp_path)
    assert result.returncode == 2 and "No suites found" in result.stderr


def test_cli_serves_until_stopped(built_output: Path, http) -> None:
    proc = subprocess.Popen(
        [sys.executable, "-m", "helm_lite.cli.server", "--port", "0"],  # no --suite: the newest one
        cwd=built_output.parent,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        first = proc.stdout.readline()
        second = proc.stdout.readline()
        assert first.startswith("Serving suite 's' from benchmark_output")
        url = second.split("Go to ", 1)[1].split("/ ", 1)[0]
        assert url.startswith("http://127.0.0.1:")
        assert http.json(url, "/api/suites")["suites"] == [SUITE]
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def test_several_suites(output: Path, serve, http) -> None:
    shutil.copytree(_suite(output), output / "runs" / "second")
    url = serve(output, [SUITE, "second"])
    assert http.json(url, "/api/suites")["suites"] == [SUITE, "second"]
    assert len(http.json(url, "/api/suites/second/runs")["runs"]) == 2
    result = _cli("--suites", SUITE, "second", "--port", "70000", cwd=output.parent)
    assert result.returncode == 2 and "--port" in result.stderr  # both names accepted, then the bad port
