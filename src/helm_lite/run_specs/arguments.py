"""Run-entry arguments checked against a run-spec function's annotations before it is called.

A description types its values loosely (`3` is an int, `abc` a string), so `dyck_language:
num_parenthesis_pairs=abc` would otherwise reach `int()` inside the function and end in a traceback.
Parameters annotated `int`, `float`, `bool` or `str` (alone or with `None`) are converted here; a
union such as `str | int` takes the value as it is, and the function checks its meaning. A `bool` is
`true` or `false` in any case (HELM's spelling; HELM compares the text with "true"), so a value HELM
would silently read as false (`yes`, `1`) is an error rather than a different run.
"""

from __future__ import annotations

import inspect
import math
import types
import typing
from collections.abc import Callable, Mapping
from typing import Any

from helm_lite.common.errors import UserError


def bind_arguments(fn: Callable[..., Any], name: str, args: Mapping[str, Any]) -> dict[str, Any]:
    """`args` converted to `fn`'s parameter types; an unknown, missing or ill-typed one is a `UserError`."""
    params = inspect.signature(fn).parameters
    unknown = [k for k in args if k not in params]
    if unknown:
        raise UserError(
            f"unknown argument {unknown[0]!r} for {name} (expected: {', '.join(params) or 'none'})"
        )
    missing = [k for k, p in params.items() if p.default is inspect.Parameter.empty and k not in args]
    if missing:
        raise UserError(f"missing required argument {missing[0]!r}")
    hints = typing.get_type_hints(fn)
    return {key: convert(key, value, hints.get(key, Any)) for key, value in args.items()}


def convert(key: str, value: Any, hint: Any) -> Any:
    """`value` as the annotation `hint` asks for (see the module docstring)."""
    union = typing.get_origin(hint) in (typing.Union, types.UnionType)
    members = set(typing.get_args(hint)) if union else {hint}
    if value is None and type(None) in members:
        return value
    members.discard(type(None))
    if len(members) != 1:
        return value
    (kind,) = members
    if kind is str:
        return str(value)
    if kind is bool:
        return to_bool(key, value)
    if kind is int:
        return _to_int(key, value)
    if kind is float:
        return _to_float(key, value)
    return value


def _to_int(key: str, value: Any) -> int:
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    raise UserError(f"{key}={value}: expected an integer")


def _to_float(key: str, value: Any) -> float:
    if isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value):
        return float(value)
    raise UserError(f"{key}={value}: expected a finite number")


def to_bool(key: str, value: Any) -> bool:
    """`value` (a bool, or `true`/`false` in any case) as a bool; anything else is a `UserError`."""
    if isinstance(value, bool):
        return value
    text = str(value).lower()
    if text in ("true", "false"):
        return text == "true"
    raise UserError(f"{key}={value}: expected true or false")
