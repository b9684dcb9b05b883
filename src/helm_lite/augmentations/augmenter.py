"""Apply a run's `DataAugmenterSpec` to its instances, as HELM's data preprocessor does."""

from __future__ import annotations

from helm_lite.augmentations.base import Perturbation
from helm_lite.augmentations.specs import build_perturbation
from helm_lite.augmentations.word_lists import WordLists
from helm_lite.run_specs.run_spec import DataAugmenterSpec
from helm_lite.scenarios.base import EVAL_SPLITS, TRAIN_SPLIT, Instance


def generate(
    instances: list[Instance],
    perturbations: list[Perturbation],
    *,
    include_original: bool,
    skip_unchanged: bool,
    seeds_per_instance: int,
) -> list[Instance]:
    """Per instance: the original (if asked), then each perturbation's copy per seed (the first seed
    is none: the id alone), leaving out copies whose input did not change when `skip_unchanged`."""
    out: list[Instance] = []
    for instance in instances:
        if include_original:
            out.append(instance)
        for perturbation in perturbations:
            for i in range(seeds_per_instance):
                perturbed = perturbation.apply(instance, seed=None if i == 0 else i)
                if skip_unchanged and perturbed.input == instance.input:
                    continue
                out.append(perturbed)
    return out


def augment(instances: list[Instance], spec: DataAugmenterSpec, lists: WordLists) -> list[Instance]:
    """Train instances, then eval instances, each augmented if the spec says so."""
    perturbations = [build_perturbation(s, lists) for s in spec.perturbation_specs]
    train = [i for i in instances if i.split == TRAIN_SPLIT]
    evals = [i for i in instances if i.split in EVAL_SPLITS]
    if spec.should_augment_train_instances:
        train = generate(
            train,
            perturbations,
            include_original=spec.should_include_original_train,
            skip_unchanged=spec.should_skip_unchanged_train,
            seeds_per_instance=spec.seeds_per_instance,
        )
    if spec.should_augment_eval_instances:
        evals = generate(
            evals,
            perturbations,
            include_original=spec.should_include_original_eval,
            skip_unchanged=spec.should_skip_unchanged_eval,
            seeds_per_instance=spec.seeds_per_instance,
        )
    return train + evals
