"""IFEval (HELM's `ifeval`): 541 prompts with instructions whose following can be checked by code.

HELM loads HF ``google/IFEval``; the same rows are Google's ``input_data.jsonl``, read here as
``ifeval/data/input_data.jsonl`` under the data mirror or the output folder's ``scenarios/``, else
downloaded from Google's repository; every copy must have the pinned git blob id (a moved ``master``
is refused, not silently read). Every row is a test instance ``id<key>`` without references;
its instruction ids and arguments go to `extra_data` for the IFEval metric.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from helm_lite.common.data import DataSource
from helm_lite.common.file_memo import memoised_by_file
from helm_lite.scenarios.base import TEST_SPLIT, Input, Instance, Scenario
from helm_lite.scenarios.jsonl import read_jsonl_rows

DATA_URL = (
    "https://raw.githubusercontent.com/google-research/google-research/master/"
    "instruction_following_eval/data/input_data.jsonl"
)
GIT_BLOB = "cbe52f6eecf3986fdac745b4acba4da1408eb146"  # `git hash-object` of the 541-row file
FIELDS = ("key", "prompt", "instruction_id_list", "kwargs")


def _problem(row: dict[str, Any]) -> str | None:
    if missing := [k for k in FIELDS if k not in row]:
        return f"has no {', '.join(missing)}"
    if len(row["instruction_id_list"]) != len(row["kwargs"]):
        return "has instruction_id_list and kwargs of different lengths"
    return None


def read_rows(path: Path) -> list[dict[str, Any]]:
    """The rows of the JSONL file; raises naming the first row that lacks a field HELM reads.
    Memoised by file identity: the rows are shared with later reads, do not mutate them."""
    return list(_read_rows(path))


@memoised_by_file(maxsize=2)
def _read_rows(path: Path) -> tuple[dict[str, Any], ...]:
    return tuple(read_jsonl_rows(path, _problem))


def check_file(path: Path) -> None:
    read_rows(path)


class IFEvalScenario(Scenario):
    name = "ifeval"
    description = "Instruction-Following Evaluation for Large Language Models"
    tags = ["instruction following"]
    definition_file = "ifeval_scenario.py"

    def __init__(self, data_source: DataSource | None = None) -> None:
        self.data_source = data_source

    def get_instances(self, output_path: str) -> list[Instance]:
        source = self.data_source or DataSource.for_scenario_dir(output_path)
        path = source.file("ifeval/data/input_data.jsonl", url=DATA_URL, git_blob=GIT_BLOB, check=check_file)
        return [
            Instance(
                input=Input(text=row["prompt"].strip()),
                references=[],
                split=TEST_SPLIT,
                id=f"id{row['key']}",
                extra_data={  # copies: the rows are memoised, and instances go on to other code
                    "instruction_ids": list(row["instruction_id_list"]),
                    "instruction_kwargs": [dict(k) for k in row["kwargs"]],
                },
            )
            for row in read_rows(path)
        ]
