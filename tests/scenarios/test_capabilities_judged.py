"""HELM Capabilities' judged runs: `wildbench` and `omni_math`, their data, judges and metrics.

The runs use small files in the upstream formats (`capabilities_judged_data.py`) in a temporary data
mirror; expected prompts are built here from HELM's adapter settings, and the judge templates are
checked byte for byte against HELM's files through their git blob ids.
"""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from capabilities_judged_data import (
    OMNI_MATH_FILE,
    OMNI_MATH_ROWS,
    WILDBENCH_FILE,
    WILDBENCH_ROWS,
    omni_math_bytes,
    wildbench_bytes,
    write_mirror,
)
from fake_hub import FakeHub, HubEntry, fake_hub

from helm_lite.adaptation.adapter_spec import AdapterSpec
from helm_lite.adaptation.request_state import RequestState
from helm_lite.annotation.base import Judge, JudgeReply
from helm_lite.annotation.capabilities import OmniMATHAnnotator, WildBenchAnnotator
from helm_lite.common.data import DataSource
from helm_lite.common.errors import UserError
from helm_lite.common.hub import ENDPOINT_ENV, git_blob_sha1
from helm_lite.common.request import GeneratedOutput, Request, RequestResult
from helm_lite.judges import omni_math as omni_judge
from helm_lite.judges import wildbench as wb_judge
from helm_lite.judges.templates import template
from helm_lite.metrics.base import MetricService
from helm_lite.metrics.omni_math import OmniMATHMetric
from helm_lite.metrics.wildbench import WildBenchScoreMetric
from helm_lite.scenarios.base import CORRECT_TAG, Input, Instance, Output, Reference
from helm_lite.scenarios.chat_input import ChatInput

pytest.importorskip("pyarrow")

OMNI_INSTRUCTIONS = (
    "Answer the question, giving your reasoning beforehand. Wrap the final answer with the \\boxed{} command."
)
WILDBENCH_RUN = "wildbench:subset=v2,model=simple_model1"
OMNI_RUN = "omni_math:model=simple_model1"
LONG_WINDOW = """model_deployments:
  - name: simple/model1
    model_name: simple/model1
    tokenizer_name: simple/tokenizer1
    max_sequence_length: 100000
    client_spec:
      class_name: "helm.clients.simple_client.SimpleClient"
"""
# Git blob ids of HELM's templates at stanford-crfm/helm@63754d0 (`git ls-tree`), so equal ids mean
# byte-identical files: src/helm/benchmark/annotation/wildbench/eval_template.score.v2.md and
# src/helm/benchmark/annotation/omni_math/gpt_evaluation_zero_shot_template.txt.
HELM_TEMPLATE_BLOBS = {
    "wildbench_score_v2.md": "8bbe07ace371c06f0ac26f4f60651841341e2823",
    "omni_math_zero_shot.txt": "14745cdd581424f526a49e15211f185e3874eeec",
}


