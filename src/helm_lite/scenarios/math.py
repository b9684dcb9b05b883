r"""MATH (HELM's `MATH`): competition mathematics problems by subject and difficulty level.

HELM loads the HuggingFace dataset ``hendrycks/competition_math`` (pinned revision) into
``scenarios/MATH/data``, sorts each split by ``problem`` and shuffles it with ``seed=42``. That dataset
has been taken down and an HF cache cannot be rebuilt offline, so helm_lite reads the same rows as
plain JSONL (exactly HF's fields: ``problem``, ``level``, ``type``, ``solution``) from
``MATH/data/hendrycks_competition_math/{test,train}.jsonl`` in a data mirror or the cache; when only
``train.partial.jsonl`` exists it is used with a warning. HF's sort and shuffle are reproduced
exactly: a stable sort by code point (what Arrow's sort does on UTF-8 strings), then
``numpy.random.default_rng(42).permutation(n)`` as ``Dataset.shuffle(seed=42)`` draws it — so the
order equals HELM's only when the file holds the complete split (``n`` must match).

References: the whole ``solution`` with ``use_chain_of_thought`` (HELM Lite), otherwise the contents of
its last ``\boxed{…}`` (rows without one are skipped).
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import numpy as np

from helm_lite.common.data import DataSource
from helm_lite.common.errors import UserError
from helm_lite.scenarios.base import (
    CORRECT_TAG,
    TEST_SPLIT,
    TRAIN_SPLIT,
    Input,
    Instance,
    Output,
    Reference,
    Scenario,
)
from helm_lite.scenarios.jsonl import read_jsonl_rows

logger = logging.getLogger(__name__)

DATA_DIR = "MATH/data/hendrycks_competition_math"
HF_DATASET = "hendrycks/competition_math (revision 71b758ecc688b2822d07ffa7f8393299f1dc7cac)"
FIELDS = ("problem", "level", "type", "solution")
SHUFFLE_SEED = 42

SUBJECTS = {
    "number_theory": "Number Theory",
    "intermediate_algebra": "Intermediate Algebra",
    "algebra": "Algebra",
    "prealgebra": "Prealgebra",
    "geometry": "Geometry",
    "counting_and_probability": "Counting & Probability",
    "precalculus": "Precalculus",
}
LEVELS = ("1", "2", "3", "4", "5")

# HELM's fixed few-shot examples for `use_official_examples=True` (problem, answer).
OFFICIAL_EXAMPLES = (
    (r"What is $\left(\frac{7}{8}\right)^3 \cdot \left(\frac{7}{8}\right)^{-3}$?", "1"),
    (
        "In how many ways can 4 books be selected from a shelf of 6 books"
        " if the order in which the books are selected does not matter?",
        "15",
    ),
    ("Find the distance between the points $(2,1,-4)$ and $(5,8,-3).$", r"\sqrt{59}"),
    (
        "The faces of an octahedral die are labeled with digits $1$ through $8$."
        " What is the probability, expressed as a common fraction,"
        " of rolling a sum of $15$ with a pair of such octahedral dice?",
        r"\frac{1}{32}",
    ),
    (
        "The first three terms of an arithmetic sequence are 1, 10 and 19, respectively."
        " What is the value of the 21st term?",
        "181",
    ),
    (r"Calculate $6 \cdot 8\frac{1}{3}", "50"),
    (
        "When the binary number $100101110010_2$ is divided by 4,"
        " what is the remainder (give your answer in base 10)?",
        "2",
    ),
    (r"How many zeros are at the end of the product 25 $\times$ 240?", "3"),
)


def _problem(row: dict[str, Any]) -> str | None:
    return (
        None
        if all(isinstance(row.get(k), str) for k in FIELDS)
        else f"lacks string fields {', '.join(FIELDS)}"
    )


def read_rows(path: Path) -> list[dict[str, Any]]:
    """The rows of one MATH JSONL file; `ValueError` naming the first bad line if any."""
    return read_jsonl_rows(path, _problem)


def check_file(path: Path) -> None:
    """DataSource's parse check: raises if the file cannot be used."""
    read_rows(path)


