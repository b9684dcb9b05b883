"""A run's per-instance values of one metric, read from its `per_instance_stats.json`.

The intervals resample instances, so they need the values behind a cell's mean. A value is the
stat's `sum / count` for the rows whose stat name matches the cell's metric, split and sub-split
(unperturbed only: a worst-case perturbation is a run-level figure with no per-instance value). The
file is the largest of a run, so it is decoded once per (file version, metric) and kept: a summary
asks for the same values for the leaderboard, the group tables and the comparisons.
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Callable, Collection, Iterable, Iterator
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import numpy as np

from helm_lite.presentation.read_runs import Run
from helm_lite.presentation.schema import ALL_SPLITS, MetricMatcher
from helm_lite.presentation.stats import run_stats

logger = logging.getLogger(__name__)

PER_INSTANCE_STATS = "per_instance_stats.json"

_Row = tuple[str, int, list[tuple[str, "str | None", "str | None", Any, float, float]]]


@dataclass(frozen=True)
class InstanceValues:
    """Rows (instance id, train trial, value) of one run and metric, in file order."""

    ids: tuple[str, ...]
    trials: tuple[int, ...]
    values: tuple[float, ...]

    def by_instance(self) -> tuple[list[str], np.ndarray]:
        """Sorted distinct instance ids and each one's mean over its rows (its trials): the
        resampling unit, since trials of one instance share its question and are not independent."""
        ids = sorted(set(self.ids))
        if len(ids) == len(self.ids):  # one row per instance: nothing to average
            order = sorted(range(len(self.ids)), key=self.ids.__getitem__)
            return ids, np.asarray(self.values, dtype=np.float64)[order]
        position = {instance: i for i, instance in enumerate(ids)}
        slots = np.fromiter((position[i] for i in self.ids), dtype=np.int64, count=len(self.ids))
        sums = np.bincount(slots, weights=np.asarray(self.values, dtype=np.float64), minlength=len(ids))
        return ids, sums / np.bincount(slots, minlength=len(ids))

    def by_row(self) -> dict[tuple[str, int], float]:
        """{(instance id, trial): value}: what a head-to-head compares."""
        return dict(zip(zip(self.ids, self.trials, strict=True), self.values, strict=True))


def run_instance_values(run: Run, matcher: MetricMatcher) -> InstanceValues | None:
    """`run`'s per-instance values for `matcher` (the metric the run's cell actually reads, so
    `exact_match` where HELM falls back to it); None when the run has no such stat or no readable
    per-instance file."""
    if matcher.perturbation_name is not None:
        return None
    found = run_stats(run, matcher)
    if not found:
        return None
    name = str(found[0]["name"]["name"])
    path = os.path.join(run.run_path, PER_INSTANCE_STATS)
    try:
        info = os.stat(path)
    except OSError:
        return None
    return _read(path, info.st_mtime_ns, info.st_size, name, matcher.split, matcher.sub_split)


@lru_cache(maxsize=1024)
def _read(
    path: str, mtime_ns: int, size: int, name: str, split: str, sub_split: str | None
) -> InstanceValues | None:
    """Cached by file version (mtime and size), so a run written again is read again."""
    del mtime_ns, size  # only part of the cache key
    try:
        with open(path, "rb") as f:
            raw = f.read()
        rows = _decode(raw, {name})
        ids: list[str] = []
        trials: list[int] = []
        values: list[float] = []
        for instance_id, trial, stats in rows:
            for stat_name, stat_split, stat_sub_split, perturbation, count, total in stats:
                if stat_name != name or perturbation is not None or not count:
                    continue
                if split != ALL_SPLITS and stat_split != split:
                    continue
                if sub_split is not None and stat_sub_split != sub_split:
                    continue
                ids.append(str(instance_id))
                trials.append(int(trial))
                values.append(float(total) / float(count))
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as e:
        logger.warning(
            "No intervals for %s: unreadable %s (%s)", os.path.dirname(path), PER_INSTANCE_STATS, e
        )
        return None
    if not ids:
        return None
    return InstanceValues(tuple(ids), tuple(trials), tuple(values))


def _decode(raw: bytes, names: Collection[str]) -> list[_Row]:
    typed = _typed_rows()
    if typed is not None:
        try:
            return list(typed(raw, names))
        except ValueError:  # msgspec.DecodeError: NaN values or an unexpected shape; json decides
            pass
    return list(_plain_rows(json.loads(raw), names))


def _plain_rows(data: Iterable[dict[str, Any]], names: Collection[str]) -> Iterator[_Row]:
    for row in data:
        yield (
            row["instance_id"],
            row.get("train_trial_index", 0),
            [
                (
                    n["name"],
                    n.get("split"),
                    n.get("sub_split"),
                    n.get("perturbation"),
                    s.get("count", 0),
                    s["sum"],
                )
                for s in row.get("stats", [])
                for n in (s["name"],)
                if n["name"] in names
            ],
        )


def _typed_rows() -> Callable[[bytes, Collection[str]], Iterator[_Row]] | None:
    try:
        from helm_lite.presentation.instance_structs import decode_rows
    except ImportError:  # msgspec is not installed
        return None
    return decode_rows
