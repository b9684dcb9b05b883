"""Writing summary files: plain JSON data fast, binary files atomically.

Summaries re-write data that was read from JSON (runs, stats, display files), so it is already
plain dicts and lists; `json_io.write_json_atomic` encodes it without any copy, faster than
`json.dumps(indent=2)` (whose indenting encoder is pure Python) and with the same text.
"""

from __future__ import annotations

from typing import Any

from helm_lite.common.atomic_file import atomic_open
from helm_lite.common.json_io import write_json_atomic


def write_plain_json(path: str, data: Any) -> None:
    """HELM-JSON (indent 2, ASCII) for data made only of dicts, lists, strings, numbers and None."""
    write_json_atomic(path, data)


def write_bytes_atomic(path: str, data: bytes) -> None:
    with atomic_open(path, "wb") as f:
        f.write(data)
