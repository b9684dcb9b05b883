"""HELM's group tables: the index (`groups.json`), one page per run group, and the leaderboard.

A table has one row per model (HELM's coarse adapter spec: deployment + model) and one column per
(run group, metric); a cell merges the stat over the row's runs in the column's group. Shapes follow
HELM (`Table`, `Cell`, `HeaderCell`) so that HELM's front end reads the JSON as it is.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote, urlencode

from helm_lite.presentation.models import ModelCatalog
from helm_lite.presentation.read_runs import Run
from helm_lite.presentation.schema import (
    ALL_GROUPS,
    BY_METRIC,
    MEAN,
    NO_GROUPS,
    WIN_RATE,
    MetricMatcher,
    RunGroup,
    Schema,
    display_name,
    short_name,
)
from helm_lite.presentation.stats import MergedStat, merge_runs
from helm_lite.presentation.win_rate import mean_win_rates

WIN_RATE_HEADER = "Mean win rate"
WIN_RATE_DESCRIPTION = "How many models this model outperforms on average (over columns)."
MEAN_SCORE_HEADER = "Mean score"
BOLD = {"font-weight": "bold"}
# HELM's coarse adapter spec: a table row per (deployment, model).
ROW_KEYS = ("model_deployment", "model")
INDEX_HEADER = (
    "Group",
    "Description",
    "Adaptation method",
    "# instances",
    "# references",
    "# prompt tokens",
    "# completion tokens",
    "# models",
)


@dataclass
class Hyperlink:
    text: str
    href: str


@dataclass
class Cell:
    value: Any = None
    display_value: str | None = None
    description: str | None = None
    href: str | None = None
    style: dict[str, str] | None = None
    markdown: bool = False
    run_spec_names: list[str] | None = None
    # [lo, hi]: the 95% bootstrap interval of a main-metric cell (helm_lite's; HELM's front end
    # ignores the field).
    interval: list[float] | None = None


@dataclass
class HeaderCell(Cell):
    lower_is_better: bool | None = None
    metadata: dict[str, str] = field(default_factory=dict)


@dataclass
class Table:
    title: str
    header: list[HeaderCell]
    rows: list[list[Cell]]
    links: list[Hyperlink] = field(default_factory=list)
    name: str | None = None
    description: str | None = None


@dataclass(frozen=True)
class Column:
    group: RunGroup
    matcher: MetricMatcher
    header: HeaderCell


def benchmarking_url(params: dict[str, str]) -> str:
    """A front-end link (`?group=…&runSpecs=[…]`), percent-encoded with spaces as %20 like HELM."""
    return "?" + urlencode(params, quote_via=quote)


def safe_file_name(text: str) -> str:
    """A table or group name usable as (part of) a file name on every OS."""
    return re.sub(r"[^A-Za-z0-9_.=,+-]", "_", text) or "_"


class SuiteView:
    """Runs + schema (with defaults for unnamed groups) + model names: what every table needs."""

    def __init__(self, runs: list[Run], schema: Schema, models: ModelCatalog) -> None:
        self.runs = runs
        self.schema = schema
        self.models = models
        self._tagged: dict[str, list[Run]] = {}
        for run in runs:
            for group in run.groups:
                self._tagged.setdefault(group, []).append(run)
        self._group_runs: dict[str, list[Run]] = {}
        # Derived results computed once per view (e.g. the leaderboard's bootstrap, `uncertainty`).
        self.cache: dict[object, Any] = {}

    def group_runs(self, group: RunGroup) -> list[Run]:
        """Runs tagged with the group or any of its leaf descendants, in suite order."""
        if group.name not in self._group_runs:
            paths = {r.run_path for r in self._tagged.get(group.name, [])}
            for leaf in self.schema.leaves(group):
                paths.update(r.run_path for r in self._tagged.get(leaf.name, []))
            self._group_runs[group.name] = [r for r in self.runs if r.run_path in paths]
        return self._group_runs[group.name]

    def shown_groups(self) -> list[RunGroup]:
        """Groups that get a page: those with runs, except `visibility: no_groups`."""
        return [g for g in self.schema.run_groups if g.visibility != NO_GROUPS and self.group_runs(g)]

    def subgroups_with_runs(self, group: RunGroup) -> list[RunGroup]:
        subs = [self.schema.run_group_by_name[s] for s in group.subgroups]
        return [s for s in subs if self.group_runs(s)]

    def primary_groups(self) -> list[RunGroup]:
        """Each run's first group (HELM lists the scenario's own group first): the leaderboard columns."""
        names = {run.groups[0] for run in self.runs}
        return [g for g in self.schema.run_groups if g.name in names]

    def row_key(self, run: Run, keys: Sequence[str]) -> tuple[str, ...]:
        spec = run.adapter_spec
        return tuple(str(spec.get(k, "")) for k in keys)


# ---------------------------------------------------------------------------------------------
# Columns


def metric_header(view: SuiteView, group: RunGroup, matcher: MetricMatcher, with_group: bool) -> HeaderCell:
    metric = view.schema.metric(matcher.name)
    text = short_name(metric)
    if matcher.perturbation_name:
        pert = view.schema.perturbation_by_name.get(matcher.perturbation_name)
        text += f" ({short_name(pert) if pert else matcher.perturbation_name})"
    if matcher.sub_split:
        text += f" ({matcher.sub_split})"
    if with_group:
        text = f"{short_name(group)} - {text}"
    group_text = group.short_description or group.description or ""
    metric_text = f"{display_name(metric)}: {metric.description or ''}".rstrip(": ")
    return HeaderCell(
        value=text,
        description=f"{group_text}\n\n{metric_text}" if group_text else metric_text,
        lower_is_better=metric.lower_is_better,
        metadata={"metric": display_name(metric), "run_group": short_name(group)},
    )


def group_columns(
    view: SuiteView, group: RunGroup, metric_group_names: Iterable[str], with_group: bool
) -> list[Column]:
    """Columns for `group`'s metrics in the given metric groups, templates filled from its environment."""
    columns = []
    for mg_name in metric_group_names:
        if mg_name not in group.metric_groups:
            continue
        metric_group = view.schema.metric_group_by_name[mg_name]
        for template in metric_group.metrics:
            matcher = template.substitute(group.environment)
            variants = [_with_sub_split(matcher, s) for s in group.sub_splits or []] or [matcher]
            columns += [Column(group, m, metric_header(view, group, m, with_group)) for m in variants]
    return columns


