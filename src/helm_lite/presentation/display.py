"""Per-run display files for the front end's run pages: instances, predictions and requests.

They repackage `scenario_state.json` + `per_instance_stats.json` into what a run page shows per
instance, so the browser never downloads the full scenario state. A run without those two files (or
with broken ones) simply gets no display files: a warning, never a failed summary.
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Collection
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
        with open(os.path.join(run_dir, "per_instance_stats.json"), encoding="utf-8") as f:
            per_instance = json.load(f)
        instances, predictions, requests = build_display(scenario_state, per_instance, metric_names)
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as e:
        logger.warning(
            "No display files for %s: unreadable scenario state or instance stats (%s)", run_dir, e
        )
        return False
    write_plain_json(os.path.join(run_dir, "instances.json"), instances)
    write_plain_json(os.path.join(run_dir, "display_predictions.json"), predictions)
    write_plain_json(os.path.join(run_dir, "display_requests.json"), requests)
    return True


def _perturbation_name(obj: dict[str, Any]) -> str | None:
    pert = obj.get("perturbation")
    return pert.get("name") if isinstance(pert, dict) else None


def build_display(
    scenario_state: dict[str, Any], per_instance: list[dict[str, Any]], metric_names: Collection[str]
) -> tuple[list[Any], list[dict[str, Any]], list[dict[str, Any]]]:
    """(instances, display predictions, display requests) in request order.

    Calibration requests of multiple_choice_separate_calibrated are dropped, and of an instance's
    per-option requests only the one for the predicted option is kept (HELM's choice).
    """
    # (instance id, perturbation, trial) -> {metric: per-instance value}
    stats: dict[tuple[str, str | None, int], dict[str, float]] = {}
    for row in per_instance:
        key = (row["instance_id"], _perturbation_name(row), row.get("train_trial_index", 0))
        values = stats.setdefault(key, {})
        for stat in row.get("stats", []):
            name = stat["name"]
            if name.get("perturbation") is not None:
                continue
            wanted = name["name"] in metric_names or name["name"] == "predicted_index"
            if wanted and stat.get("count"):
                values[name["name"]] = stat.get("mean", stat["sum"] / stat["count"])

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
