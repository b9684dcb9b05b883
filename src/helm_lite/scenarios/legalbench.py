"""LegalBench (HELM's `legalbench`): legal reasoning tasks, one subset per run.

HELM reads the prompt settings file ``helm_prompt_settings.jsonl`` (saved as
``scenarios/legalbench/data/prompt_construction_settings.json``: five JSON lines — field ordering,
instructions, label keys, output nouns, train sizes) and the HuggingFace dataset ``nguha/legalbench``
(pinned revision) for the train and test rows. helm_lite reads the same rows from the LegalBench
GitHub task files ``legalbench/data/legalbench_github/tasks/<subset>/{train,test}.tsv`` (a data
mirror, the cache, or the pinned GitHub commits below). The test files of the pre-release repository
name the label column ``label`` instead of ``answer``; that column is used when the settings' label
key is absent. Row order and content of these test files are not verified against HF's.
"""

from __future__ import annotations

import csv
import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

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

SUBSETS = (
    "abercrombie",
    "corporate_lobbying",
    "international_citizenship_questions",
    "function_of_decision_section",
    "proa",
)
PROMPT_SETTINGS_URL = (
    "https://raw.githubusercontent.com/HazyResearch/legalbench/main/helm_prompt_settings.jsonl"
)
SETTINGS_FILE = "legalbench/data/prompt_construction_settings.json"
TASKS_DIR = "legalbench/data/legalbench_github/tasks"
HF_DATASET = "nguha/legalbench (revision e042ea68c19df12b737fe768572f22ead61e8e37)"

_RAW = "https://raw.githubusercontent.com/HazyResearch/legalbench"
# Where each task file can still be fetched: train splits at one commit; the test splits were removed
# from GitHub later, and only three survive in the pre-release history.
TRAIN_URL = _RAW + "/ce482446b8eac4403b6db2c17223af4514bb24e3/tasks/{subset}/train.tsv"
TEST_URLS = {
    "abercrombie": _RAW + "/171e332109e562f93f4300a471264104ac5ba35c/tasks/abercrombie/test.tsv",
    "proa": _RAW + "/171e332109e562f93f4300a471264104ac5ba35c/tasks/proa/test.tsv",
    "corporate_lobbying": (
        _RAW + "/b263e0c9d356815c73f896978ddd8e8a340621ad/tasks/corporate_lobbying/test.tsv"
    ),
}
FALLBACK_LABEL_COLUMN = "label"


@dataclass(frozen=True)
class PromptSettings:
    """One subset's line of each settings section."""

    fields: list[tuple[str, str]]  # (display name, column) in prompt order
    instructions: str
    label_key: str
    output_noun: str


def read_settings_file(path: Path) -> list[dict[str, Any]]:
    """The five sections of the settings file; `ValueError` if it is not five JSON objects."""
    lines = path.read_text(encoding="utf-8").strip().split("\n")
    if len(lines) != 5:
        raise ValueError(f"{len(lines)} lines, expected 5")
    sections = [json.loads(line) for line in lines]
    if not all(isinstance(s, dict) for s in sections):
        raise ValueError("every line must be a JSON object")
    return sections


def check_settings_file(path: Path) -> None:
    """DataSource's parse check for the settings file."""
    read_settings_file(path)


def prompt_settings(path: Path, subset: str) -> PromptSettings:
    fields, instructions, label_keys, output_nouns, _ = read_settings_file(path)
    try:
        return PromptSettings(
            fields=[(str(d), str(c)) for d, c in fields[subset]],
            instructions=str(instructions[subset]),
            label_key=str(label_keys[subset]),
            output_noun=str(output_nouns[subset]),
        )
    except (KeyError, TypeError, ValueError) as e:
        raise UserError(f"{path}: no usable prompt settings for subset {subset!r} ({e})") from None


def read_tsv(path: Path, columns: list[str]) -> list[dict[str, str]]:
    """Rows of a task TSV that must hold `columns` (a label column given as ``a|b`` means either).

    The last line must end with a newline: a row cut inside its last field still has every field.
    """
    with open(path, "rb") as raw:
        raw.seek(-1, os.SEEK_END)
        if raw.read(1) != b"\n":
            raise ValueError("the last line is incomplete (no final newline)")
    with open(path, encoding="utf-8", newline="") as f:
        reader = csv.DictReader(f, delimiter="\t", strict=True)
        header = reader.fieldnames or []
        for column in columns:
            if not any(c in header for c in column.split("|")):
                raise ValueError(f"no column {column.replace('|', ' or ')} (header: {', '.join(header)})")
        rows = []
        for row in reader:
            if None in row or None in row.values():
                raise ValueError(f"line {reader.line_num} does not have {len(header)} fields")
            rows.append(row)
    if not rows:
        raise ValueError("no rows")
    return rows


class LegalBenchScenario(Scenario):
    """Train rows (the in-context examples) then test rows, each rendered as "Field: value" lines."""

    name = "legalbench"
    description = "LegalBench"
    tags = ["text_classification", "robustness"]
    definition_file = "legalbench_scenario.py"

    def __init__(self, subset: str, random_seed: int = 42, data_source: DataSource | None = None) -> None:
        if subset not in SUBSETS:
            raise UserError(f"Unknown LegalBench subset {subset!r} (expected one of: {', '.join(SUBSETS)})")
        self.subset = subset
        self.random_seed = random_seed  # HELM seeds `random` with it but draws nothing
        self.data_source = data_source

    def get_instances(self, output_path: str) -> list[Instance]:
        source = self.data_source or DataSource.for_scenario_dir(output_path)
        settings = prompt_settings(
            source.file(SETTINGS_FILE, url=PROMPT_SETTINGS_URL, check=check_settings_file), self.subset
        )
        label_column = f"{settings.label_key}|{FALLBACK_LABEL_COLUMN}"
        columns = [column for _, column in settings.fields] + [label_column]

        def check(path: Path) -> None:
            read_tsv(path, columns)

        instances: list[Instance] = []
        for name, split in (("train", TRAIN_SPLIT), ("test", TEST_SPLIT)):
            relative = f"{TASKS_DIR}/{self.subset}/{name}.tsv"
            url = TRAIN_URL.format(subset=self.subset) if name == "train" else TEST_URLS.get(self.subset)
            try:
                path = source.file(relative, url=url, check=check)
            except UserError as e:
                raise UserError(
                    f"LegalBench {self.subset} {name} split: {e}. HELM reads it from the HuggingFace "
                    f"dataset {HF_DATASET}; save that split as {relative} (tab-separated, with a header) "
                    "in a data mirror"
                ) from None
            for row in read_tsv(path, columns):
                label = row[settings.label_key] if settings.label_key in row else row[FALLBACK_LABEL_COLUMN]
                text = "\n".join(f"{display}: {row[column]}" for display, column in settings.fields)
                instances.append(
                    Instance(
                        input=Input(text=text),
                        references=[Reference(Output(text=label), tags=[CORRECT_TAG])],
                        split=split,
                    )
                )
        return instances
