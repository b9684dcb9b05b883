"""The presentation schema (HELM's `schema_*.yaml`): which metrics and run groups to show, and how.

HELM's own schema files load unchanged (their `models` and `adapter` sections are ignored: models come
from the registry, adapter field docs are generated). A field or key HELM does not know is a one-line
`UserError` naming the file, the entry and the field (with the closest known name), because a typo in
a schema otherwise just makes a column go blank. References HELM's own schemas leave dangling (a
metric group naming a metric or perturbation the schema does not define, a metric defined twice) are
one warning line each, as in HELM, and the metric is shown by its name; references the tables cannot
do without (metric groups and subgroups of a run group) stay errors. Run groups the schema does not
name get a default (`default_run_group`), so any suite can be shown.
"""

from __future__ import annotations

import dataclasses
import difflib
import logging
import os
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any, TypeVar

from helm_lite.common.errors import UserError
from helm_lite.common.yaml_io import safe_load

logger = logging.getLogger(__name__)

DEFAULT_SCHEMA_PATH = str(Path(__file__).resolve().parent.parent / "configs" / "schema_lite.yaml")

BY_METRIC = "by_metric"
BY_GROUP = "by_group"
ALL_GROUPS = "all_groups"
THIS_GROUP_ONLY = "this_group_only"
NO_GROUPS = "no_groups"
DEFAULT_CATEGORY = "Scenarios"
ALL_SPLITS = "__all__"
WIN_RATE = "win_rate"
MEAN = "mean"

# Main metric of a run group the schema does not name: the first of these that its runs report.
DEFAULT_MAIN_METRICS = (
    "exact_match",
    "quasi_exact_match",
    "exact_match_indicator",
    "final_number_exact_match",
    "math_equiv_chain_of_thought",
    "math_equiv",
    "f1_score",
    "bleu_4",
    "rouge_l",
    "quasi_prefix_exact_match",
    "prefix_exact_match",
    "bits_per_byte",
)
DEFAULT_METRIC_GROUPS = ("accuracy", "efficiency", "general_information")
_TEMPLATE = re.compile(r"\$\{(\w+)\}")
_IGNORED_TOP_LEVEL = ("models", "adapter")
# Sections whose entries only describe how to show a name: a repeated name is a warning, and the
# later definition is the one looked up (HELM's schemas define a few metrics twice).
_LAST_DEFINITION_WINS = ("metrics", "perturbations")


@dataclass(frozen=True)
class MetricField:
    """A metric's display names and direction (`lower_is_better` ⊥ = not ordered, e.g. counters)."""

    name: str
    display_name: str | None = None
    short_display_name: str | None = None
    description: str | None = None
    lower_is_better: bool | None = None


@dataclass(frozen=True)
class Perturbation:
    name: str
    display_name: str | None = None
    short_display_name: str | None = None
    description: str | None = None
    lower_is_better: bool | None = None  # HELM's common field; unused for perturbations


@dataclass(frozen=True)
class MetricMatcher:
    """Selects stats by name/split/sub-split/perturbation; fields may be `${var}` templates."""

    name: str
    split: str
    sub_split: str | None = None
    perturbation_name: str | None = None

    def substitute(self, environment: dict[str, str]) -> MetricMatcher:
        def fill(text: str | None) -> str | None:
            if text is None:
                return None
            return _TEMPLATE.sub(lambda m: str(environment.get(m.group(1), m.group(0))), text)

        return MetricMatcher(
            name=fill(self.name) or "",
            split=fill(self.split) or "",
            sub_split=fill(self.sub_split),
            perturbation_name=fill(self.perturbation_name),
        )


@dataclass(frozen=True)
class MetricGroup:
    name: str
    display_name: str | None = None
    short_display_name: str | None = None
    description: str | None = None
    lower_is_better: bool | None = None  # HELM's common field; the metrics carry the direction
    metrics: list[MetricMatcher] = field(default_factory=list)
    hide_win_rates: bool | None = None
    aggregation_strategies: list[str] | None = None


