"""Find a run's stats for a schema metric and merge them across runs (one table cell).

Each run contributes its trial-level stat (count = number of trials, sum = the per-trial means),
so merging MMLU's 57 subject runs gives HELM's unweighted mean over subjects.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from helm_lite.presentation.read_runs import Run
from helm_lite.presentation.schema import ALL_SPLITS, MetricMatcher

# HELM: a run without quasi_exact_match is scored by exact_match instead.
FALLBACK_METRICS = {"quasi_exact_match": "exact_match"}


@dataclass
class MergedStat:
    count: float = 0
    sum: float = 0.0
    sum_squared: float = 0.0
    min: float = math.inf
    max: float = -math.inf

    def add(self, stat: dict[str, Any]) -> None:
        count = stat.get("count") or 0
        if not count:
            return
        self.count += count
        self.sum += stat.get("sum", 0.0)
        self.sum_squared += stat.get("sum_squared", 0.0)
        self.min = min(self.min, stat.get("min", math.inf))
        self.max = max(self.max, stat.get("max", -math.inf))

    @property
    def mean(self) -> float | None:
        return self.sum / self.count if self.count else None

    def describe(self) -> str:
        """HELM's cell tooltip: `min=…, mean=…, max=…, sum=… (count)`."""
        if not self.count:
            return "no values"
        mean = self.mean if self.mean is not None else math.nan
        parts = (f"{k}={fmt_number(v)}" for k, v in (("min", self.min), ("mean", mean), ("max", self.max)))
        return f"{', '.join(parts)}, sum={fmt_number(self.sum)} ({fmt_number(self.count)})"


def fmt_number(value: float) -> str:
    """Integers without decimals, everything else rounded to 3 places."""
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    if float(value).is_integer():
        return str(int(value))
    return str(round(value, 3))


def stat_matches(name: dict[str, Any], matcher: MetricMatcher) -> bool:
    """HELM's rules: split equal unless `__all__`; a given sub-split must be equal (else all merged);
    perturbation name equal to the matcher's (none = unperturbed), and only worst-case perturbed stats."""
    if matcher.split != ALL_SPLITS and name.get("split") != matcher.split:
        return False
    if matcher.sub_split is not None and name.get("sub_split") != matcher.sub_split:
        return False
    perturbation = name.get("perturbation")
    if matcher.perturbation_name is None:
        return perturbation is None
    return (
        isinstance(perturbation, dict)
        and perturbation.get("name") == matcher.perturbation_name
        and perturbation.get("computed_on") == "worst"
    )


def run_stats(run: Run, matcher: MetricMatcher) -> list[dict[str, Any]]:
    found = [s for s in run.stats_by_name.get(matcher.name, ()) if stat_matches(s["name"], matcher)]
    if not found and matcher.name in FALLBACK_METRICS:
        fallback = MetricMatcher(
            FALLBACK_METRICS[matcher.name], matcher.split, matcher.sub_split, matcher.perturbation_name
        )
        found = [s for s in run.stats_by_name.get(fallback.name, ()) if stat_matches(s["name"], fallback)]
    return found


def merge_runs(runs: Iterable[Run], matcher: MetricMatcher) -> tuple[MergedStat, int]:
    """The merged stat over `runs`, and how many stats matched (0 = the runs lack the metric)."""
    merged = MergedStat()
    matched = 0
    for run in runs:
        for stat in run_stats(run, matcher):
            merged.add(stat)
            matched += 1
    return merged, matched


def unperturbed_keys(runs: Iterable[Run]) -> list[tuple[str, str | None]]:
    """Distinct (metric, split) pairs of the runs' unperturbed stats, in first-seen order."""
    seen: dict[tuple[str, str | None], None] = {}
    for run in runs:
        for stat in run.stats:
            name = stat["name"]
            if "perturbation" not in name:
                seen.setdefault((name["name"], name.get("split")), None)
    return list(seen)
