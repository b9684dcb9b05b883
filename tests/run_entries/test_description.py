"""Description grammar: NAME[:KEY=VALUE,...], HELM's value typing, order kept."""

from __future__ import annotations

import math

import pytest

from helm_lite.common.errors import UserError
from helm_lite.run_entries.description import (
    ParsedDescription,
    format_description,
    format_value,
    parse_description,
)


def test_name_only() -> None:
    assert parse_description("synthetic_reasoning") == ParsedDescription("synthetic_reasoning", ())


def test_args_keep_order_and_types() -> None:
    parsed = parse_description("mmlu:subject=anatomy,model=openai/gpt2,level=1,temperature=0.5,cot=True")
    assert parsed.name == "mmlu"
    assert parsed.args == (
        ("subject", "anatomy"),
        ("model", "openai/gpt2"),
        ("level", 1),
        ("temperature", 0.5),
        ("cot", "True"),
    )
    assert isinstance(parsed.get("level"), int)
    assert parsed.get("missing", "d") == "d"


def test_float_forms_follow_python() -> None:
    args = dict(parse_description("x:a=1e3,b=nan,c=inf,d=-2,e=007").args)
    assert args["a"] == 1000.0 and isinstance(args["a"], float)
    assert math.isnan(args["b"]) and args["c"] == math.inf
    assert args["d"] == -2 and args["e"] == 7


def test_value_may_contain_equals_and_colons() -> None:
    parsed = parse_description("scenario:prompt=a=b=c,url=http://x")
    assert parsed.args == (("prompt", "a=b=c"), ("url", "http://x"))


def test_repeated_key_is_an_error() -> None:
    # HELM would silently keep the last value; a repeated key is almost always a slip.
    with pytest.raises(UserError, match="run entry 's:model=a,k=1,model=b': key 'model' is given twice"):
        parse_description("s:model=a,k=1,model=b")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("mmlu:subject", "run entry 'mmlu:subject': Expected <key>=<value>, got 'subject'"),
        ("mmlu:a=1,", "run entry 'mmlu:a=1,': Expected <key>=<value>, got ''"),
        ("mmlu:", "run entry 'mmlu:': Expected <key>=<value>, got ''"),
        ("", "run entry '': missing run spec name before ':'"),
        (":model=x", "run entry ':model=x': missing run spec name before ':'"),
    ],
)
def test_errors(text: str, expected: str) -> None:
    with pytest.raises(UserError) as e:
        parse_description(text)
    assert str(e.value) == expected


def test_format_round_trip() -> None:
    text = "mmlu:subject=anatomy,level=1,temperature=0.5"
    assert format_description(parse_description(text)) == text
    assert str(parse_description("a")) == "a"
    assert format_value(1) == "1" and format_value(0.5) == "0.5" and format_value("x") == "x"
