"""Per-run display files for the front end's run pages: instances, predictions and requests.

They repackage `scenario_state.json` + `per_instance_stats.json` into what a run page shows per
instance, so the browser never downloads the full scenario state. A run without those two files (or
with broken ones) simply gets no display files: a warning, never a failed summary.
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Callable, Collection, Iterable, Iterator
from typing import Any

from helm_lite.presentation.files import write_plain_json

logger = logging.getLogger(__name__)

DISPLAY_FILES = ("instances.json", "display_predictions.json", "display_requests.json")
_SOURCES = ("scenario_state.json", "per_instance_stats.json")


def write_display_files(run_dir: str, metric_names: Collection[str], skip_completed: bool = False) -> bool:
    """Write the three display files into `run_dir`; False (with a warning) when its inputs are unusable.

    `metric_names` are the metrics the run's schema groups show; only those go into each prediction's
    `stats`, as in HELM.
    """
    if skip_completed and all(os.path.isfile(os.path.join(run_dir, f)) for f in DISPLAY_FILES):
        return True
    if not all(os.path.isfile(os.path.join(run_dir, f)) for f in _SOURCES):
        return False
    try:
        with open(os.path.join(run_dir, "scenario_state.json"), encoding="utf-8") as f:
            scenario_state = json.load(f)
        stats = read_instance_stats(os.path.join(run_dir, "per_instance_stats.json"), metric_names)
        instances, predictions, requests = build_display(scenario_state, stats, metric_names)
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as e:
        logger.warning(
            "No display files for %s: unreadable scenario state or instance stats (%s)", run_dir, e
        )
        return False
    write_plain_json(os.path.join(run_dir, "instances.json"), instances)
    write_plain_json(os.path.join(run_dir, "display_predictions.json"), predictions)
    write_plain_json(os.path.join(run_dir, "display_requests.json"), requests)
    return True


# (instance id, perturbation name, train trial) -> {metric name: per-instance value}
InstanceStats = dict[tuple[str, "str | None", int], dict[str, float]]


def read_instance_stats(path: str, metric_names: Collection[str]) -> InstanceStats:
    """Each instance's values of `metric_names` (and `predicted_index`) from `per_instance_stats.json`.

    It is the largest file of a run (64 MB for 10,000 instances). With msgspec installed (the
    `summarize` extra) only the fields used here are decoded, about 4x faster than building every
    dict with `json`; a file msgspec refuses (`NaN` values, which Python's json writes) goes through
    `json`. Either way the rows reach `_digest` as the same tuples.
    """
    with open(path, "rb") as f:
        raw = f.read()
    decode = _typed_rows()
    if decode is not None:
        try:
            return _digest(decode(raw), metric_names)
        except ValueError:  # msgspec.DecodeError: not strict JSON, or an unexpected shape
            pass
    return _digest(_plain_rows(json.loads(raw)), metric_names)


# A row: (instance id, perturbation name, trial, [(stat name, stat perturbation, count, sum, mean)])
_Row = tuple[str, "str | None", int, list[tuple[str, Any, int, float, "float | None"]]]


def _digest(rows: Iterable[_Row], metric_names: Collection[str]) -> InstanceStats:
    stats: InstanceStats = {}
    for instance_id, pert, trial, row_stats in rows:
        values = stats.setdefault((instance_id, pert, trial), {})
        for name, stat_pert, count, total, mean in row_stats:
            if stat_pert is not None or not count:
                continue
            if name in metric_names or name == "predicted_index":
                values[name] = mean if mean is not None else total / count
    return stats


def _plain_rows(per_instance: list[dict[str, Any]]) -> Iterator[_Row]:
    for row in per_instance:
        yield (
            row["instance_id"],
            _perturbation_name(row),
            row.get("train_trial_index", 0),
            [
                (name["name"], name.get("perturbation"), st.get("count", 0), st["sum"], st.get("mean"))
                for st in row.get("stats", [])
                for name in (st["name"],)
            ],
        )


def _typed_rows() -> Callable[[bytes], Iterator[_Row]] | None:
    try:
        from helm_lite.presentation.stats_structs import decode_rows
    except ImportError:  # msgspec is not installed
        return None
    return decode_rows


def _perturbation_name(obj: dict[str, Any]) -> str | None:
    pert = obj.get("perturbation")
    return pert.get("name") if isinstance(pert, dict) else None


def build_display(
    scenario_state: dict[str, Any], stats: InstanceStats, metric_names: Collection[str]
) -> tuple[list[Any], list[dict[str, Any]], list[dict[str, Any]]]:
    """(instances, display predictions, display requests) in request order; `stats` comes from
    `read_instance_stats`.

    Calibration requests of multiple_choice_separate_calibrated are dropped, and of an instance's
    per-option requests only the one for the predicted option is kept (HELM's choice).
    """
    instances: list[Any] = []
    seen_instances: set[tuple[str, str | None]] = set()
    predictions: list[dict[str, Any]] = []
    requests: list[dict[str, Any]] = []
    for state in scenario_state.get("request_states", []):
        instance = state["instance"]
        instance_id = instance.get("id", "")
        pert = instance.get("perturbation")
        ident = (instance_id, _perturbation_name(instance))
        if ident not in seen_instances:
            seen_instances.add(ident)
            instances.append(instance)
        if state.get("request_mode") == "calibration":
            continue
        trial = state.get("train_trial_index", 0)
        values = stats.get((instance_id, ident[1], trial), {})
        reference_index = state.get("reference_index")
        predicted = values.get("predicted_index")
        if reference_index is not None and predicted is not None and reference_index != int(predicted):
            continue
        result = state.get("result") or {}
        completions = result.get("completions") or []
        text = completions[0].get("text", "") if completions else ""
        prediction: dict[str, Any] = {"instance_id": instance_id}
        request: dict[str, Any] = {"instance_id": instance_id}
        if pert is not None:
            prediction["perturbation"] = pert
            request["perturbation"] = pert
        prediction["train_trial_index"] = trial
        prediction["predicted_text"] = text
        prediction["base64_images"] = []
        mapping = state.get("output_mapping")
        if isinstance(mapping, dict):
            mapped = mapping.get(text.strip())
            if mapped is not None:
                prediction["mapped_output"] = mapped
        if reference_index is not None:
            prediction["reference_index"] = reference_index
        prediction["stats"] = {k: v for k, v in values.items() if k in metric_names}
        if state.get("annotations") is not None:
            prediction["annotations"] = state["annotations"]
        predictions.append(prediction)
        request["train_trial_index"] = trial
        request["request"] = state.get("request")
        requests.append(request)
    return instances, predictions, requests
