"""Reading suites for the web view: confined paths, mtime-keyed caches, a leaderboard, paged instances.

Every file access goes through `resolve_inside`, which resolves symlinks and refuses any path that ends
up outside the suite directory, so the HTTP layer never touches a path it built itself. Parsed files are
cached under (path, mtime, size): a run that is rewritten is re-read, an unchanged one is parsed once,
however many pages of its instances are requested. A missing or damaged file becomes a `ServeError`
(or a `problems` entry) with a readable message, never an exception that reaches the client.
Which folders are runs and when a run is complete is `run_directory`'s rule, the one helm-run and
helm-summarize apply; a path segment starting with '.' (a run being written, a writer's temporary
file) is refused, so nothing hidden is ever listed or served.
"""

from __future__ import annotations

import csv
import io
import json
import os
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable, Iterable
from typing import Any, TypeVar

from helm_lite.common.secrets import scrub
from helm_lite.run_directory import (
    COMPLETE,
    DAMAGED,
    INCOMPLETE,
    NOT_RUNS,
    RUN_FILES,
    RUN_INFO_FILE,
    check_run,
)
from helm_lite.run_directory import run_names as list_run_names

# The leaderboard's main metric: the first of these a run reports for split test (else valid).
MAIN_METRICS = (
    "exact_match",
    "quasi_exact_match",
    "exact_match_indicator",
    "final_number_exact_match",
    "math_equiv_chain_of_thought",
    "f1_score",
    "bleu_4",
    "perplexity",
)
MAIN_SPLITS = ("test", "valid")
LOWER_IS_BETTER = frozenset({"perplexity"})
PLOT_EXTENSIONS = (".png", ".svg", ".jpg", ".jpeg", ".gif", ".webp")
INSTANCE_FILTERS = ("all", "correct", "incorrect", "partial", "unscored")

T = TypeVar("T")


class ServeError(Exception):
    """A request the server answers with an error status and a one-line message (shown in the page)."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def check_segment(segment: str) -> str:
    """One path level from a URL: refuse empty, hidden ('.', '..', '.x': temporaries of a writer),
    separators and NUL before touching the disk."""
    if not segment or segment.startswith(".") or any(c in segment for c in "/\\\0"):
        raise ServeError(403, "refused path")
    return segment


def resolve_inside(root: str, *segments: str) -> str:
    """`root/segments…` with symlinks resolved; 403 unless the result is `root` itself or inside it."""
    for segment in segments:
        check_segment(segment)
    real_root = os.path.realpath(root)
    path = os.path.realpath(os.path.join(real_root, *segments))
    if path != real_root and not path.startswith(real_root + os.sep):
        raise ServeError(403, "refused path: it leads outside the suite directory")
    return path


class LruCache:
    """A small thread-safe LRU; concurrent requests for the same key build it once."""

    def __init__(self, max_entries: int) -> None:
        self._max = max_entries
        self._data: OrderedDict[Hashable, Any] = OrderedDict()
        self._lock = threading.Lock()
        self._building: dict[Hashable, threading.Lock] = {}

    def get(self, key: Hashable, build: Callable[[], T]) -> T:
        with self._lock:
            if key in self._data:
                self._data.move_to_end(key)
                return self._data[key]
            key_lock = self._building.setdefault(key, threading.Lock())
        with key_lock:
            with self._lock:
                if key in self._data:
                    return self._data[key]
            try:
                value = build()  # errors are not cached: a half-written file may be complete next time
            finally:
                with self._lock:
                    self._building.pop(key, None)
            with self._lock:
                self._data[key] = value
                while len(self._data) > self._max:
                    self._data.popitem(last=False)
            return value


def _file_key(path: str) -> tuple[str, int, int] | None:
    try:
        st = os.stat(path)
    except (FileNotFoundError, NotADirectoryError):
        return None
    return (path, st.st_mtime_ns, st.st_size)


def _read_json(path: str, label: str) -> Any:
    try:
        with open(path, encoding="utf-8") as f:
            return json.load(f)
    except FileNotFoundError:
        raise ServeError(404, f"{label} is missing: the run is incomplete or still being written") from None
    except json.JSONDecodeError as e:
        raise ServeError(
            422, f"{label} is not valid JSON (half-written or damaged?): {e.msg} at line {e.lineno}"
        ) from None
    except (UnicodeDecodeError, IsADirectoryError) as e:
        raise ServeError(422, f"{label} cannot be read: {e}") from None


def _get(obj: Any, *keys: str) -> Any:
    """obj[k1][k2]… or None when any level is missing or not an object (files may have any shape)."""
    for key in keys:
        if not isinstance(obj, dict):
            return None
        obj = obj.get(key)
    return obj


def _number(x: Any) -> float | None:
    return float(x) if isinstance(x, (int, float)) and not isinstance(x, bool) else None


def flat_stat(stat: Any) -> dict[str, Any] | None:
    """A HELM `Stat` as one flat row: name, split, sub_split, perturbation name, count and moments."""
    name = _get(stat, "name")
    if not isinstance(name, dict) or not isinstance(name.get("name"), str):
        return None
    count = stat.get("count")
    perturbation = name.get("perturbation")
    return {
        "name": name["name"],
        "split": name.get("split"),
        "sub_split": name.get("sub_split"),
        "perturbation": _get(perturbation, "name") if isinstance(perturbation, dict) else None,
        "count": count,
        "mean": _number(stat.get("mean")) if count else None,
        "min": _number(stat.get("min")),
        "max": _number(stat.get("max")),
        "sum": _number(stat.get("sum")),
        "stddev": _number(stat.get("stddev")),
    }


def main_metric(stats: Iterable[dict[str, Any]]) -> dict[str, Any] | None:
    """The first of MAIN_METRICS with a value for split test, else valid (unperturbed, whole split)."""
    plain = {
        (s["name"], s["split"]): s["mean"]
        for s in stats
        if s["perturbation"] is None and s["sub_split"] is None and s["mean"] is not None
    }
    for split in MAIN_SPLITS:
        for name in MAIN_METRICS:
            if (name, split) in plain:
                return {
                    "name": name,
                    "split": split,
                    "value": plain[(name, split)],
                    "lower_is_better": name in LOWER_IS_BETTER,
                }
    return None


def mean_win_rates(columns: list[list[float | None]], lower_is_better: list[bool]) -> list[float | None]:
    """HELM's mean win rate per row (§8.9): ties count half, columns with fewer than two values skipped."""
    num_rows = len(columns[0]) if columns else 0
    rates: list[list[float]] = [[] for _ in range(num_rows)]
    for values, lower in zip(columns, lower_is_better, strict=True):
        present = [v for v in values if v is not None]
        if len(present) < 2:
            continue
        for row, v in enumerate(values):
            if v is None:
                continue
            worse = sum(1 for w in present if (w > v if lower else w < v))
            ties = sum(1 for w in present if w == v) - 1
            rates[row].append((worse + ties / 2) / (len(present) - 1))
    return [sum(r) / len(r) if r else None for r in rates]


