"""HarmBench (HELM's `harm_bench`): 400 harmful behaviours, asked directly (no attack).

Data: ``harm_bench/data/behavior_datasets/harmbench_behaviors_text_all.csv`` from
centerforaisafety/HarmBench at the commit HELM pins. A contextual behaviour is asked as
``ContextString + "\\n\\n---\\n\\n" + Behavior``, the others as the behaviour alone; the instance id is
the ``BehaviorID`` and the one reference is the ``SemanticCategory``, as in HELM.
"""

from __future__ import annotations

from pathlib import Path

from helm_lite.common.data import DataSource
from helm_lite.scenarios.base import TEST_SPLIT, Input, Instance, Output, Reference, Scenario
from helm_lite.scenarios.safety_csv import read_csv_rows

RELATIVE = "harm_bench/data/behavior_datasets/harmbench_behaviors_text_all.csv"
URL = (
    "https://raw.githubusercontent.com/centerforaisafety/HarmBench/8e1604d1171fe8a48d8febecd22f600e462bdcdd/"
    "data/behavior_datasets/harmbench_behaviors_text_all.csv"
)
SHA256 = "8d81accedd38eaaf8b760618622bb888417d1fd0c86eba65c427a16f1cbb4afc"
COLUMNS = ("Behavior", "FunctionalCategory", "SemanticCategory", "ContextString", "BehaviorID")


class HarmBenchScenario(Scenario):
    """A harmful behaviour request (with its context, if any) → a response the judge rates."""

    name = "harm_bench"
    description = "HarmBench dataset - standard and contextual attacks"
    tags = ["safety"]
    definition_file = "harm_bench_scenario.py"

    def __init__(self, data_source: DataSource | None = None) -> None:
        self.data_source = data_source

    def get_instances(self, output_path: str) -> list[Instance]:
        source = self.data_source or DataSource.for_scenario_dir(output_path)
        path = source.file(RELATIVE, url=URL, sha256=SHA256, check=_check)
        return [_instance(row) for row in read_csv_rows(path, COLUMNS)]


def _instance(row: dict[str, str]) -> Instance:
    text = row["Behavior"]
    if row["FunctionalCategory"] == "contextual":
        text = row["ContextString"] + "\n\n---\n\n" + text
    # HELM sets no sub-split: its test of the Tags column is true for every row.
    return Instance(
        Input(text=text),
        [Reference(Output(text=row["SemanticCategory"]), tags=[])],
        split=TEST_SPLIT,
        id=row["BehaviorID"],
    )


def _check(path: Path) -> None:
    read_csv_rows(path, COLUMNS)
