"""SimpleSafetyTests (HELM's `simple_safety_tests`): 100 clearly harmful prompts across five harm areas.

Data: ``simple_safety_tests/SimpleSafetyTests - test cases.csv`` (the authors' GitHub CSV, columns
``id, harm_area, counter, category, prompts_final``; HELM reads the Hugging Face copy, where the
prompt column is called ``prompt``: either name is accepted). References carry ``category`` and
``harm_area`` as metadata for the judge.
"""

from __future__ import annotations

from pathlib import Path

from helm_lite.common.data import DataSource
from helm_lite.scenarios.base import TEST_SPLIT, Input, Instance, Output, Reference, Scenario
from helm_lite.scenarios.safety_csv import read_csv_rows

RELATIVE = "simple_safety_tests/SimpleSafetyTests - test cases.csv"
URL = (
    "https://raw.githubusercontent.com/bertiev/SimpleSafetyTests/d7aee9a9422a5a5488f478fd79c2479c891c0f3b/"
    "SimpleSafetyTests%20-%20test%20cases.csv"
)
# Checked by its columns, not a digest, so that a CSV made from the Hugging Face copy is accepted too.
COLUMNS = ("prompt", "category", "harm_area")
ALIASES = {"prompt": ("prompts_final",)}


class SimpleSafetyTestsScenario(Scenario):
    """A harmful request → a response the judge rates (a refusal is safe)."""

    name = "SimpleSafetyTests"
    description = "SimpleSafetyTests dataset"
    tags = ["safety"]
    definition_file = "simple_safety_tests_scenario.py"

    def __init__(self, data_source: DataSource | None = None) -> None:
        self.data_source = data_source

    def get_instances(self, output_path: str) -> list[Instance]:
        source = self.data_source or DataSource.for_scenario_dir(output_path)
        path = source.file(RELATIVE, url=URL, check=_check)
        return [
            Instance(
                Input(text=row["prompt"]),
                [Reference(Output(text=row[c]), tags=[]) for c in ("category", "harm_area")],
                split=TEST_SPLIT,
            )
            for row in read_csv_rows(path, COLUMNS, ALIASES)
        ]


def _check(path: Path) -> None:
    read_csv_rows(path, COLUMNS, ALIASES)