def hf_order(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """HF's ``.sort("problem").shuffle(seed=42)`` on one split."""
    by_problem = sorted(rows, key=lambda r: r["problem"])
    permutation = np.random.default_rng(SHUFFLE_SEED).permutation(len(by_problem))
    return [by_problem[i] for i in permutation]


def last_boxed(solution: str) -> str | None:
    r"""The contents of the last ``\boxed{…}`` (HELM's ``get_answer``), or None."""
    start = solution.rfind("\\boxed")
    if start < 0:
        start = solution.rfind("\\fbox")
        if start < 0:
            return None
    depth = 0
    for i in range(start, len(solution)):
        if solution[i] == "{":
            depth += 1
        elif solution[i] == "}":
            depth -= 1
            if depth == 0:
                boxed = solution[start : i + 1]
                prefix = "\\boxed{"
                return boxed[len(prefix) : -1] if boxed.startswith(prefix) else None
    return None


def _as_bool(value: bool | str) -> bool:
    return value if isinstance(value, bool) else str(value).lower() == "true"


class MATHScenario(Scenario):
    """One subject at one level: train rows are the in-context examples, test rows are evaluated."""

    name = "MATH"
    description = "Mathematical Problem Solving"
    tags = ["knowledge", "reasoning"]
    definition_file = "math_scenario.py"

    def __init__(
        self,
        subject: str,
        level: str | int,
        use_official_examples: bool | str = False,
        use_chain_of_thought: bool | str = False,
        data_source: DataSource | None = None,
    ) -> None:
        if subject not in SUBJECTS:
            raise UserError(f"Unknown MATH subject {subject!r} (expected one of: {', '.join(SUBJECTS)})")
        if str(level) not in LEVELS:
            raise UserError(f"Unknown MATH level {level!r} (expected one of: {', '.join(LEVELS)})")
        self.subject = SUBJECTS[subject]
        self.level = f"Level {level}"
        self.use_official_examples = _as_bool(use_official_examples)
        self.use_chain_of_thought = _as_bool(use_chain_of_thought)
        if self.use_chain_of_thought and self.use_official_examples:
            raise UserError("Cannot use official examples when use_chain_of_thought is True.")
        self.data_source = data_source

    def get_instances(self, output_path: str) -> list[Instance]:
        source = self.data_source or DataSource.for_scenario_dir(output_path)
        instances: list[Instance] = []
        if self.use_official_examples:
            instances += [_instance(problem, answer, TRAIN_SPLIT) for problem, answer in OFFICIAL_EXAMPLES]
        else:
            instances += self._split(self._train_rows(source), TRAIN_SPLIT)
        instances += self._split(self._test_rows(source), TEST_SPLIT)
        return instances

    def _split(self, rows: list[dict[str, Any]], split: str) -> list[Instance]:
        out = []
        for row in hf_order(rows):
            if row["type"] != self.subject or row["level"] != self.level:
                continue
            answer = row["solution"] if self.use_chain_of_thought else last_boxed(row["solution"])
            if answer is not None:
                out.append(_instance(row["problem"], answer, split))
        return out

    def _test_rows(self, source: DataSource) -> list[dict[str, Any]]:
        try:
            return read_rows(source.file(f"{DATA_DIR}/test.jsonl", check=check_file))
        except UserError as e:
            raise UserError(f"MATH test split: {e}. {_WHY_NO_DOWNLOAD}") from None

    def _train_rows(self, source: DataSource) -> list[dict[str, Any]]:
        try:
            return read_rows(source.file(f"{DATA_DIR}/train.jsonl", check=check_file))
        except UserError as full_missing:
            try:
                path = source.file(f"{DATA_DIR}/train.partial.jsonl", check=check_file)
            except UserError:
                raise UserError(f"MATH train split: {full_missing}. {_WHY_NO_DOWNLOAD}") from None
        if str(path) not in PARTIAL_TRAIN_WARNED:  # once per file, not once per subject and level
            PARTIAL_TRAIN_WARNED.add(str(path))
            logger.warning(
                "MATH: using %s, a partial train split; in-context examples and train order differ "
                "from HELM's for subjects whose train rows are incomplete",
                path,
            )
        return read_rows(path)


# Partial train files already warned about in this process: HELM Lite has 7 MATH subjects × 5
# settings, and one warning says all there is to say.
PARTIAL_TRAIN_WARNED: set[str] = set()


_WHY_NO_DOWNLOAD = (
    f"HELM reads the HuggingFace dataset {HF_DATASET}, which has been taken down and cannot be "
    "fetched as files; export its split as JSONL (fields problem, level, type, solution) into a data mirror"
)


def _instance(problem: str, answer: str, split: str) -> Instance:
    return Instance(
        input=Input(text=problem),
        references=[Reference(Output(text=answer), tags=[CORRECT_TAG])],
        split=split,
    )