@pytest.fixture(scope="module")
def suite(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """One helm-run of HELM's two entries with `-m 2`, judged by the test model."""
    cwd = tmp_path_factory.mktemp("judged")
    mirror = write_mirror(cwd / "mirror")
    (cwd / "prod_env").mkdir()
    (cwd / "prod_env/model_deployments.yaml").write_text(LONG_WINDOW)
    args = [
        "-r",
        "wildbench:subset=v2,model=text",
        "omni_math:model=text",
        "--models-to-run",
        "simple/model1",
    ]
    args += ["--suite", "cap", "-m", "2", "--no-progress", "--judge-deployment", "simple/model1"]
    env = {**os.environ, "HELM_LITE_DATA_MIRROR": str(mirror), "HELM_LITE_OFFLINE": "1"}
    proc = subprocess.run(
        [sys.executable, "-m", "helm_lite.cli.run", *args], cwd=cwd, capture_output=True, text=True, env=env
    )
    assert proc.returncode == 0, proc.stderr
    return cwd / "benchmark_output/runs/cap", proc.stderr


def _read(suite: Path, run: str, name: str) -> Any:
    return json.loads((suite / run / name).read_text())


def _test_stats(suite: Path, run: str) -> dict[str, float]:
    return {
        s["name"]["name"]: s["mean"]
        for s in _read(suite, run, "stats.json")
        if s["name"].get("split") == "test" and "perturbation" not in s["name"] and s["count"]
    }


def test_run_names_and_specs_are_helms(suite: tuple[Path, str]) -> None:
    runs, _ = suite
    assert sorted(p.name for p in runs.iterdir() if p.is_dir()) == [OMNI_RUN, WILDBENCH_RUN]
    wb = _read(runs, WILDBENCH_RUN, "run_spec.json")
    assert wb["scenario_spec"] == {
        "class_name": "helm.benchmark.scenarios.wildbench_scenario.WildBenchScenario",
        "args": {"subset": "v2", "use_model_outputs": False},
    }
    assert wb["annotators"] == [
        {"class_name": "helm.benchmark.annotation.wildbench_annotator.WildBenchAnnotator", "args": {}}
    ]
    assert (
        wb["metric_specs"][-1]["class_name"]
        == "helm.benchmark.metrics.wildbench_metrics.WildBenchScoreMetric"
    )
    assert {k: wb["adapter_spec"][k] for k in ("method", "max_tokens", "temperature", "num_outputs")} == {
        "method": "chat",
        "max_tokens": 2000,
        "temperature": 0.0,
        "num_outputs": 1,
    }
    om = _read(runs, OMNI_RUN, "run_spec.json")
    assert (
        om["annotators"][0]["class_name"] == "helm.benchmark.annotation.omni_math_annotator.OmniMATHAnnotator"
    )
    assert om["metric_specs"][-1]["class_name"] == "helm.benchmark.metrics.omni_math_metrics.OmniMATHMetric"
    assert om["adapter_spec"]["instructions"] == OMNI_INSTRUCTIONS
    assert om["groups"] == ["omni_math"] and wb["groups"] == ["wildbench"]


def test_wildbench_sends_the_conversation_as_chat_messages(suite: tuple[Path, str]) -> None:
    runs, _ = suite
    states = _read(runs, WILDBENCH_RUN, "scenario_state.json")["request_states"]
    assert len(states) == 2
    for state in states:
        row = WILDBENCH_ROWS[int(state["instance"]["id"].removeprefix("id"))]
        conversation = [{"role": t["role"], "content": t["content"]} for t in row["conversation_input"]]
        assert state["instance"]["input"] == {"text": "", "messages": conversation}
        assert state["instance"]["extra_data"] == {"checklist": row["checklist"]}
        assert state["request"]["messages"] == conversation
        assert state["request"]["prompt"] == ""
        assert state["request"]["max_tokens"] == 2000 and state["request"]["temperature"] == 0.0
        # The test model answers chats with nothing: WildBench's fixed score for an empty answer.
        assert state["result"]["completions"][0]["text"] == ""
        assert state["annotations"] == {"wildbench": {"prompt_text": None, "empty_output_score": 1.0}}
    stats = _test_stats(runs, WILDBENCH_RUN)
    assert stats["wildbench_score"] == 1.0
    assert stats["wildbench_score_rescaled"] == 0.0


def test_omni_math_prompt_and_judge_request(suite: tuple[Path, str]) -> None:
    runs, stderr = suite
    states = _read(runs, OMNI_RUN, "scenario_state.json")["request_states"]
    assert len(states) == 2
    for state in states:
        row = OMNI_MATH_ROWS[int(state["instance"]["id"].removeprefix("id"))]
        # HELM: instructions, the instance separator, the problem, the default input suffix.
        assert state["request"]["prompt"] == OMNI_INSTRUCTIONS + "\n" + row["problem"] + "\n"
        assert state["instance"]["references"] == [{"output": {"text": row["answer"]}, "tags": ["correct"]}]
        annotation = state["annotations"]["omni_math"]
        answer = state["result"]["completions"][0]["text"]
        assert answer == row["problem"].split()[-1]  # the test model's answer: the prompt's last word
        assert annotation["prompt_text"] == omni_judge.build_prompt(row["problem"], row["answer"], answer)
        # The test model as judge answers the last word of the prompt: not a report.
        assert annotation["gpt_judge"] == "simple/model1"
        assert annotation["gpt_equivalence_judgement"] is None
        assert "Equivalence Judgement" in annotation["gpt_error"]
    assert "omni_math_accuracy" not in _test_stats(runs, OMNI_RUN)
    assert "omni_math_accuracy is missing" in stderr and "every judge failed" in stderr


@pytest.mark.parametrize("name, blob", HELM_TEMPLATE_BLOBS.items())
def test_judge_templates_are_helms_files(name: str, blob: str) -> None:
    assert git_blob_sha1(template(name).encode("utf-8")) == blob


def test_wildbench_judge_prompt_layout() -> None:
    messages = [
        {"role": "user", "content": "What is 2+2?"},
        {"role": "assistant", "content": "4"},
        {"role": "user", "content": "And times 3?"},
    ]
    prompt = wb_judge.build_prompt(messages, ["Is it 12?", "Is it brief?"], "It is 12.")
    text = template("wildbench_score_v2.md")
    expected = (
        text.replace("{$history}", "USER: What is 2+2?\n\nASSISTANT: 4")
        .replace("{$user_query}", "And times 3?")
        .replace("{$model_output}", "It is 12.")
        .replace("{$checklist}", "- Is it 12?\n- Is it brief?")
    )
    assert prompt == expected
    assert "<|begin_of_history|>\n\nUSER: What is 2+2?\n\nASSISTANT: 4\n\n<|end_of_history|>" in prompt
    assert "<|begin_of_checklist|>\n\n- Is it 12?\n- Is it brief?\n\n<|end_of_checklist|>" in prompt
    # A single-turn task has an empty history; placeholders are filled in HELM's order, so an answer
    # that quotes a later placeholder gets it filled too.
    single = wb_judge.build_prompt([{"role": "user", "content": "Hi"}], ["ok?"], "see {$checklist}")
    assert "<|begin_of_history|>\n\n\n\n<|end_of_history|>" in single
    assert "see - ok?" in single


@pytest.mark.parametrize(
    "answer, expected",
    [
        (
            'Analysis...\n```\n{\n    "strengths": "Clear.",\n    "weaknesses": "Short.",\n    "score": "8"\n}\n```',
            wb_judge.WildBenchVerdict("Clear.", "Short.", 8.0),
        ),
        ('{"strengths": " a\nb ", "weaknesses": "", "score": 3}', wb_judge.WildBenchVerdict("a\nb", "", 3.0)),
        ('{"strengths": "x", "weaknesses": "y", "score": "7.5"}', wb_judge.WildBenchVerdict("x", "y", 7.5)),
        (
            '{"strengths": "x", "weaknesses": "y", "score": "[1~10]"}',
            wb_judge.WildBenchVerdict("x", "y", None),
        ),
        ('{"score": 9, "strengths": "x", "weaknesses": "y"}', wb_judge.WildBenchVerdict()),
        ("I cannot rate this.", wb_judge.WildBenchVerdict()),
    ],
)
def test_wildbench_verdict_parsing(answer: str, expected: wb_judge.WildBenchVerdict) -> None:
    assert wb_judge.parse_verdict(answer) == expected


REPORT = """## Student Final Answer
\\frac{1}{2}

## Justification
The student's answer equals the reference.
Both are one half.
=== report over ===

## Equivalence Judgement
TRUE
"""


def test_omni_math_report_parsing() -> None:
    assert omni_judge.parse_verdict(REPORT) == omni_judge.OmniMathVerdict(
        "\\frac{1}{2}", "The student's answer equals the reference.\nBoth are one half.", True
    )
    assert omni_judge.parse_verdict("## Equivalence Judgement\n false \n").equivalence_judgement is False
    assert omni_judge.parse_verdict("## Equivalence Judgement\nPartially").equivalence_judgement is None
    assert omni_judge.parse_verdict("## Equivalence Judgement") == omni_judge.OmniMathVerdict(
        None, None, None
    )
    assert omni_judge.parse_verdict("TRUE") == omni_judge.OmniMathVerdict()
    # Only the first line of a section other than the justification counts.
    assert omni_judge.parse_verdict("## Student Final Answer\n42\nmore\n").student_final_answer == "42"


def test_omni_math_judge_prompt() -> None:
    prompt = omni_judge.build_prompt("Find x.", "x = 2", "So \\boxed{2}.")
    assert (
        "# QUESTION #\nFind x.\n\n# REFERENCE ANSWER #\nx = 2\n\n# STUDENT'S ANSWER #\nSo \\boxed{2}.\n"
        in prompt
    )
    assert "{{" not in prompt


def _state(instance: Instance, answer: str, annotations: dict[str, Any] | None = None) -> RequestState:
    completion = GeneratedOutput(text=answer, logprob=0.0, tokens=[])
    return RequestState(
        instance=instance,
        reference_index=None,
        request_mode=None,
        train_trial_index=0,
        output_mapping=None,
        request=Request(),
        result=RequestResult(success=True, embedding=[], completions=[completion], cached=False),
        num_train_instances=0,
        prompt_truncated=False,
        annotations=annotations,
    )


CHAT = Instance(
    ChatInput(messages=[{"role": "user", "content": "Hi"}]),
    [],
    split="test",
    id="id0",
    extra_data={"checklist": ["a"]},
)
MATH = Instance(Input("Find x."), [Reference(Output("2"), [CORRECT_TAG])], split="test", id="id0")
JUDGE = Judge("gpt", "openai/gpt-4o-2024-05-13")


def test_annotators_record_helms_fields() -> None:
    wb = WildBenchAnnotator()
    state = _state(CHAT, "Hello!")
    prompt = wb.judge_prompt(state)
    assert prompt == wb_judge.build_prompt([{"role": "user", "content": "Hi"}], ["a"], "Hello!")
    verdict = '{"strengths": "polite", "weaknesses": "none", "score": "9"}'
    annotation = wb.annotate(state, prompt, [JudgeReply(JUDGE, verdict)])
    assert {k: annotation[k] for k in ("prompt_text", "gpt_strengths", "gpt_weaknesses", "gpt_score")} == {
        "prompt_text": prompt,
        "gpt_strengths": "polite",
        "gpt_weaknesses": "none",
        "gpt_score": 9.0,
    }
    failed = wb.annotate(state, prompt, [JudgeReply(JUDGE, "no idea")])
    assert failed["gpt_score"] is None and "numeric score" in failed["gpt_error"]
    assert wb.judge_prompt(_state(CHAT, "  \n")) is None
    assert wb.unjudged(_state(CHAT, "")) == {"prompt_text": None, "empty_output_score": 1.0}

    om = OmniMATHAnnotator()
    state = _state(MATH, "x = \\boxed{2}")
    prompt = om.judge_prompt(state)
    assert prompt == omni_judge.build_prompt("Find x.", "2", "x = \\boxed{2}")
    annotation = om.annotate(state, prompt, [JudgeReply(JUDGE, REPORT)])
    assert annotation["gpt_equivalence_judgement"] is True
    assert annotation["gpt_student_final_answer"] == "\\frac{1}{2}"
    assert (
        om.annotate(state, prompt, [JudgeReply(JUDGE, None, "HTTP 500")])["gpt_equivalence_judgement"] is None
    )
    assert om.judge_prompt(_state(MATH, "")) is None
    assert om.unjudged(_state(MATH, "")) == {"prompt_text": None, "empty_output_equivalence_judgement": False}


SERVICE = MetricService(count_tokens=len)
SPEC = AdapterSpec(method="generation")


def _stats(metric: Any, state: RequestState) -> dict[str, float]:
    return {s.name.name: s.mean for s in metric.evaluate_generation(SPEC, state, SERVICE)}


def test_wildbench_and_omni_math_metrics(caplog: pytest.LogCaptureFixture) -> None:
    wb = WildBenchScoreMetric()
    two_judges = {
        "wildbench": {"prompt_text": "p", "gpt_score": 8.0, "llama_score": 5.0, "claude_score": None}
    }
    assert _stats(wb, _state(CHAT, "x", two_judges)) == {
        "wildbench_score": 6.5,
        "wildbench_score_rescaled": pytest.approx(5.5 / 9),
    }
    empty = {"wildbench": {"prompt_text": None, "empty_output_score": 1.0}}
    assert _stats(wb, _state(CHAT, "", empty)) == {"wildbench_score": 1.0, "wildbench_score_rescaled": 0.0}
    om = OmniMATHMetric()
    verdicts = {"omni_math": {"gpt_equivalence_judgement": True, "llama_equivalence_judgement": False}}
    assert _stats(om, _state(MATH, "x", verdicts)) == {"omni_math_accuracy": 0.5}
    empty = {"omni_math": {"prompt_text": None, "empty_output_equivalence_judgement": False}}
    assert _stats(om, _state(MATH, "", empty)) == {"omni_math_accuracy": 0.0}
    # Missing verdicts: the stat is left out, with one warning per reason.
    with caplog.at_level(logging.WARNING):
        assert _stats(om, _state(MATH, "x", None)) == {}
        assert _stats(om, _state(MATH, "x", None)) == {}
        assert _stats(wb, _state(CHAT, "x", {"wildbench": {"gpt_score": None}})) == {}
    messages = [r.getMessage() for r in caplog.records]
    assert messages == [
        "omni_math_accuracy is missing (first instance: id0): no omni_math annotation (the run has no annotation stage)",
        "wildbench_score is missing (first instance: id0): every judge failed",
    ]


@pytest.fixture
def hub(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeHub]:
    monkeypatch.delenv("HELM_LITE_OFFLINE", raising=False)
    with fake_hub() as h:
        monkeypatch.setenv(ENDPOINT_ENV, h.endpoint)
        yield h


def _files(root: Path) -> list[str]:
    return sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file()) if root.exists() else []


