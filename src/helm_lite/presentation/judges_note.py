"""Which judges made a leaderboard column's scores: a model-judged score means what its judge says,
so the leaderboard names the judge deployments next to the scores they made.

Read from each run's `run_info.json` (`judges: {annotator: {role: deployment}}`, written when the
run was judged); columns whose runs had no judge get nothing.
"""

from __future__ import annotations

from helm_lite.presentation.tables import Column, SuiteView
from helm_lite.run_directory import read_run_info


def run_judges(run_path: str) -> set[str]:
    """`annotator role: deployment` of one run (empty for an unjudged or unreadable run)."""
    try:
        info = read_run_info(run_path)
    except ValueError:
        return set()
    judges = info.get("judges") if isinstance(info, dict) else None
    if not isinstance(judges, dict):
        return set()
    return {
        f"{role}: {deployment}"
        for roles in judges.values()
        if isinstance(roles, dict)
        for role, deployment in roles.items()
    }


def column_judges(view: SuiteView, columns: list[Column]) -> list[list[str]]:
    """For each column, the sorted judges of its runs (`gpt: openai/gpt-4o-…`); [] when unjudged."""
    return [sorted(set().union(*(run_judges(r.run_path) for r in view.group_runs(c.group)))) for c in columns]


def judges_lines(columns: list[Column], judges: list[list[str]]) -> list[str]:
    """One line per judged column, for the text leaderboards."""
    return [f"{c.header.value}: judged by {', '.join(j)}" for c, j in zip(columns, judges, strict=True) if j]
