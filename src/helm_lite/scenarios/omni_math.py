"""Omni-MATH (HELM's `omni_math`): 4,428 olympiad-level mathematics problems with reference answers.

HELM loads HF ``KbsdJames/Omni-MATH`` (split ``test``, revision ``40ba231…``), whose test split is
the JSON-lines file ``test.jsonl``. Here that file is read from ``omni_math/test.jsonl`` under the data
mirror or the output folder's ``scenarios/``, else downloaded from that revision (format-checked; no
SHA-256 is pinned because the file could not be obtained to hash it). Each row is a test instance in
file order: its ``problem`` is the input and its ``answer`` the one correct reference.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from helm_lite.common.data import DataSource
from helm_lite.scenarios.base import CORRECT_TAG, TEST_SPLIT, Input, Instance, Output, Reference, Scenario

REVISION = "40ba231d8f16e29ecd40e6407e2c8640145a8f62"
DATA_URL = f"https://huggingface.co/datasets/KbsdJames/Omni-MATH/resolve/{REVISION}/test.jsonl"
RELATIVE_PATH = "omni_math/test.jsonl"


def read_rows(path: Path) -> list[dict[str, Any]]:
    """The rows of the JSONL file; raises naming the first row without a text `problem` or `answer`."""
    rows: list[dict[str, Any]] = []
    with open(path, encoding="utf-8") as f:
        for n, line in enumerate(f, start=1):
            if not line.strip():
                continue
            row = json.loads(line)
            if not isinstance(row, dict):
                raise ValueError(f"line {n} is not a JSON object")
            bad = [k for k in ("problem", "answer") if not isinstance(row.get(k), str)]
            if bad:
                raise ValueError(f"line {n} has no text {' or '.join(bad)}")
            rows.append(row)
    if not rows:
        raise ValueError("no rows")
    return rows


def check_file(path: Path) -> None:
    read_rows(path)


class OmniMATHScenario(Scenario):
    name = "omni_math"
    description = "A Universal Olympiad Level Mathematic Benchmark for Large Language Models"
    tags = ["math"]
    definition_file = "omni_math_scenario.py"

    def __init__(self, data_source: DataSource | None = None) -> None:
        self.data_source = data_source

    def get_instances(self, output_path: str) -> list[Instance]:
        source = self.data_source or DataSource.for_scenario_dir(output_path)
        path = source.file(RELATIVE_PATH, url=DATA_URL, check=check_file)
        return [
            Instance(
                input=Input(text=row["problem"]),
                references=[Reference(Output(text=row["answer"]), tags=[CORRECT_TAG])],
                split=TEST_SPLIT,
            )
            for row in read_rows(path)
        ]
