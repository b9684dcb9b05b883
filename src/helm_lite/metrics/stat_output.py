"""Output-side clean-up: HELM drops NaN-valued stats (with a warning) before writing JSON."""

from __future__ import annotations

import dataclasses
import logging
import math

from helm_lite.metrics.base import PerInstanceStats
from helm_lite.metrics.statistic import Stat

logger = logging.getLogger(__name__)


def remove_nan_stats(stats: list[Stat]) -> list[Stat]:
    """The stats whose sum is not NaN (JSON has no NaN; HELM tests `isnan(sum)`)."""
    kept: list[Stat] = []
    for stat in stats:
        if isinstance(stat.sum, float) and math.isnan(stat.sum):
            logger.warning("Removing stat %s because its value is NaN", stat.name.name)
            continue
        kept.append(stat)
    return kept


def remove_nan_per_instance_stats(rows: list[PerInstanceStats]) -> list[PerInstanceStats]:
    """Each row with its NaN stats removed (rows themselves are kept, as in HELM)."""
    return [dataclasses.replace(row, stats=remove_nan_stats(row.stats)) for row in rows]
