"""`leaderboard.json/.csv/.md/.tex`: the leaderboard table with its intervals, ranks and tie groups.

The table is `tables.build_table`'s (models × mean win rate and each scenario group's main metric,
cells carrying their bootstrap `interval`); here the mean win rate gets its interval too, rows are
sorted best first, and each row gets its rank and tie group from `uncertainty.BoardUncertainty`.
"""

from __future__ import annotations

import os

from helm_lite.common.json_io import write_json_atomic, write_text_atomic
from helm_lite.presentation.judges_note import column_judges, judges_lines
from helm_lite.presentation.schema import WIN_RATE
from helm_lite.presentation.tables import ROW_KEYS, Column, SuiteView, Table, build_table, table_rows
from helm_lite.presentation.uncertainty import table_uncertainty
from helm_lite.presentation.writers import RowRank, table_csv, table_latex, table_markdown

LEADERBOARD = "leaderboard"


def ranked_leaderboard(view: SuiteView, columns: list[Column]) -> tuple[Table, list[RowRank]]:
    """The leaderboard table, best mean win rate first, and each row's rank and tie group."""
    table = build_table(view, "Leaderboard", columns, view.runs, name=LEADERBOARD, aggregation=[WIN_RATE])
    boot = table_uncertainty(view, columns, table_rows(view, columns, view.runs, ROW_KEYS))
    win_rates = [row[1].value if isinstance(row[1].value, (int, float)) else None for row in table.rows]
    ranking = boot.ranking(win_rates)
    for row, rate, interval in zip(table.rows, win_rates, boot.win_rate_intervals, strict=True):
        if rate is not None and interval is not None:
            row[1].interval = list(interval)
    labels = [str(row[0].value) for row in table.rows]
    groups = [place["tie_group"] for place in ranking]
    ranks = [
        RowRank(place["rank"], tuple(labels[k] for k, g in enumerate(groups) if k != i and g == groups[i]))
        for i, place in enumerate(ranking)
    ]
    order = sorted(range(len(table.rows)), key=lambda i: (win_rates[i] is None, -(win_rates[i] or 0.0)))
    table.rows = [table.rows[i] for i in order]
    return table, [ranks[i] for i in order]


def write_leaderboard(view: SuiteView, columns: list[Column], out_dir: str) -> Table:
    """Write the four leaderboard files into `out_dir`; returns the table (for the plots)."""
    table, ranks = ranked_leaderboard(view, columns)
    judged = judges_lines(columns, column_judges(view, columns))
    if judged:  # a judged score means what its judge says: name the judges
        table.description = "; ".join(judged)
    path = os.path.join(out_dir, LEADERBOARD)
    write_json_atomic(f"{path}.json", table)
    write_text_atomic(f"{path}.csv", table_csv(table, ranks))
    notes = "".join(f"\n{line}\n" for line in judged)
    write_text_atomic(f"{path}.md", table_markdown(table, ranks) + notes)
    write_text_atomic(f"{path}.tex", table_latex(table, LEADERBOARD, ranks))
    return table
