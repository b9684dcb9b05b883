"""Parquet scenario files: pyarrow (the ``capabilities`` extra) imported on first use, rows memoised
by file identity so the data check, a download's published-size check and the scenario read a file once."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from helm_lite.common.errors import UserError
from helm_lite.common.file_memo import memoised_by_file


def import_parquet(scenario_name: str) -> Any:
    """`pyarrow.parquet`, or a one-line error naming the extra (before any file is judged unusable)."""
    try:
        import pyarrow.parquet as pq
    except ImportError as e:
        raise UserError(
            f"{scenario_name} needs pyarrow to read its parquet files: pip install 'helm-lite[capabilities]'"
        ) from e
    return pq


def read_parquet_rows(path: Path, columns: Sequence[str], scenario_name: str) -> tuple[dict[str, Any], ...]:
    """The rows of the file with these `columns`, in file order; raises if the file is unusable or has
    no rows. Memoised: the rows are shared by every caller and must not be mutated."""
    import_parquet(scenario_name)
    return _read_rows(path, tuple(columns))


@memoised_by_file(maxsize=8)
def _read_rows(path: Path, columns: tuple[str, ...]) -> tuple[dict[str, Any], ...]:
    import pyarrow.parquet as pq  # read_parquet_rows has made sure it is there

    rows: list[dict[str, Any]] = pq.read_table(str(path), columns=list(columns)).to_pylist()
    if not rows:
        raise ValueError("no rows")
    return tuple(rows)
