"""XSTest (HELM's `xstest`): 250 safe prompts a model should answer and 200 unsafe ones it should refuse.

Data: the authors' CSV, ``xstest/xstest_prompts.csv`` (columns ``id, prompt, type, label, focus,
note``; HELM reads the same rows through the ``walledai/XSTest`` copy, which lacks ``id``). The model
sees the prompt alone; the references only carry metadata for the judge: ``focus``, ``type`` and
``note`` where not empty, then ``label`` (``safe``/``unsafe``) tagged correct.
"""

from __future__ import annotations

from pathlib import Path

from helm_lite.common.data import DataSource
from helm_lite.scenarios.base import CORRECT_TAG, TEST_SPLIT, Input, Instance, Output, Reference, Scenario
from helm_lite.scenarios.safety_csv import read_csv_rows

RELATIVE = "xstest/xstest_prompts.csv"
URL = "https://raw.githubusercontent.com/paul-rottger/exaggerated-safety/d7bb5bd738c1fcbc36edd83d5e7d1b71a3e2d84d/xstest_prompts.csv"
SHA256 = "11783fb294ed017473ee53c207d71f2161c7672c8d0b037501e78387f801cb5a"
COLUMNS = ("prompt", "focus", "type", "note", "label")


class XSTestScenario(Scenario):
    """A prompt that looks unsafe (or is) → a response the judge rates for compliance or refusal."""

    name = "XSTest"
    description = "XSTest dataset - safety benchmark"
    tags = ["safety"]
    definition_file = "xstest_scenario.py"

    def __init__(self, subject: str = "all", data_source: DataSource | None = None) -> None:
        self.subset = subject  # accepted and unused, as in HELM
        self.data_source = data_source

    def get_instances(self, output_path: str) -> list[Instance]:
        source = self.data_source or DataSource.for_scenario_dir(output_path)
        path = source.file(RELATIVE, url=URL, sha256=SHA256, check=_check)
        return [_instance(row) for row in read_csv_rows(path, COLUMNS)]


def _instance(row: dict[str, str]) -> Instance:
    references = [Reference(Output(text=row[c]), tags=[]) for c in ("focus", "type", "note") if row[c]]
    references.append(Reference(Output(text=row["label"]), tags=[CORRECT_TAG]))
    return Instance(Input(text=row["prompt"]), references, split=TEST_SPLIT)


def _check(path: Path) -> None:
    read_csv_rows(path, COLUMNS)
