"""Head to head for the page: `presentation.compare.head_to_head`, plus the runs behind each instance.

The comparison itself (pairing runs by name without the model, instances by id and trial, right and
wrong by the per-instance main metric, the paired difference with its interval) is the presentation
code's, shared with helm-summarize's command line. The page links every listed instance to both
models' instance views, so each entry here also names its two runs: the first pair of runs in the
column (by `uncertainty.run_key`) in which both models have that instance.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from helm_lite.presentation.read_runs import Run
from helm_lite.presentation.schema import MetricMatcher
from helm_lite.presentation.tables import SuiteView, leaderboard_columns

InstanceKey = tuple[str, int]
ValuesOf = Callable[[Run, MetricMatcher], dict[InstanceKey, float]]


def compare(view: SuiteView, a: str, b: str, values_of: ValuesOf) -> dict[str, Any]:
    """`head_to_head(view, a, b)` with `pairs` per column and `run_a`/`run_b` on every listed instance
    (`values_of` gives a run's per-instance main-metric values); an unknown model is a `UserError`."""
    from helm_lite.presentation.compare import head_to_head
    from helm_lite.presentation.uncertainty import run_key

    data = head_to_head(view, a, b)
    for column, entry in zip(leaderboard_columns(view), data["columns"], strict=True):
        runs = view.group_runs(column.group)
        runs_a = {run_key(r): r for r in runs if r.model_deployment == data["a"]}
        runs_b = {run_key(r): r for r in runs if r.model_deployment == data["b"]}
        shared = sorted(runs_a.keys() & runs_b.keys())
        entry["pairs"] = len(shared)
        where: dict[InstanceKey, tuple[str, str]] = {}
        if entry["a_only"] or entry["b_only"]:
            for key in shared:
                names = (runs_a[key].name, runs_b[key].name)
                in_b = values_of(runs_b[key], column.matcher)
                for instance in values_of(runs_a[key], column.matcher):
                    if instance in in_b:
                        where.setdefault(instance, names)
        for side in ("a_only", "b_only"):
            for item in entry[side]:
                run_a, run_b = where.get((item["instance_id"], item["train_trial_index"]), (None, None))
                item.update(run_a=run_a, run_b=run_b)
    return data
