"""CSV files of the safety scenarios: rows as dicts, with the columns a scenario needs checked once."""

from __future__ import annotations

import csv
from collections.abc import Mapping, Sequence
from pathlib import Path


def read_csv_rows(
    path: Path, columns: Sequence[str], aliases: Mapping[str, Sequence[str]] | None = None
) -> list[dict[str, str]]:
    """Every row of `path` (UTF-8, header line first) with `columns` present.

    `aliases` maps a column to other names it is published under; the first one present is read
    under the column's own name. A missing column is a `ValueError` naming it and the file.
    """
    with open(path, encoding="utf-8", newline="") as f:
        reader = csv.DictReader(f)
        header = list(reader.fieldnames or [])
        rename: dict[str, str] = {}
        for column in columns:
            names = [column, *(aliases or {}).get(column, ())]
            found = next((n for n in names if n in header), None)
            if found is None:
                raise ValueError(f"{path}: no column {' or '.join(names)} (columns: {', '.join(header)})")
            rename[column] = found
        return [{column: row[name] or "" for column, name in rename.items()} for row in reader]
