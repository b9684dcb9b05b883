"""Read a suite's finished runs (`run_spec.json` + `stats.json`) as plain JSON data.

Runs are kept as the dicts HELM wrote (not rebuilt into dataclasses): summarize only reads a few
fields, passes the rest through to `runs.json`, and must accept files written by HELM itself. Which
folders are runs and when one is complete is `run_directory`'s rule: a run that is incomplete (one of
the five files missing), damaged (a file's size differs from its completion record) or broken (bad
JSON, wrong shape) is skipped with one warning line, so one interrupted run never stops a summary of
the others. Hidden folders (a run being written, or left by a killed writer) are never read.
"""

from __future__ import annotations

import json
import logging
import os
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from helm_lite.common.errors import UserError
from helm_lite.run_directory import check_run, run_names

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Run:
    suite: str
    run_path: str  # <output>/runs/<suite>/<run dir>, as HELM writes it into runs.json
    run_spec: dict[str, Any]
    stats: list[dict[str, Any]] = field(repr=False)

    @property
    def name(self) -> str:
        return str(self.run_spec["name"])

    @property
    def adapter_spec(self) -> dict[str, Any]:
        spec = self.run_spec.get("adapter_spec")
        return spec if isinstance(spec, dict) else {}

    @property
    def model_deployment(self) -> str:
        return str(self.adapter_spec.get("model_deployment") or self.model)

    @property
    def model(self) -> str:
        return str(self.adapter_spec.get("model") or self.adapter_spec.get("model_deployment") or "")

    @cached_property
    def groups(self) -> list[str]:
        """The run's groups; HELM always sets them, a run without any is grouped by scenario name."""
        groups = [str(g) for g in self.run_spec.get("groups") or []]
        return groups or [self.name.split(":")[0].split(",")[0]]

    @property
    def scenario_args(self) -> dict[str, Any]:
        spec = self.run_spec.get("scenario_spec")
        args = spec.get("args") if isinstance(spec, dict) else None
        return args if isinstance(args, dict) else {}

    @cached_property
    def stats_by_name(self) -> dict[str, list[dict[str, Any]]]:
        """Stats indexed by metric name, so a table cell looks at a handful of stats, not hundreds."""
        index: dict[str, list[dict[str, Any]]] = {}
        for stat in self.stats:
            index.setdefault(stat["name"]["name"], []).append(stat)
        return index


def suite_dir(output_path: str, suite: str) -> str:
    return os.path.join(output_path, "runs", suite)


def read_suite(output_path: str, suite: str) -> list[Run]:
    """All complete runs of `suite`, in sorted directory order; a missing suite is a `UserError`."""
    directory = suite_dir(output_path, suite)
    if not os.path.isdir(directory):
        raise UserError(f"no such suite directory: {directory}")
    runs = []
    for entry in run_names(directory):
        run = read_run(os.path.join(directory, entry), suite)
        if run is not None:
            runs.append(run)
    return runs


def read_run(run_dir: str, suite: str) -> Run | None:
    """The run in `run_dir`, or None after one warning line saying why it is skipped."""
    check = check_run(run_dir)
    if not check.complete:
        logger.warning("Skipping %s: %s", run_dir, check.reason)
        return None
    try:
        run_spec = _load(os.path.join(run_dir, "run_spec.json"))
        stats = _load(os.path.join(run_dir, "stats.json"))
    except ValueError as e:
        logger.warning("Skipping %s: %s", run_dir, e)
        return None
    problem = shape_problem(run_spec, stats)
    if problem:
        logger.warning("Skipping %s: %s", run_dir, problem)
        return None
    return Run(suite=suite, run_path=run_dir, run_spec=run_spec, stats=stats)


def _load(path: str) -> Any:
    name = os.path.basename(path)
    try:
        with open(path, encoding="utf-8") as f:
            return json.load(f)
    except json.JSONDecodeError as e:
        raise ValueError(f"{name} is not valid JSON ({e.msg} at line {e.lineno})") from None
    except UnicodeDecodeError:
        raise ValueError(f"{name} is not UTF-8 text") from None
    except OSError as e:
        raise ValueError(f"cannot read {name} ({e.strerror})") from None


def shape_problem(run_spec: Any, stats: Any) -> str | None:
    """Why parsed run_spec.json / stats.json data cannot be summarized (None when it can)."""
    if not isinstance(run_spec, dict) or not isinstance(run_spec.get("name"), str):
        return "run_spec.json is not a run spec (no 'name')"
    if not isinstance(run_spec.get("adapter_spec"), dict):
        return "run_spec.json has no 'adapter_spec'"
    if not isinstance(stats, list):
        return "stats.json is not a list of stats"
    for stat in stats:
        if not (
            isinstance(stat, dict)
            and isinstance(stat.get("name"), dict)
            and isinstance(stat["name"].get("name"), str)
            and isinstance(stat.get("count"), (int, float))
        ):
            return "stats.json holds an entry that is not a stat"
    return None