@dataclass(frozen=True)
class RunGroup:
    """A scenario (leaf) or a set of scenarios (`subgroups`); `environment` fills metric templates."""

    name: str
    display_name: str | None = None
    short_display_name: str | None = None
    description: str | None = None
    short_description: str | None = None
    lower_is_better: bool | None = None  # HELM's common field; unused for run groups
    metric_groups: list[str] = field(default_factory=list)
    subgroups: list[str] = field(default_factory=list)
    sub_splits: list[str] | None = None
    subgroup_display_mode: str = BY_METRIC
    subgroup_metric_groups_hidden: list[str] = field(default_factory=list)
    environment: dict[str, str] = field(default_factory=dict)
    category: str = DEFAULT_CATEGORY
    visibility: str = ALL_GROUPS
    taxonomy: dict[str, str] | None = None
    todo: bool = False
    adapter_keys_shown: list[str] = field(default_factory=lambda: ["model_deployment", "model"])


Named = MetricField | Perturbation | MetricGroup | RunGroup


def display_name(item: Named) -> str:
    return item.display_name or item.name


def short_name(item: Named) -> str:
    return item.short_display_name or item.display_name or item.name


@dataclass(frozen=True)
class Schema:
    metrics: list[MetricField] = field(default_factory=list)
    perturbations: list[Perturbation] = field(default_factory=list)
    metric_groups: list[MetricGroup] = field(default_factory=list)
    run_groups: list[RunGroup] = field(default_factory=list)

    @cached_property
    def metric_by_name(self) -> dict[str, MetricField]:
        return {m.name: m for m in self.metrics}

    @cached_property
    def perturbation_by_name(self) -> dict[str, Perturbation]:
        return {p.name: p for p in self.perturbations}

    @cached_property
    def metric_group_by_name(self) -> dict[str, MetricGroup]:
        return {g.name: g for g in self.metric_groups}

    @cached_property
    def run_group_by_name(self) -> dict[str, RunGroup]:
        return {g.name: g for g in self.run_groups}

    def metric(self, name: str) -> MetricField:
        """The schema's entry, or a bare one (shown by name, not ordered) for a metric it lacks."""
        return self.metric_by_name.get(name) or MetricField(name=name)

    def with_run_groups(self, extra: Iterable[RunGroup]) -> Schema:
        extra = list(extra)
        return dataclasses.replace(self, run_groups=self.run_groups + extra) if extra else self

    def leaves(self, group: RunGroup) -> list[RunGroup]:
        """`group` itself when it has no subgroups, else its leaf descendants (in order, no repeats)."""
        out: list[RunGroup] = []
        seen: set[str] = set()

        def walk(g: RunGroup) -> None:
            if g.name in seen:
                return
            seen.add(g.name)
            if not g.subgroups:
                out.append(g)
            for sub in g.subgroups:
                walk(self.run_group_by_name[sub])

        walk(group)
        return out

    def main_matcher(self, group: RunGroup) -> MetricMatcher | None:
        """The group's headline metric: first metric of its `accuracy` metric group (else its first)."""
        names = group.metric_groups
        ordered = (["accuracy"] if "accuracy" in names else []) + [n for n in names if n != "accuracy"]
        for name in ordered:
            metric_group = self.metric_group_by_name.get(name)
            if metric_group and metric_group.metrics:
                return metric_group.metrics[0].substitute(group.environment)
        return None


# ---------------------------------------------------------------------------------------------
# Defaults for run groups the schema does not name


def default_run_group(name: str, stat_keys: Iterable[tuple[str, str | None]], schema: Schema) -> RunGroup:
    """A leaf group for `name`: main metric = first of DEFAULT_MAIN_METRICS its runs report.

    `stat_keys` are the (metric name, split) pairs of the group's runs (unperturbed). Main split: test,
    else valid, else the first split seen. Without any known accuracy metric the first stat with a
    direction (`lower_is_better` set in the schema) is used; without that, the group shows only the
    other metric groups.
    """
    keys = list(stat_keys)
    splits = [s for _, s in keys if s]
    split = (
        "test" if "test" in splits else "valid" if "valid" in splits else (splits[0] if splits else "test")
    )
    names_in_split = [n for n, s in keys if s == split]
    present = set(names_in_split)
    main = next((m for m in DEFAULT_MAIN_METRICS if m in present), None)
    if main is None:
        main = next((n for n in names_in_split if schema.metric(n).lower_is_better is not None), None)
    metric_groups = [g for g in DEFAULT_METRIC_GROUPS if g in schema.metric_group_by_name]
    if main is None:
        metric_groups = [g for g in metric_groups if g != "accuracy"]
    environment = {"main_split": split, **({"main_name": main} if main else {})}
    return RunGroup(name=name, display_name=name, metric_groups=metric_groups, environment=environment)


