"""JSON-lines scenario files: one record per non-blank line, errors naming the line (and file)."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from helm_lite.common.errors import UserError
from helm_lite.scenarios.base import Instance


def instances_from_jsonl(
    path: Path,
    split: str,
    make: Callable[[Any, str], Instance],
    describe: Callable[[Exception], str] = str,
) -> list[Instance]:
    """`make(record, split)` for every line; a record it cannot use is a one-line `UserError`."""
    instances: list[Instance] = []
    with open(path, encoding="utf-8") as f:
        for n, line in enumerate(f, start=1):
            if line.strip():
                try:
                    instances.append(make(json.loads(line), split))
                except (ValueError, KeyError, TypeError, AttributeError) as e:
                    raise UserError(f"{path} line {n}: {describe(e)}") from e
    return instances


def read_jsonl_rows(path: Path, problem: Callable[[dict[str, Any]], str | None]) -> list[dict[str, Any]]:
    """The JSON objects of the file's non-blank lines, in order. `problem(row)` says what is wrong with a
    row (None when it is usable); a `ValueError` names the first line that is not a usable JSON
    object, so DataSource's parse check and the scenario share one reader."""
    rows: list[dict[str, Any]] = []
    with open(path, encoding="utf-8") as f:
        for n, line in enumerate(f, start=1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
            except json.JSONDecodeError as e:
                raise ValueError(f"line {n} is not JSON ({e})") from None
            if not isinstance(row, dict):
                raise ValueError(f"line {n} is not a JSON object")
            if (what := problem(row)) is not None:
                raise ValueError(f"line {n} {what}")
            rows.append(row)
    if not rows:
        raise ValueError("no rows")
    return rows