def instance_status(value: float | None, lower_is_better: bool) -> str:
    """correct / incorrect / partial from the instance's main-metric value; unscored when there is none."""
    if value is None or lower_is_better:
        return "unscored"
    if value >= 1:
        return "correct"
    if value <= 0:
        return "incorrect"
    return "partial"


class Suite:
    """One served suite directory, `<output>/runs/<name>`."""

    def __init__(self, name: str, directory: str, json_cache: LruCache, instance_cache: LruCache) -> None:
        self.name = name
        self.dir = os.path.realpath(directory)
        self._json_cache = json_cache
        self._instance_cache = instance_cache

    # -- files -----------------------------------------------------------------------------------
    def path(self, *segments: str) -> str:
        return resolve_inside(self.dir, *segments)

    def file(self, segments: list[str]) -> str:
        """A regular file inside the suite (plots, raw JSON); 404 for folders and missing files."""
        path = self.path(*segments)
        if not os.path.isfile(path):
            raise ServeError(404, "no such file")
        return path

    def _json(self, *segments: str) -> Any:
        path = self.path(*segments)
        label = "/".join(segments)
        key = _file_key(path)
        if key is None:
            raise ServeError(404, f"{label} is missing: the run is incomplete or still being written")
        return self._json_cache.get(("json", *key), lambda: _read_json(path, label))

    def _optional_json(self, name: str, problems: list[str]) -> Any:
        try:
            return self._json(name)
        except ServeError as e:
            if e.status != 404:
                problems.append(e.message)
            return None

    # -- runs ------------------------------------------------------------------------------------
    def run_names(self) -> list[str]:
        """The suite's run folders (`run_directory.run_names`) that stay inside it, sorted by name."""
        names = []
        for name in list_run_names(self.dir):
            try:
                self.path(name)
            except ServeError:
                continue  # a symlink leading outside the suite
            names.append(name)
        return names

    def _run_dir(self, run: str) -> str:
        path = self.path(run)
        if run in NOT_RUNS or not os.path.isdir(path):
            raise ServeError(404, f"no run named {run!r} in suite {self.name!r}")
        return path

    def run_summary(self, run: str) -> dict[str, Any]:
        """What the runs list and the leaderboard need; problems are reported, never raised."""
        run_dir = self._run_dir(run)
        check = check_run(run_dir, load_run_info=lambda: self._run_info(run))
        problems = list(check.problems)
        damaged = check.status == DAMAGED

        def load(name: str) -> Any:
            nonlocal damaged
            if not os.path.isfile(os.path.join(run_dir, name)):
                return None
            try:
                return self._json(run, name)
            except ServeError as e:
                damaged = True
                problems.append(e.message)
                return None

        run_spec = load("run_spec.json")
        scenario = load("scenario.json")
        stats = self._stats(load("stats.json"))
        groups = _get(run_spec, "groups")
        groups = [g for g in groups if isinstance(g, str)] if isinstance(groups, list) else []
        scenario_name = _get(scenario, "name")
        if not isinstance(scenario_name, str):
            scenario_name = run.split(":", 1)[0]
        num_instances = [
            s["mean"]
            for s in stats
            if s["name"] == "num_instances" and s["perturbation"] is None and s["mean"]
        ]
        return {
            "name": run,
            "model": _get(run_spec, "adapter_spec", "model"),
            "model_deployment": _get(run_spec, "adapter_spec", "model_deployment"),
            "method": _get(run_spec, "adapter_spec", "method"),
            "scenario": scenario_name,
            "groups": groups,
            "main": main_metric(stats),
            "num_instances": sum(num_instances) if num_instances else None,
            "status": DAMAGED if damaged else INCOMPLETE if check.status == INCOMPLETE else COMPLETE,
            "problems": problems,
        }

    def _run_info(self, run: str) -> Any:
        """run_info.json through the JSON cache, in `check_run`'s terms: None when there is none."""
        try:
            return self._json(run, RUN_INFO_FILE)
        except ServeError as e:
            if e.status == 404:
                return None
            raise ValueError(e.message) from None

    @staticmethod
    def _stats(raw: Any) -> list[dict[str, Any]]:
        if not isinstance(raw, list):
            return []
        return [s for s in (flat_stat(x) for x in raw) if s is not None]

    def runs(self, model: str | None = None, scenario: str | None = None, group: str | None = None) -> dict:
        summaries = [self.run_summary(name) for name in self.run_names()]
        shown = [
            r
            for r in summaries
            if (model is None or r["model"] == model)
            and (scenario is None or r["scenario"] == scenario)
            and (group is None or group in r["groups"])
        ]
        return {
            "suite": self.name,
            "runs": shown,
            "total": len(summaries),
            "models": sorted({r["model"] for r in summaries if isinstance(r["model"], str)}),
            "scenarios": sorted({r["scenario"] for r in summaries}),
            "groups": sorted({g for r in summaries for g in r["groups"]}),
        }

    def run(self, run: str) -> dict[str, Any]:
        """Everything about one run except its instances (those are paged separately)."""
        summary = self.run_summary(run)
        out: dict[str, Any] = {"suite": self.name, **summary}
        for key, name in (
            ("run_spec", "run_spec.json"),
            ("scenario_info", "scenario.json"),
            ("run_info", RUN_INFO_FILE),
        ):
            try:
                out[key] = self._json(run, name)
            except ServeError:
                out[key] = None  # already listed in problems (run_info.json is optional)
        out["run_info"] = scrub(out["run_info"])  # older versions wrote client keys into run_info.json
        try:
            out["stats"] = self._stats(self._json(run, "stats.json"))
        except ServeError:
            out["stats"] = []
        out["files"] = [f for f in RUN_FILES if os.path.isfile(os.path.join(self._run_dir(run), f))]
        return out

    # -- instances -------------------------------------------------------------------------------
    def _instance_views(self, run: str) -> dict[str, Any]:
        run_dir = self._run_dir(run)
        state_key = _file_key(os.path.join(run_dir, "scenario_state.json"))
        if state_key is None:
            raise ServeError(
                404, "scenario_state.json is missing: the run is incomplete or still being written"
            )
        key = (
            "instances",
            state_key,
            _file_key(os.path.join(run_dir, "per_instance_stats.json")),
            _file_key(os.path.join(run_dir, "stats.json")),
        )
        return self._instance_cache.get(key, lambda: self._build_instance_views(run))

    def _build_instance_views(self, run: str) -> dict[str, Any]:
        """Group request states by (instance, trial, perturbation), attach per-instance stats, score them.

        scenario_state.json (the big file) is parsed here once per version and never kept as is.
        """
        notes: list[str] = []
        data = _read_json(self.path(run, "scenario_state.json"), "scenario_state.json")
        states = _get(data, "request_states")
        if not isinstance(states, list):
            raise ServeError(422, "scenario_state.json has no request_states list")
        try:
            main = main_metric(self._stats(self._json(run, "stats.json")))
        except ServeError as e:
            main = None
            notes.append(f"{e.message}; instances are not scored")
        try:
            # Read directly, not through the JSON cache: it is big and only needed for this build.
            per_instance = _read_json(self.path(run, "per_instance_stats.json"), "per_instance_stats.json")
        except ServeError as e:
            per_instance = []
            notes.append(f"{e.message}; per-instance stats are not shown")

        views: dict[tuple[Any, ...], dict[str, Any]] = {}
        for index, state in enumerate(states):
            instance = _get(state, "instance")
            instance_id = _get(instance, "id")
            instance_id = str(instance_id) if instance_id is not None else f"state{index}"
            trial = _get(state, "train_trial_index") or 0
            key = (instance_id, trial, _get(instance, "perturbation", "name"))
            view = views.get(key)
            if view is None:
                references = _get(instance, "references")
                view = views[key] = {
                    "id": instance_id,
                    "train_trial_index": trial,
                    "perturbation": key[2],
                    "split": _get(instance, "split"),
                    "sub_split": _get(instance, "sub_split"),
                    "input": _get(instance, "input", "text"),
                    "references": [
                        {
                            "text": _get(r, "output", "text"),
                            "tags": _get(r, "tags") or [],
                            "correct": "correct" in (_get(r, "tags") or []),
                        }
                        for r in (references if isinstance(references, list) else [])
                    ],
                    "requests": [],
                    "stats": [],
                    "main_value": None,
                    "status": "unscored",
                }
            completions = _get(state, "result", "completions")
            view["requests"].append(
                {
                    "reference_index": _get(state, "reference_index"),
                    "request_mode": _get(state, "request_mode"),
                    "output_mapping": _get(state, "output_mapping"),
                    "prompt": _get(state, "request", "prompt"),
                    "max_tokens": _get(state, "request", "max_tokens"),
                    "stop_sequences": _get(state, "request", "stop_sequences"),
                    "success": _get(state, "result", "success"),
                    "error": _get(state, "result", "error"),
                    "completions": [
                        {"text": _get(c, "text"), "logprob": _number(_get(c, "logprob"))}
                        for c in (completions if isinstance(completions, list) else [])
                    ],
                    "num_train_instances": _get(state, "num_train_instances"),
                    "prompt_truncated": _get(state, "prompt_truncated"),
                }
            )

        for row in per_instance if isinstance(per_instance, list) else []:
            row_key = (
                str(_get(row, "instance_id")),
                _get(row, "train_trial_index") or 0,
                _get(row, "perturbation", "name"),
            )
            target = views.get(row_key)
            stats = _get(row, "stats")
            if target is not None and isinstance(stats, list):
                target["stats"].extend(s for s in (flat_stat(x) for x in stats) if s is not None)

        if main is not None:
            for view in views.values():
                values = [
                    s["mean"]
                    for s in view["stats"]
                    if s["name"] == main["name"] and s["perturbation"] is None and s["mean"] is not None
                ]
                same_split = [
                    s["mean"]
                    for s in view["stats"]
                    if s["name"] == main["name"]
                    and s["perturbation"] is None
                    and s["mean"] is not None
                    and s["split"] == view["split"]
                ]
                value = (same_split or values or [None])[0]
                view["main_value"] = value
                view["status"] = instance_status(value, main["lower_is_better"])
        items = list(views.values())
        counts = {f: sum(1 for v in items if v["status"] == f) for f in INSTANCE_FILTERS[1:]}
        return {"instances": items, "main": main, "notes": notes, "counts": counts}

    def instances(
        self,
        run: str,
        offset: int = 0,
        limit: int = 50,
        status: str = "all",
        instance_id: str | None = None,
    ) -> dict[str, Any]:
        """One page of a run's instances (or every trial of one instance when `instance_id` is given)."""
        built = self._instance_views(run)
        items: list[dict[str, Any]] = built["instances"]
        if instance_id is not None:
            items = [v for v in items if v["id"] == instance_id]
            if not items:
                raise ServeError(404, f"no instance {instance_id!r} in run {run!r}")
        elif status != "all":
            items = [v for v in items if v["status"] == status]
        return {
            "suite": self.name,
            "run": run,
            "main": built["main"],
            "notes": built["notes"],
            "counts": built["counts"],
            "total_all": len(built["instances"]),
            "total": len(items),
            "offset": offset,
            "limit": limit,
            "status": status,
            "instances": items[offset : offset + limit],
        }

    # -- suite-level views -------------------------------------------------------------------------
    def leaderboard(self) -> dict[str, Any]:
        """Model × run group, each cell the main metric (mean over the runs in the cell), plus win rate.

        The column of a run is its first run group (HELM's parent group, e.g. `mmlu` for every subject),
        so several runs in one cell are macro-averaged like HELM's group tables; with one run per cell the
        value is exactly that run's stats.json mean.
        """
        cells: dict[tuple[str, tuple[str, str, str]], list[dict[str, Any]]] = {}
        skipped = []
        for name in self.run_names():
            summary = self.run_summary(name)
            main = summary["main"]
            if summary["status"] != COMPLETE or main is None or not isinstance(summary["model"], str):
                reason = "; ".join(summary["problems"]) or "no main metric in stats.json"
                skipped.append({"run": name, "reason": reason})
                continue
            group = summary["groups"][0] if summary["groups"] else summary["scenario"]
            column = (group, main["name"], main["split"])
            cells.setdefault((summary["model"], column), []).append({"name": name, "value": main["value"]})
        columns = sorted({c for _, c in cells})
        models = sorted({m for m, _ in cells})
        values: list[list[float | None]] = []
        for column in columns:
            col_values: list[float | None] = []
            for model in models:
                runs = cells.get((model, column))
                col_values.append(sum(r["value"] for r in runs) / len(runs) if runs else None)
            values.append(col_values)
        lower = [c[1] in LOWER_IS_BETTER for c in columns]
        win_rates = mean_win_rates(values, lower)
        rows = []
        for i, model in enumerate(models):
            row_cells: list[dict[str, Any] | None] = []
            for j, column in enumerate(columns):
                runs = cells.get((model, column))
                row_cells.append({"value": values[j][i], "runs": runs} if runs else None)
            rows.append({"model": model, "win_rate": win_rates[i], "cells": row_cells})
        return {
            "suite": self.name,
            "columns": [
                {"group": g, "metric": m, "split": s, "lower_is_better": lo}
                for (g, m, s), lo in zip(columns, lower, strict=True)
            ],
            "rows": rows,
            "skipped": skipped,
        }

    def overview(self) -> dict[str, Any]:
        """What helm-summarize left in the suite (all optional) and how many runs there are."""
        problems: list[str] = []
        leaderboard_csv = None
        try:
            path = self.path("leaderboard.csv")
            if os.path.isfile(path):
                with open(path, encoding="utf-8", newline="") as f:
                    table = list(csv.reader(io.StringIO(f.read())))
                if table:
                    leaderboard_csv = {"header": table[0], "rows": [r for r in table[1:] if r]}
        except (OSError, UnicodeDecodeError, csv.Error) as e:
            problems.append(f"leaderboard.csv cannot be read: {e}")
        plots: list[str] = []
        try:
            plots_dir = self.path("plots")
            if os.path.isdir(plots_dir):
                plots = sorted(
                    n
                    for n in os.listdir(plots_dir)
                    if n.lower().endswith(PLOT_EXTENSIONS)
                    and not n.startswith(".")
                    and os.path.isfile(os.path.join(plots_dir, n))
                )
        except (OSError, ServeError):
            plots = []
        groups = self._optional_json("groups.json", problems)
        return {
            "name": self.name,
            "num_runs": len(self.run_names()),
            "summary": self._optional_json("summary.json", problems),
            "leaderboard_csv": leaderboard_csv,
            "groups": groups if isinstance(groups, list) else None,
            "plots": plots,
            "problems": problems,
        }

    def group(self, name: str) -> Any:
        """helm-summarize's tables for one run group (`groups/<name>.json`)."""
        check_segment(name)
        return self._json("groups", f"{name}.json")


class Store:
    """The served suites, with caches shared between them."""

    def __init__(self, output_path: str, suites: list[str]) -> None:
        self.output_path = output_path
        json_cache = LruCache(512)
        # Parsed instance lists can be large (every prompt of a run); keep only a few runs.
        instance_cache = LruCache(6)
        self.suites = {
            name: Suite(
                name, resolve_inside(os.path.join(output_path, "runs"), name), json_cache, instance_cache
            )
            for name in suites
        }

    def suite(self, name: str) -> Suite:
        suite = self.suites.get(name)
        if suite is None:
            raise ServeError(404, f"unknown suite {name!r}")
        return suite