# ---------------------------------------------------------------------------------------------
# Loading and validation

T = TypeVar("T")


def load_schema(path: str | os.PathLike[str]) -> Schema:
    """Parse and validate a schema file; any problem is one `UserError` line naming file/entry/field."""
    import yaml

    shown = os.fspath(path)
    try:
        with open(path, encoding="utf-8") as f:
            data = safe_load(f)
    except FileNotFoundError:
        raise UserError(f"{shown}: schema file not found") from None
    except OSError as e:
        raise UserError(f"{shown}: cannot read ({e.strerror})") from None
    except UnicodeDecodeError as e:
        raise UserError(f"{shown}: not UTF-8 text ({e.reason} at byte {e.start})") from None
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark is not None else ""
        raise UserError(f"{shown}: invalid YAML{where}") from None
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise UserError(f"{shown}: expected a mapping with metrics, metric_groups and run_groups")
    known = {f.name for f in dataclasses.fields(Schema)}
    for key in data:
        if key not in known and key not in _IGNORED_TOP_LEVEL:
            hint = _did_you_mean(str(key), [*known, *_IGNORED_TOP_LEVEL])
            raise UserError(f"{shown}: unknown top-level key '{key}'{hint}")
    schema = Schema(
        metrics=_entries(data, "metrics", MetricField, shown),
        perturbations=_entries(data, "perturbations", Perturbation, shown),
        metric_groups=_entries(data, "metric_groups", MetricGroup, shown),
        run_groups=_entries(data, "run_groups", RunGroup, shown),
    )
    validate_schema(schema, shown)
    return schema


def _entries(data: dict[str, Any], key: str, cls: type[T], shown: str) -> list[T]:
    raw_list = data.get(key) or []
    if not isinstance(raw_list, list):
        raise UserError(f"{shown}: '{key}' must be a list")
    out: list[T] = []
    seen: set[str] = set()
    for index, raw in enumerate(raw_list, start=1):
        name = raw.get("name") if isinstance(raw, dict) else None
        label = f"{key} entry '{name}'" if isinstance(name, str) and name else f"{key} entry {index}"
        if not isinstance(raw, dict):
            raise UserError(f"{shown}: {label}: expected a mapping")
        try:
            entry = _build(cls, raw)
        except ValueError as e:
            raise UserError(f"{shown}: {label}: {e}") from None
        entry_name = getattr(entry, "name", "")
        if not entry_name:
            raise UserError(f"{shown}: {label}: field 'name' must not be empty")
        if entry_name in seen:
            if key not in _LAST_DEFINITION_WINS:
                raise UserError(f"{shown}: {label}: duplicate name")
            logger.warning("%s: %s: defined twice; the later definition is used", shown, label)
        seen.add(entry_name)
        out.append(entry)
    return out


def _build(cls: type[T], raw: dict[str, Any]) -> T:
    """`cls(**raw)` with strict field names and light type checks (YAML gives plain data)."""
    fields = {f.name: f for f in dataclasses.fields(cls)}  # type: ignore[arg-type]
    kwargs: dict[str, Any] = {}
    for key, value in raw.items():
        if key not in fields:
            raise ValueError(f"unknown field '{key}'{_did_you_mean(str(key), list(fields))}")
        if key == "metrics":
            if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
                raise ValueError("field 'metrics': expected a list of mappings")
            value = [_build(MetricMatcher, v) for v in value]
        elif key in ("environment", "taxonomy"):
            if value is not None and not isinstance(value, dict):
                raise ValueError(f"field '{key}': expected a mapping")
            value = {str(k): str(v) for k, v in value.items()} if value is not None else None
        elif key in ("metric_groups", "subgroups", "subgroup_metric_groups_hidden", "adapter_keys_shown"):
            value = _str_list(key, value)
        elif key in ("sub_splits", "aggregation_strategies"):
            value = None if value is None else _str_list(key, value)
        elif key in ("lower_is_better", "hide_win_rates", "todo"):
            if value is not None and not isinstance(value, bool):
                raise ValueError(f"field '{key}': expected true or false, got {value!r}")
        elif value is not None and not isinstance(value, str):
            value = str(value)
        kwargs[key] = value
    for name, f in fields.items():
        required = f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING
        if required and name not in kwargs:
            raise ValueError(f"missing required field '{name}'")
        if name in kwargs and kwargs[name] is None and not required and f.default is not None:
            del kwargs[name]  # `category: ~` means the default
    return cls(**kwargs)