def test_downloads_are_verified_against_the_hub_and_written_whole(
    tmp_path: Path, hub: FakeHub, monkeypatch: pytest.MonkeyPatch
) -> None:
    from helm_lite.scenarios import omni_math, wildbench

    wb_file, om_file = wildbench.hub_file("v2"), omni_math.HUB_FILE
    scenarios = tmp_path / "scenarios"
    source = DataSource(str(scenarios), None)

    def get() -> tuple[list[Instance], list[Instance]]:
        return (
            wildbench.WildBenchScenario("v2", data_source=source).get_instances(str(scenarios / "wildbench")),
            omni_math.OmniMATHScenario(data_source=source).get_instances(str(scenarios / "omni_math")),
        )

    # The content store answers an HTML error page (WildBench's parquet is in LFS, Omni-MATH's JSONL in
    # git): neither matches the hash the hub states, and nothing is left behind.
    hub.put(wb_file.repo, wb_file.revision, wb_file.path, HubEntry(wildbench_bytes(), served=b"<html>"))
    hub.put(om_file.repo, om_file.revision, om_file.path, HubEntry(omni_math_bytes(), lfs=False, served=b"<"))
    with pytest.raises(
        UserError, match=f"{WILDBENCH_FILE}: download from .*/allenai/WildBench/resolve/7c05c1b"
    ):
        get()
    with pytest.raises(UserError, match=f"{OMNI_MATH_FILE}: download from .* refused .*: git blob SHA-1"):
        omni_math.OmniMATHScenario(data_source=source).get_instances(str(scenarios / "omni_math"))
    assert _files(tmp_path) == []
    # Intact files, but not the published splits (3 rows each): refused too.
    hub.put(wb_file.repo, wb_file.revision, wb_file.path, HubEntry(wildbench_bytes()))
    hub.put(om_file.repo, om_file.revision, om_file.path, HubEntry(omni_math_bytes(), lfs=False))
    with pytest.raises(UserError, match="unusable: .*3 rows where the published split has 1024"):
        get()
    with pytest.raises(UserError, match="unusable: .*3 problems where the published test split has 4428"):
        omni_math.OmniMATHScenario(data_source=source).get_instances(str(scenarios / "omni_math"))
    assert _files(tmp_path) == []
    # Files the size of the published splits (made 3 rows here) are taken.
    monkeypatch.setattr(wildbench, "PUBLISHED_ROWS", 3)
    monkeypatch.setattr(omni_math, "PUBLISHED_ROWS", 3)
    wb, om = get()
    assert _files(scenarios) == [OMNI_MATH_FILE, WILDBENCH_FILE]
    assert [i.input.text for i in om] == [r["problem"] for r in OMNI_MATH_ROWS]
    assert isinstance(wb[1].input, ChatInput)
    assert wb[1].input.messages == [
        {"role": t["role"], "content": t["content"]} for t in WILDBENCH_ROWS[1]["conversation_input"]
    ]
    assert [i.extra_data for i in wb] == [{"checklist": r["checklist"]} for r in WILDBENCH_ROWS]
    # The downloaded files are used from now on, without the network.
    hub.files.clear()
    assert (
        len(omni_math.OmniMATHScenario(data_source=source).get_instances(str(scenarios / "omni_math"))) == 3
    )


def test_a_damaged_mirror_file_is_ignored_and_offline_says_where_data_comes_from(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from helm_lite.scenarios import omni_math

    mirror = tmp_path / "mirror"
    (mirror / "omni_math").mkdir(parents=True)
    (mirror / OMNI_MATH_FILE).write_text('{"problem": "no answer"}\n')
    monkeypatch.setenv("HELM_LITE_OFFLINE", "1")
    source = DataSource(str(tmp_path / "scenarios"), str(mirror))
    with pytest.raises(UserError, match="huggingface.co/datasets/KbsdJames/Omni-MATH/resolve/40ba231d"):
        omni_math.OmniMATHScenario(data_source=source).get_instances(str(tmp_path / "scenarios/omni_math"))


def test_bad_arguments_are_one_line_errors() -> None:
    from helm_lite.scenarios.wildbench import WildBenchScenario

    with pytest.raises(UserError, match="Unknown WildBench subset 'v3'"):
        WildBenchScenario("v3")
    with pytest.raises(UserError, match="use_model_outputs"):
        WildBenchScenario("v2", use_model_outputs=True)
