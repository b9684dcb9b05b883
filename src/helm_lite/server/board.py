"""The leaderboard page's tables: helm-summarize's leaderboard, and one table per metric group.

The main table is `presentation.leaderboard.leaderboard_data` itself (the numbers of helm-summarize's
`leaderboard.csv`, with whatever uncertainty fields it carries). The other metric groups of the
schema (efficiency, general information, calibration, …) are built from the same pieces helm-summarize
uses for its group tables (`tables.group_columns`, `tables.table_rows`, `win_rate.mean_win_rates`).
Here only display names and descriptions from the schema are added, so the page shows the schema's
names and never computes a number of its own.
"""

from __future__ import annotations

from typing import Any

from helm_lite.presentation.leaderboard import plain_board
from helm_lite.presentation.schema import RunGroup, display_name
from helm_lite.presentation.tables import (
    Column,
    SuiteView,
    group_columns,
    leaderboard_columns,
)

MAIN = "main"
"""The picker's value for the leaderboard proper (each run group's main metric)."""


def metric_group_options(view: SuiteView) -> list[dict[str, Any]]:
    """The picker: the main table first, then every schema metric group that some leaderboard column's
    run group lists, in schema order. A metric group of only the main metric is the main table."""
    used = {name for group in view.primary_groups() for name in group.metric_groups}
    schema = view.schema
    accuracy = schema.metric_group_by_name.get("accuracy")
    options: list[dict[str, Any]] = [
        {
            "name": MAIN,
            "display_name": display_name(accuracy) if accuracy else "Main metric",
            "description": "Each run group's main metric (the leaderboard helm-summarize writes).",
        }
    ]
    for group in schema.metric_groups:
        # A group listing only `${main_name}` (HELM's `accuracy`, or `accuracy_mean` in the
        # Capabilities and Safety groups) is the main table again: it is not offered twice.
        only_main = all(m.name == "${main_name}" for m in group.metrics)
        if group.name in used and group.name != "accuracy" and not only_main and group.metrics:
            options.append(
                {"name": group.name, "display_name": display_name(group), "description": group.description}
            )
    return options


def _describe(view: SuiteView, column: Column, out: dict[str, Any]) -> dict[str, Any]:
    """A column as JSON with the schema's names: group and metric display names, markdown descriptions."""
    metric = view.schema.metric(column.matcher.name)
    group: RunGroup = column.group
    return {
        **out,
        "group_display_name": display_name(group),
        "group_description": group.description,
        "metric_display_name": display_name(metric),
        "metric_description": metric.description,
    }


def _plain_board(view: SuiteView, columns: list[Column]) -> dict[str, Any]:
    """`plain_board` with the schema's names on every column."""
    board = plain_board(view, columns)
    board["columns"] = [_describe(view, c, out) for c, out in zip(columns, board["columns"], strict=True)]
    return board


def suite_board(view: SuiteView, metric_group: str = MAIN, uncertainty: bool = True) -> dict[str, Any]:
    """The table for `metric_group` (`MAIN` or a name from `metric_group_options`), rows labelled with
    the registry's model display names; an unknown name is a `KeyError`. The main table carries
    `leaderboard_data`'s uncertainty fields unless `uncertainty` is False: those read every run's
    per-instance stats, so the page draws the plain table first and adds them when they arrive."""
    options = metric_group_options(view)
    if metric_group not in {o["name"] for o in options}:
        raise KeyError(metric_group)
    if metric_group == MAIN and uncertainty:
        from helm_lite.presentation.leaderboard import leaderboard_data

        data = leaderboard_data(view)
        columns = leaderboard_columns(view)
        data["columns"] = [_describe(view, c, out) for c, out in zip(columns, data["columns"], strict=True)]
    elif metric_group == MAIN:
        data = _plain_board(view, leaderboard_columns(view))
    else:
        columns = []
        for group in view.primary_groups():
            columns += group_columns(view, group, [metric_group], with_group=True)
        data = _plain_board(view, columns)
    for row in data["rows"]:
        row["model_display_name"] = view.models.display_name(row["model"])
    data["metric_group"] = metric_group
    data["uncertainty"] = metric_group == MAIN and uncertainty
    data["metric_groups"] = options
    return data
