"""Model judges end to end: real helm-run subprocesses, the test model or a loopback judge server.

The judge server is an OpenAI-compatible server on 127.0.0.1 that counts its calls, so a rerun can
be shown to ask no judge anything, and that can answer with HTTP 500 or with text no judge parser reads.
"""

from __future__ import annotations

import json
import sys
import threading
import urllib.parse
import urllib.request
from pathlib import Path
from typing import Any

import pytest
from data_mirror import MIRROR as SHARED_DATA

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "clients"))
from fake_openai_server import FakeOpenAIServer  # noqa: E402

from helm_lite.server.app import create_server  # noqa: E402

pytestmark = pytest.mark.skipif(
    not (SHARED_DATA / "simple_safety_tests").is_dir(), reason="no safety data in the mirror"
)

PLUGIN = str(Path(__file__).resolve().parent / "echo_judge_plugin.py")
SST = "simple_safety_tests:model=simple/model1"
SST_RUN = "simple_safety_tests:model=simple_model1"
VERDICT = "<reasoning>It refuses.</reasoning>\n<score>1</score>"


class JudgeServer(FakeOpenAIServer):
    """Answers every chat request with `reply` (or fails it with `status`)."""

    def __init__(self, reply: str = VERDICT, status: int = 200) -> None:
        super().__init__(model="judge-model")
        self.reply, self.status = reply, status

    def answer(self, path: str, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        if not path.endswith("/chat/completions"):
            return super().answer(path, body)
        if self.status != 200:
            return self.status, {"error": {"message": "the judge is down", "type": "server_error"}}
        message = {"role": "assistant", "content": self.reply}
        choice = {"index": 0, "message": message, "finish_reason": "stop", "logprobs": None}
        return 200, {
            "id": "j",
            "object": "chat.completion",
            "created": 0,
            "model": body["model"],
            "choices": [choice],
        }


def write_prod_env(local: Path, url: str, judges_yaml: str | None = None) -> None:
    local.mkdir(exist_ok=True)
    (local / "model_deployments.yaml").write_text(
        "model_deployments:\n"
        "  - name: fakejudge/judge\n"
        "    model_name: fakejudge/judge\n"
        "    client_spec:\n"
        "      class_name: helm_lite.clients.openai_client.OpenAICompatibleClient\n"
        f"      args: {{model: judge-model, base_url: '{url}/v1', api: chat, retry: {{max_attempts: 1}}}}\n"
    )
    if judges_yaml is not None:
        (local / "judges.yaml").write_text(judges_yaml)


def run_args(suite: str, *extra: str, entry: str = SST, instances: int = 3) -> list[str]:
    return [
        "-r", entry, "-m", str(instances), "--suite", suite, "--local-path", "prod_env",
        "--data-mirror", str(SHARED_DATA), *extra,
    ]  # fmt: skip


def read(run: Path, name: str) -> Any:
    return json.loads((run / name).read_text())


def per_instance(run: Path) -> list[set[str]]:
    """The stat names of each instance (each metric writes its own rows)."""
    names: dict[str, set[str]] = {}
    for row in read(run, "per_instance_stats.json"):
        names.setdefault(row["instance_id"], set()).update(s["name"]["name"] for s in row["stats"])
    return list(names.values())


def test_test_model_judges_a_run_whose_verdicts_parse(helm_run, tmp_path: Path) -> None:
    """--judge-deployment simple/model1 plays both judges; annotations and safety_score are written."""
    entry = "echo_judged_safety:model=simple/model1"
    done = helm_run("--plugins", PLUGIN, *run_args("s", "--judge-deployment", "simple/model1", entry=entry))
    assert done.returncode == 0, done.stderr
    run = tmp_path / "benchmark_output/runs/s/echo_judged_safety:model=simple_model1"
    states = read(run, "scenario_state.json")["request_states"]
    assert len(states) == 3
    for state in states:
        answer = state["result"]["completions"][0]["text"]
        note = state["annotations"]["echo_verdict"]
        assert note["prompt_text"].startswith(f"Request: {state['request']['prompt']}\nResponse: {answer}\n")
        for label in ("gpt", "llama"):
            assert note[f"{label}_judge"] == "simple/model1"
            assert note[f"{label}_score"] == 0.5
            assert note[f"{label}_reasoning"] == "the-response-is-one-word"
            assert note[f"{label}_response_text"].endswith("<score>0.5</score>")
    stats = {s["name"]["name"]: s for s in read(run, "stats.json") if s["name"].get("split") == "test"}
    assert stats["safety_score"]["mean"] == 0.5
    assert stats["safety_gpt_annotator_success"]["mean"] == 1
    assert all("safety_score" in names for names in per_instance(run))
    info = read(run, "run_info.json")
    assert info["judges"] == {"echo_verdict": {"gpt": "simple/model1", "llama": "simple/model1"}}
    assert info["invocation"]["judge_deployment"] == "simple/model1"

    # helm-server's instance page gets each request's annotations as recorded.
    server = create_server(str(tmp_path / "benchmark_output"), ["s"], host="127.0.0.1", port=0)
    threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
    try:
        name = urllib.parse.quote(run.name, safe="")
        with urllib.request.urlopen(f"{server.url}/api/suites/s/runs/{name}/instances") as response:
            page = json.loads(response.read())
    finally:
        server.shutdown()
        server.server_close()
    shown = {i["id"]: i["requests"][0]["annotations"] for i in page["instances"]}
    assert shown == {s["instance"]["id"]: s["annotations"] for s in states}


def test_the_leaderboard_names_the_judges_of_a_judged_column(helm_run, tmp_path: Path) -> None:
    import subprocess

    from helm_lite.presentation.compare import suite_view
    from helm_lite.presentation.leaderboard import leaderboard_data

    entry = "echo_judged_safety:model=simple/model1"
    done = helm_run("--plugins", PLUGIN, *run_args("s", "--judge-deployment", "simple/model1", entry=entry))
    assert done.returncode == 0, done.stderr
    summarized = subprocess.run(
        [sys.executable, "-m", "helm_lite.cli.summarize", "--suite", "s"],
        cwd=tmp_path, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert summarized.returncode == 0, summarized.stderr
    judged_by = "judged by gpt: simple/model1, llama: simple/model1"
    assert judged_by in (tmp_path / "benchmark_output/runs/s/leaderboard.md").read_text()
    board = leaderboard_data(suite_view(str(tmp_path / "benchmark_output"), "s"))
    assert [c["judges"] for c in board["columns"]] == [["gpt: simple/model1", "llama: simple/model1"]]


def test_rerun_of_a_judged_run_is_judged_again_by_the_recorded_judges(helm_run, tmp_path: Path) -> None:
    """`--rerun` keeps the run's annotators and the judges run_info.json names, without the flag."""
    entry = "echo_judged_safety:model=simple/model1"
    done = helm_run("--plugins", PLUGIN, *run_args("s", "--judge-deployment", "simple/model1", entry=entry))
    assert done.returncode == 0, done.stderr
    run = tmp_path / "benchmark_output/runs/s/echo_judged_safety:model=simple_model1"
    again = helm_run("--rerun", str(run))
    assert again.returncode == 0, again.stdout + again.stderr
    assert "is identical" in again.stdout.strip().splitlines()[-1]
    rerun = tmp_path / "benchmark_output/runs/s-rerun" / run.name
    assert read(rerun, "run_spec.json")["annotators"] == read(run, "run_spec.json")["annotators"]
    assert read(rerun, "run_info.json")["judges"] == read(run, "run_info.json")["judges"]
    note = read(rerun, "scenario_state.json")["request_states"][0]["annotations"]["echo_verdict"]
    assert note["gpt_judge"] == "simple/model1" and note["gpt_score"] == 0.5


def test_skip_completed_runs_redoes_a_run_judged_by_another_deployment(helm_run, tmp_path: Path) -> None:
    with JudgeServer() as server:
        write_prod_env(tmp_path / "prod_env", server.url)
        first = helm_run(*run_args("s", "--judge-deployment", "simple/model1"))
        assert first.returncode == 0, first.stderr
        same = helm_run(*run_args("s", "--judge-deployment", "simple/model1", "--skip-completed-runs", "-v"))
        assert "already complete" in same.stderr and not server.calls("chat")
        other = helm_run(*run_args("s", "--judge-deployment", "fakejudge/judge", "--skip-completed-runs"))
        assert other.returncode == 0, other.stderr
        assert "judged by other deployments" in other.stderr
        assert len(server.calls("chat")) == 3
    run = tmp_path / f"benchmark_output/runs/s/{SST_RUN}"
    assert read(run, "run_info.json")["judges"]["simple_safety_tests"]["gpt"] == "fakejudge/judge"


def test_judges_yaml_judge_is_cached_and_a_rerun_asks_no_judge(helm_run, tmp_path: Path) -> None:
    with JudgeServer() as server:
        write_prod_env(tmp_path / "prod_env", server.url, "judges:\n  simple_safety_tests: fakejudge/judge\n")
        first = helm_run(*run_args("a", instances=4))
        assert first.returncode == 0, first.stderr
        # Both judge roles are played by one deployment: one request per instance, deduplicated.
        assert len(server.calls("chat")) == 4
        assert all("<user_request>" in p for p in server.prompts())
        second = helm_run(*run_args("b", instances=4))
        assert second.returncode == 0, second.stderr
        assert len(server.calls("chat")) == 4  # the rerun asked the judge nothing
    for suite in ("a", "b"):
        run = tmp_path / f"benchmark_output/runs/{suite}/{SST_RUN}"
        stats = {s["name"]["name"]: s for s in read(run, "stats.json") if s["name"].get("split") == "test"}
        assert stats["safety_score"]["mean"] == 1
        assert all("safety_score" in names for names in per_instance(run))
        note = read(run, "scenario_state.json")["request_states"][0]["annotations"]["simple_safety_tests"]
        assert note["gpt_judge"] == note["llama_judge"] == "fakejudge/judge"
        assert note["gpt_reasoning"] == "It refuses."
        assert read(run, "run_info.json")["judges"] == {
            "simple_safety_tests": {"gpt": "fakejudge/judge", "llama": "fakejudge/judge"}
        }


@pytest.mark.parametrize("failure", ["server error", "unparseable answer"])
def test_failing_judge_leaves_the_stat_missing_with_a_reason_and_keeps_answers(
    helm_run, tmp_path: Path, failure: str
) -> None:
    server = (
        JudgeServer(status=500) if failure == "server error" else JudgeServer(reply="I'd rather not say.")
    )
    with server:
        write_prod_env(tmp_path / "prod_env", server.url)
        done = helm_run(*run_args("s", "--judge-deployment", "fakejudge/judge"))
    assert done.returncode == 0, done.stderr
    assert "safety_score is missing" in done.stderr
    run = tmp_path / f"benchmark_output/runs/s/{SST_RUN}"
    states = read(run, "scenario_state.json")["request_states"]
    for state in states:
        assert state["result"]["success"] and state["result"]["completions"][0]["text"]  # answers kept
        note = state["annotations"]["simple_safety_tests"]
        assert note["gpt_score"] is None and note["llama_score"] is None
        expected = "judge request failed" if failure == "server error" else "unparseable judge answer"
        assert note["gpt_error"].startswith(expected)
    names = {s["name"]["name"] for s in read(run, "stats.json")}
    assert "safety_score" not in names and "safety_gpt_annotator_success" in names
    assert "num_output_tokens" in names  # the run's other stats are written
    assert all("safety_score" not in row for row in per_instance(run))


def test_missing_key_for_a_default_judge_stops_before_any_run(
    helm_run, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for var in ("OPENAI_API_KEY", "TOGETHER_API_KEY", "HELM_CREDENTIALS"):
        monkeypatch.delenv(var, raising=False)
    done = helm_run(*run_args("s"))
    assert done.returncode == 2
    errors = [line for line in done.stderr.splitlines() if "error" in line]
    assert len(errors) == 1 and "Traceback" not in done.stderr
    assert "openai/gpt-4o-2024-05-13" in errors[0] and "no API key" in errors[0]
    assert "--judge-deployment" in errors[0]
    assert not (tmp_path / "benchmark_output/runs/s").exists()


@pytest.mark.parametrize(
    ("judges_yaml", "flag", "culprit"),
    [
        ("judges:\n  simple_safety_test: simple/model1\n", [], "simple_safety_test"),
        ("judges:\n  simple_safety_tests: {gtp: simple/model1}\n", [], "gtp"),
        ("judge:\n  simple_safety_tests: simple/model1\n", [], "did you mean 'judges'"),
        (None, ["--judge-deployment", "nobody/judge"], "nobody/judge"),
    ],
)
def test_bad_judge_settings_are_one_line_before_any_run(
    helm_run, tmp_path: Path, judges_yaml: str | None, flag: list[str], culprit: str
) -> None:
    write_prod_env(tmp_path / "prod_env", "http://127.0.0.1:9", judges_yaml)
    done = helm_run(*run_args("s", *flag))
    assert done.returncode == 2, done.stderr
    last = done.stderr.strip().splitlines()[-1]
    assert last.startswith("helm-run: error:") and culprit in last, done.stderr
    assert "Traceback" not in done.stderr
    assert not (tmp_path / "benchmark_output/runs/s").exists()


@pytest.mark.slow
def test_smollm2_judges_two_instances(helm_run, tmp_path: Path) -> None:
    """A 135M judge is a plumbing check: its verdicts may not parse, but every judgement is recorded."""
    pytest.importorskip("transformers")
    judge = "huggingface/smollm2-135m-instruct"
    done = helm_run(*run_args("s", "--judge-deployment", judge, instances=2))
    assert done.returncode == 0, done.stderr
    run = tmp_path / f"benchmark_output/runs/s/{SST_RUN}"
    for state in read(run, "scenario_state.json")["request_states"]:
        note = state["annotations"]["simple_safety_tests"]
        assert note["gpt_judge"] == judge and isinstance(note["gpt_response_text"], str)
        assert (note["gpt_score"] is None) == ("gpt_error" in note)
    assert read(run, "run_info.json")["judges"]["simple_safety_tests"]["gpt"] == judge
