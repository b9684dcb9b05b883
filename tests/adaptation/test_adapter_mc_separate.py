"""multiple_choice_separate_original / _calibrated: prompts and requests and their scoring, as in HELM."""

from __future__ import annotations

import math
from dataclasses import replace

import pytest

from helm_lite.adaptation.adapter_spec import AdapterSpec
from helm_lite.adaptation.registry import make_adapter
from helm_lite.adaptation.request_state import RequestState, ScenarioState
from helm_lite.common.json_io import to_jsonable
from helm_lite.common.request import GeneratedOutput, RequestResult, Token
from helm_lite.metrics.base import MetricService
from helm_lite.metrics.basic import BasicGenerationMetric, BasicReferenceMetric
from helm_lite.run_specs.helpers import multiple_choice_separate_adapter_spec
from helm_lite.scenarios.base import CORRECT_TAG, Input, Instance, Output, Reference
from helm_lite.tokenizers.simple import SimpleTokenizer
from helm_lite.window.service import WindowService

WINDOW = WindowService(SimpleTokenizer(), max_sequence_length=100_000)
ORIGINAL = "multiple_choice_separate_original"
CALIBRATED = "multiple_choice_separate_calibrated"


def _mc(text: str, options: list[str], correct: int, split: str = "test", iid: str | None = None) -> Instance:
    refs = [Reference(Output(o), [CORRECT_TAG] if i == correct else []) for i, o in enumerate(options)]
    return Instance(Input(text), refs, split=split, id=iid)


def _adapt(
    spec: AdapterSpec, instances: list[Instance], window: WindowService = WINDOW
) -> list[RequestState]:
    return make_adapter(spec, window).adapt(instances)


SKY = _mc("The sky is", ["blue", "green", "red"], 0, iid="sky")


def test_standard_helper_prompts_are_input_space_reference() -> None:
    states = _adapt(multiple_choice_separate_adapter_spec(ORIGINAL), [SKY])
    assert [s.request.prompt for s in states] == ["The sky is blue", "The sky is green", "The sky is red"]
    assert [s.reference_index for s in states] == [0, 1, 2]
    assert [s.request_mode for s in states] == ["original"] * 3
    assert all(s.instance is SKY and s.output_mapping is None for s in states)


def test_empty_input_helper_prompts_are_the_reference_alone() -> None:
    spec = multiple_choice_separate_adapter_spec(ORIGINAL, empty_input=True)
    states = _adapt(spec, [_mc("", ["yes", "no"], 0)])
    assert [s.request.prompt for s in states] == ["yes", "no"]


def test_calibrated_emits_calibration_right_after_each_original() -> None:
    states = _adapt(multiple_choice_separate_adapter_spec(CALIBRATED), [SKY])
    assert [(s.reference_index, s.request_mode, s.request.prompt) for s in states] == [
        (0, "original", "The sky is blue"),
        (0, "calibration", "Answer: blue"),
        (1, "original", "The sky is green"),
        (1, "calibration", "Answer: green"),
        (2, "original", "The sky is red"),
        (2, "calibration", "Answer: red"),
    ]
    assert all(s.instance is SKY for s in states)  # the calibration state still names the real instance


def test_request_is_echo_only_and_ignores_adapter_sampling_settings() -> None:
    spec = replace(
        multiple_choice_separate_adapter_spec(ORIGINAL),
        model="simple/model1",
        model_deployment="simple/model1",
        temperature=0.7,
        num_outputs=3,
        stop_sequences=["\n"],
        random="seed",
    )
    request = _adapt(spec, [SKY])[0].request
    assert request.model == request.model_deployment == "simple/model1"
    assert (request.num_completions, request.max_tokens, request.stop_sequences) == (1, 0, [])
    assert request.temperature == 0 and type(request.temperature) is int  # JSON `0`, as HELM writes it
    assert request.echo_prompt is True and request.random is None
    assert to_jsonable(request)["temperature"] == 0


def test_default_prefixes_with_examples_instructions_and_global_prefix() -> None:
    """The eval block includes the candidate answer; calibration keeps instructions, drops examples."""
    train = [
        _mc("Grass is", ["green", "blue"], 0, split="train"),
        _mc("Snow is", ["cold", "hot"], 0, "train"),
    ]
    spec = AdapterSpec(
        method=CALIBRATED,
        instructions="Pick one.",
        global_prefix="<<",
        global_suffix=">>",
        sample_train=False,
        max_train_instances=2,
    )
    evals = [_mc("First reference is correct", ["First", "Second"], 0)]
    states = _adapt(spec, train + evals)
    assert states[0].request.prompt == (
        "<<Pick one.\n"
        "Input: Grass is\nOutput: green\n\n"
        "Input: Snow is\nOutput: cold\n\n"
        "Input: First reference is correct\nOutput: First\n>>"
    )
    assert states[0].num_train_instances == 2
    assert states[1].request.prompt == "<<Pick one.\nInput: Answer:\nOutput: First\n>>"
    assert states[1].num_train_instances == 0
    assert states[3].request.prompt == "<<Pick one.\nInput: Answer:\nOutput: Second\n>>"


