"""The leaderboard as data (for helm-server's page): helm-summarize's leaderboard, not a second one.

Columns are `tables.leaderboard_columns` (each scenario group's main metric, `main_metric`), rows and
cells are `tables.table_rows` (HELM's row key, stats merged over a cell's runs), win rates are
`win_rate.mean_win_rates` over the same columns and directions: the numbers are the ones in
`leaderboard.csv`, only the shape differs (plain JSON with the runs behind every cell). The
uncertainty fields (intervals, ranks, tie groups) come from
`uncertainty.board_uncertainty`, the bootstrap behind the leaderboard files too.
"""

from __future__ import annotations

from typing import Any

from helm_lite.presentation.judges_note import column_judges
from helm_lite.presentation.stats import merge_runs
from helm_lite.presentation.tables import ROW_KEYS, Column, SuiteView, leaderboard_columns, table_rows
from helm_lite.presentation.win_rate import mean_win_rates


def plain_board(view: SuiteView, columns: list[Column]) -> dict[str, Any]:
    """`columns`, `rows` and `missing` for `columns`, without the uncertainty fields (no per-instance
    file is read): what helm-server draws first, and what `leaderboard_data` completes."""
    rows = table_rows(view, columns, view.runs, ROW_KEYS)
    values = [[row.cells[j].value for row in rows] for j in range(len(columns))]
    directions = [c.header.lower_is_better for c in columns]
    win_rates = mean_win_rates(values, directions) if values else [None] * len(rows)
    column_runs = [{r.run_path for r in view.group_runs(c.group)} for c in columns]
    missing: list[dict[str, str]] = []
    out_rows = []
    for row, win_rate in zip(rows, win_rates, strict=True):
        deployment, model = row.key
        cells: list[dict[str, Any] | None] = []
        for j, column in enumerate(columns):
            runs = [r for r in row.runs if r.run_path in column_runs[j]]
            if not runs:
                cells.append(None)
                continue
            per_run = []
            for run in runs:
                merged, matched = merge_runs([run], column.matcher)
                per_run.append({"name": run.name, "value": merged.mean if matched else None})
                if not matched:
                    reason = f"stats.json has no {column.matcher.name} for split {column.matcher.split}"
                    missing.append({"run": run.name, "reason": reason})
            cells.append({"value": row.cells[j].value, "runs": per_run})
        out_rows.append(
            {"model": model, "model_deployment": deployment, "win_rate": win_rate, "cells": cells}
        )
    out_columns = [
        {
            "group": c.group.name,
            "metric": c.matcher.name,
            "split": c.matcher.split,
            "lower_is_better": c.header.lower_is_better,
            "title": c.header.value,
            "judges": judges,  # who judged a model-judged column's scores ([] when nobody)
        }
        for c, judges in zip(columns, column_judges(view, columns), strict=True)
    ]
    return {"columns": out_columns, "rows": out_rows, "missing": missing}


def leaderboard_data(view: SuiteView) -> dict[str, Any]:
    """`plain_board` of the leaderboard's columns, with the uncertainty fields: rows get
    `win_rate_interval`, `rank`, `tie_group`, `tied_with`; a non-null cell gets `interval` [lo, hi] and
    `stderr` (None when the runs lack per-instance values). A pair of models' paired difference on a
    column is `uncertainty.BoardUncertainty.pair` (the head-to-head's), not part of the board."""
    from helm_lite.presentation.uncertainty import board_uncertainty

    board = plain_board(view, leaderboard_columns(view))
    boot = board_uncertainty(view)
    ranking = boot.ranking([row["win_rate"] for row in board["rows"]])
    for i, row in enumerate(board["rows"]):
        for j, cell in enumerate(row["cells"]):
            if cell is not None:
                estimate = boot.cells[i][j]
                cell["interval"] = list(estimate.interval) if estimate else None
                cell["stderr"] = estimate.stderr if estimate else None
        interval = boot.win_rate_intervals[i] if row["win_rate"] is not None else None
        row["win_rate_interval"] = list(interval) if interval else None
        row.update(ranking[i])
    return board
