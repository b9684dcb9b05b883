"""GPQA (HELM's `gpqa`): graduate-level biology, physics and chemistry questions, four options each.

HELM loads HF ``Idavidrein/gpqa`` (config = subset, split ``train``); that dataset is the authors'
password-protected ``dataset.zip``, read here as ``gpqa/dataset.zip`` under the data mirror or the
output folder's ``scenarios/``, else downloaded from the authors' repository at a pinned commit and
checked against its SHA-256. The authors ask that the questions never appear in plain text online,
so the CSV is decrypted in memory with the published password and never written anywhere; only the
run's own outputs (the instances in ``scenario_state.json``) carry question text.

Rows are read in file order; HELM shuffles each row's four options with one generator seeded with 42
and makes the rows the authors used as chain-of-thought examples (by row index) the train split.
"""

from __future__ import annotations

import csv
import io
import random
import zipfile
from pathlib import Path

from helm_lite.common.data import DataSource
from helm_lite.common.errors import UserError
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

REVISION = "56686c06f5e19865c153de0fdb11be3890014df7"
DATA_URL = f"https://raw.githubusercontent.com/idavidrein/gpqa/{REVISION}/dataset.zip"
SHA256 = "461ae7329f15a3e35f8184d2dac24b990f34fdf12f366ca4062d8e6638cd08dc"
PASSWORD = b"deserted-untie-orchid"  # published in the authors' README
SUBSETS = ("gpqa_main", "gpqa_diamond", "gpqa_extended")
# The rows of each subset that the paper's repository gives as chain-of-thought examples.
TRAIN_EXAMPLE_INDICES = {
    "gpqa_main": (339, 105),
    "gpqa_diamond": (124, 39),
    "gpqa_extended": (146, 330, 436),
}
ANSWER_FIELDS = ("Correct Answer", "Incorrect Answer 1", "Incorrect Answer 2", "Incorrect Answer 3")


def read_rows(path: Path, subset: str) -> list[dict[str, str]]:
    """The rows of `dataset/<subset>.csv` inside the zip, decrypted in memory."""
    with zipfile.ZipFile(path) as archive:
        data = archive.read(f"dataset/{subset}.csv", pwd=PASSWORD)
    return list(csv.DictReader(io.StringIO(data.decode("utf-8"), newline="")))


class GPQAScenario(Scenario):
    name = "gpqa"
    description = "A Graduate-Level Google-Proof Q&A Benchmark"
    tags = ["question answering"]
    definition_file = "gpqa_scenario.py"

    def __init__(self, subset: str, random_seed: int = 42, data_source: DataSource | None = None) -> None:
        if subset not in SUBSETS:
            raise UserError(f"Unknown GPQA subset {subset!r} (expected one of: {', '.join(SUBSETS)})")
        self.subset = subset
        self.random_seed = random_seed
        self.data_source = data_source

    def get_instances(self, output_path: str) -> list[Instance]:
        source = self.data_source or DataSource.for_scenario_dir(output_path)
        path = source.file("gpqa/dataset.zip", url=DATA_URL, sha256=SHA256)
        try:
            rows = read_rows(path, self.subset)
        except (zipfile.BadZipFile, KeyError, RuntimeError, UnicodeDecodeError, csv.Error) as e:
            raise UserError(f"{path}: cannot read dataset/{self.subset}.csv ({e})") from e
        rng = random.Random(self.random_seed)
        train = TRAIN_EXAMPLE_INDICES[self.subset]
        instances: list[Instance] = []
        for index, row in enumerate(rows):
            references = [
                Reference(Output(text=row[field].strip()), tags=[CORRECT_TAG] if n == 0 else [])
                for n, field in enumerate(ANSWER_FIELDS)
            ]
            rng.shuffle(references)
            question = Input(text=row["Question"].strip())
            if index in train:
                extra = {"chain_of_thought": row["Explanation"]}
                instances.append(Instance(question, references, split=TRAIN_SPLIT, extra_data=extra))
            else:
                instances.append(Instance(question, references, split=TEST_SPLIT))
        return instances
