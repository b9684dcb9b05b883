"""Prompt construction matches HELM's prompts and window fitting."""

from __future__ import annotations

from helm_lite.adaptation.adapter_spec import AdapterSpec
from helm_lite.adaptation.registry import make_adapter
from helm_lite.common.errors import UserError
from helm_lite.scenarios.base import CORRECT_TAG, Input, Instance, Output, Reference
from helm_lite.tokenizers.simple import SimpleTokenizer
from helm_lite.window.service import WindowService

WINDOW = WindowService(SimpleTokenizer(), max_sequence_length=100_000)


def _mc(text: str, options: list[str], correct: list[int], split: str) -> Instance:
    refs = [Reference(Output(o), [CORRECT_TAG] if i in correct else []) for i, o in enumerate(options)]
    return Instance(Input(text), refs, split=split)


def _conformance_instances() -> list[Instance]:
    opts = ["First", "Second", "Third"]
    return [
        _mc("Second reference is correct", opts, [1], "train"),
        _mc("First and second references are correct", opts, [0, 1], "train"),
        _mc("First reference is correct", opts, [0], "test"),
    ]


def _prompt(spec: AdapterSpec, instances: list[Instance], window: WindowService = WINDOW) -> str:
    states = make_adapter(spec, window).adapt(instances)
    assert len(states) == 1
    return states[0].request.prompt


def test_generation_conformance() -> None:
    spec = AdapterSpec(method="generation", sample_train=False, max_train_instances=2)
    assert _prompt(spec, _conformance_instances()) == (
        "Input: Second reference is correct\nOutput: Second\n\n"
        "Input: First and second references are correct\nOutput: First\n\n"
        "Input: First reference is correct\nOutput:"
    )
    multi = AdapterSpec(method="generation", sample_train=False, max_train_instances=2, multi_label=True)
    assert "Output: First, Second\n" in _prompt(multi, _conformance_instances())


def test_multiple_choice_joint_conformance() -> None:
    spec = AdapterSpec(method="multiple_choice_joint", sample_train=False, max_train_instances=10)
    options = "A. First\nB. Second\nC. Third\n"
    assert _prompt(spec, _conformance_instances()) == (
        f"Input: Second reference is correct\n{options}Output: B\n\n"
        f"Input: First and second references are correct\n{options}Output: A\n\n"
        f"Input: First reference is correct\n{options}Output:"
    )
    multi = AdapterSpec(
        method="multiple_choice_joint", sample_train=False, max_train_instances=10, multi_label=True
    )
    assert "Output: A, B\n" in _prompt(multi, _conformance_instances())


def test_multiple_choice_numbered_prefix() -> None:
    opts = ["First", "Second", "Third"]
    instances = [_mc("x", opts, [1], "train"), _mc("y", opts, [2], "train"), _mc("z", opts, [0], "test")]
    spec = AdapterSpec(method="multiple_choice_joint", sample_train=False, reference_prefix="  1: ")
    prompt = _prompt(spec, instances)
    assert "  1: First\n  2: Second\n  3: Third\n" in prompt
    assert "Output: 2\n" in prompt and "Output: 3\n" in prompt


def test_multiple_choice_request_and_mapping() -> None:
    train = [
        _mc(name, [str(a), str(b)], [g], "train")
        for name, a, b, g in [
            ("one", 0, 1, 0),
            ("two", 2, 3, 0),
            ("three", 4, 5, 0),
            ("four", 6, 7, 1),
            ("five", 8, 9, 1),
        ]
    ]
    spec = AdapterSpec(
        method="multiple_choice_joint", max_train_instances=3, stop_sequences=["\n"], num_outputs=5
    )
    states = make_adapter(spec, WINDOW).adapt([*train, _mc("eval", ["10", "11"], [0], "test")])
    assert states[0].request.prompt == (
        "Input: three\nA. 4\nB. 5\nOutput: A\n\n"
        "Input: two\nA. 2\nB. 3\nOutput: A\n\n"
        "Input: one\nA. 0\nB. 1\nOutput: A\n\n"
        "Input: eval\nA. 10\nB. 11\nOutput:"
    )
    request = states[0].request
    assert (request.stop_sequences, request.top_k_per_token, request.num_completions) == ([], 5, 1)
    assert states[0].output_mapping == {"A": "10", "B": "11"}


def test_trials_and_repeats() -> None:
    spec = AdapterSpec(method="generation", num_train_trials=2, num_trials=2, max_train_instances=1)
    train = [_mc(f"t{i}", ["o"], [0], "train") for i in range(3)]
    states = make_adapter(spec, WINDOW).adapt([*train, _mc("e", ["o"], [0], "test")])
    assert [(s.train_trial_index, s.request.random) for s in states] == [
        (0, None),
        (0, "1"),
        (1, None),
        (1, "1"),
    ]


def test_examples_dropped_before_truncation() -> None:
    """Too long: drop examples from the end first; only then cut the text from the right."""
    train = [_mc(f"train{i}", [f"gold{i}"], [0], "train") for i in range(4)]
    spec = AdapterSpec(method="generation", sample_train=False, max_train_instances=4, max_tokens=10)
    full = make_adapter(spec, WINDOW).adapt([*train, _mc("eval", ["g"], [0], "test")])[0]
    assert full.num_train_instances == 4 and not full.prompt_truncated
    limit = len(full.request.prompt) - 5 + 10  # one example too many
    window = WindowService(SimpleTokenizer(), max_sequence_length=limit)
    fitted = make_adapter(spec, window).adapt([*train, _mc("eval", ["g"], [0], "test")])[0]
    assert fitted.num_train_instances == 3 and not fitted.prompt_truncated
    assert "train3" not in fitted.request.prompt and fitted.request.prompt.endswith("Input: eval\nOutput:")

    tiny = WindowService(SimpleTokenizer(), max_sequence_length=20)
    cut = make_adapter(spec, tiny).adapt([*train, _mc("eval " * 20, ["g"], [0], "test")])[0]
    assert cut.num_train_instances == 0 and cut.prompt_truncated
    assert cut.request.prompt == ("Input: " + "eval " * 20)[:10]


def test_unknown_method() -> None:
    try:
        make_adapter(AdapterSpec(method="telepathy"), WINDOW)
    except UserError as e:
        assert str(e) == "Invalid adaptation method: telepathy"
    else:
        raise AssertionError("expected a UserError")
