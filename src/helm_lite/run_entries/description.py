"""Run-entry description grammar (HELM's): `NAME[:KEY=VALUE{,KEY=VALUE}]`.

Values are typed the way HELM types them (int, else float, else string) because the typed value
ends up in `run_spec.json` and in run names; argument order is kept because expanders apply in
order and run names list arguments in order.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from helm_lite.common.errors import UserError


@dataclass(frozen=True)
class ParsedDescription:
    """A description split into its run-spec name and its ordered `(key, value)` arguments."""

    name: str
    args: tuple[tuple[str, Any], ...] = ()

    def get(self, key: str, default: Any = None) -> Any:
        for k, v in self.args:
            if k == key:
                return v
        return default

    def __str__(self) -> str:
        return format_description(self)


def parse_description(text: str) -> ParsedDescription:
    """Parse one description; malformed input is a `UserError` that quotes the description."""
    name, sep, args_text = text.partition(":")
    if not name.strip():
        raise UserError(f"run entry {text!r}: missing run spec name before ':'")
    if not sep:
        return ParsedDescription(name=name)
    # HELM collects arguments in a dict, so a repeated key silently keeps only its last value. Two
    # different values are almost always a copy-paste slip, so here they are an error; the same
    # value twice (HELM's own `gsm:…,stop=none,stop=none`) means what it says once.
    args: dict[str, Any] = {}
    texts: dict[str, str] = {}
    for arg in args_text.split(","):
        key, eq, value = arg.partition("=")
        if not eq:
            raise UserError(f"run entry {text!r}: Expected <key>=<value>, got '{arg}'")
        if texts.setdefault(key, value) != value:
            raise UserError(f"run entry {text!r}: key {key!r} is given twice")
        args[key] = parse_value(value)
    return ParsedDescription(name=name, args=tuple(args.items()))


def parse_value(value: str) -> Any:
    """int if `int()` accepts it, else float if `float()` does (so `nan`, `1e3`), else the string."""
    try:
        return int(value)
    except ValueError:
        pass
    try:
        return float(value)
    except ValueError:
        return value


def format_value(value: Any) -> str:
    """A value as it appears in descriptions and run names (HELM uses plain `str()`)."""
    return str(value)


def format_description(parsed: ParsedDescription) -> str:
    """Inverse of `parse_description` for values it produced."""
    if not parsed.args:
        return parsed.name
    return parsed.name + ":" + ",".join(f"{k}={format_value(v)}" for k, v in parsed.args)