def _with_sub_split(matcher: MetricMatcher, sub_split: str) -> MetricMatcher:
    return MetricMatcher(matcher.name, matcher.split, sub_split, matcher.perturbation_name)


def leaderboard_columns(view: SuiteView) -> list[Column]:
    """One column per scenario group in the suite: its main metric."""
    columns = []
    for group in view.primary_groups():
        matcher = view.schema.main_matcher(group)
        if matcher is not None:
            columns.append(Column(group, matcher, metric_header(view, group, matcher, True)))
    return columns


# ---------------------------------------------------------------------------------------------
# Tables


def build_table(
    view: SuiteView,
    title: str,
    columns: list[Column],
    runs: list[Run],
    *,
    name: str | None = None,
    adapter_keys: Sequence[str] = ROW_KEYS,
    aggregation: Sequence[str] = (),
    scenario_link: tuple[str, str] | None = None,
    description: str | None = None,
) -> Table:
    """Rows = models (sorted by registry order, then deployment), columns = `columns`.

    `aggregation` adds HELM's `Mean win rate` and/or `Mean score` column at index 1; a scenario table
    (`scenario_link` = (group, subgroup title)) links each row to its runs instead.
    """
    rows = table_rows(view, columns, runs, adapter_keys, with_run_names=scenario_link is None)
    from helm_lite.presentation.uncertainty import add_intervals  # it builds on this module

    add_intervals(view, columns, rows)
    keys = list(adapter_keys)
    model_at = keys.index("model") if "model" in keys else None
    labels = _row_labels(view, [r.key for r in rows], keys, model_at)

    header = [HeaderCell(value="Model", description="")]
    header += [c.header for c in columns]
    body: list[list[Cell]] = []
    values: list[list[float | None]] = [[r.cells[j].value for r in rows] for j in range(len(columns))]
    for row, label in zip(rows, labels, strict=True):
        names = sorted({r.name for r in row.runs})
        first = Cell(value=label, description="")
        if scenario_link is not None:
            group_name, subgroup = scenario_link
            first.href = benchmarking_url(
                {"group": group_name, "subgroup": subgroup, "runSpecs": json.dumps(names)}
            )
            first.run_spec_names = names
        body.append([first, *row.cells])

    table = Table(title=title, header=header, rows=body, name=name, description=description)
    directions = [c.header.lower_is_better for c in columns]
    # As in HELM, the aggregate columns follow the model column in the order the strategies are listed.
    for at, strategy in enumerate(aggregation, start=1):
        if strategy == MEAN:
            _insert_mean_score(table, values, directions, at)
        elif strategy == WIN_RATE:
            _insert_column(
                table,
                HeaderCell(value=WIN_RATE_HEADER, description=WIN_RATE_DESCRIPTION, lower_is_better=False),
                mean_win_rates(values, directions) if values else [None] * len(body),
                at,
            )
    bold_best(table)
    if scenario_link is not None and 2 <= sum(len(r.runs) for r in rows) <= 5:
        group_name, subgroup = scenario_link
        all_names = sorted({r.name for r in runs})
        table.links.append(
            Hyperlink(
                "compare all",
                benchmarking_url(
                    {"group": group_name, "subgroup": subgroup, "runSpecs": json.dumps(all_names)}
                ),
            )
        )
    return table


