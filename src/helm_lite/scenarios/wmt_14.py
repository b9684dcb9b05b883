"""WMT14 (HELM's `WMT_14`): news translation between English and Czech, German, French, Hindi or Russian.

HELM loads the HuggingFace dataset ``wmt14`` (config ``<xx>-en``) into the HuggingFace cache, which
cannot be filled offline. helm_lite reads the same rows from plain JSON Lines files instead — the one
deliberate layout difference (see docs/lite.md)::

    WMT_14/<xx>-en/train.jsonl          the whole train split, in the dataset's row order
    WMT_14/<xx>-en/train_sample.jsonl   or: just HELM's sample (below), in sample order
    WMT_14/<xx>-en/validation.jsonl     → valid
    WMT_14/<xx>-en/test.jsonl           → test (newstest2014)

one ``{"translation": {"<xx>": "…", "en": "…"}}`` object per line, as the dataset's rows are. HELM
keeps the first 20,000 rows of ``train.shuffle(seed=42)`` — the permutation
``numpy.random.default_rng(42).permutation(len(train))`` — then drops rows whose target sentence was
already seen; this is reproduced exactly from ``train.jsonl``, or taken as given from
``train_sample.jsonl``.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np

from helm_lite.common.data import Check, DataSource
from helm_lite.common.errors import UserError
from helm_lite.scenarios.base import (
    CORRECT_TAG,
    TEST_SPLIT,
    TRAIN_SPLIT,
    VALID_SPLIT,
    Input,
    Instance,
    Output,
    Reference,
    Scenario,
)

HF_DATASET_URL = "https://huggingface.co/datasets/wmt14"
HF_REVISION = "b199e406369ec1b7634206d3ded5ba45de2fe696"
LANGUAGES = ("cs", "de", "fr", "hi", "ru", "en")
MAX_TRAIN_INSTANCES = 20_000
TRAIN_SEED = 42
EVAL_FILES = (("validation", VALID_SPLIT), ("test", TEST_SPLIT))
_TAIL_BYTES = 1 << 20


class WMT14Scenario(Scenario):
    """Source sentence → its reference translation; one of the two languages must be English."""

    name = "WMT_14"
    description = "Scenario for the 2014 Workshop on Statistical Machine Translation"
    tags = ["machine_translation"]
    definition_file = "wmt_14_scenario.py"

    def __init__(
        self, source_language: str, target_language: str, data_source: DataSource | None = None
    ) -> None:
        if source_language not in LANGUAGES or target_language not in LANGUAGES:
            raise UserError(f"WMT14 only includes the following languages: {', '.join(LANGUAGES)}.")
        if source_language == target_language:
            raise UserError("WMT14: the source language and the target language should be different.")
        if "en" not in (source_language, target_language):
            raise UserError("WMT14: one of the languages should be English.")
        self.source_language = source_language
        self.target_language = target_language
        other = source_language if source_language != "en" else target_language
        self.pair = f"{other}-en"
        self.data_source = data_source

    def get_instances(self, output_path: str) -> list[Instance]:
        source = self.data_source or DataSource.for_scenario_dir(output_path)
        languages = self.pair.split("-")
        instances = [self._instance(row, TRAIN_SPLIT) for row in self._dedup(self._train_rows(source))]
        for file_split, split in EVAL_FILES:
            path = self._file(source, f"{file_split}.jsonl", _check_rows(languages))
            if path is None:
                raise UserError(self._missing(source, f"{file_split}.jsonl"))
            instances.extend(self._instance(row, split) for row in _read_rows(path, languages))
        return instances

    def _train_rows(self, source: DataSource) -> list[dict[str, Any]]:
        languages = self.pair.split("-")
        sample = self._file(source, "train_sample.jsonl", _check_rows(languages))
        if sample is not None:
            return _read_rows(sample, languages)[:MAX_TRAIN_INSTANCES]
        full = self._file(source, "train.jsonl", _check_ends(languages))
        if full is None:
            raise UserError(self._missing(source, "train.jsonl (or train_sample.jsonl)"))
        return sample_train(full, languages)

    def _dedup(self, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """Keep the first row for each target sentence (HELM's de-duplication of the train sample)."""
        seen: set[str] = set()
        kept = []
        for row in rows:
            target = row["translation"][self.target_language]
            if target not in seen:
                seen.add(target)
                kept.append(row)
        return kept

    def _instance(self, row: dict[str, Any], split: str) -> Instance:
        pair = row["translation"]
        return Instance(
            input=Input(text=pair[self.source_language]),
            references=[Reference(Output(text=pair[self.target_language]), tags=[CORRECT_TAG])],
            split=split,
        )

    def _file(self, source: DataSource, name: str, check: Check) -> Path | None:
        try:
            return source.file(f"{self.name}/{self.pair}/{name}", check=check)
        except UserError:  # no download exists: missing (or damaged) is reported by the caller
            return None

    def _missing(self, source: DataSource, name: str) -> str:
        relative = f"{self.name}/{self.pair}/{name}"
        where = [str(Path(source.scenarios_root) / relative)]
        if source.mirror:
            where.append(str(Path(source.mirror) / relative))
        return (
            f"scenario data {relative} is missing or unusable (looked in {' and '.join(where)}); it comes "
            f"from the HuggingFace dataset wmt14, config {self.pair} ({HF_DATASET_URL}, revision "
            f"{HF_REVISION[:7]}): export it to JSON Lines in a data mirror as docs/lite.md shows"
        )


def sample_train(path: Path, languages: list[str]) -> list[dict[str, Any]]:
    """HELM's sample of the full train split: ``shuffle(seed=42)[:20000]``, in shuffled order.

    Two passes (count, then pick) so that a multi-GB file never has to be held in memory.
    """
    with open(path, "rb") as f:
        count = sum(1 for line in f if line.strip())
    picked = np.random.default_rng(TRAIN_SEED).permutation(count)[:MAX_TRAIN_INSTANCES]
    rank = {int(index): position for position, index in enumerate(picked)}
    rows: list[dict[str, Any] | None] = [None] * len(picked)
    with open(path, "rb") as f:
        index = 0
        for n, line in enumerate(f, start=1):
            if not line.strip():
                continue
            if index in rank:
                rows[rank[index]] = _parse_row(line, languages, path, n)
            index += 1
    return [row for row in rows if row is not None]


def _parse_row(line: bytes | str, languages: list[str], path: Path, n: int) -> dict[str, Any]:
    try:
        return _row(line, languages)
    except ValueError as e:
        raise UserError(f"{path} line {n}: {e}") from e


def _row(line: bytes | str, languages: list[str]) -> dict[str, Any]:
    row = json.loads(line)
    pair = row.get("translation") if isinstance(row, dict) else None
    if (
        not isinstance(row, dict)
        or not isinstance(pair, dict)
        or not all(isinstance(pair.get(lang), str) for lang in languages)
    ):
        raise ValueError(f'expected {{"translation": {{"{languages[0]}": "…", "{languages[1]}": "…"}}}}')
    return row


def _read_rows(path: Path, languages: list[str]) -> list[dict[str, Any]]:
    with open(path, encoding="utf-8") as f:
        return [_parse_row(line, languages, path, n) for n, line in enumerate(f, start=1) if line.strip()]


def _check_rows(languages: list[str]) -> Check:
    """Every line is a translation pair (a cut last line does not parse)."""

    def check(path: Path) -> None:
        with open(path, encoding="utf-8") as f:
            for n, line in enumerate(f, start=1):
                if line.strip():
                    try:
                        _row(line, languages)
                    except ValueError as e:
                        raise ValueError(f"line {n}: {e}") from e

    return check


def _check_ends(languages: list[str]) -> Check:
    """For the (huge) full train split: the first and the last line parse, so a cut file is caught."""

    def check(path: Path) -> None:
        with open(path, "rb") as f:
            _row(f.readline(), languages)
            size = f.seek(0, 2)
            f.seek(max(0, size - _TAIL_BYTES))
            _row(f.read().rstrip().rsplit(b"\n", 1)[-1], languages)

    return check
