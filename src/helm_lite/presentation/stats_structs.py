"""Typed msgspec decoding of `per_instance_stats.json`, limited to what the display files use.

Imported only when msgspec is installed (the `summarize` extra); `display.read_instance_stats` falls
back to `json` otherwise. Annotations are evaluated at class creation (msgspec reads them), so this
module does not use `from __future__ import annotations`.
"""

from collections.abc import Iterator
from typing import Any

import msgspec


class _Name(msgspec.Struct):
    name: str
    perturbation: Any = None


class _Stat(msgspec.Struct):
    name: _Name
    sum: float
    count: int = 0
    mean: float | None = None


class _Perturbation(msgspec.Struct):
    name: str | None = None


class _Row(msgspec.Struct):
    instance_id: str
    stats: list[_Stat] = []
    perturbation: _Perturbation | None = None
    train_trial_index: int = 0


_DECODER = msgspec.json.Decoder(list[_Row])

Row = tuple[str, "str | None", int, list[tuple[str, Any, int, float, "float | None"]]]


def decode_rows(raw: bytes) -> Iterator[Row]:
    """(instance id, perturbation name, trial, [(stat name, stat perturbation, count, sum, mean)]) per
    row; raises `msgspec.DecodeError` (a ValueError) on anything but strict JSON of that shape."""
    for row in _DECODER.decode(raw):
        yield (
            row.instance_id,
            row.perturbation.name if row.perturbation is not None else None,
            row.train_trial_index,
            [(st.name.name, st.name.perturbation, st.count, st.sum, st.mean) for st in row.stats],
        )
