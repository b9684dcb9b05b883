"""MMLU (HELM's `mmlu`): Hendrycks et al.'s multiple-choice exam questions in 57 subjects.

HELM downloads ``data.tar`` and unpacks its ``data/`` folder to ``scenarios/mmlu/data``; every split
of a subject is a headerless CSV ``question,A,B,C,D,<letter>``. Files are read the way HELM reads them
(text mode, so a ``\\r\\n`` inside a quoted field becomes ``\\n``), and a file with a row that is not six
fields ending in a letter A–D is rejected: a download cut short ends in such a row.
"""

from __future__ import annotations

import csv
from pathlib import Path

from helm_lite.common.data import Archive, DataSource
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

DATA_URL = "https://people.eecs.berkeley.edu/~hendrycks/data.tar"
ARCHIVE = Archive(DATA_URL, "tar", "mmlu/data", rename_top="data")
LETTERS = ("A", "B", "C", "D")

# File folder → split, in HELM's reading order. HELM looks for `auxiliary_train/<subject>_…csv` too;
# data.tar has none for any subject, so it is only read if someone put one there.
SPLITS = (("auxiliary_train", TRAIN_SPLIT), ("dev", TRAIN_SPLIT), ("val", VALID_SPLIT), ("test", TEST_SPLIT))

# fmt: off
SUBJECTS = (
    "abstract_algebra", "anatomy", "astronomy", "business_ethics", "clinical_knowledge", "college_biology",
    "college_chemistry", "college_computer_science", "college_mathematics", "college_medicine",
    "college_physics", "computer_security", "conceptual_physics", "econometrics", "electrical_engineering",
    "elementary_mathematics", "formal_logic", "global_facts", "high_school_biology", "high_school_chemistry",
    "high_school_computer_science", "high_school_european_history", "high_school_geography",
    "high_school_government_and_politics", "high_school_macroeconomics", "high_school_mathematics",
    "high_school_microeconomics", "high_school_physics", "high_school_psychology", "high_school_statistics",
    "high_school_us_history", "high_school_world_history", "human_aging", "human_sexuality",
    "international_law", "jurisprudence", "logical_fallacies", "machine_learning", "management", "marketing",
    "medical_genetics", "miscellaneous", "moral_disputes", "moral_scenarios", "nutrition", "philosophy",
    "prehistory", "professional_accounting", "professional_law", "professional_medicine",
    "professional_psychology", "public_relations", "security_studies", "sociology", "us_foreign_policy",
    "virology", "world_religions",
)
# fmt: on


def read_rows(path: Path) -> list[list[str]]:
    """The rows of one MMLU CSV; `ValueError` naming the first bad row if any."""
    with open(path, encoding="utf-8") as f:  # text mode on purpose: HELM's newline handling
        rows = list(csv.reader(f, strict=True))
    if not rows:
        raise ValueError("no rows")
    for n, row in enumerate(rows, start=1):
        if len(row) != 6:
            raise ValueError(f"row {n} has {len(row)} fields, expected 6 (question, 4 choices, answer)")
        if row[-1] not in LETTERS:
            raise ValueError(f"row {n}: answer {row[-1]!r} is not a letter A-D")
    return rows


def check_file(path: Path) -> None:
    """DataSource's parse check: raises if the file cannot be used."""
    read_rows(path)


class MMLUScenario(Scenario):
    """One subject: dev → train (the in-context examples), val → valid, test → test."""

    name = "mmlu"
    description = "Massive Multitask Language Understanding"
    tags = ["knowledge", "multiple_choice"]
    definition_file = "mmlu_scenario.py"

    def __init__(self, subject: str, data_source: DataSource | None = None) -> None:
        # HELM accepts any subject and silently finds no files; a typo is better caught up front.
        if subject not in SUBJECTS:
            raise UserError(f"Unknown MMLU subject {subject!r} (expected one of: {', '.join(SUBJECTS)})")
        self.subject = subject
        self.data_source = data_source

    def get_instances(self, output_path: str) -> list[Instance]:
        source = self.data_source or DataSource.for_scenario_dir(output_path)
        instances: list[Instance] = []
        for folder, split in SPLITS:
            relative = f"mmlu/data/{folder}/{self.subject}_{folder}.csv"
            if folder == "auxiliary_train":
                try:  # never downloaded: used only when a mirror or the cache has it
                    path = source.file(relative, check=check_file)
                except UserError:
                    continue
            else:
                path = source.file(relative, archive=ARCHIVE, check=check_file)
            instances.extend(_instance(row, split) for row in read_rows(path))
        return instances


def _instance(row: list[str], split: str) -> Instance:
    question, choices, letter = row[0], row[1:-1], row[-1]
    correct = choices[LETTERS.index(letter)]
    # HELM tags by text, so a choice that repeats the correct text is correct too.
    references = [Reference(Output(text=c), tags=[CORRECT_TAG] if c == correct else []) for c in choices]
    return Instance(input=Input(text=question), references=references, split=split)
