"""Fast msgspec decoding of `per_instance_stats.json` for the intervals: per row the instance id, the
train trial and the stats with a wanted name (full name with split and sub-split, count and sum).

A run has dozens of stats per instance and the intervals need one, so building every stat would
cost twice the file's parse time. Each row's `stats` stays raw JSON; the wanted name is found in it
with `bytes.find`, and the stat object around it (`{"name": {"name": …, …}, "count": …}`, no nested
object but the name: unperturbed) is cut out and decoded alone. A row where that shape does not
hold (other key order, a perturbed stat, odd spacing) is decoded whole, so the result never depends
on the layout. Annotations are evaluated at class creation (msgspec reads them), so no
`from __future__ import annotations`.
"""

from collections.abc import Collection, Iterator
from typing import Any

import msgspec


class _Name(msgspec.Struct, gc=False):
    name: str
    split: str | None = None
    sub_split: str | None = None
    perturbation: Any = None


class _Stat(msgspec.Struct, gc=False):
    name: _Name
    count: float = 0
    sum: float = 0.0


class _Row(msgspec.Struct, gc=False):
    instance_id: str
    stats: msgspec.Raw = msgspec.Raw(b"[]")
    train_trial_index: int = 0


_ROWS = msgspec.json.Decoder(list[_Row])
_STAT = msgspec.json.Decoder(_Stat)
_STATS = msgspec.json.Decoder(list[_Stat])

StatTuple = tuple[str, "str | None", "str | None", Any, float, float]
# (instance id, trial, [(name, split, sub_split, perturbation, count, sum)])
Row = tuple[str, int, list[StatTuple]]


def decode_rows(raw: bytes, names: Collection[str]) -> Iterator[Row]:
    """Rows of `raw` with only the stats named in `names`; raises `msgspec.DecodeError` (a
    ValueError) on anything but strict JSON of that shape."""
    # A non-ASCII name may be written escaped (`\\u00e9`): then every row is decoded whole.
    quoted = [msgspec.json.encode(n) for n in names] if all(n.isascii() for n in names) else None
    for row in _ROWS.decode(raw):
        data = bytes(row.stats)
        found = _cut(data, quoted) if quoted is not None else None
        if found is None:
            found = [_tuple(s) for s in _STATS.decode(data) if s.name.name in names]
        yield row.instance_id, row.train_trial_index, [s for s in found if s[0] in names]


def _cut(data: bytes, quoted: list[bytes]) -> list[StatTuple] | None:
    """The stats holding one of `quoted` (JSON-encoded names) cut out of `data`, or None when one
    occurrence is not in the expected shape (the caller then decodes the row whole)."""
    out: list[StatTuple] = []
    for q in quoted:
        pos = data.find(q)
        while pos != -1:
            inner = data.rfind(b"{", 0, pos)  # the name object
            start = data.rfind(b"{", 0, inner)  # the stat
            inner_end = data.find(b"}", pos)
            end = data.find(b"}", inner_end + 1)
            if (
                start < 0
                or inner_end < 0
                or end < 0
                or data[start + 1 : inner].split() not in ([b'"name":'], [b'"name"', b":"])
                or data[inner + 1 : pos].split() not in ([b'"name":'], [b'"name"', b":"])
                or b"{" in data[pos:end]
            ):
                return None
            out.append(_tuple(_STAT.decode(data[start : end + 1])))
            pos = data.find(q, end)
    return out


def _tuple(s: _Stat) -> StatTuple:
    return s.name.name, s.name.split, s.name.sub_split, s.name.perturbation, s.count, s.sum
