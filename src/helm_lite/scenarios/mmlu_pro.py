"""MMLU-Pro (HELM's `mmlu_pro`): ten-option exam questions in 14 categories.

HELM loads HF ``TIGER-Lab/MMLU-Pro`` (revision ``3373e0b``); here the same two parquet files are read
from ``mmlu_pro/data/{validation,test}-00000-of-00001.parquet`` under the data mirror or the output
folder's ``scenarios/``, else downloaded from that revision: a download must match the hash, size and
commit the hub states for it (`common/hub.py`) and hold the published rows (12,032 test, 70 validation).
No digest is pinned: the copy at hand is not proven to be that revision. Validation rows (5 per
category) are the train split, test rows the test split, each in file order, filtered by category unless
``subject=all``. Reading parquet needs pyarrow (the ``capabilities`` extra), imported on first use."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from helm_lite.common.data import DataSource
from helm_lite.common.errors import UserError
from helm_lite.common.hub import HubFile
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
from helm_lite.scenarios.parquet import import_parquet, read_parquet_rows

REVISION = "3373e0b32277875b8db2aa555a333b78a08477ea"
# HF split → helm split, in HELM's order.
SPLITS = (("validation", TRAIN_SPLIT), ("test", TEST_SPLIT))
PUBLISHED_ROWS = {"validation": 70, "test": 12032}
COLUMNS = ["question_id", "question", "options", "answer", "category"]
LETTERS = "ABCDEFGHIJ"
CATEGORIES = (
    "biology", "business", "chemistry", "computer science", "economics", "engineering", "health",
    "history", "law", "math", "other", "philosophy", "physics", "psychology",
)  # fmt: skip


def read_rows(path: Path) -> list[dict[str, Any]]:
    """The rows of one split file, with the columns HELM reads; raises if the file is unusable.
    Memoised by file identity (`parquet.read_parquet_rows`): the rows are shared, do not mutate them."""
    return list(read_parquet_rows(path, COLUMNS, "mmlu_pro"))


def _parquet() -> Any:
    """`pyarrow.parquet`, or a one-line error naming the extra (before any file is judged unusable)."""
    return import_parquet("mmlu_pro")


def check_file(path: Path) -> None:
    for n, row in enumerate(read_rows(path), start=1):
        if row["answer"] not in LETTERS[: len(row["options"])]:
            raise ValueError(f"row {n}: answer {row['answer']!r} is not one of its options' letters")


def hub_file(hf_split: str) -> HubFile:
    def check_published_rows(path: Path) -> None:
        """A download must be the whole published split, not another file at the same address."""
        if (count := len(read_rows(path))) != PUBLISHED_ROWS[hf_split]:
            raise ValueError(
                f"{count} rows where the published {hf_split} split has {PUBLISHED_ROWS[hf_split]}"
            )

    return HubFile(
        "TIGER-Lab/MMLU-Pro", REVISION, f"data/{hf_split}-00000-of-00001.parquet", check_published_rows
    )


class MMLUProScenario(Scenario):
    name = "mmlu_pro"
    description = "Enhanced Massive Multitask Language Understanding with increased options and reasoning"
    tags = ["knowledge", "multiple_choice", "reasoning"]
    definition_file = "mmlu_pro_scenario.py"

    def __init__(self, subject: str, data_source: DataSource | None = None) -> None:
        self.subject = subject.replace("_", " ")
        # HELM silently finds no instances for an unknown category; a typo is better caught up front.
        if self.subject != "all" and self.subject not in CATEGORIES:
            raise UserError(
                f"Unknown MMLU-Pro subject {subject!r} (expected all or one of: "
                f"{', '.join(c.replace(' ', '_') for c in CATEGORIES)})"
            )
        self.data_source = data_source

    def get_instances(self, output_path: str) -> list[Instance]:
        _parquet()
        source = self.data_source or DataSource.for_scenario_dir(output_path)
        instances: list[Instance] = []
        for hf_split, split in SPLITS:
            name = f"{hf_split}-00000-of-00001.parquet"
            path = source.file(f"mmlu_pro/data/{name}", url=hub_file(hf_split), check=check_file)
            instances.extend(
                _instance(row, split)
                for row in read_rows(path)
                if self.subject == "all" or row["category"] == self.subject
            )
        return instances


def _instance(row: dict[str, Any], split: str) -> Instance:
    options: list[str] = row["options"]
    correct = options[LETTERS.index(row["answer"])]
    # HELM tags by text, so an option that repeats the correct text is correct too.
    references = [Reference(Output(text=o), tags=[CORRECT_TAG] if o == correct else []) for o in options]
    return Instance(
        input=Input(text=row["question"]), references=references, split=split, id=f"id{row['question_id']}"
    )
