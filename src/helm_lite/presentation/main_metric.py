"""The main-metric rule shared by helm-summarize and helm-server.

A run group's main metric and split are the presentation schema's: the first metric of the group's
`accuracy` metric group (else of its first metric group), with `${main_name}` / `${main_split}` filled
from the group's environment (`Schema.main_matcher`). A group the schema does not name gets a default
from its runs' stats (`default_run_group`), so every suite has a leaderboard. Whether lower is better
is the schema's `lower_is_better` for that metric. A run's main metric is that of its first run group
(HELM's parent group, e.g. `mmlu` for every subject), and its value merges the matching stats of the
run as a table cell does, so a run page and the leaderboard cell of a single run always agree.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from dataclasses import dataclass

from helm_lite.presentation.read_runs import Run
from helm_lite.presentation.schema import RunGroup, Schema, default_run_group
from helm_lite.presentation.stats import merge_runs, run_stats, unperturbed_keys


def complete_schema(schema: Schema, runs: Iterable[Run]) -> Schema:
    """`schema` plus a default run group for every group the runs name but the schema does not, and
    (as HELM does) an `all_scenarios` parent when no group has subgroups."""
    tagged: dict[str, list[Run]] = {}
    for run in runs:
        for name in run.groups:
            tagged.setdefault(name, []).append(run)
    missing = sorted(name for name in tagged if name not in schema.run_group_by_name)
    schema = schema.with_run_groups(
        default_run_group(name, unperturbed_keys(tagged[name]), schema) for name in missing
    )
    if schema.run_groups and not any(g.subgroups for g in schema.run_groups):
        parent = RunGroup(
            name="all_scenarios",
            display_name="All scenarios",
            description="All scenarios",
            category="All scenarios",
            subgroups=[g.name for g in schema.run_groups if g.name in tagged],
        )
        schema = dataclasses.replace(schema, run_groups=[parent, *schema.run_groups])
    return schema


@dataclass(frozen=True)
class RunMainMetric:
    """A run's main metric: `name` is the stat actually read (HELM scores a run without
    `quasi_exact_match` by `exact_match`), `value` its merged mean (None when the run lacks it)."""

    group: str
    name: str
    split: str
    value: float | None
    lower_is_better: bool | None


def run_main_metric(schema: Schema, run: Run) -> RunMainMetric | None:
    """The main metric of `run`'s first group in `schema` (a completed schema; a group it lacks gets a
    default from this run's stats alone). None when the group has no metric to show."""
    group_name = run.groups[0]
    group: RunGroup | None = schema.run_group_by_name.get(group_name)
    if group is None:
        group = default_run_group(group_name, unperturbed_keys([run]), schema)
    matcher = schema.main_matcher(group)
    if matcher is None:
        return None
    merged, matched = merge_runs([run], matcher)
    found = run_stats(run, matcher)
    name = found[0]["name"]["name"] if found else matcher.name
    return RunMainMetric(
        group=group.name,
        name=name,
        split=matcher.split,
        value=merged.mean if matched else None,
        lower_is_better=schema.metric(matcher.name).lower_is_better,
    )


def instance_status(value: float | None, lower_is_better: bool | None) -> str:
    """correct (1) / incorrect (0) / partial (between) from an instance's main-metric value; unscored
    without a value or when lower is better (a perplexity has no 'correct')."""
    if value is None or lower_is_better:
        return "unscored"
    if value >= 1:
        return "correct"
    if value <= 0:
        return "incorrect"
    return "partial"
