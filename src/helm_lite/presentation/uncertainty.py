"""How sure a leaderboard is: bootstrap intervals for its cells, its win rates and its comparisons.

Method (stated once, used everywhere):

* **Resampling unit: the instance.** A cell's value is HELM's mean over its runs of each run's
  per-trial means. The rows of one instance (its train trials) share the question, so they are not
  independent draws: they are averaged first, and the instance is what is resampled. With the same
  instances in every trial this keeps the cell's value exactly (mean of instance means = mean of
  trial means). A cell with several runs (MMLU's subjects) is a stratified bootstrap: each run's
  instances are resampled within the run, and the runs' means are combined with the cell's weights
  (their trial counts), as the cell itself combines them.
* **1,000 resamples** (`RESAMPLES`) from numpy's PCG64 seeded with `SEED` and the column, run and
  instance count, so a summary is reproducible; **95% percentile intervals** (2.5th and 97.5th
  percentiles of the resampled statistic); `stderr` is the resampled statistic's standard deviation.
* **Models that ran the same instances are resampled together** (one draw of instances for all of
  them), so differences and win rates see the same instances in every resample: a **paired**
  bootstrap. A difference between two models is over the instances both ran (per run, matched by run
  name without the model); the mean win rate is recomputed in every resample from the resampled
  cells, which gives its interval and the per-resample win-rate differences behind the tie groups.
* **Tie groups**: models are ranked by mean win rate; a model joins the group of the model ranked just
  above it when the 95% interval of their per-resample difference in mean win rate contains 0.
  Tied models share the group's best rank.

A resample of n instances is drawn as n indices (vectorised, in blocks), or, when the instances take
few distinct value tuples (0/1 scores), as multinomial counts of those tuples: the same distribution
at a fraction of the cost.
"""

from __future__ import annotations

import re
import zlib
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import Any

import numpy as np

from helm_lite.presentation.instance_values import run_instance_values
from helm_lite.presentation.read_runs import Run
from helm_lite.presentation.schema import MetricMatcher
from helm_lite.presentation.stats import merge_runs
from helm_lite.presentation.tables import (
    ROW_KEYS,
    Column,
    SuiteView,
    TableRow,
    leaderboard_columns,
    table_rows,
)

RESAMPLES = 1000
SEED = 17
LEVEL = 0.95
_BLOCK = 2_000_000  # instance draws at once (16 MB of int64)

_MODEL_ARG = re.compile(r"^(model|model_deployment)=")

Interval = tuple[float, float]


def run_key(run: Run) -> str:
    """The run's name without its model arguments: what two models' runs of one task share."""
    name, _, args = run.name.partition(":")
    kept = [a for a in args.split(",") if a and not _MODEL_ARG.match(a)]
    return f"{name}:{','.join(kept)}"


