"""IFEval (HELM's `ifeval`): 541 prompts with instructions whose following can be checked by code.

HELM loads HF ``google/IFEval``; the same rows are Google's ``input_data.jsonl``, read here as
``ifeval/data/input_data.jsonl`` under the data mirror or the output folder's ``scenarios/``, else
downloaded from Google's repository. Every row is a test instance ``id<key>`` without references;
its instruction ids and arguments go to `extra_data` for the IFEval metric.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from helm_lite.common.data import DataSource
from helm_lite.scenarios.base import TEST_SPLIT, Input, Instance, Scenario

DATA_URL = (
    "https://raw.githubusercontent.com/google-research/google-research/master/"
    "instruction_following_eval/data/input_data.jsonl"
)
FIELDS = ("key", "prompt", "instruction_id_list", "kwargs")


def read_rows(path: Path) -> list[dict[str, Any]]:
    """The rows of the JSONL file; raises naming the first row that lacks a field HELM reads."""
    rows: list[dict[str, Any]] = []
    with open(path, encoding="utf-8") as f:
        for n, line in enumerate(f, start=1):
            if not line.strip():
                continue
            row = json.loads(line)
            missing = [k for k in FIELDS if k not in row]
            if missing:
                raise ValueError(f"row {n} has no {', '.join(missing)}")
            if len(row["instruction_id_list"]) != len(row["kwargs"]):
                raise ValueError(f"row {n}: instruction_id_list and kwargs differ in length")
            rows.append(row)
    if not rows:
        raise ValueError("no rows")
    return rows


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
        path = source.file("ifeval/data/input_data.jsonl", url=DATA_URL, check=check_file)
        return [
            Instance(
                input=Input(text=row["prompt"].strip()),
                references=[],
                split=TEST_SPLIT,
                id=f"id{row['key']}",
                extra_data={
                    "instruction_ids": row["instruction_id_list"],
                    "instruction_kwargs": row["kwargs"],
                },
            )
            for row in read_rows(path)
        ]
