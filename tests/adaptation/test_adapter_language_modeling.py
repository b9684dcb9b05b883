"""language_modeling: windowing and fit() (HELM's vectors, adapted to the character tokenizer) and
the per-window scoring of LanguageModelingMetric."""

from __future__ import annotations

import math
from dataclasses import replace

import pytest

from helm_lite.adaptation.adapter_spec import AdapterSpec
from helm_lite.adaptation.language_modeling import LanguageModelingAdapter
from helm_lite.adaptation.registry import make_adapter
from helm_lite.adaptation.request_state import RequestState, ScenarioState
from helm_lite.common.errors import UserError
from helm_lite.common.object_spec import ObjectSpec, create_object
from helm_lite.common.request import GeneratedOutput, RequestResult, Token
from helm_lite.metrics.base import MetricService
from helm_lite.metrics.basic import LanguageModelingMetric
from helm_lite.run_specs.helpers import language_modeling_adapter_spec
from helm_lite.scenarios.base import Input, Instance
from helm_lite.tokenizers.simple import SimpleTokenizer
from helm_lite.window.service import WindowService

SPEC = replace(language_modeling_adapter_spec(), model="simple/model1", model_deployment="simple/model1")
FFFD = 0xFFFD


def _window(
    max_sequence_length: int,
    max_request_length: int | None = None,
    prefix_token: str = "",
    max_sequence_and_generated_tokens_length: int | None = None,
) -> WindowService:
    return WindowService(
        SimpleTokenizer(),
        max_sequence_length=max_sequence_length,
        max_request_length=max_request_length,
        prefix_token=prefix_token,
        max_sequence_and_generated_tokens_length=max_sequence_and_generated_tokens_length,
    )


def _text(text: str, iid: str = "id0", split: str = "test") -> Instance:
    return Instance(Input(text), [], split=split, id=iid)


def _windows(window: WindowService, text: str, spec: AdapterSpec = SPEC) -> list[tuple[str, int]]:
    states = make_adapter(spec, window).adapt([_text(text)])
    return [(s.request.prompt, s.num_conditioning_tokens) for s in states]


def _adapter(window: WindowService) -> LanguageModelingAdapter:
    adapter = make_adapter(SPEC, window)
    assert isinstance(adapter, LanguageModelingAdapter)
    return adapter


def test_windows_without_prefix_token() -> None:
    # L = 4: the first window takes 4 characters; each later one predicts up to L-1 = 3 new ones,
    # conditioned on the characters just before them.
    assert _windows(_window(4), "abcdefghij") == [("abcd", 0), ("defg", 1), ("ghij", 1)]


def test_windows_with_prefix_token_and_a_larger_request_length() -> None:
    # max_sequence_length 4 bounds only the first window; L = max_request_length = 5.
    assert _windows(_window(4, 5, prefix_token="^"), "abcdefghij") == [
        ("^abcd", 1),
        ("defgh", 1),  # predicts efgh, conditioned on d
        ("fghij", 3),  # predicts ij; the window is filled with fgh
    ]


def test_text_shorter_than_the_window_is_one_request() -> None:
    assert _windows(_window(100, prefix_token="<s>"), "Hello world") == [("<s>Hello world", 1)]
    assert _windows(_window(100), "") == [("", 0)]


def test_generated_tokens_limit_shrinks_the_window() -> None:
    # L = min(max_request_length 10, 7 - max_tokens 2) = 5
    spec = replace(SPEC, max_tokens=2)
    window = _window(5, 10, max_sequence_and_generated_tokens_length=7)
    assert _adapter(window).max_window_tokens == 7  # max_tokens 0
    adapter = make_adapter(spec, window)
    assert isinstance(adapter, LanguageModelingAdapter) and adapter.max_window_tokens == 5
    assert _windows(window, "abcdefghijk", spec) == [("abcde", 0), ("efghi", 1), ("ghijk", 3)]


def test_first_window_limited_by_max_sequence_length_and_prefix_overflow_is_never_scored() -> None:
    # HELM's behaviour: the first window takes max_sequence_length tokens, but with a 3-character prefix
    # only 3 of them fit in L = 6; characters d-f are in no window's predicted part.
    windows = _windows(_window(6, prefix_token="<s>"), "abcdefghijkl")
    assert windows == [("<s>abc", 1), ("fghijk", 1), ("ghijkl", 5)]
    predicted = [prompt[n:] for prompt, n in windows]
    assert predicted == ["s>abc", "ghijk", "l"]


def test_simple_model_deployment_limits() -> None:
    """simple/model1: max_sequence_length 2048 (= L), prefix token "<s>" (3 characters)."""
    text = "".join(chr(ord("a") + i % 26) for i in range(5000))
    windows = _windows(_window(2048, prefix_token="<s>"), text)
    assert windows == [
        ("<s>" + text[:2045], 1),
        (text[2047:4095], 1),
        (text[2952:5000], 4095 - 2952),
    ]
    assert all(len(prompt) <= 2048 for prompt, _ in windows)
    # Scored tokens: "s>" + 2045 characters, then 2047, then 905: every character but text[2045:2048].
    assert sum(len(prompt) - n for prompt, n in windows) == 2047 + 2047 + 905


def test_request_fields_and_random_only_on_the_first_window() -> None:
    spec = replace(SPEC, random="r1", stop_sequences=["\n"], max_train_instances=0)
    states = make_adapter(spec, _window(4)).adapt([_text("abcdefghij", "a"), _text("xyz", "b", "valid")])
    assert [s.instance.id for s in states] == ["a", "a", "a", "b"]
    assert [s.request.random for s in states] == ["r1", None, None, "r1"]
    for s in states:
        r = s.request
        assert (r.model, r.model_deployment) == ("simple/model1", "simple/model1")
        assert (r.num_completions, r.max_tokens, r.stop_sequences, r.echo_prompt) == (1, 0, ["\n"], True)
        assert r.temperature == 0 and type(r.temperature) is int
        assert (s.reference_index, s.request_mode, s.output_mapping) == (None, None, None)
        assert (s.train_trial_index, s.num_train_instances, s.prompt_truncated) == (0, 0, False)


