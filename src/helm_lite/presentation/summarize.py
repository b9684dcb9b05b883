"""The helm-summarize pipeline: read runs → complete the schema → write HELM's summary files,
the leaderboard (JSON/CSV/Markdown/LaTeX) and plots into `runs/<suite>/` (or `releases/<release>/`).

Everything is computed from `run_spec.json` + `stats.json` alone (no scenario or metric class is
instantiated, unlike HELM), so a suite of hundreds of runs summarizes in seconds.
"""

from __future__ import annotations

import dataclasses
import datetime
import logging
import os
import sys
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from helm_lite.common.json_io import to_jsonable, write_json_atomic, write_text_atomic
from helm_lite.presentation.display import write_display_files
from helm_lite.presentation.files import write_plain_json
from helm_lite.presentation.leaderboard_files import write_leaderboard
from helm_lite.presentation.main_metric import complete_schema
from helm_lite.presentation.models import ModelCatalog
from helm_lite.presentation.read_runs import Run, read_suite, suite_dir
from helm_lite.presentation.schema import (
    DEFAULT_SCHEMA_PATH,
    RunGroup,
    Schema,
    display_name,
    load_schema,
)
from helm_lite.presentation.stats import FALLBACK_METRICS
from helm_lite.presentation.tables import (
    Hyperlink,
    SuiteView,
    Table,
    group_tables,
    index_tables,
    leaderboard_columns,
    safe_file_name,
)
from helm_lite.presentation.writers import table_latex

logger = logging.getLogger(__name__)

LEADERBOARD = "leaderboard"
PLOTS_DIR = "plots"

# Descriptions of AdapterSpec fields for schema.json's `adapter` list (the front end shows them).
ADAPTER_FIELD_DOCS = {
    "method": "The high-level strategy for converting instances into a prompt for the language model.",
    "global_prefix": "The string that is prepended to the prompt.",
    "global_suffix": "The string that is appended to the prompt.",
    "instructions": "The description of the task that is included at the very beginning of the prompt.",
    "input_prefix": "The string that is included before each input (e.g., 'Question:').",
    "input_suffix": "The string that is included after each input (e.g., '\\n').",
    "reference_prefix": "The string that is included before each reference (for multiple-choice questions).",
    "reference_prefix_characters": "The labels of the references (A, B, C, ... by default).",
    "reference_suffix": "The string that is included after each reference (for multiple-choice questions).",
    "chain_of_thought_prefix": "The string that is included before the chain of thought.",
    "chain_of_thought_suffix": "The string that is included after the chain of thought.",
    "output_prefix": "The string that is included before the answer/predicted output (e.g., 'Answer:').",
    "output_suffix": "The string that is included after the correct answer/predicted output (e.g., '\\n').",
    "instance_prefix": "The string that is included before each instance (e.g., '\\n\\n').",
    "substitutions": "Regular expression substitutions performed on the prompt at the very end.",
    "max_train_instances": "Maximum number of in-context examples included in the prompt.",
    "max_eval_instances": "Maximum number of instances to evaluate on (over all evaluation splits).",
    "num_outputs": "Maximum number of possible outputs to generate by sampling multiple outputs.",
    "num_train_trials": "Number of independent draws of in-context examples (used to compute variance).",
    "num_trials": "Number of times each request is repeated.",
    "sample_train": "If true, in-context examples are sampled at random; if false, the first ones are used.",
    "model_deployment": "Where the model is served (<host_organization>/<name>): the deployment queried.",
    "model": "Name of the model (<creator_organization>/<name>).",
    "temperature": "Temperature parameter used in generation.",
    "max_tokens": "Maximum number of tokens to generate.",
    "stop_sequences": "Generation stops when the model produces any of these sequences.",
    "random": "Random seed (string), which guarantees reproducibility.",
    "multi_label": "If true, an instance with several correct references needs all of them (else any).",
    "eval_splits": "The splits evaluated (default: valid and test).",
    "output_mapping_pattern": "Pattern that maps a model's output to a reference label.",
}


@dataclass(frozen=True)
class SummarizeConfig:
    output_path: str = "benchmark_output"
    suites: tuple[str, ...] = ("default",)
    release: str | None = None  # several suites summarized together into releases/<release>/
    schema_path: str = DEFAULT_SCHEMA_PATH
    local_path: str = "prod_env"
    plots: bool = True
    display_files: bool = True
    skip_completed_display: bool = False
    num_threads: int = 4


@dataclass
class SummaryResult:
    out_dir: str
    num_runs: int
    num_groups: int
    leaderboard: Table
    plots: list[str] = field(default_factory=list)


