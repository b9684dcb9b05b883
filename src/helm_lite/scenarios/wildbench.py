"""WildBench (HELM's `wildbench`): 1,024 challenging tasks from real users' conversations with chatbots.

HELM loads HF ``allenai/WildBench`` (config ``v2``, split ``test``, revision ``7c05c1b…``). Here the
same parquet file is read from ``wildbench/v2/test-00000-of-00001.parquet`` under the data mirror or
the output folder's ``scenarios/``, else downloaded from that revision: the download must match the
hash, size and commit the hub states for it (`common/hub.py`) and hold the published 1,024 rows. Each
row is a test instance in file order:
its ``conversation_input`` (role and content of each turn) is the input conversation and its
``checklist`` goes to `extra_data` for the judge. Reading parquet needs pyarrow (the
``capabilities`` extra), imported on first use.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from helm_lite.common.data import DataSource
from helm_lite.common.errors import UserError
from helm_lite.common.hub import HubFile
from helm_lite.scenarios.base import TEST_SPLIT, Instance, Scenario
from helm_lite.scenarios.chat_input import ChatInput
from helm_lite.scenarios.parquet import import_parquet, read_parquet_rows

REVISION = "7c05c1b4550282b2ed6a2e6ac5db069f1e07df5c"
SUBSETS = ("v2",)
COLUMNS = ["conversation_input", "checklist"]
PUBLISHED_ROWS = 1024  # the test split of config v2 on the dataset card


def relative_path(subset: str) -> str:
    return f"wildbench/{subset}/test-00000-of-00001.parquet"


def read_rows(path: Path) -> list[dict[str, Any]]:
    """The rows of the parquet file (the columns HELM reads); raises if the file is unusable.
    Memoised by file identity (`parquet.read_parquet_rows`): the rows are shared, do not mutate them."""
    rows = read_parquet_rows(path, COLUMNS, "wildbench")
    for n, row in enumerate(rows, start=1):
        turns = row["conversation_input"]
        if not turns or any(not isinstance(t.get("content"), str) or not t.get("role") for t in turns):
            raise ValueError(f"row {n}: conversation_input is not a list of turns with role and content")
        if row["checklist"] is None or not all(isinstance(item, str) for item in row["checklist"]):
            raise ValueError(f"row {n}: checklist is not a list of strings")
    return list(rows)


def _parquet() -> Any:
    return import_parquet("wildbench")


def check_file(path: Path) -> None:
    read_rows(path)


def check_published_rows(path: Path) -> None:
    """A download must be the whole published split, not another file at the same address."""
    if (count := len(read_rows(path))) != PUBLISHED_ROWS:
        raise ValueError(f"{count} rows where the published split has {PUBLISHED_ROWS}")


def hub_file(subset: str) -> HubFile:
    return HubFile(
        "allenai/WildBench", REVISION, f"{subset}/test-00000-of-00001.parquet", check=check_published_rows
    )


class WildBenchScenario(Scenario):
    name = "wildbench"
    description = "Benchmarking LLMs with Challenging Tasks from Real Users in the Wild"
    tags = ["instruction following"]
    definition_file = "wildbench_scenario.py"

    def __init__(self, subset: str, use_model_outputs: bool = False, data_source: DataSource | None = None):
        if subset not in SUBSETS:
            raise UserError(f"Unknown WildBench subset {subset!r} (expected one of: {', '.join(SUBSETS)})")
        if use_model_outputs:
            # Current HELM never asks for the reference models' outputs (pairwise judging).
            raise UserError("wildbench: use_model_outputs=True (reference model outputs) is not supported")
        self.subset = subset
        self.data_source = data_source

    def get_instances(self, output_path: str) -> list[Instance]:
        _parquet()
        source = self.data_source or DataSource.for_scenario_dir(output_path)
        path = source.file(relative_path(self.subset), url=hub_file(self.subset), check=check_file)
        return [
            Instance(
                input=ChatInput(
                    messages=[{"role": t["role"], "content": t["content"]} for t in row["conversation_input"]]
                ),
                references=[],
                split=TEST_SPLIT,
                extra_data={"checklist": list(row["checklist"])},
            )
            for row in read_rows(path)
        ]
