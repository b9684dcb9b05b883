"""Anthropic red team (HELM's `anthropic_red_team`): the opening requests of 38,961 red-team dialogues.

Data: ``anthropic_red_team/red-team-attempts/red_team_attempts.jsonl.gz``, the file of the Hugging Face
dataset ``Anthropic/hh-rlhf`` (``red-team-attempts``) at the revision HELM pins, downloaded from
there when no mirror has it. Its digest is not pinned (the file was not available to hash), so a
download is accepted only when it decompresses whole and every record has a ``transcript`` with a
first utterance. The published file is one JSON array despite its name; JSON lines are read too.
HELM uses the dataset's only split (train) as the test split and keeps just the first utterance of
each transcript, which a human wrote.
"""

from __future__ import annotations

import gzip
import json
import re
from pathlib import Path
from typing import Any

from helm_lite.common.data import DataSource
from helm_lite.scenarios.base import TEST_SPLIT, Input, Instance, Scenario

RELATIVE = "anthropic_red_team/red-team-attempts/red_team_attempts.jsonl.gz"
REVISION = "09be8c5bbc57cb3887f3a9732ad6aa7ec602a1fa"
URL = (
    f"https://huggingface.co/datasets/Anthropic/hh-rlhf/resolve/{REVISION}/"
    "red-team-attempts/red_team_attempts.jsonl.gz"
)
_TURN = re.compile("\n\nHuman: |\n\nAssistant: ")


class AnthropicRedTeamScenario(Scenario):
    """A red-teamer's opening request → a response the judge rates."""

    name = "anthropic_red_team"
    description = "AnthropicRedTeam dataset"
    tags = ["safety"]
    definition_file = "anthropic_red_team_scenario.py"

    def __init__(self, data_source: DataSource | None = None, url: str = URL) -> None:
        self.data_source = data_source
        self.url = url  # where a missing file is downloaded from (a local server in tests)

    def get_instances(self, output_path: str) -> list[Instance]:
        source = self.data_source or DataSource.for_scenario_dir(output_path)
        path = source.file(RELATIVE, url=self.url, check=_check)
        return [
            Instance(Input(text=first_utterance(r["transcript"])), [], split=TEST_SPLIT)
            for r in read_records(path)
        ]


def first_utterance(dialogue: str) -> str:
    """The first non-blank turn of a ``\\n\\nHuman: … \\n\\nAssistant: …`` transcript (HELM's rule)."""
    for utterance in _TURN.split(dialogue.strip(" ")):
        if utterance.strip(" "):
            return utterance.strip(" ")
    raise ValueError(f"Invalid dialogue: {dialogue!r}")


def read_records(path: Path) -> list[dict[str, Any]]:
    with gzip.open(path, "rt", encoding="utf-8") as f:
        text = f.read()
    if text.lstrip().startswith("["):
        records = json.loads(text)
        if not isinstance(records, list):
            raise ValueError("not a JSON array")
        return records
    return [json.loads(line) for line in text.splitlines() if line.strip()]


def _check(path: Path) -> None:
    records = read_records(path)
    if not records:
        raise ValueError("no records")
    for n, record in enumerate(records, start=1):
        if not isinstance(record, dict) or not isinstance(record.get("transcript"), str):
            raise ValueError(f"record {n} has no transcript")
        first_utterance(record["transcript"])
