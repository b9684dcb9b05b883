"""Scoring functions: HELM's definitions, quirks and return types."""

from __future__ import annotations

import pytest

from helm_lite.metrics.scoring import (
    SCORERS,
    exact_match,
    exact_match_indicator,
    f1_score,
    final_number_exact_match,
    get_scorer,
    normalize_text,
    prefix_exact_match,
    quasi_exact_match,
    quasi_prefix_exact_match,
)


def test_normalize_text() -> None:
    assert normalize_text("The  Cat's hat, a BAT!") == "cats hat bat"
    assert normalize_text("an-apple") == "anapple"  # punctuation is deleted before articles go
    assert normalize_text("theater the") == "theater"
    assert normalize_text("  \tA\n ") == ""


@pytest.mark.parametrize(
    ("fn", "gold", "pred", "expected"),
    [
        (exact_match, "Paris", " Paris ", 1),
        (exact_match, "Paris", "paris", 0),
        (exact_match, "Paris", "", 0),
        (exact_match, "Paris", None, 0),
        (quasi_exact_match, "The Paris!", "paris", 1),
        (quasi_exact_match, "Paris", "Paris, France", 0),
        (quasi_exact_match, "", None, 0),
        (prefix_exact_match, "Yes", " Yes, Elmendorf", 1),
        (prefix_exact_match, "Yes", "No, yes", 0),
        (prefix_exact_match, "Yes", None, 0),
        (quasi_prefix_exact_match, "yes.", "YES, of course", 1),
        (quasi_prefix_exact_match, "yes", "", 0),
    ],
)
def test_exact_match_family(fn, gold, pred, expected) -> None:  # type: ignore[no-untyped-def]
    result = fn(gold, pred)
    assert result == expected and type(result) is int


def test_f1_score_values_and_types() -> None:
    assert f1_score("the cat sat", "cat sat down") == 1.0 / (0.5 / (2 / 3) + 0.5 / (2 / 2))
    assert f1_score("a b", "b a") == 1.0
    none_common = f1_score("cat", "dog")
    assert none_common == 0 and type(none_common) is int
    empty_pred = f1_score("cat", "the !")
    assert empty_pred == 0.0 and type(empty_pred) is float
    empty_gold = f1_score("", "cat")
    assert empty_gold == 0.0 and type(empty_gold) is float
    assert f1_score("cat", None) == 0.0


def test_exact_match_indicator() -> None:
    assert exact_match_indicator("so the answer is 42", "Because of x, the answer is 42") == 1
    assert exact_match_indicator("42", "the answer is 42 ") == 0  # split(" ")[-1] of a trailing space is ""
    assert exact_match_indicator("42", "the answer is 41") == 0
    assert exact_match_indicator("42", "the answer is ") == 0  # empty after the last space
    assert exact_match_indicator("42", None) == 0


def test_final_number_exact_match() -> None:
    assert final_number_exact_match("The answer is 1,000.", "so 1000 eggs") == 1
    assert final_number_exact_match("-3.5", "x = -3.5") == 1
    assert final_number_exact_match("72", "She has 72.") == 1
    # HELM's unescaped dot: "1 2" is one number (1, any char, 2), so it is not "2" nor "12".
    assert final_number_exact_match("2", "1 2") == 0
    assert final_number_exact_match("12", "1 2") == 0
    assert final_number_exact_match("1 2", "1 2") == 1
    assert final_number_exact_match("5", "no numbers") == 0
    assert final_number_exact_match("5", None) == 0


def test_registry() -> None:
    assert SCORERS["exact_match"] is exact_match
    assert get_scorer("f1_score") is f1_score
    with pytest.raises(KeyError, match="unknown metric name 'nope'"):
        get_scorer("nope")
