"""The word lists HELM's perturbations read, found without shipping them.

Each list lives at HELM's place under the output folder (`<output>/perturbations/…`, where HELM's
runner downloads it). It is looked for in the data mirror first (`<mirror>/perturbations/…`, or
`<mirror>/../perturbations/…` when the mirror is a HELM `benchmark_output/scenarios` folder), then in
the output folder, then downloaded from HELM's source. A mirrored file must parse in the upstream
format; a download is written atomically and, where its SHA-256 is pinned, must match it.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

from helm_lite.common.data import MIRROR_ENV, DataSource, file_problem
from helm_lite.common.errors import UserError


@dataclass(frozen=True)
class WordList:
    relative: str  # under the output folder (and the mirror)
    url: str
    sha256: str | None  # None: not pinned (the file could not be fetched where this table was made)
    kind: str  # "json_dict" (word → list of words) or "names" (HELM's person_names.txt lines)


_GCS = "https://storage.googleapis.com/crfm-helm-public/source_datasets/augmentations/"
_HELM_COMMIT = "c2ee966d79df97f5005d4352b13ddc1730c1f02f"

MISSPELLINGS = WordList(
    "perturbations/misspellings/correct_to_misspelling.json",
    f"https://raw.githubusercontent.com/stanford-crfm/helm/{_HELM_COMMIT}/"
    "src/helm/benchmark/augmentations/correct_to_misspelling.json",
    "2f8e118895e52426bacd0cd32dfd0c14708e845c910d129f2d03571fe9f75c8b",
    "json_dict",
)
SAE_TO_AAVE = WordList(
    "perturbations/dialect/SAE_to_AAVE_mapping.json",
    _GCS + "dialect_perturbation/SAE_to_AAVE_mapping.json",
    None,
    "json_dict",
)
PERSON_NAMES = WordList(
    "perturbations/person_name/data/person_names.txt",
    _GCS + "person_name_perturbation/person_names.txt",
    None,
    "names",
)


def _check_json_dict(path: Path) -> None:
    data = json.loads(path.read_text(encoding="utf-8"))
    if not isinstance(data, dict) or not data:
        raise ValueError("expected a non-empty JSON object")
    for key, value in data.items():
        if not isinstance(value, list) or not value:
            raise ValueError(f"{key!r}: expected a non-empty list")


def _check_names(path: Path) -> None:
    for number, line in enumerate(path.read_text(encoding="utf-8").split("\n"), 1):
        if line and (len(line.split(",")) < 2 or len(line.split(",")) % 2):
            raise ValueError(f"line {number}: expected <name>,<name type>[,<category>,<value>]*")


_CHECKS = {"json_dict": _check_json_dict, "names": _check_names}


@dataclass(frozen=True)
class WordLists:
    """Where one invocation finds its word lists: its output folder and its data mirror."""

    output_path: str
    mirror: str | None = None

    def path(self, word_list: WordList) -> Path:
        """A verified local copy of `word_list`."""
        check = _CHECKS[word_list.kind]
        for mirror in self._mirrors():
            candidate = mirror / word_list.relative
            if candidate.exists() and file_problem(candidate, check=check) is None:
                return candidate
        source = DataSource(scenarios_root=self.output_path, mirror=None)
        try:
            return source.file(word_list.relative, url=word_list.url, sha256=word_list.sha256, check=check)
        except UserError as e:
            mirrored = [str(m / word_list.relative) for m in self._mirrors()]
            also = f" (not usable in the data mirror either: {' or '.join(mirrored)})" if mirrored else ""
            raise UserError(f"perturbation word list: {e}{also}") from None

    def recorded_path(self, word_list: WordList) -> str:
        """The path a perturbation's description names: HELM's place under the output folder."""
        return os.path.join(self.output_path, word_list.relative)

    def _mirrors(self) -> list[Path]:
        mirror = self.mirror or os.environ.get(MIRROR_ENV) or None
        return [] if mirror is None else [Path(mirror), Path(mirror).parent]

    def json_dict(self, word_list: WordList) -> dict[str, list[str]]:
        data: Any = json.loads(self.path(word_list).read_text(encoding="utf-8"))
        return {str(k): [str(w) for w in v] for k, v in data.items()}

    def text(self, word_list: WordList) -> str:
        return self.path(word_list).read_text(encoding="utf-8")

    @cached_property
    def misspellings(self) -> dict[str, list[str]]:
        return self.json_dict(MISSPELLINGS)