def test_examples_dropped_to_fit_and_trials_repeat() -> None:
    train = [_mc(f"train {i}", ["x", "y"], 0, split="train") for i in range(5)]
    spec = AdapterSpec(
        method=ORIGINAL, input_prefix="", output_prefix=" ", max_train_instances=5, max_tokens=0
    )
    small = WindowService(SimpleTokenizer(), max_sequence_length=40)
    states = _adapt(spec, [*train, _mc("eval", ["a", "b"], 1)], small)
    # Train blocks "train i\n x\n" (11 characters) and the eval block "eval\n a\n" (8), joined by
    # "\n": k examples take 12k + 8 characters, so 2 fit in 40.
    assert [s.num_train_instances for s in states] == [2, 2]
    assert all(len(s.request.prompt) <= 40 and not s.prompt_truncated for s in states)

    trials = replace(spec, num_train_trials=2, num_trials=2)
    states = _adapt(trials, [*train, _mc("eval", ["a", "b"], 1)])
    assert [(s.train_trial_index, s.reference_index, s.request.random) for s in states] == [
        (0, 0, None),
        (0, 1, None),
        (0, 0, "1"),
        (0, 1, "1"),
        (1, 0, None),
        (1, 1, None),
        (1, 0, "1"),
        (1, 1, "1"),
    ]


def test_prompt_cut_from_the_right_when_even_the_question_is_too_long() -> None:
    spec = multiple_choice_separate_adapter_spec(ORIGINAL)
    states = _adapt(spec, [_mc("x" * 50, ["yes", "no"], 0)], WindowService(SimpleTokenizer(), 20))
    assert [s.request.prompt for s in states] == ["x" * 20, "x" * 20]
    assert all(s.prompt_truncated for s in states)


# Scoring the adapter's states (BasicReferenceMetric).


def _echo(state: RequestState, logprob_per_token: float) -> RequestState:
    """The echoed prompt, one token per character, every token with the same logprob."""
    prompt = state.request.prompt
    tokens = [Token(c, logprob_per_token) for c in prompt]
    completion = GeneratedOutput(prompt, logprob_per_token * len(tokens), tokens, {"reason": "length"})
    return state.with_result(RequestResult(True, [], [completion], False, request_time=0.1))


# (reference, request mode) → logprob of each token: the model likes "blue" after the question, but it
# likes "blue" even more with no question at all (a strong prior that calibration removes).
LOGPROBS = {
    ("blue", "original"): -0.1,
    ("green", "original"): -1.0,
    ("blue", "calibration"): -0.01,
    ("green", "calibration"): -1.2,
}


def _scored(method: str) -> dict[str, float]:
    instance = _mc("The sky is", ["blue", "green"], 0, iid="sky")
    spec = replace(multiple_choice_separate_adapter_spec(method), num_train_trials=1)
    states = [
        _echo(s, LOGPROBS[(instance.references[s.reference_index or 0].output.text, s.request_mode or "")])
        for s in _adapt(spec, [instance])
    ]
    service = MetricService(count_tokens=WINDOW.get_num_tokens, deployment_name="simple/model1")
    scenario_state = ScenarioState(spec, states)
    assert BasicGenerationMetric(["exact_match"]).evaluate(scenario_state, service).per_instance_stats == []
    result = BasicReferenceMetric().evaluate(scenario_state, service)
    (row,) = result.per_instance_stats
    stats = {s.name.name: s.sum for s in row.stats}
    stats["num_prompt_tokens_count"] = next(s.count for s in row.stats if s.name.name == "num_prompt_tokens")
    return stats


def test_original_scores_by_mean_logprob_of_the_reference_tokens() -> None:
    stats = _scored(ORIGINAL)
    # Scores: the last len(" blue") = 5 tokens average -0.1, the last 6 of " green" average -1.0.
    assert stats["predicted_index"] == 0 and stats["exact_match"] == 1.0
    assert stats["max_prob"] == pytest.approx(1 / (1 + math.exp(-0.9)))
    assert stats["num_prompt_tokens_count"] == 2  # general stats merged over the two requests
    assert stats["num_output_tokens"] == 0  # the echo is all prompt


def test_calibrated_subtracts_the_content_free_logprob() -> None:
    stats = _scored(CALIBRATED)
    # blue: 5·(-0.1) - 5·(-0.01) = -0.45; green: 6·(-1.0) - 6·(-1.2) = 1.2 → green wins.
    assert stats["predicted_index"] == 1 and stats["exact_match"] == 0.0
    assert stats["num_prompt_tokens_count"] == 4
