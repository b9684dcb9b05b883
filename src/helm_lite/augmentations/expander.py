"""The `data_augmentation=<value>` run expander (HELM's `DataAugmentationRunExpander`)."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from helm_lite.augmentations.specs import specs_for
from helm_lite.registry.loader import Registry
from helm_lite.run_specs.run_spec import DataAugmenterSpec, RunSpec


def expand_data_augmentation(spec: RunSpec, value: Any, registry: Registry) -> list[RunSpec]:
    """One run per named perturbation set; evaluation instances keep their original beside the
    perturbed copies, so normal, robustness and fairness stats come from the same run."""
    return [
        replace(
            spec,
            name=f"{spec.name},data_augmentation={name}",  # HELM always uses a comma here
            data_augmenter_spec=DataAugmenterSpec(
                perturbation_specs=list(perturbations),
                should_augment_train_instances=False,
                should_include_original_train=True,
                should_skip_unchanged_train=True,
                should_augment_eval_instances=True,
                should_include_original_eval=True,
                should_skip_unchanged_eval=True,
                seeds_per_instance=1,
            ),
        )
        for name, perturbations in specs_for(str(value)).items()
    ]
