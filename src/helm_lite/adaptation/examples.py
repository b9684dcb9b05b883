"""In-context example selection, reproducing HELM's draw sequence exactly.

HELM seeds the process-global `random` module; a private `random.Random(seed)` makes the same draws
without disturbing anyone else's random state.
"""

from __future__ import annotations

import itertools
import random

from helm_lite.scenarios.base import Instance


def _label(instance: Instance) -> str | None:
    ref = instance.first_correct_reference
    return ref.output.text if ref is not None else None


def sample_examples(
    train: list[Instance], seed: int, max_train_instances: int, sample_train: bool = True
) -> list[Instance]:
    """Pick the in-context examples for train trial `seed`, in prompt order.

    Most frequent gold answers first, then round-robin over labels (class balance); instances with
    no correct reference fill the remainder. With `sample_train=False`, consecutive slices.
    """
    rng = random.Random(seed)
    n = min(len(train), max_train_instances)
    if not sample_train:
        return train[n * seed : n * (seed + 1)]

    pools: dict[str, list[Instance]] = {}
    unlabelled: list[Instance] = []
    for inst in train:
        label = _label(inst)
        if label is None:
            unlabelled.append(inst)
        else:
            pools.setdefault(label, []).append(inst)

    count_to_labels: dict[int, list[str]] = {}
    for label in sorted(pools):
        count_to_labels.setdefault(len(pools[label]), []).append(label)
    order: list[str] = []
    for count in sorted(count_to_labels, reverse=True):
        labels = count_to_labels[count]
        rng.shuffle(labels)
        order.extend(labels)

    picked: list[Instance] = []
    remaining = sum(len(p) for p in pools.values())
    cursor = itertools.cycle(order)
    while n > 0 and remaining > 0:  # HELM loops forever when the pools run dry; we stop instead
        label = next(cursor, None)
        if label is None or label == "":
            break
        pool = pools[label]
        if not pool:
            continue
        picked.append(pool.pop(rng.randrange(len(pool))))
        n -= 1
        remaining -= 1
    picked.extend(rng.sample(unlabelled, min(n, len(unlabelled))))
    return picked
