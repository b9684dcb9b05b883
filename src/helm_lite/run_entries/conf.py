"""Run-entry files (`--conf-paths`): HOCON with `entries: [{description, priority?, groups?}, …]`.

The format is HELM's, so HELM's own `run_specs/*.conf` files load unchanged. Unlike HELM, a
misspelled key in an entry (`priorty: 2`) is an error instead of being silently dropped.
pyhocon is imported on first use (it pulls in pyparsing), keeping CLI start-up fast.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from helm_lite.common.errors import UserError

_ENTRY_KEYS = ("description", "priority", "groups")


@dataclass(frozen=True)
class RunEntry:
    """One line of work: a description, an optional priority (1 = most important), extra groups."""

    description: str
    priority: int | None = None
    groups: list[str] | None = None


def read_conf_files(paths: Iterable[str | os.PathLike[str]]) -> list[RunEntry]:
    """Entries of all `paths`, concatenated in argument order."""
    entries: list[RunEntry] = []
    for path in paths:
        entries.extend(read_conf_file(path))
    return entries


def read_conf_file(path: str | os.PathLike[str]) -> list[RunEntry]:
    shown = os.fspath(path)
    try:
        with open(path, encoding="utf-8") as f:
            text = f.read()
    except FileNotFoundError:
        raise UserError(f"{shown}: file not found") from None
    except IsADirectoryError:
        raise UserError(f"{shown}: is a directory, expected a .conf file") from None
    except OSError as e:
        raise UserError(f"{shown}: cannot read ({e.strerror})") from None
    except UnicodeDecodeError as e:
        raise UserError(f"{shown}: not UTF-8 text ({e.reason} at byte {e.start})") from None
    return parse_conf(text, shown=shown, basedir=os.path.dirname(os.path.abspath(shown)))


def parse_conf(text: str, *, shown: str = "<string>", basedir: str | None = None) -> list[RunEntry]:
    """Parse HOCON run-entry text; `shown` names the source in error messages."""
    data = _parse_hocon(text, shown, basedir)
    if "entries" not in data:
        raise UserError(f"{shown}: missing 'entries' (expected entries: [{{description: ...}}, ...])")
    raw_entries = data["entries"]
    if not isinstance(raw_entries, list):
        raise UserError(f"{shown}: 'entries' must be a list, got {_kind(raw_entries)}")
    return [_entry(raw, shown, index) for index, raw in enumerate(raw_entries, start=1)]


def _parse_hocon(text: str, shown: str, basedir: str | None) -> dict[str, Any]:
    import pyparsing
    from pyhocon import ConfigFactory
    from pyhocon.exceptions import ConfigException

    try:
        tree = ConfigFactory.parse_string(text, basedir=basedir or "")
    except pyparsing.ParseBaseException as e:
        where = f"line {e.lineno}, column {e.col}"
        raise UserError(f"{shown}: invalid HOCON at {where}: {_one_line(e.msg)}") from None
    except ConfigException as e:
        raise UserError(f"{shown}: invalid HOCON: {_one_line(str(e))}") from None
    except OSError as e:  # an `include required(...)` that cannot be read
        what = f"{e.filename}: " if getattr(e, "filename", None) else ""
        raise UserError(f"{shown}: cannot include {what}{_one_line(e.strerror or str(e))}") from None
    except (ValueError, RecursionError) as e:  # e.g. an included file that is not UTF-8, or includes itself
        raise UserError(f"{shown}: invalid include ({_one_line(str(e))[:200]})") from None
    # Plain dicts and lists from here on (ConfigTree.get raises on a missing key).
    plain = tree.as_plain_ordered_dict() if hasattr(tree, "as_plain_ordered_dict") else tree
    return plain if isinstance(plain, dict) else {}


def _entry(raw: Any, shown: str, index: int) -> RunEntry:
    where = f"{shown}: entry {index}"
    if not isinstance(raw, dict):
        raise UserError(f"{where}: expected {{description: ...}}, got {_kind(raw)}")
    unknown = [str(k) for k in raw if k not in _ENTRY_KEYS]
    if unknown:
        raise UserError(f"{where}: unknown key '{unknown[0]}' (expected description, priority, groups)")
    if "description" not in raw:
        raise UserError(f"{where}: missing 'description'")
    description = raw["description"]
    if not isinstance(description, str):
        raise UserError(f"{where}: 'description' must be a string, got {_kind(description)}")
    priority = raw.get("priority")
    if priority is not None and (not isinstance(priority, int) or isinstance(priority, bool)):
        raise UserError(f"{where}: 'priority' must be an integer, got {_kind(priority)} {priority!r}")
    if priority is not None and priority < 1:
        raise UserError(f"{where}: 'priority' must be at least 1 (most important), got {priority}")
    groups = raw.get("groups")
    if groups is not None:
        if not isinstance(groups, list) or not all(isinstance(g, str) for g in groups):
            raise UserError(f"{where}: 'groups' must be a list of strings, got {_one_line(repr(groups))}")
        groups = list(groups)
    return RunEntry(description=description, priority=priority, groups=groups)


def _kind(value: Any) -> str:
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    return "null" if value is None else type(value).__name__


def _one_line(text: str) -> str:
    return " ".join(text.split())