def resample_means(values: np.ndarray, key: str, resamples: int = RESAMPLES) -> np.ndarray:
    """(resamples, k) column means of `values` (n, k) over bootstrap resamples of its rows, drawn
    jointly for all columns from a generator seeded by `SEED`, `key` and n."""
    n, k = values.shape
    rng = np.random.default_rng([SEED, zlib.crc32(key.encode("utf-8")), n])
    distinct, inverse = np.unique(values, axis=0, return_inverse=True)
    if len(distinct) * 8 <= n:
        counts = np.bincount(inverse.reshape(-1), minlength=len(distinct)).astype(np.float64)
        draws = rng.multinomial(n, counts / counts.sum(), size=resamples)
        means: np.ndarray = (draws @ distinct) / n
        return means
    out = np.empty((resamples, k))
    step = max(1, _BLOCK // n)
    for start in range(0, resamples, step):
        rows = min(resamples, start + step) - start
        index = rng.integers(0, n, size=(rows, n))
        # How often each instance was drawn in each resample, then one matrix product for all columns.
        drawn = np.bincount((index + n * np.arange(rows)[:, None]).ravel(), minlength=rows * n)
        out[start : start + rows] = drawn.reshape(rows, n) @ values / n
    return out


def percentile_interval(samples: np.ndarray, level: float = LEVEL) -> Interval:
    tail = (1 - level) / 2 * 100
    lo, hi = np.percentile(samples, [tail, 100 - tail])
    return float(lo), float(hi)


@dataclass(frozen=True)
class Estimate:
    """A statistic's value with its bootstrap interval and standard error."""

    value: float
    interval: Interval
    stderr: float


@dataclass(frozen=True)
class _Part:
    """One run of one cell: its stratum (run key), weight (trial count) and per-instance values."""

    stratum: str
    weight: float
    ids: tuple[str, ...]
    values: np.ndarray


class BoardUncertainty:
    """The bootstrap of one table: rows (models) × columns, computed once and kept on the view."""

    def __init__(
        self, view: SuiteView, columns: Sequence[Column], rows: Sequence[TableRow], resamples: int = RESAMPLES
    ) -> None:
        self.columns = list(columns)
        self.rows = list(rows)
        self.resamples = resamples
        self._memo = view.cache
        self.deployments = [row.key[0] for row in self.rows]
        self.models = [row.key[1] for row in self.rows]
        column_paths = [{r.run_path for r in view.group_runs(c.group)} for c in self.columns]
        # parts[j][i]: the runs of cell (i, j) with values, or None when any run lacks them.
        self._parts: list[list[list[_Part] | None]] = []
        for column, paths in zip(self.columns, column_paths, strict=True):
            self._parts.append(
                [self._cell_parts(column, [r for r in row.runs if r.run_path in paths]) for row in rows]
            )
        self.point = np.array(
            [[_number(row.cells[j].value) for j in range(len(self.columns))] for row in self.rows]
        ).reshape(len(self.rows), len(self.columns))
        # samples[j]: (resamples, rows) resampled cells of column j; NaN without a value, the point
        # value where the cell has no per-instance values.
        self.samples = [self._column_samples(j) for j in range(len(self.columns))]
        self.cells: list[list[Estimate | None]] = [[None] * len(self.columns) for _ in self.rows]
        for j in range(len(self.columns)):
            self._column_estimates(j)
        self._pairs: dict[tuple[int, int, int], Estimate | None] = {}

    # -- cells ---------------------------------------------------------------------------------

    @staticmethod
    def _cell_parts(column: Column, runs: list[Run]) -> list[_Part] | None:
        parts = []
        for run in runs:
            merged, matched = merge_runs([run], column.matcher)
            if not matched:
                continue
            found = run_instance_values(run, column.matcher)
            if found is None:
                return None
            ids, values = found.by_instance()
            parts.append(_Part(run_key(run), float(merged.count), tuple(ids), values))
        return parts or None

    def _column_samples(self, j: int) -> np.ndarray:
        column = self.columns[j]
        out = np.tile(self.point[:, j], (self.resamples, 1))
        groups: dict[tuple[str, tuple[str, ...]], list[int]] = {}
        for i, parts in enumerate(self._parts[j]):
            for part in parts or ():
                groups.setdefault((part.stratum, part.ids), []).append(i)
        means: dict[tuple[str, tuple[str, ...], int], np.ndarray] = {}
        for (stratum, ids), members in groups.items():
            matrix = np.stack([self._part(j, i, stratum).values for i in members], axis=1)
            key = _draw_key(column.group.name, column.matcher, stratum)
            memo = ("resample", key, self.resamples, matrix.shape, matrix.tobytes())
            if memo not in self._memo:  # group pages resample the same runs as the leaderboard
                self._memo[memo] = resample_means(matrix, key, self.resamples)
            drawn = self._memo[memo]
            for c, i in enumerate(members):
                means[(stratum, ids, i)] = drawn[:, c]
        for i, parts in enumerate(self._parts[j]):
            if parts is None:
                continue
            total = sum(p.weight for p in parts)
            out[:, i] = sum(means[(p.stratum, p.ids, i)] * (p.weight / total) for p in parts)
        return out

    def _part(self, j: int, i: int, stratum: str) -> _Part:
        return next(p for p in self._parts[j][i] or () if p.stratum == stratum)

    def _column_estimates(self, j: int) -> None:
        """`cells[i][j]` for every row with per-instance values (one percentile call per column)."""
        rows = [
            i for i, parts in enumerate(self._parts[j]) if parts is not None and np.isfinite(self.point[i, j])
        ]
        if not rows:
            return
        drawn = self.samples[j][:, rows]
        tail = (1 - LEVEL) / 2 * 100
        ends = np.percentile(drawn, [tail, 100 - tail], axis=0)
        spread = np.std(drawn, axis=0, ddof=1)
        for k, i in enumerate(rows):
            interval = (float(ends[0, k]), float(ends[1, k]))
            self.cells[i][j] = Estimate(float(self.point[i, j]), interval, float(spread[k]))

    # -- win rates and ranks -------------------------------------------------------------------

    @cached_property
    def win_rate_intervals(self) -> list[Interval | None]:
        """Per row, the 95% interval of its mean win rate over the resamples (None without one)."""
        samples = self.win_rate_samples
        present = np.isfinite(samples).all(axis=0)
        if not present.any():
            return [None] * len(self.rows)
        tail = (1 - LEVEL) / 2 * 100
        ends = np.percentile(samples[:, present], [tail, 100 - tail], axis=0)
        found = iter(zip(ends[0].tolist(), ends[1].tolist(), strict=True))
        return [next(found) if p else None for p in present]

    @cached_property
    def win_rate_samples(self) -> np.ndarray:
        """(resamples, rows) mean win rate per resample (NaN for a row without any)."""
        total = np.zeros((self.resamples, len(self.rows)))
        count = np.zeros(len(self.rows))
        for j, column in enumerate(self.columns):
            lower = column.header.lower_is_better
            present = np.isfinite(self.point[:, j])
            n = int(present.sum())
            if lower is None or n < 2:
                continue
            values = self.samples[j][:, present] * (-1.0 if lower else 1.0)
            worse = (values[:, None, :] < values[:, :, None]).sum(axis=2)
            ties = (values[:, None, :] == values[:, :, None]).sum(axis=2) - 1
            total[:, present] += (worse + ties / 2) / (n - 1)
            count[present] += 1
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.where(count > 0, total / np.maximum(count, 1), np.nan)

    def ranking(self, win_rates: Sequence[float | None]) -> list[dict[str, Any]]:
        """Per row (in row order): `rank`, `tie_group` (1 = best) and `tied_with` (the other models
        of its group), from the rows' point `win_rates` and the per-resample differences."""
        order = sorted(range(len(self.rows)), key=lambda i: (win_rates[i] is None, -(win_rates[i] or 0.0)))
        group_of: dict[int, int] = {}
        rank_of: dict[int, int] = {}
        group, rank = 0, 0
        for position, i in enumerate(order):
            above = order[position - 1] if position else None
            if above is None or not self._tied(above, i, win_rates):
                group, rank = group + 1, position + 1
            group_of[i], rank_of[i] = group, rank
        members: dict[int, list[int]] = {}
        for i in order:
            members.setdefault(group_of[i], []).append(i)
        return [
            {
                "rank": rank_of[i],
                "tie_group": group_of[i],
                "tied_with": [self.models[k] for k in members[group_of[i]] if k != i],
            }
            for i in range(len(self.rows))
        ]

    def _tied(self, above: int, below: int, win_rates: Sequence[float | None]) -> bool:
        if win_rates[above] is None or win_rates[below] is None:
            return False
        difference = self.win_rate_samples[:, above] - self.win_rate_samples[:, below]
        if not np.isfinite(difference).all():
            return False
        lo, hi = percentile_interval(difference)
        return lo <= 0 <= hi

    # -- paired differences --------------------------------------------------------------------

    def pair(self, j: int, a: int, b: int) -> Estimate | None:
        """Row a minus row b on column j over the instances both ran (None without such instances)."""
        if (j, a, b) not in self._pairs:
            self._pairs[(j, a, b)] = self._paired(j, a, b)
        return self._pairs[(j, a, b)]

    def _paired(self, j: int, a: int, b: int) -> Estimate | None:
        parts_a, parts_b = self._parts[j][a], self._parts[j][b]
        if parts_a is None or parts_b is None:
            return None
        by_a = {p.stratum: p for p in parts_a}
        by_b = {p.stratum: p for p in parts_b}
        if by_a.keys() == by_b.keys() and all(by_a[s].ids == by_b[s].ids for s in by_a):
            # The same instances: both cells were resampled together, so their difference is paired.
            drawn = self.samples[j][:, a] - self.samples[j][:, b]
            value = float(self.point[a, j] - self.point[b, j])
            return Estimate(value, percentile_interval(drawn), float(np.std(drawn, ddof=1)))
        column = self.columns[j]
        strata = sorted(by_a.keys() & by_b.keys())
        values: list[float] = []
        draws: list[np.ndarray] = []
        for stratum in strata:
            pa, pb = by_a[stratum], by_b[stratum]
            common = sorted(set(pa.ids) & set(pb.ids))
            if not common:
                continue
            ia = np.searchsorted(np.array(pa.ids), common)
            ib = np.searchsorted(np.array(pb.ids), common)
            difference = (pa.values[ia] - pb.values[ib])[:, None]
            values.append(float(difference.mean()))
            key = _draw_key(column.group.name, column.matcher, stratum) + "|pair"
            draws.append(resample_means(difference, key, self.resamples)[:, 0])
        if not draws:
            return None
        drawn = np.mean(draws, axis=0)
        return Estimate(float(np.mean(values)), percentile_interval(drawn), float(np.std(drawn, ddof=1)))

    def comparisons(self) -> list[dict[str, Any]]:
        """Every pair of rows on every column where both have values: difference (first − second),
        interval and stderr."""
        out = []
        for j, column in enumerate(self.columns):
            for a in range(len(self.rows)):
                for b in range(a + 1, len(self.rows)):
                    found = self.pair(j, a, b)
                    if found is not None:
                        out.append(
                            {
                                "group": column.group.name,
                                "metric": column.matcher.name,
                                "a": self.deployments[a],
                                "b": self.deployments[b],
                                "difference": found.value,
                                "interval": list(found.interval),
                                "stderr": found.stderr,
                            }
                        )
        return out


def _draw_key(group: str, matcher: MetricMatcher, stratum: str) -> str:
    """What seeds the draws of one run's instances in one column (with the instance count)."""
    return f"{group}|{matcher}|{stratum}"


def _number(value: Any) -> float:
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else np.nan


def table_uncertainty(
    view: SuiteView, columns: Sequence[Column], rows: Sequence[TableRow]
) -> BoardUncertainty:
    """The bootstrap of a table with these columns and rows, computed once per view (the leaderboard
    file, its JSON for the page and the comparisons all use the same resamples)."""
    key = (
        "uncertainty",
        tuple((c.group.name, c.matcher) for c in columns),
        tuple((row.key, tuple(r.run_path for r in row.runs)) for row in rows),
    )
    if key not in view.cache:
        view.cache[key] = BoardUncertainty(view, columns, rows)
    found: BoardUncertainty = view.cache[key]
    return found


def board_uncertainty(view: SuiteView) -> BoardUncertainty:
    """The leaderboard's bootstrap (`leaderboard_columns` × `table_rows` rows)."""
    columns = leaderboard_columns(view)
    return table_uncertainty(view, columns, table_rows(view, columns, view.runs, ROW_KEYS))


def add_intervals(view: SuiteView, columns: Sequence[Column], rows: Sequence[TableRow]) -> None:
    """Set `interval` on the cells of `rows` in columns that show their group's main metric (the
    metric the per-instance values are read for)."""
    main = [j for j, c in enumerate(columns) if view.schema.main_matcher(c.group) == c.matcher]
    if not main or not rows:
        return
    boot = table_uncertainty(view, [columns[j] for j in main], _only(rows, main))
    for i, row in enumerate(rows):
        for k, j in enumerate(main):
            estimate = boot.cells[i][k]
            if estimate is not None:
                row.cells[j].interval = list(estimate.interval)


def _only(rows: Sequence[TableRow], keep: list[int]) -> list[TableRow]:
    return [TableRow(row.key, row.runs, [row.cells[j] for j in keep]) for row in rows]


def run_estimate(run: Run, group: str, matcher: MetricMatcher) -> Estimate | None:
    """One run's value of `matcher` in `group` with its interval: the leaderboard cell of a model with
    this one run in the group (the same draws); None without the stat or per-instance values."""
    merged, matched = merge_runs([run], matcher)
    found = run_instance_values(run, matcher) if matched and merged.mean is not None else None
    if found is None or merged.mean is None:
        return None
    _, values = found.by_instance()
    drawn = resample_means(values[:, None], _draw_key(group, matcher, run_key(run)))[:, 0]
    return Estimate(merged.mean, percentile_interval(drawn), float(np.std(drawn, ddof=1)))
