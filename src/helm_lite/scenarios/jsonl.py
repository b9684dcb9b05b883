"""JSON-lines scenario files: one record per non-blank line, errors naming the file and line."""

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