@dataclass(frozen=True)
class TableRow:
    """One row of a table before it is labelled: its key (adapter fields), its runs, its metric cells."""

    key: tuple[str, ...]
    runs: list[Run]
    cells: list[Cell]


def table_rows(
    view: SuiteView,
    columns: Sequence[Column],
    runs: list[Run],
    adapter_keys: Sequence[str] = ROW_KEYS,
    *,
    with_run_names: bool = True,
) -> list[TableRow]:
    """Runs grouped by `adapter_keys` (sorted by registry order, then deployment), one cell per
    column: the column's stat merged over the row's runs in the column's group."""
    keys = list(adapter_keys)
    rows_runs: dict[tuple[str, ...], list[Run]] = {}
    for run in runs:
        rows_runs.setdefault(view.row_key(run, keys), []).append(run)
    model_at = keys.index("model") if "model" in keys else None
    deployment_at = keys.index("model_deployment") if "model_deployment" in keys else None

    def sort_key(key: tuple[str, ...]) -> tuple[Any, ...]:
        model = key[model_at] if model_at is not None else ""
        return (view.models.sort_key(model), key[deployment_at] if deployment_at is not None else "", key)

    column_paths = [{r.run_path for r in view.group_runs(c.group)} for c in columns]
    out = []
    for key in sorted(rows_runs, key=sort_key):
        row_runs = rows_runs[key]
        cells = [
            _metric_cell([r for r in row_runs if r.run_path in paths], column.matcher, with_run_names)
            for column, paths in zip(columns, column_paths, strict=True)
        ]
        out.append(TableRow(key, row_runs, cells))
    return out


def _row_labels(
    view: SuiteView, row_keys: list[tuple[str, ...]], keys: list[str], model_at: int | None
) -> list[str]:
    """Model display names; rows sharing one get ` [key: value]` for the keys that tell them apart."""
    base = [view.models.display_name(k[model_at]) if model_at is not None else ", ".join(k) for k in row_keys]
    labels = []
    for i, key in enumerate(row_keys):
        twins = [row_keys[j] for j in range(len(row_keys)) if base[j] == base[i]]
        extra = [
            f"{keys[p]}: {key[p]}"
            for p in range(len(keys))
            if p != model_at and len({t[p] for t in twins}) > 1
        ]
        labels.append(base[i] + (f" [{', '.join(extra)}]" if extra else ""))
    return labels


def _metric_cell(runs: list[Run], matcher: MetricMatcher, with_run_names: bool) -> Cell:
    if not runs:
        return Cell(value=None, description="No matching runs")
    merged: MergedStat
    merged, matched = merge_runs(runs, matcher)
    if not matched:
        return Cell(value=None, description=f"{len(runs)} matching runs, but no matching metrics")
    return Cell(
        value=merged.mean,
        description=merged.describe(),
        style={},
        run_spec_names=sorted({r.name for r in runs}) if with_run_names else None,
    )


def _insert_column(table: Table, header: HeaderCell, values: Sequence[float | None], at: int = 1) -> None:
    table.header.insert(at, header)
    for row, value in zip(table.rows, values, strict=True):
        row.insert(at, Cell(value=value, style={} if value is not None else None))


def _insert_mean_score(
    table: Table, values: list[list[float | None]], directions: list[bool | None], at: int = 1
) -> None:
    """HELM's `Mean score`: per row, the mean of the columns that have a value (a missing cell, such
    as a judged score without judgements, is left out rather than counted as 0); None without any."""
    ordered = {d for d in directions if d is not None}
    lower = ordered.pop() if len(ordered) == 1 else None
    means: list[float | None] = []
    for i in range(len(table.rows)):
        row_values = [col[i] for col in values if col[i] is not None]
        means.append(sum(row_values) / len(row_values) if row_values else None)  # type: ignore[arg-type]
    _insert_column(
        table,
        HeaderCell(
            value=MEAN_SCORE_HEADER,
            description="The mean of the scores from all columns.",
            lower_is_better=lower,
        ),
        means,
        at,
    )


def bold_best(table: Table) -> None:
    """HELM marks the best value(s) of every ordered column in bold."""
    for j, head in enumerate(table.header):
        if head.lower_is_better is None:
            continue
        present = [row[j].value for row in table.rows if isinstance(row[j].value, (int, float))]
        if not present:
            continue
        best = min(present) if head.lower_is_better else max(present)
        for row in table.rows:
            if row[j].value == best:
                row[j].style = dict(BOLD)


