"""math_equiv / math_equiv_chain_of_thought: HELM's MATH canonicalisation, step by step and its quirks."""

from __future__ import annotations

import pytest

from helm_lite.metrics.math_equiv import (
    boxed_answer,
    canonical_math,
    is_equiv,
    last_boxed,
    math_equiv,
    math_equiv_chain_of_thought,
)
from helm_lite.metrics.scoring import SCORERS


def test_registered() -> None:
    assert SCORERS["math_equiv"] is math_equiv
    assert SCORERS["math_equiv_chain_of_thought"] is math_equiv_chain_of_thought


@pytest.mark.parametrize(
    ("raw", "canonical"),
    [
        ("1\n2", "12"),  # 1. newlines
        ("10,\\!000", "10,000"),  # 2. negative thin space
        ("\\\\frac{1}{3}", "\\frac{1}{3}"),  # 3. double backslash
        ("\\tfrac{1}{3}", "\\frac{1}{3}"),  # 4.
        ("\\dfrac{1}{3}", "\\frac{1}{3}"),
        ("\\left(1,2\\right)", "(1,2)"),  # 5.
        ("90^\\circ", "90"),  # 6. degrees
        ("90^{\\circ}", "90"),
        ("\\$5", "5"),  # 7. dollars
        ("5\\text{ cm}", "5"),  # 8. units (with the space)
        ("5\\text{cm}", "5\\text{cm}"),  # no space: not a unit
        ("50\\%", "50"),  # 9. percent
        ("50%", "50%"),  # a bare % stays
        ("(1, .5)", "(1,0.5)"),  # 10. " ." → " 0."
        ("\\frac{.5}{2}", "\\frac{0.5}{2}"),  # "{." → "{0."
        ("", ""),  # 11. empty
        (".25", "0.25"),  # leading dot
        ("x = 3", "3"),  # 12. short left-hand side dropped
        ("k=3", "3"),
        ("xy = 3", "xy=3"),  # left side "xy " has 3 characters: kept
        ("x=y=3", "x=y=3"),  # two "=": kept
        ("\\sqrt3", "\\sqrt{3}"),  # 13. sqrt fix
        ("2\\sqrt2+\\sqrt{5}", "2\\sqrt{2}+\\sqrt{5}"),
        ("\\sqrt 3", "\\sqrt{}3"),  # the next character is the space (before spaces go)
        ("1 + 2", "1+2"),  # 14. spaces
        ("\\frac12", "\\frac{1}{2}"),  # 15. frac fix
        ("\\frac1b", "\\frac{1}{b}"),
        ("\\frac1{72}", "\\frac{1}{72}"),
        ("\\frac{1}{72}", "\\frac{1}{72}"),
        ("\\frac1", "\\frac1"),  # chunk too short: the whole string is left as is
        ("\\frac{1}{2}+\\frac1", "\\frac{1}{2}+\\frac1"),
        ("0.5", "\\frac{1}{2}"),  # 16.
        ("0.50", "0.50"),
        ("3/4", "\\frac{3}{4}"),  # 17. a/b
        ("-3/4", "\\frac{-3}{4}"),
        ("03/4", "03/4"),  # int("03") prints as "3": not canonical, kept
        ("3/4/5", "3/4/5"),
        ("a/b", "a/b"),
        (" 3 / 4 ", "\\frac{3}{4}"),  # spaces go first
    ],
)
def test_canonical_steps(raw: str, canonical: str) -> None:
    assert canonical_math(raw) == canonical


@pytest.mark.parametrize(
    "raw",
    ["\\sqrt", "2\\sqrt\\sqrt2", "\\frac", "\\frac{1}{2}\\frac", "1\\text{ m}\\text{ s}"],
)
def test_canonical_raises(raw: str) -> None:
    with pytest.raises((IndexError, ValueError)):
        canonical_math(raw)


