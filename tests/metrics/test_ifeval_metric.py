"""IFEval strict and loose evaluation, and `IFEvalMetric` as the runner calls it (HELM's stat)."""

from __future__ import annotations

from typing import Any

import pytest

from helm_lite.adaptation.adapter_spec import AdapterSpec
from helm_lite.adaptation.request_state import RequestState, ScenarioState
from helm_lite.common.errors import UserError
from helm_lite.common.object_spec import ObjectSpec, create_object
from helm_lite.common.request import GeneratedOutput, Request, RequestResult
from helm_lite.metrics.base import MetricService
from helm_lite.metrics.ifeval import build_instructions, evaluate, loose_variants
from helm_lite.metrics.ifeval.metric import IFEvalMetric
from helm_lite.metrics.statistic import MetricName
from helm_lite.scenarios.base import Input, Instance

NO_COMMA = ("punctuation:no_comma", {})
QUOTED = ("startend:quotation", {})
JSON = ("detectable_format:json_format", {})
TWO_WORDS_MAX = ("length_constraints:number_words", {"relation": "less than", "num_words": 3})


def _evaluate(
    response: str, *instructions: tuple[str, dict[str, Any]]
) -> tuple[tuple[bool, ...], tuple[bool, ...]]:
    built = build_instructions([i for i, _ in instructions], [k for _, k in instructions])
    followed = evaluate(built, response)
    return followed.strict, followed.loose


def test_loose_variants_in_order() -> None:
    assert loose_variants("Sure:\n*a*\nBye") == [
        "Sure:\n*a*\nBye",
        "Sure:\na\nBye",
        "*a*\nBye",
        "Sure:\n*a*",
        "*a*",
        "a\nBye",
        "Sure:\na",
        "a",
    ]


def test_loose_forgives_a_preamble_a_closing_line_and_asterisks() -> None:
    assert _evaluate('Here you go:\n"All quoted"', QUOTED) == ((False,), (True,))
    assert _evaluate('"All quoted"\nHope this helps, bye', QUOTED, NO_COMMA) == ((False, False), (True, True))
    assert _evaluate('Sure:\n```json\n{"a": 1}\n```\nEnjoy', JSON) == ((False,), (True,))
    assert _evaluate("**Bold** two", TWO_WORDS_MAX) == ((True,), (True,))
    # Nothing to forgive: loose fails too.
    assert _evaluate("one, two", NO_COMMA) == ((False,), (False,))


def test_loose_is_never_below_strict() -> None:
    strict, loose = _evaluate("a b c d\nno comma", NO_COMMA, TWO_WORDS_MAX)
    assert strict == (True, False) and loose == (True, True)


def _state(instance_id: str, text: str, instructions: list[tuple[str, dict[str, Any]]]) -> RequestState:
    extra = {
        "instruction_ids": [i for i, _ in instructions],
        "instruction_kwargs": [k for _, k in instructions],
    }
    instance = Instance(Input("prompt"), [], split="test", id=instance_id, extra_data=extra)
    return RequestState(
        instance=instance,
        reference_index=None,
        request_mode=None,
        train_trial_index=0,
        output_mapping=None,
        request=Request(model_deployment="simple/model1", model="simple/model1", prompt="prompt"),
        result=RequestResult(True, [], [GeneratedOutput(text, 0.0, [])], False),
        num_train_instances=0,
        prompt_truncated=False,
    )


STATES = [
    # strict: 1 of 2 followed; loose: 2 of 2 (the first line is a preamble)
    ("id0", 'Sure here:\n"no commas at all"', [NO_COMMA, QUOTED]),
    # strict and loose: 0 of 1
    ("id1", "a, b", [NO_COMMA]),
    # strict and loose: 3 of 3
    ("id2", '"one two"', [NO_COMMA, QUOTED, TWO_WORDS_MAX]),
]


def _run(
    metric: IFEvalMetric, states: list[Any] | None = None, thinking: tuple[str, str] | None = None
) -> Any:
    spec = AdapterSpec(method="generation", num_outputs=1, model_deployment="simple/model1")
    service = MetricService(count_tokens=lambda t: len(t.split()), thinking=thinking)
    request_states = [_state(*s) for s in (STATES if states is None else states)]
    return metric.evaluate(ScenarioState(spec, request_states), service)


def _aggregated(result: Any) -> dict[str, float]:
    return {s.name.name: s.mean for s in result.aggregated_stats if s.name.perturbation is None}


def test_metric_writes_helms_stat_per_instance_and_its_mean() -> None:
    result = _run(IFEvalMetric())
    per_instance = {row.instance_id: {s.name: s.mean for s in row.stats} for row in result.per_instance_stats}
    name = MetricName("ifeval_strict_accuracy", split="test")
    assert per_instance == {"id0": {name: 0.5}, "id1": {name: 0.0}, "id2": {name: 1.0}}
    assert _aggregated(result) == {"ifeval_strict_accuracy": pytest.approx(0.5)}


def test_reference_stats_are_the_ifeval_paper_numbers() -> None:
    stats = _aggregated(_run(IFEvalMetric(reference_stats=True)))
    assert stats == {
        "ifeval_strict_accuracy": pytest.approx((0.5 + 0 + 1) / 3),
        "ifeval_loose_accuracy": pytest.approx((1 + 0 + 1) / 3),
        "ifeval_strict_prompt_accuracy": pytest.approx(1 / 3),
        "ifeval_loose_prompt_accuracy": pytest.approx(2 / 3),
        # every instruction of the run counted once: 4 of 6 strictly, 5 of 6 loosely
        "ifeval_strict_instruction_accuracy": pytest.approx(4 / 6),
        "ifeval_loose_instruction_accuracy": pytest.approx(5 / 6),
    }


def test_metric_scores_the_answer_after_thinking() -> None:
    states = [("id0", "<think>hmm, well</think>No commas", [NO_COMMA])]
    assert _aggregated(_run(IFEvalMetric(), states))["ifeval_strict_accuracy"] == 0
    assert _aggregated(_run(IFEvalMetric(), states, ("<think>", "</think>")))["ifeval_strict_accuracy"] == 1


@pytest.mark.parametrize("name", ["helm.benchmark.metrics.ifeval_metrics.IFEvalMetric", "ifeval"])
def test_metric_is_registered_by_helms_class_name_and_by_name(name: str) -> None:
    metric = create_object(ObjectSpec(name, {}))
    assert isinstance(metric, IFEvalMetric)


def test_instance_without_instructions_is_a_clear_error() -> None:
    spec = AdapterSpec(method="generation", num_outputs=1, model_deployment="simple/model1")
    state = _state("id9", "text", [])
    service = MetricService(count_tokens=len)
    with pytest.raises(UserError, match="instance id9 has no instructions"):
        IFEvalMetric().evaluate(ScenarioState(spec, [state]), service)


def test_bad_kwargs_name_the_instance_and_the_instruction() -> None:
    spec = AdapterSpec(method="generation", num_outputs=1, model_deployment="simple/model1")
    state = _state("id7", "text", [("punctuation:no_comma", {"num_words": 3})])
    with pytest.raises(UserError, match=r"instance id7: IFEval instruction 'punctuation:no_comma': unknown"):
        IFEvalMetric().evaluate(ScenarioState(spec, [state]), MetricService(count_tokens=len))