# ---------------------------------------------------------------------------------------------
# Pages


def group_tables(view: SuiteView, group: RunGroup) -> list[Table]:
    """The tables of `groups/<group>.json`.

    A group with subgroups (shown by metric) gets one table per metric group with a column per
    subgroup; a scenario group gets one table per scenario spec, after an aggregate table when it
    has several.
    """
    subgroups = view.subgroups_with_runs(group)
    schema = view.schema
    tables: list[Table] = []
    if subgroups and group.subgroup_display_mode == BY_METRIC:
        names = list(group.metric_groups)
        if not names:
            for sub in subgroups:
                names += [n for n in sub.metric_groups if n not in names]
        names = [
            n for n in names if f"{n}_detailed" not in names and n not in group.subgroup_metric_groups_hidden
        ]
        for mg_name in names:
            metric_group = schema.metric_group_by_name[mg_name]
            columns = [
                c for sub in subgroups for c in group_columns(view, sub, [mg_name], len(subgroups) > 1)
            ]
            if not columns:
                continue
            # HELM's precedence: declared strategies, else none when win rates are hidden, else win rate.
            aggregation = metric_group.aggregation_strategies
            if aggregation is None:
                aggregation = [] if metric_group.hide_win_rates else [WIN_RATE]
            tables.append(
                build_table(
                    view,
                    display_name(metric_group),
                    columns,
                    view.group_runs(group),
                    name=mg_name,
                    adapter_keys=group.adapter_keys_shown,
                    aggregation=aggregation,
                )
            )
        return tables

    for sub in subgroups or [group]:
        columns = group_columns(view, sub, sub.metric_groups, False)
        runs = view.group_runs(sub)
        by_spec: dict[str, list[Run]] = {}
        for run in runs:
            by_spec.setdefault(json.dumps(run.run_spec.get("scenario_spec"), sort_keys=True), []).append(run)
        scenario_tables = []
        for spec_runs in by_spec.values():
            args = spec_runs[0].scenario_args
            title = ", ".join(f"{k}: {v}" for k, v in args.items()) or display_name(sub)
            table_name = ",".join(f"{k}={v}" for k, v in args.items()) or sub.name
            scenario_tables.append(
                build_table(
                    view,
                    title,
                    columns,
                    spec_runs,
                    name=table_name,
                    adapter_keys=sub.adapter_keys_shown,
                    scenario_link=(group.name, title),
                )
            )
        if len(by_spec) > 1:
            tables.append(
                build_table(
                    view, display_name(sub), columns, runs, name=sub.name, adapter_keys=sub.adapter_keys_shown
                )
            )
        tables.extend(scenario_tables)
    return tables


def leaderboard_table(view: SuiteView, columns: list[Column]) -> Table:
    """Models × (mean win rate, main metric of every scenario group), best win rate first."""
    table = build_table(view, "Leaderboard", columns, view.runs, name="leaderboard", aggregation=[WIN_RATE])
    table.rows.sort(key=lambda row: (row[1].value is None, -(row[1].value or 0.0)))
    return table


def index_tables(view: SuiteView) -> list[Table]:
    """`groups.json`: one table per category listing its groups (all_groups visibility, with runs)."""
    by_category: dict[str, list[list[Cell]]] = {}
    for group in view.shown_groups():
        if group.visibility == ALL_GROUPS:
            by_category.setdefault(group.category, []).append(_index_row(view, group))
    return [
        Table(
            title=category,
            header=[HeaderCell(value=text, description="") for text in INDEX_HEADER],
            rows=rows,
        )
        for category, rows in by_category.items()
    ]


def _index_row(view: SuiteView, group: RunGroup) -> list[Cell]:
    runs = view.group_runs(group)
    methods = sorted({str(r.adapter_spec.get("method", "")) for r in runs} - {""})

    def mean_of(metric: str) -> float | None:
        values = [
            s["mean"]
            for r in runs
            for s in r.stats_by_name.get(metric, ())
            if "perturbation" not in s["name"] and "mean" in s
        ]
        return sum(values) / len(values) if values else None

    return [
        Cell(
            value=display_name(group),
            href=benchmarking_url({"group": group.name}),
            description=group.description or "",
        ),
        Cell(value=group.description or "", markdown=True),
        Cell(value=", ".join(methods)),
        Cell(value=mean_of("num_instances")),
        Cell(value=mean_of("num_references")),
        Cell(value=mean_of("num_prompt_tokens")),
        Cell(value=mean_of("num_completion_tokens")),
        Cell(value=len({r.model_deployment for r in runs})),
    ]