def test_train_instances_are_rejected() -> None:
    with pytest.raises(UserError, match="language_modeling.*split\\(s\\) train"):
        make_adapter(SPEC, _window(10)).adapt([_text("a", "x", "train"), _text("b", "y")])


# fit(): HELM's window-fitting vectors, with U+FFFD standing in for GPT-2's partial-byte tokens.


def test_fit_strips_replacement_characters_and_counts_conditioning() -> None:
    fit = _adapter(_window(100)).fit
    enc = SimpleTokenizer().encode
    # HELM: [110, 40127] + [1904, 502, 447], max_req_len 5 → "Excuse me", 1 conditioning token.
    assert fit([FFFD], enc("Excuse me"), 10) == ("Excuse me", 1)
    # Both ends stripped; the conditioning part that survives ("Exc") counts.
    assert fit(enc("\ufffdExc"), enc("use me\ufffd"), 11) == ("Excuse me", 3)
    # Only a partial character left to predict: the whole prompt is conditioning.
    assert fit(enc("ab"), [FFFD], 3) == ("ab", 2)
    # Counts are estimated against L, not the prompt's length (HELM's quirk): nothing is scored.
    assert fit([FFFD], enc("abc"), 10) == ("abc", 3)
    # Nothing stripped: the conditioning tokens as given.
    assert fit(enc("ab"), enc("cd"), 10) == ("abcd", 2)


def test_fit_cuts_predicted_tokens_from_the_end() -> None:
    fit = _adapter(_window(100)).fit
    enc = SimpleTokenizer().encode
    # HELM: [50256] + [464] + [262]*2048, max_request_length 1025 → "<|endoftext|>The" + " the"*1023.
    prompt, n = fit(enc("^"), enc("T" + "h" * 2048), 1025)
    assert prompt == "^T" + "h" * 1023 and n == 1
    with pytest.raises(ValueError, match="got len\\(pred_tokens\\) == 0"):
        fit(enc("abcd"), enc("e"), 4)


# LanguageModelingMetric on the adapter's states.


def _echo(state: RequestState, logprob: float) -> RequestState:
    prompt = state.request.prompt
    tokens = [Token(c, logprob) for c in prompt]
    completion = GeneratedOutput(prompt, logprob * len(tokens), tokens, {"reason": "length"})
    return state.with_result(RequestResult(True, [], [completion], False, request_time=0.5))


def _evaluate(states: list[RequestState], window: WindowService) -> tuple[dict[str, float | None], list]:
    service = MetricService(count_tokens=window.get_num_tokens, deployment_name="simple/model1")
    metric = create_object(
        ObjectSpec("helm.benchmark.metrics.language_modeling_metrics.LanguageModelingMetric", {"names": []})
    )
    assert isinstance(metric, LanguageModelingMetric)
    result = metric.evaluate(ScenarioState(SPEC, states), service)
    assert all(s.name.split == "test" and s.name.perturbation is None for s in result.aggregated_stats)
    return {s.name.name: s.mean for s in result.aggregated_stats}, result.per_instance_stats


def test_metric_scores_each_window_after_its_conditioning_tokens() -> None:
    window = _window(4, 5, prefix_token="^")
    adapter = make_adapter(SPEC, window)
    states = adapter.adapt([_text("abcdefghij", "long"), _text("é€", "short")])
    # Windows "^abcd"(1), "defgh"(1), "fghij"(3) and "^é€"(1): predicted abcd, efgh, ij and é€.
    states = [_echo(s, -1.0) for s in states]
    stats, rows = _evaluate(states, window)
    assert [r.instance_id for r in rows] == ["long", "long", "long", "short"]
    per_window = [{s.name.name: s.sum for s in r.stats} for r in rows]
    assert [w["num_perplexity_tokens"] for w in per_window] == [4, 4, 2, 2]
    assert [w["logprob"] for w in per_window] == [-4.0, -4.0, -2.0, -2.0]
    assert [w["num_bytes"] for w in per_window] == [4, 4, 2, 5]  # é is 2 bytes, € is 3
    assert [w["num_output_tokens"] for w in per_window] == [0, 0, 0, 0]
    # Aggregates: means over the 4 requests; derived stats from the sums over all windows.
    assert stats["num_perplexity_tokens"] == 3.0 and stats["logprob"] == -3.0
    assert stats["perplexity"] == pytest.approx(math.e)
    assert stats["bits_per_byte"] == pytest.approx(12 / 15 / math.log(2))
    assert stats["logprob_per_byte"] == pytest.approx(-12 / 15)
    assert stats["num_instances"] == 2
    names = list(stats)
    assert names.index("num_bytes") < names.index("perplexity") < names.index("num_instances")
    assert "exact_match" not in stats and "max_prob" not in stats


def test_metric_with_the_simple_model_echo_gives_perplexity_one() -> None:
    window = _window(2048, prefix_token="<s>")
    states = [_echo(s, 0.0) for s in make_adapter(SPEC, window).adapt([_text("Hello there.")])]
    stats, rows = _evaluate(states, window)
    assert stats["perplexity"] == 1.0 and stats["bits_per_byte"] == 0
    assert stats["num_perplexity_tokens"] == len("s>Hello there.")


def test_a_one_token_window_fails_instead_of_looping() -> None:
    with pytest.raises(ValueError, match="window of 1 token"):
        make_adapter(SPEC, _window(1)).adapt([_text("abc")])