def _did_you_mean(name: str, known: list[str]) -> str:
    close = difflib.get_close_matches(name, known, n=1)
    return f" (did you mean '{close[0]}'?)" if close else ""


def _str_list(key: str, value: Any) -> list[str]:
    if value is None:
        return []
    if not isinstance(value, list):
        raise ValueError(f"field '{key}': expected a list")
    return [str(v) for v in value]


def validate_schema(schema: Schema, shown: str) -> None:
    """HELM's checks: references resolve, splits are valid, subgroups form no cycle.

    A metric group's dangling metric or perturbation is a warning (HELM's own schemas have some, e.g.
    `schema_classic.yaml` names the undefined metric `bleu` and perturbation `synonyms`).
    """
    for group in schema.metric_groups:
        for matcher in group.metrics:
            where = f"{shown}: metric group '{group.name}'"
            if not _TEMPLATE.search(matcher.name) and matcher.name not in schema.metric_by_name:
                hint = _did_you_mean(matcher.name, list(schema.metric_by_name))
                logger.warning("%s: undefined metric '%s'%s; shown by its name", where, matcher.name, hint)
            if not _TEMPLATE.search(matcher.split) and matcher.split not in ("test", "valid", ALL_SPLITS):
                raise UserError(f"{where}: split must be test, valid or {ALL_SPLITS}, got '{matcher.split}'")
            pert = matcher.perturbation_name
            if (
                pert
                and not pert.startswith("__")  # HELM's reserved names, such as __all__
                and not _TEMPLATE.search(pert)
                and pert not in schema.perturbation_by_name
            ):
                hint = _did_you_mean(pert, list(schema.perturbation_by_name))
                logger.warning("%s: undefined perturbation '%s'%s", where, pert, hint)
        for strategy in group.aggregation_strategies or []:
            if strategy not in (WIN_RATE, MEAN):
                raise UserError(
                    f"{shown}: metric group '{group.name}': aggregation strategy must be "
                    f"{WIN_RATE} or {MEAN}, got '{strategy}'"
                )
    for run_group in schema.run_groups:
        _validate_run_group(schema, run_group, shown)
    _check_cycles(schema, shown)


def _validate_run_group(schema: Schema, group: RunGroup, shown: str) -> None:
    where = f"{shown}: run group '{group.name}'"
    for name in group.metric_groups + group.subgroup_metric_groups_hidden:
        if name not in schema.metric_group_by_name:
            raise UserError(f"{where}: undefined metric group '{name}'")
    for name in group.subgroups:
        if name not in schema.run_group_by_name:
            raise UserError(f"{where}: undefined subgroup '{name}'")
    if group.subgroup_display_mode not in (BY_METRIC, BY_GROUP):
        raise UserError(f"{where}: subgroup_display_mode must be {BY_METRIC} or {BY_GROUP}")
    if group.visibility not in (ALL_GROUPS, THIS_GROUP_ONLY, NO_GROUPS):
        raise UserError(f"{where}: visibility must be {ALL_GROUPS}, {THIS_GROUP_ONLY} or {NO_GROUPS}")


def _check_cycles(schema: Schema, shown: str) -> None:
    state: dict[str, int] = {}  # 1 = on the current path, 2 = done

    def visit(name: str) -> None:
        state[name] = 1
        for sub in schema.run_group_by_name[name].subgroups:
            if state.get(sub) == 1:
                raise UserError(f"{shown}: run group '{name}': subgroup cycle through '{sub}'")
            if sub not in state:
                visit(sub)
        state[name] = 2

    for group in schema.run_groups:
        if group.name not in state:
            visit(group.name)