@pytest.mark.parametrize(
    ("gold", "pred", "expected"),
    [
        ("\\frac{1}{2}", "\\frac12", 1.0),
        ("\\frac{1}{2}", "0.5", 1.0),
        ("\\frac{1}{2}", ".5", 1.0),
        ("\\frac{1}{2}", "1/2", 1.0),
        ("\\frac{1}{2}", "\\dfrac{1}{2}", 1.0),
        ("\\frac{1}{2}", "x = .5", 1.0),
        ("\\sqrt{3}", "\\sqrt3", 1.0),
        ("10", "10\\text{ inches}", 1.0),
        ("10", "10 \\text{ inches}", 1.0),
        ("30", "30^\\circ", 1.0),
        ("25", "25\\%", 1.0),
        ("10000", "10,\\!000", 0.0),  # the comma stays
        ("10,000", "10,\\!000", 1.0),
        ("3", "x = 3", 1.0),
        ("3", "xy = 3", 0.0),
        ("(1,2)", "\\left( 1, 2 \\right)", 1.0),
        ("2", "3", 0.0),
        ("", " ", 1.0),
        # A failing rewrite falls back to comparing the raw strings.
        ("\\sqrt", "\\sqrt", 1.0),
        ("\\sqrt", " \\sqrt", 0.0),
        ("1\\text{ m}\\text{ s}", "1\\text{ m}\\text{ s}", 1.0),
        ("1\\text{ m}\\text{ s}", "1 \\text{ m}\\text{ s}", 0.0),
        ("\\frac{1}{2}", "\\frac12\\frac", 0.0),
    ],
)
def test_math_equiv(gold: str, pred: str, expected: float) -> None:
    score = math_equiv(gold, pred)
    assert score == expected and type(score) is float


def test_is_equiv_none_handling() -> None:
    assert is_equiv(None, None) == 1.0
    assert is_equiv("1", None) == 0.0
    assert is_equiv(None, "1") == 0.0
    assert math_equiv("1", None) == 0.0  # an unmapped/missing prediction scores 0


@pytest.mark.parametrize(
    ("text", "group", "answer"),
    [
        ("so the answer is $\\boxed{\\frac{1}{2}}$.", "\\boxed{\\frac{1}{2}}", "\\frac{1}{2}"),
        ("\\boxed{1} or rather \\boxed{2}", "\\boxed{2}", "2"),  # the last one
        ("\\boxed{a{b}c}", "\\boxed{a{b}c}", "a{b}c"),
        ("\\fbox{3}", "\\fbox{3}", None),  # found, but only \boxed{ counts as an answer
        ("\\boxed{3} and \\fbox{4}", "\\boxed{3}", "3"),  # \fbox only when no \boxed at all
        ("\\boxed{3", None, None),  # unbalanced
        ("\\boxed 3", None, None),  # no braces
        ("\\boxed}{3}", None, None),  # depth goes -1, 0 (on "{"), -1: never closes at 0
        ("\\boxedx{3}", "\\boxedx{3}", None),
        ("no box here", None, None),
    ],
)
def test_boxed_extraction(text: str, group: str | None, answer: str | None) -> None:
    assert last_boxed(text) == group
    assert boxed_answer(text) == answer


@pytest.mark.parametrize(
    ("gold", "pred", "expected"),
    [
        ("... so $x = \\boxed{\\frac{1}{2}}$.", "Thus the answer is \\boxed{0.5}.", 1.0),
        ("\\boxed{2}", "First \\boxed{1}, no wait: \\boxed{2}", 1.0),
        ("\\boxed{2}", "\\boxed{3}", 0.0),
        ("\\boxed{2}", "The answer is 2.", 0.0),  # no box in the prediction
        ("\\boxed{3}", "\\fbox{3}", 0.0),
        ("The answer is 3.", "The answer is 4.", 1.0),  # HELM: both boxes missing counts as equal
        ("\\boxed{2}", None, 0.0),
    ],
)
def test_math_equiv_chain_of_thought(gold: str, pred: str | None, expected: float) -> None:
    assert math_equiv_chain_of_thought(gold, pred) == expected
