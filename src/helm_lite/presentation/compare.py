"""Head to head: where model A is right and model B wrong (and the reverse), per leaderboard column.

Two leaderboard rows (named by model or deployment) are compared on each column's main metric. Their
runs are paired by run name without the model (`uncertainty.run_key`), and rows by (instance id,
train trial). Right and wrong are `main_metric.instance_status` (1 = correct, 0 = incorrect); a
column whose metric has no right answer (lower is better, or no direction) lists no instances but
still gets the paired difference. The difference A − B and its interval are the leaderboard's own
paired bootstrap (`uncertainty.BoardUncertainty.pair`), so page, CLI and files agree.
"""

from __future__ import annotations

from typing import Any

from helm_lite.common.errors import UserError
from helm_lite.presentation.instance_values import run_instance_values
from helm_lite.presentation.main_metric import instance_status
from helm_lite.presentation.schema import DEFAULT_SCHEMA_PATH, display_name
from helm_lite.presentation.tables import SuiteView
from helm_lite.presentation.uncertainty import board_uncertainty, run_key

MAX_LISTED = 1000
"""Instances listed per side and column (counts are always complete)."""


def suite_view(
    output_path: str, suite: str, schema_path: str = DEFAULT_SCHEMA_PATH, local_path: str = "prod_env"
) -> SuiteView:
    """A suite's runs with the completed schema and the registry's model names: what helm-summarize
    builds its tables from, without writing anything."""
    from helm_lite.presentation.main_metric import complete_schema
    from helm_lite.presentation.models import ModelCatalog
    from helm_lite.presentation.read_runs import read_suite
    from helm_lite.presentation.schema import load_schema
    from helm_lite.registry.loader import load_registry

    runs = read_suite(output_path, suite)
    schema = complete_schema(load_schema(schema_path), runs)
    return SuiteView(runs, schema, ModelCatalog(load_registry(local_path)))


def _row_index(view: SuiteView, names: list[tuple[str, str]], wanted: str) -> int:
    """The first row whose deployment, model or model display name is `wanted`."""
    for i, (deployment, model) in enumerate(names):
        if wanted in (deployment, model, view.models.display_name(model)):
            return i
    known = ", ".join(sorted({d for d, _ in names})) or "none"
    raise UserError(f"--compare: no model or deployment {wanted!r} in the suite (it has: {known})")


def head_to_head(view: SuiteView, a: str, b: str) -> dict[str, Any]:
    """`a` against `b` (each a model, deployment or model display name) as plain JSON: {a, b,
    columns: [{group, group_display_name, title, metric, comparable, pairs, compared, a_only, b_only,
    a_only_count, b_only_count, difference, interval, stderr}]}; `pairs` counts the run pairs both
    models ran, `a_only` lists {instance_id, train_trial_index, run_a, run_b} where a is right and b
    wrong (at most `MAX_LISTED`; `run_a`/`run_b` name the two runs that instance was compared in)."""
    boot = board_uncertainty(view)
    keys = [(row.key[0], row.key[1]) for row in boot.rows]
    ia, ib = _row_index(view, keys, a), _row_index(view, keys, b)
    columns = []
    for j, column in enumerate(boot.columns):
        lower = column.header.lower_is_better
        paths = {r.run_path for r in view.group_runs(column.group)}
        runs_a = {run_key(r): r for r in boot.rows[ia].runs if r.run_path in paths}
        runs_b = {run_key(r): r for r in boot.rows[ib].runs if r.run_path in paths}
        a_only: list[dict[str, Any]] = []
        b_only: list[dict[str, Any]] = []
        compared = 0
        shared = sorted(runs_a.keys() & runs_b.keys())
        for key in shared:
            values_a = run_instance_values(runs_a[key], column.matcher)
            values_b = run_instance_values(runs_b[key], column.matcher)
            if values_a is None or values_b is None:
                continue
            rows_a, rows_b = values_a.by_row(), values_b.by_row()
            for instance in sorted(rows_a.keys() & rows_b.keys()):
                compared += 1
                status = (instance_status(rows_a[instance], lower), instance_status(rows_b[instance], lower))
                entry = {
                    "instance_id": instance[0],
                    "train_trial_index": instance[1],
                    "run_a": runs_a[key].name,
                    "run_b": runs_b[key].name,
                }
                if status == ("correct", "incorrect"):
                    a_only.append(entry)
                elif status == ("incorrect", "correct"):
                    b_only.append(entry)
        estimate = boot.pair(j, ia, ib)
        columns.append(
            {
                "group": column.group.name,
                "group_display_name": display_name(column.group),
                "title": column.header.value,
                "metric": column.matcher.name,
                "comparable": lower is False,
                "pairs": len(shared),
                "compared": compared,
                "a_only": a_only[:MAX_LISTED],
                "b_only": b_only[:MAX_LISTED],
                "a_only_count": len(a_only),
                "b_only_count": len(b_only),
                "difference": estimate.value if estimate else None,
                "interval": list(estimate.interval) if estimate else None,
                "stderr": estimate.stderr if estimate else None,
            }
        )
    return {"a": keys[ia][0], "b": keys[ib][0], "columns": columns}


def format_head_to_head(data: dict[str, Any], max_ids: int = 20) -> str:
    """The console form of `head_to_head`: per column the two counts with (some) instance ids, and the
    paired difference with its interval."""

    def ids(entries: list[dict[str, Any]], count: int) -> str:
        shown = [
            e["instance_id"] + (f"/trial {e['train_trial_index']}" if e["train_trial_index"] else "")
            for e in entries[:max_ids]
        ]
        more = f", … {count - len(shown)} more" if count > len(shown) else ""
        return f": {', '.join(shown)}{more}" if shown else ""

    a, b = data["a"], data["b"]
    lines = [f"{a} (A) vs {b} (B)"]
    for col in data["columns"]:
        lines.append(f"{col['title']} ({col['compared']} instances both ran)")
        if col["difference"] is None:
            lines.append("  no paired per-instance values")
        else:
            lo, hi = col["interval"]
            lines.append(f"  A − B = {col['difference']:+.3f}, 95% interval [{lo:+.3f}, {hi:+.3f}]")
        if col["comparable"]:
            lines.append(
                f"  A right, B wrong: {col['a_only_count']}{ids(col['a_only'], col['a_only_count'])}"
            )
            lines.append(
                f"  B right, A wrong: {col['b_only_count']}{ids(col['b_only'], col['b_only_count'])}"
            )
        else:
            lines.append("  no right or wrong answers for this metric")
    return "\n".join(lines) + "\n"
