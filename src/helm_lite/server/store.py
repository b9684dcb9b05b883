"""The served suites: which runs there are, what each holds, and the suite-level views.

Which folders are runs and when a run is complete is `run_directory`'s rule, the one helm-run and
helm-summarize apply. Every file is reached through `paths.resolve_inside` and parsed through the
mtime-keyed JSON cache of `run_files`. What the numbers mean (main metric, leaderboard, win rate,
instance status) is the presentation code's, shared with helm-summarize: the server only reads the
files and shapes the answers.
"""

from __future__ import annotations

import csv
import io
import os
from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING, Any

from helm_lite.common.secrets import scrub
from helm_lite.presentation.main_metric import complete_schema, run_main_metric
from helm_lite.presentation.models import ModelCatalog
from helm_lite.presentation.read_runs import Run, shape_problem
from helm_lite.presentation.schema import Schema
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
from helm_lite.server import run_files
from helm_lite.server.board import MAIN, metric_group_options, suite_board
from helm_lite.server.errors import ServeError
from helm_lite.server.freshness import summarize_state
from helm_lite.server.instances import INSTANCE_FILTERS, build_instance_views
from helm_lite.server.paths import check_segment, resolve_inside
from helm_lite.server.run_files import LruCache, file_key, flat_stats, get

if TYPE_CHECKING:
    from helm_lite.presentation.tables import SuiteView

__all__ = ["INSTANCE_FILTERS", "RUN_INFO_FILE", "ServeError", "Store", "Suite"]

PLOT_EXTENSIONS = (".png", ".svg", ".jpg", ".jpeg", ".gif", ".webp")
STAMPED_FILES = (*RUN_FILES, RUN_INFO_FILE)
"""A run's files whose versions key the cached leaderboards."""


@dataclass(frozen=True)
class LoadedRun:
    """One run folder as read: its status and problems, the parsed files, and (when run_spec.json and
    stats.json have the right shape) a presentation `Run`."""

    name: str
    status: str
    problems: list[str]
    run_spec: Any
    scenario: Any
    raw_stats: Any
    run: Run | None

    @cached_property
    def stats(self) -> list[dict[str, Any]]:
        """stats.json as flat rows, made on first use (the leaderboard never needs them)."""
        return flat_stats(self.raw_stats)


