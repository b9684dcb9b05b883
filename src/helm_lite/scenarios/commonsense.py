"""OpenBookQA (HELM's `openbookqa`, run entry ``commonsense:dataset=openbookqa``): 4-way science questions.

Data: AI2's OpenBookQA-V1-Sep2018 zip, unpacked where HELM unpacks it
(``openbookqa/data/OpenBookQA-V1-Sep2018/``); HELM reads only ``Data/Main/train.jsonl`` and
``Data/Main/test.jsonl`` (the dev file is not used), and the input is the question stem alone — the
"open book" fact of ``Data/Additional`` is not shown.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from helm_lite.common.data import Archive, DataSource
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
from helm_lite.scenarios.jsonl import instances_from_jsonl

URL = "https://ai2-public-datasets.s3.amazonaws.com/open-book-qa/OpenBookQA-V1-Sep2018.zip"
DATA_DIR = "openbookqa/data/OpenBookQA-V1-Sep2018"
ARCHIVE = Archive(url=URL, kind="zip", unpack_to=DATA_DIR, rename_top="OpenBookQA-V1-Sep2018")
SPLIT_FILES = (
    (TRAIN_SPLIT, f"{DATA_DIR}/Data/Main/train.jsonl"),
    (TEST_SPLIT, f"{DATA_DIR}/Data/Main/test.jsonl"),
)
LETTERS = ("A", "B", "C", "D")


class OpenBookQA(Scenario):
    """Question stem → one of four choices; the correct one is named by `answerKey`."""

    name = "openbookqa"
    description = "Benchmark from https://aclanthology.org/D18-1260.pdf."
    tags = ["knowledge", "multiple_choice"]
    definition_file = "commonsense_scenario.py"

    def __init__(self, data_source: DataSource | None = None) -> None:
        self.data_source = data_source

    def get_instances(self, output_path: str) -> list[Instance]:
        source = self.data_source or DataSource.for_scenario_dir(output_path)
        instances: list[Instance] = []
        for split, relative in SPLIT_FILES:
            path = source.file(relative, archive=ARCHIVE, check=_check)
            instances.extend(instances_from_jsonl(path, split, _instance, _describe))
        return instances


def _instance(item: dict[str, Any], split: str) -> Instance:
    choices = item["question"]["choices"]
    answers = [choice["text"] for choice in choices]
    if len(answers) != len(LETTERS):
        raise ValueError(f"expected 4 choices, got {len(answers)}")
    key = item["answerKey"]
    if key not in LETTERS or choices[LETTERS.index(key)]["label"] != key:
        raise ValueError(f"answerKey {key!r} does not name a choice by its label")
    correct = answers[LETTERS.index(key)]
    # HELM marks by text, so a choice that repeats the correct text is correct too.
    return Instance(
        input=Input(text=item["question"]["stem"]),
        references=[Reference(Output(text=a), tags=[CORRECT_TAG] if a == correct else []) for a in answers],
        split=split,
    )


def _describe(e: Exception) -> str:
    return f"missing field {e}" if isinstance(e, KeyError) else str(e)


def _check(path: Path) -> None:
    """Every line is an OpenBookQA question (a cut last line does not parse)."""
    with open(path, encoding="utf-8") as f:
        for n, line in enumerate(f, start=1):
            if line.strip():
                try:
                    _instance(json.loads(line), TEST_SPLIT)
                except (ValueError, KeyError, TypeError) as e:
                    raise ValueError(f"line {n}: {_describe(e)}") from e