def summarize(config: SummarizeConfig) -> list[SummaryResult]:
    """Summarize each suite into its own directory, or all suites into one release."""
    from helm_lite.registry.loader import load_registry

    schema = load_schema(config.schema_path)
    models = ModelCatalog(load_registry(config.local_path))
    # Read everything first, so a missing suite stops before anything is written.
    suite_runs = {suite: read_suite(config.output_path, suite) for suite in config.suites}
    today = datetime.date.today().isoformat()
    if config.release is not None:
        by_name: dict[str, Run] = {}
        for suite, runs in suite_runs.items():
            for run in runs:
                if run.name in by_name:
                    logger.warning(
                        "Run %s is in suites %s and %s; using %s",
                        run.name,
                        by_name[run.name].suite,
                        suite,
                        suite,
                    )
                by_name[run.name] = run
        out_dir = os.path.join(config.output_path, "releases", config.release)
        info = {"release": config.release, "suites": list(config.suites), "date": today}
        return [_summarize_runs(list(by_name.values()), schema, models, out_dir, info, config)]
    results = []
    for suite, runs in suite_runs.items():
        info = {"suites": [suite], "suite": suite, "date": today}
        results.append(
            _summarize_runs(runs, schema, models, suite_dir(config.output_path, suite), info, config)
        )
    return results


def _log_default_groups(base: Schema, schema: Schema) -> None:
    for group in schema.run_groups:
        if group.name not in base.run_group_by_name and not group.subgroups:
            main = group.environment.get("main_name", "none")
            logger.info("Run group %s is not in the schema: shown with main metric %s", group.name, main)


def _warn_undefined_metrics(schema: Schema, runs: list[Run]) -> None:
    undefined: dict[str, list[str]] = {}
    for run in runs:
        for name in run.stats_by_name:
            if name not in schema.metric_by_name:
                undefined.setdefault(name, []).append(run.name)
    for name, run_names in undefined.items():
        logger.warning(
            "metric name %s undefined in the schema but appears in %d run specs, including %s",
            name,
            len(run_names),
            run_names[0],
        )


def _display_metric_names(schema: Schema, groups: Iterable[str]) -> set[str]:
    names: set[str] = set()
    for group_name in groups:
        group = schema.run_group_by_name.get(group_name)
        if group is None:
            continue
        for mg_name in group.metric_groups:
            for matcher in schema.metric_group_by_name[mg_name].metrics:
                names.add(matcher.substitute(group.environment).name)
    names.update(FALLBACK_METRICS[n] for n in list(names) if n in FALLBACK_METRICS)
    return names


def schema_json(schema: Schema, models: ModelCatalog, runs: list[Run]) -> dict[str, Any]:
    from helm_lite.adaptation.adapter_spec import AdapterSpec

    adapter = [
        {"name": f.name, "description": ADAPTER_FIELD_DOCS.get(f.name, f.name.replace("_", " ").capitalize())}
        for f in dataclasses.fields(AdapterSpec)
    ]
    return {
        "metrics": to_jsonable(schema.metrics),
        "perturbations": to_jsonable(schema.perturbations),
        "metric_groups": to_jsonable(schema.metric_groups),
        "run_groups": to_jsonable(schema.run_groups),
        "adapter": adapter,
        "models": models.schema_entries(r.model for r in runs),
    }


def costs(runs: list[Run]) -> dict[str, dict[str, float]]:
    """HELM's costs.json: token counts per deployment from split-less stats (dry runs only)."""
    fields = ("num_prompt_tokens", "num_completion_tokens", "num_completions", "num_requests")
    out: dict[str, dict[str, float]] = {}
    for run in runs:
        for stat in run.stats:
            name = stat["name"]
            if name["name"] in fields and "split" not in name and "perturbation" not in name:
                entry = out.setdefault(run.model_deployment, dict.fromkeys(fields, 0.0))
                entry[name["name"]] += stat.get("sum", 0.0)
    for entry in out.values():
        entry["total_tokens"] = entry["num_prompt_tokens"] + entry["num_completion_tokens"]
    return out


def _unique(name: str, taken: set[str]) -> str:
    candidate, n = name, 2
    while candidate in taken:
        candidate, n = f"{name}_{n}", n + 1
    taken.add(candidate)
    return candidate


def _write_group(out_dir: str, group: RunGroup, tables: list[Table]) -> None:
    """groups/<group>.json plus one JSON and one LaTeX file per table (linked from the table)."""
    href_base = out_dir.replace(os.sep, "/") + "/groups"
    taken: set[str] = set()
    for table in tables:
        table_name = _unique(safe_file_name(table.name or table.title), taken)
        stem = f"{safe_file_name(group.name)}_{table_name}"
        table.links = [
            *table.links,
            Hyperlink("LaTeX", f"{href_base}/latex/{stem}.tex"),
            Hyperlink("JSON", f"{href_base}/json/{stem}.json"),
        ]
        write_json_atomic(os.path.join(out_dir, "groups", "json", f"{stem}.json"), table)
        write_text_atomic(os.path.join(out_dir, "groups", "latex", f"{stem}.tex"), table_latex(table, stem))
    write_json_atomic(os.path.join(out_dir, "groups", f"{safe_file_name(group.name)}.json"), tables)


