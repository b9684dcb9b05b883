"""NarrativeQA (HELM's `narrativeqa`): questions about book and film summaries, one per story.

Data: the deepmind/narrativeqa repository zip, unpacked where HELM unpacks it
(``narrativeqa/data/narrativeqa-master/``); only ``third_party/wikipedia/summaries.csv`` and
``qaps.csv`` are read. HELM seeds Python's global `random` with 0 once and then, split by split
(train, valid, test) and story by story (first appearance in ``qaps.csv``), calls `random.choice` on the
story's question rows. A private ``random.Random(0)`` making the same calls picks the same questions
without touching the global generator.
"""

from __future__ import annotations

import csv
import random
from pathlib import Path

from helm_lite.common.data import Archive, Check, DataSource
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

URL = "https://github.com/deepmind/narrativeqa/archive/master.zip"
REPO_DIR = "narrativeqa/data/narrativeqa-master"
SUMMARIES_FILE = f"{REPO_DIR}/third_party/wikipedia/summaries.csv"
QAPS_FILE = f"{REPO_DIR}/qaps.csv"
ARCHIVE = Archive(url=URL, kind="zip", unpack_to=REPO_DIR, rename_top="narrativeqa-master")

SUMMARY_COLUMNS = ("document_id", "set", "summary")
QAPS_COLUMNS = ("document_id", "set", "question", "answer1", "answer2")
SPLITS = (TRAIN_SPLIT, VALID_SPLIT, TEST_SPLIT)  # the CSVs' `set` values, in HELM's order
SEED = 0


class NarrativeQAScenario(Scenario):
    """Summary + question → free-text answer; both annotator answers are correct references."""

    name = "narrativeqa"
    description = "Question answering using summaries of books/movie scripts."
    tags = ["question_answering"]
    definition_file = "narrativeqa_scenario.py"

    def __init__(self, data_source: DataSource | None = None) -> None:
        self.data_source = data_source

    def get_instances(self, output_path: str) -> list[Instance]:
        source = self.data_source or DataSource.for_scenario_dir(output_path)
        summaries_path = source.file(SUMMARIES_FILE, archive=ARCHIVE, check=csv_check(SUMMARY_COLUMNS))
        qaps_path = source.file(QAPS_FILE, archive=ARCHIVE, check=csv_check(QAPS_COLUMNS))
        summaries = read_rows(summaries_path)
        qaps = read_rows(qaps_path)
        rng = random.Random(SEED)
        instances: list[Instance] = []
        for split in SPLITS:
            # A later summary row for the same story replaces an earlier one, as in a dict build.
            split_summaries = {row["document_id"]: row["summary"] for row in summaries if row["set"] == split}
            questions: dict[str, list[dict[str, str]]] = {}
            for row in qaps:
                if row["set"] == split:
                    questions.setdefault(row["document_id"], []).append(row)
            for document_id, rows in questions.items():
                row = rng.choice(rows)
                if document_id not in split_summaries:
                    raise UserError(
                        f"{qaps_path}: story {document_id} ({split}) has questions but no summary "
                        f"in {summaries_path}"
                    )
                instances.append(_instance(split_summaries[document_id], row, split))
        return instances


def _instance(summary: str, row: dict[str, str], split: str) -> Instance:
    question = row["question"].strip()
    if not question.endswith("?"):
        question += "?"
    return Instance(
        input=Input(text=f"{summary.strip()}\nQuestion: {question}"),
        references=[
            Reference(Output(text=row["answer1"]), tags=[CORRECT_TAG]),
            Reference(Output(text=row["answer2"]), tags=[CORRECT_TAG]),
        ],
        split=split,
    )


def read_rows(path: Path) -> list[dict[str, str]]:
    """All rows as dicts, read in universal-newline mode as HELM reads them (``\\r\\n`` → ``\\n``)."""
    with open(path, encoding="utf-8") as f:
        return list(csv.DictReader(f))


def csv_check(columns: tuple[str, ...]) -> Check:
    """A parse check: UTF-8, strict CSV, the needed columns, whole rows, and a final line break.

    CSV writers end every row with a line break, so a file that stops without one was cut short
    (possibly inside the last field, which a field count alone would not notice).
    """

    def check(path: Path) -> None:
        with open(path, "rb") as raw:
            raw.seek(-1, 2)
            if raw.read(1) != b"\n":
                raise ValueError("the file does not end with a line break (truncated?)")
        with open(path, encoding="utf-8", newline="") as f:
            reader = csv.reader(f, strict=True)
            header = next(reader, None)
            if header is None:
                raise ValueError("empty file")
            missing = [c for c in columns if c not in header]
            if missing:
                raise ValueError(f"missing column(s) {', '.join(missing)}")
            for row in reader:
                if len(row) != len(header):
                    raise ValueError(f"line {reader.line_num}: {len(row)} fields, expected {len(header)}")

    return check