class Suite:
    """One served suite directory, `<output>/runs/<name>`."""

    def __init__(
        self,
        name: str,
        directory: str,
        schema: Schema,
        json_cache: LruCache,
        instance_cache: LruCache,
        models: Callable[[], ModelCatalog],
        board_cache: LruCache,
    ) -> None:
        self.name = name
        self.dir = os.path.realpath(directory)
        self.schema = schema
        self._json_cache = json_cache
        self._instance_cache = instance_cache
        self.models = models
        self._board_cache = board_cache

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
        key = file_key(path)
        if key is None:
            raise ServeError(404, f"{label} is missing: the run is incomplete or still being written")
        return self._json_cache.get(("json", *key), lambda: run_files.read_json(path, label))

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

    def load(self, run: str) -> LoadedRun:
        """A run folder's status and parsed files; problems are collected, never raised."""
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
        raw_stats = load("stats.json")
        presented = None
        if run_spec is not None and raw_stats is not None:
            problem = shape_problem(run_spec, raw_stats)
            if problem is None:
                presented = Run(suite=self.name, run_path=run_dir, run_spec=run_spec, stats=raw_stats)
            else:
                problems.append(problem)
        status = DAMAGED if damaged else INCOMPLETE if check.status == INCOMPLETE else COMPLETE
        return LoadedRun(run, status, problems, run_spec, scenario, raw_stats, presented)

    def _load_all(self) -> list[LoadedRun]:
        return [self.load(name) for name in self.run_names()]

    def _completed_schema(self, loaded: list[LoadedRun]) -> Schema:
        """The schema with defaults for the groups it does not name, from the suite's complete runs
        (as helm-summarize completes it)."""
        return complete_schema(
            self.schema, [r.run for r in loaded if r.run is not None and r.status == COMPLETE]
        )

    def _schema_for(self, run: Run) -> Schema:
        """A schema that names `run`'s first group: the base one, or (only when needed, it reads every
        run of the suite) the completed one."""
        if run.groups[0] in self.schema.run_group_by_name:
            return self.schema
        return self._completed_schema(self._load_all())

    @staticmethod
    def _main(schema: Schema, loaded: LoadedRun) -> dict[str, Any] | None:
        main = run_main_metric(schema, loaded.run) if loaded.run is not None else None
        if main is None or main.value is None:
            return None
        return {
            "name": main.name,
            "split": main.split,
            "value": main.value,
            "lower_is_better": main.lower_is_better,
            "group": main.group,
        }

    def _summary(self, loaded: LoadedRun, schema: Schema) -> dict[str, Any]:
        """What the runs list and the run page need."""
        run_spec, run = loaded.run_spec, loaded.name
        groups = get(run_spec, "groups")
        groups = [g for g in groups if isinstance(g, str)] if isinstance(groups, list) else []
        scenario_name = get(loaded.scenario, "name")
        if not isinstance(scenario_name, str):
            scenario_name = run.split(":", 1)[0]
        num_instances = [
            s["mean"]
            for s in loaded.stats
            if s["name"] == "num_instances" and s["perturbation"] is None and s["mean"]
        ]
        return {
            "name": run,
            "model": get(run_spec, "adapter_spec", "model"),
            "model_deployment": get(run_spec, "adapter_spec", "model_deployment"),
            "method": get(run_spec, "adapter_spec", "method"),
            "scenario": scenario_name,
            "groups": groups,
            "main": self._main(schema, loaded),
            "num_instances": sum(num_instances) if num_instances else None,
            "status": loaded.status,
            "problems": loaded.problems,
        }

    def run_summary(self, run: str) -> dict[str, Any]:
        loaded = self.load(run)
        schema = self._schema_for(loaded.run) if loaded.run is not None else self.schema
        return self._summary(loaded, schema)

    def _run_info(self, run: str) -> Any:
        """run_info.json through the JSON cache, in `check_run`'s terms: None when there is none."""
        try:
            return self._json(run, RUN_INFO_FILE)
        except ServeError as e:
            if e.status == 404:
                return None
            raise ValueError(e.message) from None

    def runs(
        self, model: str | None = None, scenario: str | None = None, group: str | None = None
    ) -> dict[str, Any]:
        loaded = self._load_all()
        schema = self._completed_schema(loaded)
        summaries = [self._summary(r, schema) for r in loaded]
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
            out["stats"] = flat_stats(self._json(run, "stats.json"))
        except ServeError:
            out["stats"] = []
        out["files"] = [f for f in RUN_FILES if os.path.isfile(os.path.join(self._run_dir(run), f))]
        return out

    # -- instances -------------------------------------------------------------------------------
    def _instance_views(self, run: str) -> dict[str, Any]:
        run_dir = self._run_dir(run)
        state_path = os.path.join(run_dir, "scenario_state.json")
        state_key = file_key(state_path)
        if state_key is None:
            raise ServeError(
                404, "scenario_state.json is missing: the run is incomplete or still being written"
            )
        notes: list[str] = []
        try:
            self._json(run, "stats.json")
        except ServeError as e:
            main = None
            notes.append(f"{e.message}; instances are not scored")
        else:
            main = self.run_summary(run)["main"]
        per_instance_path = os.path.join(run_dir, "per_instance_stats.json")
        key = (
            "instances",
            state_key,
            file_key(per_instance_path),
            file_key(os.path.join(run_dir, "stats.json")),
            None if main is None else (main["name"], main["split"], main["lower_is_better"]),
        )
        # Read per_instance_stats.json directly, not through the JSON cache: it is big and only needed here.
        return self._instance_cache.get(
            key,
            lambda: build_instance_views(
                self.path(run, "scenario_state.json"), per_instance_path, main, notes
            ),
        )

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
    def _view(self, models: ModelCatalog | None = None) -> tuple[SuiteView, list[dict[str, str]]]:
        """helm-summarize's view of the suite's complete runs (schema completed as it completes it, model
        names from the registry as it reads them) and the runs left out, with the reason."""
        from helm_lite.presentation.tables import SuiteView

        skipped = []
        runs = []
        for item in self._load_all():
            if item.status == COMPLETE and item.run is not None:
                runs.append(item.run)
            else:
                reason = "; ".join(item.problems) or "stats.json has no stats"
                skipped.append({"run": item.name, "reason": reason})
        catalog = models if models is not None else self.models()
        return SuiteView(runs, complete_schema(self.schema, runs), catalog), skipped

    def leaderboard(self, metric_group: str = MAIN, uncertainty: bool = True) -> dict[str, Any]:
        """helm-summarize's leaderboard (`presentation.leaderboard`) over the suite's complete runs, or
        one metric group's table (`server.board`); the runs left out, with the reason, in `skipped`;
        whether helm-summarize's files on disk are current in `summarize`. Answers are cached until
        a run's file or the registry changes (the uncertainty bootstrap reads every instance)."""
        names = self.run_names()
        models = self.models()
        key = ("board", self.dir, metric_group, uncertainty, id(models), self._stamp(names))

        def build() -> tuple[ModelCatalog, dict[str, Any]]:
            view, skipped = self._view(models)
            try:
                data = suite_board(view, metric_group, uncertainty)
            except KeyError:
                known = ", ".join(o["name"] for o in metric_group_options(view))
                raise ServeError(400, f"metric_group must be one of {known}, got {metric_group!r}") from None
            return models, {"suite": self.name, **data, "skipped": skipped + data["missing"]}

        # The catalog is kept with the answer, so `id(models)` names it while the entry lives.
        _, board = self._board_cache.get(key, build)
        return {**board, "summarize": summarize_state(self.dir, names)}

    def head_to_head(self, a: str, b: str) -> dict[str, Any]:
        """Deployments (or models) `a` and `b` instance by instance on each leaderboard column
        (`presentation.compare.head_to_head`, whose entries name the runs to link to); cached like the
        leaderboard."""
        from helm_lite.common.errors import UserError
        from helm_lite.presentation.compare import head_to_head

        names = self.run_names()
        models = self.models()
        key = ("h2h", self.dir, a, b, id(models), self._stamp(names))

        def build() -> tuple[ModelCatalog, dict[str, Any]]:
            view, _ = self._view(models)
            try:
                result = head_to_head(view, a, b)
            except UserError as e:
                raise ServeError(404, str(e).replace("--compare: ", "")) from None
            by_deployment = {r.model_deployment: r.model for r in view.runs}
            for side in ("a", "b"):
                result[f"{side}_display_name"] = view.models.display_name(by_deployment[result[side]])
            return models, {"suite": self.name, **result}

        _, result = self._board_cache.get(key, build)
        return result

    def _stamp(self, names: list[str]) -> tuple[tuple[Any, ...], ...]:
        """Everything a suite-level view is computed from on disk: every run's files, as `file_key`s
        (the registry's version is the catalog's `id` in the cache keys)."""
        return tuple((n, *(file_key(os.path.join(self.dir, n, f)) for f in STAMPED_FILES)) for n in names)

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
        names = self.run_names()
        return {
            "name": self.name,
            "num_runs": len(names),
            "summarize": summarize_state(self.dir, names),
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
    """The served suites, with caches shared between them, all shown through one presentation schema.

    `suites=None` serves every suite folder of `<output>/runs/`, listed again on each request, so a
    suite created while the server runs appears on the next page load; `default` is the one the page
    opens (else the most recently modified). A list serves exactly those suites."""

    def __init__(
        self,
        output_path: str,
        suites: list[str] | None,
        schema: Schema | None = None,
        default: str | None = None,
    ) -> None:
        from helm_lite.presentation.schema import DEFAULT_SCHEMA_PATH, load_schema

        self.output_path = output_path
        self.runs_dir = os.path.join(output_path, "runs")
        self.schema = schema if schema is not None else load_schema(DEFAULT_SCHEMA_PATH)
        self._fixed = list(suites) if suites is not None else None
        self._default = default
        self._json_cache = LruCache(512)
        # Parsed instance lists can be large (every prompt of a run); keep only a few runs.
        self._instance_cache = LruCache(6)
        self._board_cache = LruCache(32)
        self._catalogs: dict[int, tuple[Any, ModelCatalog]] = {}
        self._suites: dict[str, Suite] = {}
        for name in self._fixed or []:
            self._make(name)

    def _make(self, name: str) -> Suite:
        suite = self._suites.get(name)
        if suite is None:
            suite = self._suites[name] = Suite(
                name,
                resolve_inside(self.runs_dir, name),
                self.schema,
                self._json_cache,
                self._instance_cache,
                self.models,
                self._board_cache,
            )
        return suite

    @property
    def suites(self) -> list[str]:
        """The served suite names (for `suites=None`, the folders of `<output>/runs/` now)."""
        if self._fixed is not None:
            return list(self._fixed)
        try:
            names = os.listdir(self.runs_dir)
        except OSError:
            return []
        return sorted(
            n for n in names if not n.startswith(".") and os.path.isdir(os.path.join(self.runs_dir, n))
        )

    def default_suite(self) -> str | None:
        names = self.suites
        if self._default in names:
            return self._default
        if not names:
            return None
        return max(names, key=lambda n: os.path.getmtime(os.path.join(self.runs_dir, n)))

    def models(self) -> ModelCatalog:
        """Model display names and order as helm-summarize reads them (shipped registry + prod_env;
        re-read when those files change; one catalog per registry version, so it can key caches);
        a broken local registry falls back to plain names."""
        from helm_lite.common.errors import UserError
        from helm_lite.registry.loader import load_registry

        try:
            registry = load_registry()
        except UserError:
            registry = None
        held = self._catalogs.get(id(registry))
        if held is None or held[0] is not registry:
            self._catalogs = {id(registry): (registry, ModelCatalog(registry))}
            held = self._catalogs[id(registry)]
        return held[1]

    def suite(self, name: str) -> Suite:
        if name not in self.suites:
            raise ServeError(404, f"unknown suite {name!r}")
        return self._make(name)
