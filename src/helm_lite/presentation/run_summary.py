"""What helm-run prints when it is done: the main score of each run it wrote, with its interval,
what to expect from the model, and the commands that show more.

It reads the runs back from disk (as helm-summarize would), so the numbers are those of the files;
it writes nothing. A run's score is its first group's main metric (`main_metric.run_main_metric`)
and the interval is the leaderboard's bootstrap over instances (`uncertainty.run_estimate`).
"""

from __future__ import annotations

import logging
import os
import textwrap
from collections.abc import Sequence
from typing import TYPE_CHECKING

from helm_lite.presentation.instance_values import PER_INSTANCE_STATS
from helm_lite.presentation.main_metric import complete_schema, run_main_metric
from helm_lite.presentation.models import ModelCatalog
from helm_lite.presentation.read_runs import Run, read_run
from helm_lite.presentation.schema import DEFAULT_SCHEMA_PATH, load_schema
from helm_lite.presentation.uncertainty import run_estimate, run_key

if TYPE_CHECKING:
    from helm_lite.registry.loader import Registry

logger = logging.getLogger(__name__)

MAX_ROWS = 30
MAX_INTERVAL_BYTES = 8_000_000  # per_instance_stats.json of about 1,000 instances

# What a model is expected to score on the offline tasks, for models small enough that a newcomer may
# take their scores for a bug. Measured on the quickstart entries (tests/golden/ holds the outputs).
MODEL_NOTES = {
    "huggingfacetb/smollm2-135m-instruct": (
        "SmolLM2-135M-Instruct is a very small model (135M parameters): expect scores near 0 on "
        "synthetic reasoning, Dyck and free-answer arithmetic, and at most about chance (1 in 4 "
        "options) on the multiple-choice questions; on a few instances the intervals are wide."
    ),
}


def _small(run: Run) -> bool:
    """Intervals read the per-instance file; past `MAX_INTERVAL_BYTES` that would add a noticeable
    time to helm-run, so only helm-summarize shows them."""
    try:
        return os.path.getsize(os.path.join(run.run_path, PER_INSTANCE_STATS)) <= MAX_INTERVAL_BYTES
    except OSError:
        return False


def run_summary(
    output_path: str,
    suite: str,
    run_names: Sequence[str],
    models: ModelCatalog,
    schema_path: str = DEFAULT_SCHEMA_PATH,
) -> str:
    """The end-of-run text for `run_names` of `suite` (runs that were not written are left out);
    empty when none was."""
    suite_dir = os.path.join(output_path, "runs", suite)
    runs: list[Run] = []
    for name in run_names:
        path = os.path.join(suite_dir, name)
        run = read_run(path, suite) if os.path.isdir(path) else None
        if run is not None:
            runs.append(run)
    if not runs:
        return ""
    schema = complete_schema(load_schema(schema_path), runs)
    several_models = len({r.model for r in runs}) > 1
    rows: list[tuple[str, str, str]] = []
    for run in runs[:MAX_ROWS]:
        main = run_main_metric(schema, run)
        label = run_key(run).rstrip(":")
        if several_models:
            label = f"{models.display_name(run.model)}: {label}"
        if main is None or main.value is None:
            rows.append((label, main.name if main else "-", "no score"))
            continue
        matcher = schema.main_matcher(schema.run_group_by_name[main.group])
        small = _small(run)
        estimate = run_estimate(run, main.group, matcher) if matcher is not None and small else None
        score = f"{main.value:.3f}"
        if estimate is not None:
            lo, hi = estimate.interval
            score += f"  [{lo:.3f}, {hi:.3f}]"
        elif not small:
            score += "  (interval: see helm-summarize)"
        metric = main.name + (" (lower is better)" if main.lower_is_better else "")
        rows.append((label, metric, score))
    width = [max(len(r[k]) for r in rows) for k in range(2)]
    lines = [f"Main scores of suite {suite} (95% bootstrap interval over instances):"]
    lines += [f"  {label:<{width[0]}}  {metric:<{width[1]}}  {score}" for label, metric, score in rows]
    if len(runs) > MAX_ROWS:
        lines.append(f"  … and {len(runs) - MAX_ROWS} more runs")
    for model in sorted({r.model for r in runs} & MODEL_NOTES.keys()):
        lines += textwrap.wrap(MODEL_NOTES[model], width=100)
    where = "" if output_path == "benchmark_output" else f" -o {output_path}"
    lines += [
        "Next:",
        f"  helm-summarize --suite {suite}{where}   # leaderboard, tables and plots in {suite_dir}/",
        f"  helm-server --suite {suite}{where}      # browse the runs and the leaderboard",
    ]
    return "\n".join(lines) + "\n"


def print_run_summary(output_path: str, suite: str, registry: Registry, run_names: Sequence[str]) -> None:
    """Print `run_summary` to stdout; a problem (a schema or run file that cannot be read) is one
    warning, never a failed helm-run: the runs are already written."""
    try:
        text = run_summary(output_path, suite, run_names, ModelCatalog(registry))
    except Exception as e:  # the runs are written; the summary is a courtesy
        logger.warning("No end-of-run summary: %s", e)
        return
    if text:
        print(text, end="", flush=True)
