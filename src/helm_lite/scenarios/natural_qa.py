"""NaturalQuestions (HELM's `natural_qa`): Wikipedia questions with short answers, from NQ v1.0 dev.

Data: the five dev shards ``natural_qa/data/nq-dev-0{0..4}.jsonl.gz`` (HELM's paths and URLs). Like
HELM, each shard is boiled down once to ``<shard>-instances.jsonl`` beside it (title, detokenised
document, question, long and short answers of the examples with at least one short answer), in HELM's
own format, so a folder HELM filled can be used as is and later runs skip the multi-GB shards. Unlike
HELM, a valid instance file is enough: its shard need not be present (a mirror can hold just those).

Within a shard, kept examples alternate train, valid, train, … . HELM seeds Python's global `random`
with 0 once and draws one `randint` per example (all shards, in order) to pick the short answer that
train instances show and whose long answer is the open-book passage; a private ``random.Random(0)``
making the same draws reproduces the picks.
"""

from __future__ import annotations

import gzip
import html
import json
import logging
import random
import re
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from helm_lite.common.atomic_file import atomic_open
from helm_lite.common.data import DataSource
from helm_lite.common.errors import UserError
from helm_lite.scenarios.base import (
    CORRECT_TAG,
    TRAIN_SPLIT,
    VALID_SPLIT,
    Input,
    Instance,
    Output,
    Reference,
    Scenario,
)

logger = logging.getLogger(__name__)

BASE_URL = "https://storage.googleapis.com/natural_questions/v1.0/dev"
SHARDS = tuple(f"nq-dev-{i:02d}.jsonl.gz" for i in range(5))
DATA_DIR = "natural_qa/data"
INSTANCES_SUFFIX = "-instances.jsonl"
MODES = ("closedbook", "openbook_longans", "openbook_wiki")
SEED = 0
_TAG = re.compile("<([^>]*)>")


@dataclass(frozen=True)
class RawInstance:
    """One kept NQ example; `long_answers[i]` is the long answer that contains `short_answers[i]`."""

    title: str
    document: str
    question: str
    long_answers: list[str]
    short_answers: list[str]


class NaturalQAScenario(Scenario):
    """Question (optionally with its long-answer passage or whole page) → short answer."""

    name = "natural_qa"
    description = "Question answering from wikipedia."
    tags = ["question_answering"]
    definition_file = "natural_qa_scenario.py"

    def __init__(self, mode: str, data_source: DataSource | None = None) -> None:
        if mode not in MODES:
            raise UserError(f"natural_qa: unsupported mode {mode!r} (expected one of {', '.join(MODES)})")
        self.mode = mode
        self.data_source = data_source

    def get_instances(self, output_path: str) -> list[Instance]:
        source = self.data_source or DataSource.for_scenario_dir(output_path)
        rng = random.Random(SEED)
        instances: list[Instance] = []
        for shard in SHARDS:
            for i, raw in enumerate(load_raw_instances(source, shard)):
                instances.append(self._instance(raw, TRAIN_SPLIT if i % 2 == 0 else VALID_SPLIT, rng))
        return instances

    def _instance(self, raw: RawInstance, split: str, rng: random.Random) -> Instance:
        question = raw.question.capitalize()  # NB: lower-cases the rest, as HELM does
        if not question.endswith("?"):
            question += "?"
        picked = rng.randint(0, len(raw.short_answers) - 1)  # drawn in every mode
        if self.mode == "closedbook":
            text = question
        elif self.mode == "openbook_longans":
            text = f"Passage: {raw.long_answers[picked]}\n\nQuestion: {question}"
        else:
            text = f"Title: {raw.title}\n\nPassage: {raw.document}\n\nQuestion: {question}"
        if split == TRAIN_SPLIT:
            answers = raw.short_answers[picked : picked + 1]
        else:
            answers = list(dict.fromkeys(raw.short_answers))  # distinct, first-seen order
        return Instance(
            input=Input(text=text),
            references=[Reference(Output(text=a), tags=[CORRECT_TAG]) for a in answers],
            split=split,
        )


