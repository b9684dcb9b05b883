"""HELM's mean win rate: how many models a model beats on average, over the ordered columns.

For each column whose direction is known and that has at least two values, a model with value v gets
(#values strictly worse than v + (#ties of v - 1) / 2) / (N - 1); its win rate is the mean over the
columns where it has a value. Ties share the wins, so [1, 1] gives both 0.5.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence


def column_win_rates(values: Sequence[float | None], lower_is_better: bool) -> list[float | None]:
    """Per-row win rate within one column (None for rows without a value, or when N < 2)."""
    present = [v for v in values if v is not None]
    n = len(present)
    if n < 2:
        return [None] * len(values)
    counts = Counter(present)
    # Walk distinct values from worst to best, counting how many values are strictly worse.
    ordered = sorted(counts, reverse=lower_is_better)
    worse_than: dict[float, int] = {}
    below = 0
    for v in ordered:
        worse_than[v] = below
        below += counts[v]
    return [None if v is None else (worse_than[v] + (counts[v] - 1) / 2) / (n - 1) for v in values]


def mean_win_rates(
    columns: Sequence[Sequence[float | None]], lower_is_better: Sequence[bool | None]
) -> list[float | None]:
    """Mean win rate per row over `columns` (each a list with one value per row); columns whose
    direction is None (counters such as `# eval`) do not count."""
    num_rows = len(columns[0]) if columns else 0
    rates: list[list[float]] = [[] for _ in range(num_rows)]
    for values, lower in zip(columns, lower_is_better, strict=True):
        if lower is None:
            continue
        for row, rate in enumerate(column_win_rates(values, lower)):
            if rate is not None:
                rates[row].append(rate)
    return [sum(r) / len(r) if r else None for r in rates]
