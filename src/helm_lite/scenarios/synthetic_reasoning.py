"""Synthetic reasoning (HELM's `synthetic_reasoning`): pattern matching, variable substitution, induction.

All 11,000 instances come from one private legacy numpy generator seeded at construction, so the data
is identical to HELM's byte for byte as long as every draw happens in HELM's order — including draws
whose result a given mode never uses (the second substitution, the pattern-match decoys).
"""

from __future__ import annotations

import numpy as np

from helm_lite.common.errors import UserError
from helm_lite.scenarios.base import (
    CORRECT_TAG,
    TEST_SPLIT,
    TRAIN_SPLIT,
    VALID_SPLIT,
    Input,
    Instance,
    Output,
    Reference,
    Scenario,
)

# List order matters: a drawn index selects by position.
# fmt: off
ANIMALS = [
    "zebra", "cobra", "stork", "penguin", "shark", "lion", "buffalo", "whale", "seal", "eagle", "horse", "rat"
]
FRUITS = [
    "apple", "peach", "watermelon", "banana", "grape", "kiwi", "pear", "strawberry", "blueberry", "blackberry"
]
# fmt: on
WORDS = ANIMALS + FRUITS
VARIABLES = ["X", "Y", "Z"]
OPERATORS = ["+", "-", "*", "="]

MODES = ("pattern_match", "variable_substitution", "induction")
NUM_INSTANCES = 11_000
NUM_TRAIN = 1_000
NUM_TRAIN_AND_VALID = 6_000
NUM_DECOYS = 3


class SyntheticReasoningScenario(Scenario):
    """Rule patterns over variables and operators, rendered per mode, as HELM generates them."""

    name = "synthetic_reasoning"
    description = "Synthetic reasoning benchmark"
    tags = ["reasoning", "language", "pattern_matching"]
    definition_file = "synthetic_reasoning_scenario.py"

    def __init__(self, mode: str, random_seed: int = 42) -> None:
        if mode not in MODES:
            raise UserError(f"Unsupported mode: {mode}")
        self.mode = mode
        self.random_seed = random_seed

    def get_instances(self, output_path: str) -> list[Instance]:
        # A fresh private generator per call keeps the global RNGs untouched and repeated calls identical.
        rng = np.random.RandomState(self.random_seed)
        instances = []
        for n in range(NUM_INSTANCES):
            text, answer = self._generate(rng)
            if n < NUM_TRAIN:
                split = TRAIN_SPLIT
            elif n < NUM_TRAIN_AND_VALID:
                split = VALID_SPLIT
            else:
                split = TEST_SPLIT
            instances.append(
                Instance(
                    input=Input(text=text),
                    references=[Reference(output=Output(text=answer), tags=[CORRECT_TAG])],
                    split=split,
                    id=f"id{n}",
                )
            )
        return instances

    def _generate(self, rng: np.random.RandomState) -> tuple[str, str]:
        """Draw one instance (input text, answer) in exactly HELM's draw order."""
        num_vars = rng.randint(2, 4)
        variables = [VARIABLES[j] for j in rng.randint(0, len(VARIABLES), size=num_vars)]
        distinct = sorted(set(variables))
        num_ops = rng.randint(2, 4)
        operators = [OPERATORS[j] for j in rng.randint(0, len(OPERATORS), size=num_ops)]
        pattern = variables + operators
        rng.shuffle(pattern)
        first = _draw_values(rng, distinct)
        second = _draw_values(rng, distinct)  # drawn in every mode to keep the stream aligned
        rule = " ".join(pattern)

        if self.mode == "pattern_match":
            candidates = []
            for _ in range(NUM_DECOYS):
                decoy = distinct + operators
                rng.shuffle(decoy)
                candidates.append(" ".join(decoy))
            candidates.append(rule)
            rng.shuffle(candidates)
            return f"Rules: {' | '.join(candidates)} | Result: {_render(pattern, first)}", rule
        if self.mode == "variable_substitution":
            subs = " , ".join(f'{v} by " {first[v]} "' for v in distinct)
            return f"Rules: {rule} | Substitutions: {subs}", _render(pattern, first)
        return f"Two results: {_render(pattern, first)} | {_render(pattern, second)}", f"Rule: {rule}"


def _draw_values(rng: np.random.RandomState, distinct: list[str]) -> dict[str, str]:
    """One value (1 or 2 words) per distinct variable, drawn in sorted-variable order."""
    values = {}
    for var in distinct:
        length = rng.randint(1, 3)
        values[var] = " ".join(WORDS[j] for j in rng.randint(0, len(WORDS), size=length))
    return values


def _render(pattern: list[str], values: dict[str, str]) -> str:
    return " ".join(values.get(token, token) for token in pattern)
