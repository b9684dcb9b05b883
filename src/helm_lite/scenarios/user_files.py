"""Reading the user's own data files: one set of checks and one-line errors for every user scenario."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from typing import Any

from helm_lite.common.errors import UserError


def extension(path: str) -> str:
    return os.path.splitext(path)[1].lower()


def check_path(path: str, extensions: tuple[str, ...]) -> None:
    """A readable file with one of `extensions`, else a `UserError` naming the path."""
    if not path:
        raise UserError(f"path= needs a file name ({' or '.join(extensions)})")
    if extension(path) not in extensions:
        raise UserError(
            f"{path}: unsupported file extension {extension(path)!r} (use {' or '.join(extensions)})"
        )
    if not os.path.exists(path):
        raise UserError(f"{path}: file not found")
    if os.path.isdir(path):
        raise UserError(f"{path}: is a directory, not a file")
    if not os.path.isfile(path):  # a FIFO or device would block or never end
        raise UserError(f"{path}: not a regular file")


def read_utf8(path: str, extensions: tuple[str, ...]) -> str:
    """The file's text (a UTF-8 byte-order mark dropped); bad bytes are reported with their line."""
    check_path(path, extensions)
    try:
        with open(path, "rb") as f:
            raw = f.read()
    except OSError as e:
        raise UserError(f"{path}: cannot read file ({e.strerror})") from e
    if raw.startswith(b"\xef\xbb\xbf"):
        raw = raw[3:]
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as e:
        line = raw.count(b"\n", 0, e.start) + 1
        raise UserError(f"{path} line {line}: not UTF-8 text") from e


def jsonl_records(
    path: str, lines: list[str], allowed_fields: tuple[str, ...]
) -> Iterator[tuple[int, str, dict[str, Any]]]:
    """(line number, "<path> line <n>", object) per non-blank line; anything but a JSON object with
    only `allowed_fields` is a `UserError` naming the file and line."""
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        where = f"{path} line {number}"
        try:
            record = json.loads(line)
        except json.JSONDecodeError as e:
            raise UserError(f"{where}: not valid JSON ({e.msg} at column {e.colno})") from e
        if not isinstance(record, dict):
            raise UserError(f"{where}: expected a JSON object {{...}}, got {type(record).__name__}")
        unknown = [key for key in record if key not in allowed_fields]
        if unknown:
            raise UserError(f"{where}: unknown field {unknown[0]!r} (allowed: {', '.join(allowed_fields)})")
        yield number, where, record
