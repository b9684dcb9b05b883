"""Stat, MetricName and PerturbationDescription: HELM's statistics, with its numeric quirks.

Field order is HELM's JSON key order, and the arithmetic mirrors HELM operation by operation
(ints stay ints in sums, means are floats, a negative population variance becomes the int 0), so
`stats.json` values are bit-identical.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, make_dataclass
from typing import Any

PERTURBATION_PERTURBED = "perturbed"
PERTURBATION_ORIGINAL = "original"
PERTURBATION_WORST = "worst"


@dataclass(frozen=True)
class PerturbationDescription:
    """Which data augmentation produced an instance (hashable: it is part of a MetricName)."""

    name: str
    robustness: bool = False
    fairness: bool = False
    computed_on: str = PERTURBATION_PERTURBED
    seed: int | None = None

    @staticmethod
    def from_dict(d: dict[str, Any]) -> PerturbationDescription:
        """Build from an instance's `perturbation` dict. Perturbation-specific keys (`prob`, …) become
        fields of a subclass, after the common ones, so stat names carry them as HELM's do."""
        extras = tuple(k for k in d if k not in _BASE_FIELDS)
        cls = _description_class(extras) if extras else PerturbationDescription
        values = {k: _hashable(d[k]) for k in extras}
        return cls(
            name=d["name"],
            robustness=bool(d.get("robustness", False)),
            fairness=bool(d.get("fairness", False)),
            computed_on=d.get("computed_on", PERTURBATION_PERTURBED),
            seed=d.get("seed"),
            **values,
        )


_BASE_FIELDS = ("name", "robustness", "fairness", "computed_on", "seed")
_DESCRIPTION_CLASSES: dict[tuple[str, ...], type[PerturbationDescription]] = {}


def _description_class(extras: tuple[str, ...]) -> type[PerturbationDescription]:
    """A frozen PerturbationDescription subclass with the fields `extras` (one class per key set)."""
    cls = _DESCRIPTION_CLASSES.get(extras)
    if cls is None:
        fields = [(k, Any, None) for k in extras]
        cls = make_dataclass(
            "PerturbationDescription",
            fields,
            bases=(PerturbationDescription,),
            frozen=True,
            namespace={"__reduce__": _reduce_description},  # pickled by value: the class is made here
        )
        _DESCRIPTION_CLASSES[extras] = cls
    return cls


def _reduce_description(self: PerturbationDescription) -> tuple[Any, ...]:
    return (PerturbationDescription.from_dict, ({k: v for k, v in vars(self).items() if k != "_hash"},))


def _hashable(value: Any) -> Any:
    # Descriptions are dict keys; a list value (none today) is kept hashable as a tuple.
    return tuple(value) if isinstance(value, list) else value


@dataclass(frozen=True)
class MetricName:
    """A stat's identity: the metric name plus the context (split, sub-split, perturbation)."""

    name: str
    split: str | None = None
    sub_split: str | None = None
    perturbation: PerturbationDescription | None = None

    def __hash__(self) -> int:
        # Names key every aggregation dict; caching the hash (fields are frozen) halves scoring time.
        try:
            cached: int = self.__dict__["_hash"]
            return cached
        except KeyError:
            h = hash((self.name, self.split, self.sub_split, self.perturbation))
            object.__setattr__(self, "_hash", h)
            return h

    def __getstate__(self) -> dict[str, Any]:
        # String hashes differ between processes: never carry the cached hash along.
        return {k: v for k, v in self.__dict__.items() if k != "_hash"}


Number = float  # ints are accepted wherever a float is (and stay ints, as in HELM)


@dataclass(slots=True)
class Stat:
    """Running count/sum/sum of squares/min/max of one metric; mean, variance, stddev derived.

    Mutable on purpose: aggregation merges thousands of values into one accumulator, and a
    frozen copy per update would dominate the cost of scoring.
    """

    name: MetricName
    count: int = 0
    sum: Number = 0
    sum_squared: Number = 0
    min: Number | None = None
    max: Number | None = None
    mean: Number | None = None
    variance: Number | None = None
    stddev: Number | None = None

    def add(self, x: Number | bool | None) -> Stat:
        """Add one value; `None` is ignored (count stays put), a bool counts as the int 1/0."""
        if self._accumulate(x):
            self._refresh()
        return self

    def merge(self, other: Stat) -> Stat:
        """Add all values summarised by `other` (its name is not looked at)."""
        self._merge_raw(other)
        self._refresh()
        return self

    def take_mean(self) -> Stat:
        """A stat holding only this stat's mean (itself when empty): one value per trial."""
        if self.count == 0:
            return self
        return Stat(self.name).add(self.mean)

    def copy(self, name: MetricName | None = None) -> Stat:
        """A shallow copy, optionally under another name (all fields are immutable values)."""
        return Stat(
            self.name if name is None else name,
            self.count,
            self.sum,
            self.sum_squared,
            self.min,
            self.max,
            self.mean,
            self.variance,
            self.stddev,
        )

    # The raw updates below skip the mean/variance refresh. The refresh depends only on count, sum
    # and sum_squared, so refreshing once after many raw updates gives bit-identical results.
    # `x < cur` / `x > cur` replacements are exactly what HELM's `min(cur, x)` / `max(cur, x)` pick.

    def _accumulate(self, x: Number | bool | None) -> bool:
        if x is None:
            return False
        if type(x) is not int and type(x) is not float:
            if hasattr(x, "item"):
                x = x.item()  # numpy scalar -> Python number, so JSON output stays plain
            if isinstance(x, bool):
                x = 1 if x else 0
        self.sum += x
        self.sum_squared += x * x
        lo, hi = self.min, self.max
        if lo is None or x < lo:
            self.min = x
        if hi is None or x > hi:
            self.max = x
        self.count += 1
        return True

    def _merge_raw(self, other: Stat) -> None:
        self.sum += other.sum
        self.sum_squared += other.sum_squared
        lo, hi = other.min, other.max
        if lo is not None and (self.min is None or lo < self.min):
            self.min = lo
        if hi is not None and (self.max is None or hi > self.max):
            self.max = hi
        self.count += other.count

    def _refresh(self) -> None:
        if self.count == 0:
            return
        mean = self.sum / self.count
        self.mean = mean
        pvariance = self.sum_squared / self.count - mean**2
        self.variance = 0 if pvariance < 0 else pvariance
        self.stddev = math.sqrt(self.variance)


def merge_stat(stats: dict[MetricName, Stat], stat: Stat) -> None:
    """Merge `stat` into the entry of the same name, inserting a copy (never `stat` itself) if new."""
    existing = stats.get(stat.name)
    if existing is None:
        stats[stat.name] = stat.copy()
    else:
        existing.merge(stat)


def merge_stats_deferred(stats: dict[MetricName, Stat], new: list[Stat], touched: set[MetricName]) -> None:
    """Like `merge_stat` for many stats, leaving the refresh to `refresh_all(stats, touched)`."""
    for stat in new:
        existing = stats.get(stat.name)
        if existing is None:
            stats[stat.name] = stat.copy()
        else:
            existing._merge_raw(stat)
            touched.add(stat.name)


def refresh_all(stats: dict[MetricName, Stat], touched: set[MetricName]) -> None:
    """Recompute mean/variance/stddev of the stats updated by the deferred helpers."""
    for name in touched:
        stats[name]._refresh()
    touched.clear()
