"""synthetic_reasoning must reproduce HELM's instances byte for byte."""

from __future__ import annotations

import pickle
import random
from collections import Counter
from functools import cache

import numpy as np
import pytest

from helm_lite.common.errors import UserError
from helm_lite.scenarios.base import Instance
from helm_lite.scenarios.synthetic_reasoning import SyntheticReasoningScenario


@cache
def instances(mode: str) -> list[Instance]:
    return SyntheticReasoningScenario(mode).get_instances("")


def text_and_answer(mode: str, n: int) -> tuple[str, str]:
    instance = instances(mode)[n]
    assert instance.id == f"id{n}"
    assert len(instance.references) == 1 and instance.references[0].tags == ["correct"]
    return instance.input.text, instance.references[0].output.text


@pytest.mark.parametrize(
    ("mode", "n", "text", "answer"),
    [
        (
            "pattern_match",
            0,
            "Rules: + = X Z | X = Z + | + Z = X | X = Z + | Result: + blueberry = horse",
            "+ Z = X",
        ),
        (
            "variable_substitution",
            0,
            'Rules: + Z = X | Substitutions: X by " horse " , Z by " blueberry "',
            "+ blueberry = horse",
        ),
        (
            "induction",
            0,
            "Two results: + blueberry = horse | + blueberry cobra = whale stork",
            "Rule: + Z = X",
        ),
        (
            "variable_substitution",
            1,
            'Rules: Y + Y + Y = | Substitutions: Y by " grape "',
            "grape + grape + grape =",
        ),
        (
            "pattern_match",
            1,
            "Rules: Z = = = | Z Z = = = | = = Z = | = = = Z | Result: stork shark stork shark = = =",
            "Z Z = = =",
        ),
        (
            "induction",
            6000,
            "Two results: * stork - * shark stork | * horse - * buffalo penguin horse",
            "Rule: * Y - * X Z",
        ),
        # First eval instance of HELM's pattern_match prompt and one of its in-context examples.
        (
            "pattern_match",
            10394,
            "Rules: * X + = | X = + * | = + * X | X = + * X | Result: kiwi = + * kiwi",
            "X = + * X",
        ),
        (
            "pattern_match",
            223,
            "Rules: Y - X * | - * X Y | * Y - X | * X - Y | Result: * blackberry - banana lion",
            "* Y - X",
        ),
    ],
)
def test_spec_vectors(mode: str, n: int, text: str, answer: str) -> None:
    assert text_and_answer(mode, n) == (text, answer)


@pytest.mark.parametrize("mode", ["pattern_match", "variable_substitution", "induction"])
def test_splits_and_ids(mode: str) -> None:
    result = instances(mode)
    assert len(result) == 11000
    assert Counter(i.split for i in result) == {"train": 1000, "valid": 5000, "test": 5000}
    assert [i.split for i in result[999:1001]] == ["train", "valid"]
    assert [i.split for i in result[5999:6001]] == ["valid", "test"]
    assert [i.id for i in result] == [f"id{n}" for n in range(11000)]


def test_modes_share_draws_except_pattern_match() -> None:
    """Only pattern_match draws decoys, so the other two modes see the same rule for every index."""
    substitution, induction = instances("variable_substitution"), instances("induction")
    for a, b in zip(substitution, induction, strict=True):
        rule = a.input.text.split(" | ")[0].removeprefix("Rules: ")
        assert b.references[0].output.text == "Rule: " + rule


def global_rng_state() -> tuple[bytes, object]:
    return pickle.dumps(np.random.get_state()), random.getstate()


def test_deterministic_and_global_rng_untouched() -> None:
    np.random.seed(123)
    random.seed(123)
    before = global_rng_state()
    scenario = SyntheticReasoningScenario("induction")
    first = scenario.get_instances("")
    assert [i.input.text for i in first] == [i.input.text for i in instances("induction")]
    assert [i.input.text for i in scenario.get_instances("")] == [i.input.text for i in first]
    assert global_rng_state() == before


def test_unsupported_mode() -> None:
    with pytest.raises(UserError, match="^Unsupported mode: nonsense$"):
        SyntheticReasoningScenario("nonsense")


def test_metadata() -> None:
    meta = SyntheticReasoningScenario("induction").metadata()
    assert meta.name == "synthetic_reasoning"
    assert meta.description == "Synthetic reasoning benchmark"
    assert meta.tags == ["reasoning", "language", "pattern_matching"]
    assert meta.definition_path.endswith("/synthetic_reasoning_scenario.py")
