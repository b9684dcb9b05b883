"""In-context example selection reproduces HELM's picks."""

from __future__ import annotations

import random

from helm_lite.adaptation.examples import sample_examples
from helm_lite.scenarios.base import CORRECT_TAG, Input, Instance, Output, Reference


def _inst(text: str, gold: str | None) -> Instance:
    refs = [Reference(Output(gold), [CORRECT_TAG])] if gold is not None else [Reference(Output("x"), [])]
    return Instance(Input(text), refs, split="train")


def _texts(instances: list[Instance]) -> list[str]:
    return [i.input.text for i in instances]


def test_most_frequent_label_first_then_round_robin() -> None:
    train = [_inst("say no", "no")] + [_inst(f"say yes{i}", "yes") for i in range(1, 5)]
    assert _texts(sample_examples(train, 0, 4)) == ["say yes4", "say no", "say yes1", "say yes3"]


def test_distinct_labels() -> None:
    train = [
        _inst(t, g) for t, g in [("one", "0"), ("two", "2"), ("three", "4"), ("four", "7"), ("five", "9")]
    ]
    assert _texts(sample_examples(train, 0, 3)) == ["three", "two", "one"]


def test_seeds_per_trial() -> None:
    train = [_inst(f"prompt{i}", f"reference{i}") for i in range(1, 10)]
    assert _texts(sample_examples(train, 0, 3)) == ["prompt8", "prompt6", "prompt2"]
    assert _texts(sample_examples(train, 1, 3)) == ["prompt6", "prompt7", "prompt8"]


def test_no_sampling_takes_consecutive_slices() -> None:
    train = [_inst(f"t{i}", str(i)) for i in range(6)]
    assert _texts(sample_examples(train, 1, 2, sample_train=False)) == ["t2", "t3"]


def test_unlabelled_fill_and_no_infinite_loop() -> None:
    train = [_inst("a", "A"), _inst("u1", None), _inst("u2", None)]
    picked = sample_examples(train, 0, 3)
    assert _texts(picked)[0] == "a" and sorted(_texts(picked)[1:]) == ["u1", "u2"]


def test_global_random_state_untouched() -> None:
    random.seed(123)
    expected = random.random()
    random.seed(123)
    sample_examples([_inst(f"p{i}", str(i)) for i in range(9)], 0, 3)
    assert random.random() == expected