def _summarize_runs(
    runs: list[Run],
    base_schema: Schema,
    models: ModelCatalog,
    out_dir: str,
    info: dict[str, Any],
    config: SummarizeConfig,
) -> SummaryResult:
    if not runs:
        logger.warning("No complete runs in %s: writing empty summary files", out_dir)
    schema = complete_schema(base_schema, runs)
    _log_default_groups(base_schema, schema)
    _warn_undefined_metrics(schema, runs)
    view = SuiteView(runs, schema, models)
    os.makedirs(out_dir, exist_ok=True)
    display = _DisplayFiles(runs, schema, config) if config.display_files else None
    try:
        shown, board, plots = _write_summary(runs, schema, models, view, out_dir, info, config)
    except BaseException:
        if display is not None:
            display.cancel()
        raise
    if display is not None:
        display.wait()
    logger.info("Summarized %d runs in %d groups into %s", len(runs), len(shown), out_dir)
    return SummaryResult(
        out_dir=out_dir, num_runs=len(runs), num_groups=len(shown), leaderboard=board, plots=plots
    )


def _write_summary(
    runs: list[Run],
    schema: Schema,
    models: ModelCatalog,
    view: SuiteView,
    out_dir: str,
    info: dict[str, Any],
    config: SummarizeConfig,
) -> tuple[list[RunGroup], Table, list[str]]:
    """Everything but the per-run display files: summary JSON, group tables, leaderboard, plots."""

    def out(name: str) -> str:
        return os.path.join(out_dir, name)

    write_json_atomic(out("schema.json"), schema_json(schema, models, runs))
    write_json_atomic(out("summary.json"), info)
    write_plain_json(
        out("runs.json"), [{"run_path": r.run_path, "run_spec": r.run_spec, "stats": r.stats} for r in runs]
    )
    write_plain_json(out("run_specs.json"), [r.run_spec for r in runs])
    write_json_atomic(out("runs_to_run_suites.json"), {r.name: r.suite for r in runs})

    shown = view.shown_groups()
    write_json_atomic(out("groups.json"), index_tables(view))
    write_json_atomic(
        out("groups_metadata.json"),
        {
            g.name: {"display_name": display_name(g), "description": g.description, "taxonomy": g.taxonomy}
            for g in shown
        },
    )
    for group in shown:
        _write_group(out_dir, group, group_tables(view, group))
    write_json_atomic(out("costs.json"), costs(runs))

    columns = leaderboard_columns(view)
    board = write_leaderboard(view, columns, out_dir)

    plots: list[str] = []
    if config.plots:
        plots = _plots(board, [c.group.name for c in columns], out(PLOTS_DIR))
    return shown, board, plots


class _DisplayFiles:
    """Every run's display files, written while the rest of the summary is.

    They read each run's largest files (scenario state, per-instance stats) and depend on nothing
    else the summary writes, so they run beside it: in forked worker processes on Linux, where they
    get cores of their own (threads would share one under the GIL), and in threads elsewhere.
    """

    def __init__(self, runs: list[Run], schema: Schema, config: SummarizeConfig) -> None:
        from concurrent.futures import Executor, Future, ProcessPoolExecutor, ThreadPoolExecutor

        jobs = [
            (run.run_path, sorted(_display_metric_names(schema, run.groups)), config.skip_completed_display)
            for run in runs
        ]
        workers = max(1, min(config.num_threads, len(jobs), os.cpu_count() or 1))
        self._pool: Executor
        if sys.platform == "linux" and jobs:
            import multiprocessing

            context = multiprocessing.get_context("fork")
            self._pool = ProcessPoolExecutor(max_workers=workers, mp_context=context)
        else:
            self._pool = ThreadPoolExecutor(max_workers=workers)
        self._futures: list[Future[bool]] = [self._pool.submit(write_display_files, *job) for job in jobs]

    def wait(self) -> None:
        """Block until all are written; raises what a worker raised."""
        try:
            for future in self._futures:
                future.result()
        finally:
            self._pool.shutdown(cancel_futures=True)

    def cancel(self) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)


def _plots(board: Table, group_names: list[str], plots_dir: str) -> list[str]:
    from helm_lite.presentation.plots import matplotlib_available, write_plots

    if not matplotlib_available():
        logger.warning("matplotlib is not installed: no plots (pip install 'helm-lite[summarize]')")
        return []
    written = write_plots(board, group_names, plots_dir)
    # The plots folder is ours alone: drop pictures of groups that are no longer in the suite.
    keep = {os.path.basename(p) for p in written}
    for name in os.listdir(plots_dir) if os.path.isdir(plots_dir) else []:
        if name.endswith(".png") and name not in keep:
            os.unlink(os.path.join(plots_dir, name))
    return written
