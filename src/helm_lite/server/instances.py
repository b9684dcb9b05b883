"""A run's instances for the web view: request states grouped by instance, with their stats and status.

scenario_state.json (a run's biggest file) is parsed once per version by the caller's cache and never
kept as it is: only the fields the page shows are. Each instance is marked correct / incorrect /
partial / unscored from its per-instance main metric (`presentation.main_metric.instance_status`).
"""

from __future__ import annotations

from typing import Any

from helm_lite.presentation.main_metric import instance_status
from helm_lite.server import run_files
from helm_lite.server.errors import ServeError
from helm_lite.server.run_files import flat_stat, get, number

INSTANCE_FILTERS = ("all", "correct", "incorrect", "partial", "unscored")


def build_instance_views(
    state_path: str, per_instance_path: str, main: dict[str, Any] | None, notes: list[str]
) -> dict[str, Any]:
    """Group request states by (instance, trial, perturbation), attach per-instance stats, score them
    by `main` ({name, split, lower_is_better}; None: unscored). Problems go to `notes`."""
    data = run_files.read_json(state_path, "scenario_state.json")
    states = get(data, "request_states")
    if not isinstance(states, list):
        raise ServeError(422, "scenario_state.json has no request_states list")
    try:
        per_instance = run_files.read_json(per_instance_path, "per_instance_stats.json")
    except ServeError as e:
        per_instance = []
        notes.append(f"{e.message}; per-instance stats are not shown")

    views: dict[tuple[Any, ...], dict[str, Any]] = {}
    for index, state in enumerate(states):
        instance = get(state, "instance")
        instance_id = get(instance, "id")
        instance_id = str(instance_id) if instance_id is not None else f"state{index}"
        trial = get(state, "train_trial_index") or 0
        key = (instance_id, trial, get(instance, "perturbation", "name"))
        view = views.get(key)
        if view is None:
            references = get(instance, "references")
            view = views[key] = {
                "id": instance_id,
                "train_trial_index": trial,
                "perturbation": key[2],
                "split": get(instance, "split"),
                "sub_split": get(instance, "sub_split"),
                "input": get(instance, "input", "text"),
                "references": [
                    {
                        "text": get(r, "output", "text"),
                        "tags": get(r, "tags") or [],
                        "correct": "correct" in (get(r, "tags") or []),
                    }
                    for r in (references if isinstance(references, list) else [])
                ],
                "requests": [],
                "stats": [],
                "main_value": None,
                "status": "unscored",
            }
        completions = get(state, "result", "completions")
        view["requests"].append(
            {
                "reference_index": get(state, "reference_index"),
                "request_mode": get(state, "request_mode"),
                "output_mapping": get(state, "output_mapping"),
                "prompt": get(state, "request", "prompt"),
                "max_tokens": get(state, "request", "max_tokens"),
                "stop_sequences": get(state, "request", "stop_sequences"),
                "success": get(state, "result", "success"),
                "error": get(state, "result", "error"),
                "completions": [
                    {"text": get(c, "text"), "logprob": number(get(c, "logprob"))}
                    for c in (completions if isinstance(completions, list) else [])
                ],
                "num_train_instances": get(state, "num_train_instances"),
                "prompt_truncated": get(state, "prompt_truncated"),
                "annotations": get(state, "annotations"),  # model judges' prompts, answers, scores
            }
        )

    for row in per_instance if isinstance(per_instance, list) else []:
        row_key = (
            str(get(row, "instance_id")),
            get(row, "train_trial_index") or 0,
            get(row, "perturbation", "name"),
        )
        target = views.get(row_key)
        stats = get(row, "stats")
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