def load_raw_instances(source: DataSource, shard: str) -> list[RawInstance]:
    """The shard's instance file if a valid one exists (mirror, then output folder), else built anew."""
    relative = f"{DATA_DIR}/{shard}"
    try:
        cached: Path | None = source.file(relative + INSTANCES_SUFFIX, min_size=0, check=_check_instance_file)
    except UserError:  # not there (or damaged): build it from the shard
        cached = None
    if cached is not None:
        return _read_instance_file(cached)
    shard_path = source.file(relative, url=f"{BASE_URL}/{shard}", check=_check_gzip)
    raws = read_shard(shard_path)
    _write_instance_file(Path(source.scenarios_root) / (relative + INSTANCES_SUFFIX), raws)
    return raws


def read_shard(path: Path) -> list[RawInstance]:
    raws = []
    with gzip.open(path, "rb") as f:
        for n, line in enumerate(f, start=1):
            try:
                sample = json.loads(line)
                if any(len(a["short_answers"]) for a in sample["annotations"]):
                    raws.append(raw_instance(sample))
            except (ValueError, KeyError, TypeError, IndexError) as e:
                raise UserError(
                    f"{path} line {n}: not a NaturalQuestions example ({type(e).__name__}: {e})"
                ) from e
    logger.info("%s: %d examples with a short answer", path, len(raws))
    return raws


def raw_instance(sample: dict[str, Any]) -> RawInstance:
    """HELM's reduction of one NQ example: answers are cut from the HTML by byte offsets and cleaned."""
    html_bytes = sample["document_html"].encode("utf-8")
    short_answers: list[str] = []
    long_answers: list[str] = []
    for annotation in sample["annotations"]:
        span = annotation["long_answer"]
        long_answer = _clean_text(html_bytes[span["start_byte"] : span["end_byte"]])
        for short in annotation["short_answers"]:
            short_answers.append(_clean_text(html_bytes[short["start_byte"] : short["end_byte"]]))
            long_answers.append(long_answer)
    return RawInstance(
        title=sample["document_title"],
        document=" ".join(_clean_token(t["token"]) for t in sample["document_tokens"]),
        question=sample["question_text"],
        long_answers=long_answers,
        short_answers=short_answers,
    )


def _clean_token(token: str) -> str:
    """Blanks inside a token become underscores; entities are decoded and HTML tags dropped."""
    return _TAG.sub("", html.unescape(token.replace(" ", "_")))


def _clean_text(raw: bytes) -> str:
    """Non-breaking spaces become spaces; entities are decoded and HTML tags dropped."""
    return _TAG.sub("", html.unescape(raw.replace(b"\xc2\xa0", b" ").decode("utf-8")))


def _parse_instance_line(line: str) -> RawInstance:
    data = json.loads(line)
    if not isinstance(data, dict):
        raise ValueError("not a JSON object")
    raw = RawInstance(**data)  # unknown or missing keys raise TypeError
    for field in ("title", "document", "question"):
        if not isinstance(getattr(raw, field), str):
            raise ValueError(f"{field} is not a string")
    for field in ("long_answers", "short_answers"):
        value = getattr(raw, field)
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise ValueError(f"{field} is not a list of strings")
    if not raw.short_answers or len(raw.long_answers) != len(raw.short_answers):
        raise ValueError("needs as many long answers as short answers, and at least one")
    return raw


def _read_instance_file(path: Path) -> list[RawInstance]:
    with open(path, encoding="utf-8") as f:
        return [_parse_instance_line(line) for line in f if line.strip()]


def _check_instance_file(path: Path) -> None:
    with open(path, encoding="utf-8") as f:
        for n, line in enumerate(f, start=1):
            if line.strip():
                try:
                    _parse_instance_line(line)
                except (ValueError, TypeError) as e:
                    raise ValueError(f"line {n}: {e}") from e


def _check_gzip(path: Path) -> None:
    """Decompress to the end: a cut or damaged file fails its length/CRC check or ends early."""
    with gzip.open(path, "rb") as f:
        while f.read(1 << 22):
            pass


def _write_instance_file(target: Path, raws: list[RawInstance]) -> None:
    """HELM's format (one ``json.dumps`` of the record per line), written atomically."""
    with atomic_open(target) as out:
        for raw in raws:
            out.write(json.dumps(asdict(raw)) + "\n")
