"""MedQA (HELM's `med_qa`): US medical licensing exam questions, the 4-option English set.

Data: the MedQA ``data_clean`` zip from Google Drive, unpacked where HELM unpacks it
(``med_qa/data/``); HELM reads ``data_clean/questions/US/4_options/phrases_no_exclude_{train,dev,test}.jsonl``
(dev → valid). Options keep the file's key order; some option texts end in a stray ``"`` (and
whitespace), which HELM strips.
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
    VALID_SPLIT,
    Input,
    Instance,
    Output,
    Reference,
    Scenario,
)
from helm_lite.scenarios.jsonl import instances_from_jsonl

URL = "https://drive.google.com/uc?export=download&id=1ImYUSLk9JbgHXOemfvyiDiirluZHPeQw&confirm=t"
ARCHIVE = Archive(url=URL, kind="zip", unpack_to="med_qa/data")
QUESTIONS_DIR = "med_qa/data/data_clean/questions/US/4_options"
SPLIT_FILES = (
    (TRAIN_SPLIT, f"{QUESTIONS_DIR}/phrases_no_exclude_train.jsonl"),
    (VALID_SPLIT, f"{QUESTIONS_DIR}/phrases_no_exclude_dev.jsonl"),
    (TEST_SPLIT, f"{QUESTIONS_DIR}/phrases_no_exclude_test.jsonl"),
)


class MedQAScenario(Scenario):
    """Clinical vignette → one of four options; the correct one is the key `answer_idx`."""

    name = "med_qa"
    description = (
        "An open domain question answering (QA) dataset collected from professional medical board exams."
    )
    tags = ["question_answering", "biomedical"]
    definition_file = "med_qa_scenario.py"

    def __init__(self, data_source: DataSource | None = None) -> None:
        self.data_source = data_source

    def get_instances(self, output_path: str) -> list[Instance]:
        source = self.data_source or DataSource.for_scenario_dir(output_path)
        instances: list[Instance] = []
        for split, relative in SPLIT_FILES:
            path = source.file(relative, archive=ARCHIVE, check=_check)
            instances.extend(instances_from_jsonl(path, split, _instance, _describe))
        return instances


def _instance(example: dict[str, Any], split: str) -> Instance:
    options = example["options"]
    if len(options) != 4:
        raise ValueError(f"expected 4 options, got {len(options)}")
    correct = example["answer_idx"]
    if correct not in options:
        raise ValueError(f"answer_idx {correct!r} is not an option key")
    return Instance(
        input=Input(text=example["question"]),
        references=[
            Reference(Output(text=text.rstrip('"').rstrip()), tags=[CORRECT_TAG] if key == correct else [])
            for key, text in options.items()
        ],
        split=split,
    )


def _describe(e: Exception) -> str:
    return f"missing field {e}" if isinstance(e, KeyError) else str(e)


def _check(path: Path) -> None:
    """Every line is a 4-option question (a cut last line does not parse)."""
    with open(path, encoding="utf-8") as f:
        for n, line in enumerate(f, start=1):
            if line.strip():
                try:
                    _instance(json.loads(line), TEST_SPLIT)
                except (ValueError, KeyError, TypeError, AttributeError) as e:
                    raise ValueError(f"line {n}: {_describe(e)}") from e
