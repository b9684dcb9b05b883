"""GSM8K (HELM's `gsm`): grade-school math word problems with worked answers.

HELM downloads ``train.jsonl`` and ``test.jsonl`` from openai/grade-school-math to
``scenarios/gsm/gsm_data_{train,test}`` (no extension). Each line must parse as an object with string
``question`` and ``answer`` fields and the answer must carry its ``#### <number>`` line, so a file cut
short or damaged is rejected instead of silently giving fewer problems.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from helm_lite.common.data import DataSource
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

URL = "https://raw.githubusercontent.com/openai/grade-school-math/master/grade_school_math/data/{split}.jsonl"
SPLITS = (("train", TRAIN_SPLIT), ("test", TEST_SPLIT))


def read_examples(path: Path) -> list[dict[str, Any]]:
    """The problems of one GSM8K JSONL file; `ValueError` naming the first bad line if any."""
    examples = []
    with open(path, encoding="utf-8") as f:
        for n, line in enumerate(f, start=1):
            try:
                example = json.loads(line)
            except json.JSONDecodeError as e:
                raise ValueError(f"line {n} is not JSON ({e})") from None
            if not isinstance(example, dict) or not all(
                isinstance(example.get(k), str) for k in ("question", "answer")
            ):
                raise ValueError(f"line {n} lacks a string 'question' and 'answer'")
            if "####" not in example["answer"]:
                raise ValueError(f"line {n}: answer has no '####' final-answer marker")
            examples.append(example)
    if not examples:
        raise ValueError("no problems")
    return examples


def check_file(path: Path) -> None:
    """DataSource's parse check: raises if the file cannot be used."""
    read_examples(path)


def reference_text(answer: str) -> str:
    """HELM's gold text: the worked answer on one line, ending "The answer is N."."""
    return answer.replace("####", "The answer is").replace("\n", " ") + "."


class GSM8KScenario(Scenario):
    """All 7473 train problems (in-context examples) then the 1319 test problems, in file order."""

    name = "gsm"
    description = "Grade school math dataset with 8.5K examples (GSM8K)."
    tags = ["reasoning", "math"]
    definition_file = "gsm_scenario.py"

    def __init__(self, data_source: DataSource | None = None) -> None:
        self.data_source = data_source

    def get_instances(self, output_path: str) -> list[Instance]:
        source = self.data_source or DataSource.for_scenario_dir(output_path)
        instances = []
        for name, split in SPLITS:
            path = source.file(f"gsm/gsm_data_{name}", url=URL.format(split=name), check=check_file)
            for example in read_examples(path):
                instances.append(
                    Instance(
                        input=Input(text=example["question"]),
                        references=[
                            Reference(Output(text=reference_text(example["answer"])), tags=[CORRECT_TAG])
                        ],
                        split=split,
                    )
                )
        return instances
