"""Omni-MATH (HELM's `omni_math`): 4,428 olympiad-level mathematics problems with reference answers.

HELM loads HF ``KbsdJames/Omni-MATH`` (split ``test``, revision ``40ba231…``), whose test split is
the JSON-lines file ``test.jsonl``. Here that file is read from ``omni_math/test.jsonl`` under the data
mirror or the output folder's ``scenarios/``, else downloaded from that revision: the download must
match the hash, size and commit the hub states for it (`common/hub.py`) and hold the published 4,428
problems. Each row is a test instance in
file order: its ``problem`` is the input and its ``answer`` the one correct reference.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from helm_lite.common.data import DataSource
from helm_lite.common.file_memo import memoised_by_file
from helm_lite.common.hub import HubFile
from helm_lite.scenarios.base import CORRECT_TAG, TEST_SPLIT, Input, Instance, Output, Reference, Scenario
from helm_lite.scenarios.jsonl import read_jsonl_rows

REVISION = "40ba231d8f16e29ecd40e6407e2c8640145a8f62"
RELATIVE_PATH = "omni_math/test.jsonl"
PUBLISHED_ROWS = 4428  # the benchmark's published size


def _problem(row: dict[str, Any]) -> str | None:
    bad = [k for k in ("problem", "answer") if not isinstance(row.get(k), str)]
    return f"has no text {' or '.join(bad)}" if bad else None


def read_rows(path: Path) -> list[dict[str, Any]]:
    """The rows of the JSONL file; raises naming the first row without a text `problem` or `answer`.
    Memoised by file identity: the rows are shared with later reads, do not mutate them."""
    return list(_read_rows(path))


@memoised_by_file(maxsize=2)
def _read_rows(path: Path) -> tuple[dict[str, Any], ...]:
    return tuple(read_jsonl_rows(path, _problem))


def check_file(path: Path) -> None:
    read_rows(path)


def check_published_rows(path: Path) -> None:
    """A download must be the whole published test split, not another file at the same address."""
    if (count := len(read_rows(path))) != PUBLISHED_ROWS:
        raise ValueError(f"{count} problems where the published test split has {PUBLISHED_ROWS}")


HUB_FILE = HubFile("KbsdJames/Omni-MATH", REVISION, "test.jsonl", check=check_published_rows)


class OmniMATHScenario(Scenario):
    name = "omni_math"
    description = "A Universal Olympiad Level Mathematic Benchmark for Large Language Models"
    tags = ["math"]
    definition_file = "omni_math_scenario.py"

    def __init__(self, data_source: DataSource | None = None) -> None:
        self.data_source = data_source

    def get_instances(self, output_path: str) -> list[Instance]:
        source = self.data_source or DataSource.for_scenario_dir(output_path)
        path = source.file(RELATIVE_PATH, url=HUB_FILE, check=check_file)
        return [
            Instance(
                input=Input(text=row["problem"]),
                references=[Reference(Output(text=row["answer"]), tags=[CORRECT_TAG])],
                split=TEST_SPLIT,
            )
            for row in read_rows(path)
        ]
