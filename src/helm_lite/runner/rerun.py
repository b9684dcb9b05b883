"""Repeating a recorded run and saying what differs: `helm-run --rerun RUN_DIR`.

The rerun takes the run spec from the run's own `run_spec.json` (so later changes to run-spec
functions or conf files cannot change what is run) and its settings from `run_info.json`; answers are
computed afresh, never taken from the request cache. Outputs are compared without what legitimately
changes between two runs (times, batch sizes, `cached`); when they differ, the recorded inputs of the
two runs (versions, commit, model identity, data hashes, libraries, settings) are compared, one line
per change.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, fields
from typing import Any

from helm_lite.adaptation.adapter_spec import AdapterSpec, Substitution
from helm_lite.common.errors import UserError
from helm_lite.common.object_spec import ObjectSpec
from helm_lite.run_directory import RUN_INFO_FILE, read_run_info
from helm_lite.run_specs.run_spec import AnnotatorSpec, DataAugmenterSpec, MetricSpec, RunSpec, ScenarioSpec

# Fields of a request result that depend on when and how a request was computed, not on its answer.
RESULT_TIMING = ("request_time", "request_datetime", "batch_size", "batch_request_time", "cached")
# Stats that measure time or batching.
TIMING_STATS = ("inference_runtime", "inference_denoised_runtime", "batch_size")

#: run_info.json fields that are inputs of a run, in the order their changes are reported.
INPUT_FIELDS = (
    "helm_lite_version",
    "helm_lite_source",
    "python",
    "platform",
    "libraries",
    "model",
    "model_deployment",
    "client_settings",
    "seeds",
    "scenario_data",
)


@dataclass(frozen=True)
class RecordedRun:
    """A run folder with a usable recipe: its run spec and run_info.json."""

    path: str
    run_spec: RunSpec
    info: dict[str, Any]

    @property
    def suite(self) -> str:
        return os.path.basename(os.path.dirname(self.path))

    @property
    def output_path(self) -> str:
        """The output root the run lives under (`<output>/runs/<suite>/<run>`)."""
        return os.path.dirname(os.path.dirname(os.path.dirname(self.path)))

    @property
    def invocation(self) -> dict[str, Any]:
        value = self.info.get("invocation")
        return value if isinstance(value, dict) else {}


def read_recorded_run(run_dir: str) -> RecordedRun:
    """The run at `run_dir`; a `UserError` naming the folder when it has no usable recipe."""
    path = os.path.abspath(run_dir)
    where = f"--rerun {run_dir}"
    if not os.path.isdir(path):
        raise UserError(f"{where}: no such run directory")
    try:
        info = read_run_info(path)
    except ValueError as e:
        raise UserError(f"{where}: {e}") from None
    if not isinstance(info, dict) or "invocation" not in info:
        what = "has no run_info.json" if info is None else f"{RUN_INFO_FILE} holds no recipe (an older run)"
        raise UserError(f"{where}: {what}, so the run cannot be repeated")
    try:
        with open(os.path.join(path, "run_spec.json"), encoding="utf-8") as f:
            run_spec = run_spec_from_json(json.load(f))
    except (OSError, ValueError, TypeError, KeyError) as e:
        raise UserError(f"{where}: run_spec.json cannot be read back ({type(e).__name__}: {e})") from None
    return RecordedRun(path, run_spec, info)


def _known(cls: Any, data: dict[str, Any]) -> dict[str, Any]:
    names = {f.name for f in fields(cls)}
    unknown = set(data) - names
    if unknown:
        raise ValueError(f"{cls.__name__} has no field {sorted(unknown)[0]!r}")
    return data


def run_spec_from_json(data: dict[str, Any]) -> RunSpec:
    """A RunSpec from its HELM-JSON (the inverse of writing run_spec.json)."""
    adapter = dict(data["adapter_spec"])
    adapter["substitutions"] = [Substitution(**s) for s in adapter.get("substitutions", [])]
    return RunSpec(
        name=data["name"],
        scenario_spec=ScenarioSpec(**_known(ScenarioSpec, data["scenario_spec"])),
        adapter_spec=AdapterSpec(**_known(AdapterSpec, adapter)),
        metric_specs=[MetricSpec(**_known(MetricSpec, m)) for m in data.get("metric_specs", [])],
        data_augmenter_spec=DataAugmenterSpec(
            perturbation_specs=[
                ObjectSpec(**_known(ObjectSpec, p))
                for p in data.get("data_augmenter_spec", {}).get("perturbation_specs", [])
            ]
        ),
        groups=list(data.get("groups", [])),
        annotators=[AnnotatorSpec(**_known(AnnotatorSpec, a)) for a in data["annotators"]]
        if data.get("annotators")
        else None,
    )


# -- comparing outputs -------------------------------------------------------------------------------
def _load(run_dir: str, name: str) -> Any:
    with open(os.path.join(run_dir, name), encoding="utf-8") as f:
        return json.load(f)


def _without_timing_stats(stats: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [s for s in stats if s.get("name", {}).get("name") not in TIMING_STATS]


def output_differences(old_dir: str, new_dir: str) -> list[str]:
    """One line per kind of output that differs between two runs (empty: identical)."""
    problems = []
    old_states = _load(old_dir, "scenario_state.json")["request_states"]
    new_states = _load(new_dir, "scenario_state.json")["request_states"]
    for states in (old_states, new_states):
        for state in states:
            for key in RESULT_TIMING:
                (state.get("result") or {}).pop(key, None)
    if len(old_states) != len(new_states):
        problems.append(f"{len(new_states)} requests instead of {len(old_states)}")
    else:
        differ = [i for i, (a, b) in enumerate(zip(old_states, new_states, strict=True)) if a != b]
        if differ:
            first = old_states[differ[0]].get("instance", {}).get("id", f"#{differ[0]}")
            problems.append(
                f"{len(differ)} of {len(old_states)} requests answered differently (first: {first})"
            )
    old_rows = _load(old_dir, "per_instance_stats.json")
    new_rows = _load(new_dir, "per_instance_stats.json")
    for rows in (old_rows, new_rows):
        for row in rows:
            row["stats"] = _without_timing_stats(row["stats"])
    if old_rows != new_rows:
        changed = sum(a != b for a, b in zip(old_rows, new_rows, strict=False)) + abs(
            len(old_rows) - len(new_rows)
        )
        problems.append(f"{changed} of {len(old_rows)} per-instance stats rows differ")
    old_stats = _without_timing_stats(_load(old_dir, "stats.json"))
    new_stats = _without_timing_stats(_load(new_dir, "stats.json"))
    if old_stats != new_stats:
        names = sorted(
            {s["name"]["name"] for s in old_stats if s not in new_stats}
            | {s["name"]["name"] for s in new_stats if s not in old_stats}
        )
        problems.append(f"stats differ: {', '.join(names[:8])}{' …' if len(names) > 8 else ''}")
    return problems


# -- comparing inputs --------------------------------------------------------------------------------
def _short(value: Any) -> str:
    text = json.dumps(value, sort_keys=True) if not isinstance(value, str) else value
    return text if len(text) <= 80 else text[:77] + "…"


def _changes(path: str, old: Any, new: Any) -> list[str]:
    if old == new:
        return []
    if isinstance(old, dict) and isinstance(new, dict):
        out = []
        for key in sorted(set(old) | set(new)):
            out.extend(_changes(f"{path}.{key}", old.get(key, "(absent)"), new.get(key, "(absent)")))
        return out
    return [f"{path}: {_short(old)} → {_short(new)}"]


def input_changes(old_info: dict[str, Any], new_info: dict[str, Any]) -> list[str]:
    """One line per recorded input that differs between two run_info.json records."""
    out = []
    for name in INPUT_FIELDS:
        out.extend(_changes(name, old_info.get(name, "(absent)"), new_info.get(name, "(absent)")))
    return out
