"""Stripping a reasoning model's thinking section before scoring."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from helm_lite.adaptation.adapter_spec import AdapterSpec
from helm_lite.adaptation.request_state import RequestState, ScenarioState
from helm_lite.common.object_spec import ObjectSpec
from helm_lite.common.request import GeneratedOutput, Request, RequestResult, Token
from helm_lite.metrics.base import MetricService
from helm_lite.metrics.basic import BasicGenerationMetric
from helm_lite.metrics.statistic import MetricName
from helm_lite.metrics.thinking import strip_thinking, thinking_markers
from helm_lite.registry.loader import read_registry_file
from helm_lite.registry.schema import ModelDeployment
from helm_lite.scenarios.base import Input, Instance, Output, Reference

THINK = ("<think>", "</think>")


@pytest.mark.parametrize(
    ("text", "answer", "thinking"),
    [
        ("<think>\n2+2 is 4\n</think>\n\n4", "\n\n4", "\n2+2 is 4\n"),  # finished
        ("<think>hmm, 4? or 5", "", "hmm, 4? or 5"),  # unfinished: empty answer
        ("The answer is 4", "The answer is 4", None),  # no thinking section: unchanged
        ("", "", None),
        ("2+2 is 4</think>4", "4", "2+2 is 4"),  # `start` was in the prompt (chat template)
        ("<think>the tag </think> appears</think> 4", " 4", "the tag </think> appears"),  # last end
        ("preamble <think>x</think>4", "4", "x"),
        ("<think></think>4", "4", ""),
    ],
)
def test_strip_thinking(text: str, answer: str, thinking: str | None) -> None:
    assert strip_thinking(text, *THINK) == (answer, thinking)


def test_strip_thinking_empty_start_means_output_starts_in_thinking() -> None:
    assert strip_thinking("still thinking", "", "</think>") == ("", "still thinking")
    assert strip_thinking("thought</think> 4", "", "</think>") == (" 4", "thought")


def test_custom_markers() -> None:
    text = "<|begin_of_thought|>a<|end_of_thought|>b"
    assert strip_thinking(text, "<|begin_of_thought|>", "<|end_of_thought|>") == ("b", "a")


def test_thinking_markers() -> None:
    assert thinking_markers(None) is None
    assert thinking_markers({}) == THINK
    assert thinking_markers({"start": "", "end": "[/THINK]"}) == ("", "[/THINK]")
    with pytest.raises(ValueError, match="unknown key"):
        thinking_markers({"begin": "<think>"})
    with pytest.raises(ValueError, match="non-empty"):
        thinking_markers({"end": ""})


def test_deployment_field_is_optional() -> None:
    spec = ObjectSpec(class_name="helm.clients.simple_client.SimpleClient")
    assert ModelDeployment(name="a/b", client_spec=spec).thinking is None
    deployment = ModelDeployment(
        name="a/b", client_spec=spec, thinking={"start": "<think>", "end": "</think>"}
    )
    assert thinking_markers(deployment.thinking) == THINK


def _state(gold: str, text: str) -> RequestState:
    pieces = re.findall(r"\s*\S+", text) or [text]
    completion = GeneratedOutput(
        text, -1.0, [Token(p, -1.0 / len(pieces)) for p in pieces], {"reason": "stop"}
    )
    instance = Instance(Input("question"), [Reference(Output(gold), ["correct"])], split="test", id="id0")
    return RequestState(
        instance=instance,
        reference_index=None,
        request_mode=None,
        train_trial_index=0,
        output_mapping=None,
        request=Request(model_deployment="simple/model1", model="simple/model1", prompt="Q: 2+2?\nA:"),
        result=RequestResult(True, [], [completion], False, request_time=0.1),
        num_train_instances=0,
        prompt_truncated=False,
    )


def _scores(text: str, thinking: tuple[str, str] | None) -> dict[str, float | None]:
    spec = AdapterSpec(method="generation", num_outputs=1, model_deployment="simple/model1")
    service = MetricService(count_tokens=lambda t: len(t.split()), thinking=thinking)
    metric = BasicGenerationMetric(["exact_match", "final_number_exact_match"])
    result = metric.evaluate(ScenarioState(spec, [_state("4", text)]), service)
    stats = {s.name: s for s in result.per_instance_stats[0].stats}
    return {
        n: stats[MetricName(n, split="test")].mean
        for n in ("exact_match", "final_number_exact_match", "num_completion_tokens")
    }


def test_basic_generation_metric_strips_thinking() -> None:
    text = "<think>Maybe 5? No: 2+2 is 4, not 5</think>\n4"
    without = _scores(text, None)
    assert without["exact_match"] == 0  # the whole text is compared with "4"
    stripped = _scores(text, THINK)
    assert stripped["exact_match"] == 1 and stripped["final_number_exact_match"] == 1
    # The completion itself (and its token count) is not changed.
    assert (
        stripped["num_completion_tokens"]
        == without["num_completion_tokens"]
        == len(re.findall(r"\s*\S+", text))
    )


def test_basic_generation_metric_unfinished_thinking_scores_zero() -> None:
    text = "<think>2+2 is 4"
    assert _scores(text, None)["final_number_exact_match"] == 1  # the thinking would have been scored
    assert _scores(text, THINK)["final_number_exact_match"] == 0


def test_deployment_yaml_with_thinking(tmp_path: Path) -> None:
    path = tmp_path / "model_deployments.yaml"
    path.write_text(
        "model_deployments:\n"
        "  - name: mylab/reasoner\n"
        "    client_spec: {class_name: helm.clients.simple_client.SimpleClient}\n"
        '    thinking: {start: "<think>", end: "</think>"}\n'
    )
    (deployment,) = read_registry_file(path, "model_deployments", ModelDeployment)
    assert thinking_markers(deployment.thinking) == THINK
