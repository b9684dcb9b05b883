"""Anthropic red team (HELM's `anthropic_red_team`): the opening requests of 38,961 red-team dialogues.

Data: ``anthropic_red_team/red-team-attempts/red_team_attempts.jsonl.gz``, the file of the Hugging Face
dataset ``Anthropic/hh-rlhf`` (``red-team-attempts``) at the revision HELM pins, downloaded from
there when no mirror has it. A download must match the hash, size and commit the hub states for it
(`common/hub.py`) and hold the published 38,961 transcripts; any copy must decompress whole with a
``transcript`` and a first utterance in every record. The published file is one JSON array despite
its name; JSON lines are read too.
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
from helm_lite.common.file_memo import memoised_by_file
from helm_lite.common.hub import HubFile
from helm_lite.scenarios.base import TEST_SPLIT, Input, Instance, Scenario

RELATIVE = "anthropic_red_team/red-team-attempts/red_team_attempts.jsonl.gz"
REVISION = "09be8c5bbc57cb3887f3a9732ad6aa7ec602a1fa"
PUBLISHED_RECORDS = 38961  # the red-team attempts the dataset card describes
_TURN = re.compile("\n\nHuman: |\n\nAssistant: ")


class AnthropicRedTeamScenario(Scenario):
    """A red-teamer's opening request → a response the judge rates."""

    name = "anthropic_red_team"
    description = "AnthropicRedTeam dataset"
    tags = ["safety"]
    definition_file = "anthropic_red_team_scenario.py"

    def __init__(self, data_source: DataSource | None = None) -> None:
        self.data_source = data_source

    def get_instances(self, output_path: str) -> list[Instance]:
        source = self.data_source or DataSource.for_scenario_dir(output_path)
        path = source.file(RELATIVE, url=HUB_FILE, check=_check)
        records = read_records(path)
        _read_records.cache_clear()  # the memo spares re-parsing; it need not hold the big file
        return [Instance(Input(text=first_utterance(r["transcript"])), [], split=TEST_SPLIT) for r in records]


def first_utterance(dialogue: str) -> str:
    """The first non-blank turn of a ``\\n\\nHuman: … \\n\\nAssistant: …`` transcript (HELM's rule)."""
    for utterance in _TURN.split(dialogue.strip(" ")):
        if utterance.strip(" "):
            return utterance.strip(" ")
    raise ValueError(f"Invalid dialogue: {dialogue!r}")


def read_records(path: Path) -> list[dict[str, Any]]:
    """The records of the file. Memoised by file identity: the check, a download's published-size
    check and the scenario decompress and parse it once; the records are shared, do not mutate them."""
    return list(_read_records(path))


@memoised_by_file(maxsize=2)
def _read_records(path: Path) -> tuple[Any, ...]:
    with gzip.open(path, "rt", encoding="utf-8") as f:
        text = f.read()
    if text.lstrip().startswith("["):
        records = json.loads(text)
        if not isinstance(records, list):
            raise ValueError("not a JSON array")
        return tuple(records)
    return tuple(json.loads(line) for line in text.splitlines() if line.strip())


def _check(path: Path) -> None:
    records = read_records(path)
    if not records:
        raise ValueError("no records")
    for n, record in enumerate(records, start=1):
        if not isinstance(record, dict) or not isinstance(record.get("transcript"), str):
            raise ValueError(f"record {n} has no transcript")
        first_utterance(record["transcript"])


def check_published_records(path: Path) -> None:
    """A download must be the whole published file, not another file at the same address."""
    if (count := len(read_records(path))) != PUBLISHED_RECORDS:
        raise ValueError(f"{count} transcripts where the published file has {PUBLISHED_RECORDS}")


HUB_FILE = HubFile(
    "Anthropic/hh-rlhf",
    REVISION,
    "red-team-attempts/red_team_attempts.jsonl.gz",
    check=check_published_records,
)
