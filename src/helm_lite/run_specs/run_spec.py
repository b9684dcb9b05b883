"""RunSpec: everything one run needs (scenario, adapter, metrics, groups), as `run_spec.json` shows it."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from helm_lite.adaptation.adapter_spec import AdapterSpec
from helm_lite.common.object_spec import ObjectSpec


@dataclass(frozen=True)
class ScenarioSpec(ObjectSpec):
    pass


@dataclass(frozen=True)
class MetricSpec(ObjectSpec):
    pass


@dataclass(frozen=True)
class AnnotatorSpec(ObjectSpec):
    """An annotator (model judge) run between execution and metrics (see helm_lite.annotation)."""


@dataclass(frozen=True)
class DataAugmenterSpec:
    """Which perturbations make extra instances (`data_augmentation=`; see helm_lite.augmentations)."""

    perturbation_specs: list[Any] = field(default_factory=list)  # ObjectSpecs with HELM class names
    should_augment_train_instances: bool = False
    should_include_original_train: bool = False
    should_skip_unchanged_train: bool = False
    should_augment_eval_instances: bool = False
    should_include_original_eval: bool = False
    should_skip_unchanged_eval: bool = False
    seeds_per_instance: int = 1


@dataclass(frozen=True)
class RunSpec:
    name: str
    scenario_spec: ScenarioSpec
    adapter_spec: AdapterSpec
    metric_specs: list[MetricSpec]
    data_augmenter_spec: DataAugmenterSpec = field(default_factory=DataAugmenterSpec)
    groups: list[str] = field(default_factory=list)
    annotators: list[AnnotatorSpec] | None = None  # None (HELM's default) is left out of run_spec.json

    def __post_init__(self) -> None:
        # HELM replaces every "/" in run names so they can be directory names.
        object.__setattr__(self, "name", self.name.replace("/", "_"))


MAX_RUN_NAME_BYTES = 255  # a run name is a directory name


def run_name_problem(name: str) -> str | None:
    """Why `name` cannot be a run directory's name, or None."""
    size = len(name.encode("utf-8", "surrogateescape"))
    if size > MAX_RUN_NAME_BYTES:
        return (
            f"the run name is {size} bytes long, but a directory name can have at most "
            f"{MAX_RUN_NAME_BYTES} (shorten the path or other values)"
        )
    if any(ch < " " or ch == "\x7f" for ch in name):
        return f"the run name {name!r} contains a control character"
    return None
