"""Measure how well a model predicts your own text (perplexity, bits per byte): a .txt or .jsonl file.

File formats
------------

**Plain text** (`.txt`, UTF-8): one evaluation instance per paragraph; paragraphs are separated by
one or more blank (empty or whitespace-only) lines. A paragraph's lines are kept as written, joined
by `\\n`.

**JSONL** (`.jsonl`): one JSON object per line, blank lines skipped; `text` (non-empty string,
required) is one instance, `id` (string, optional) its id.

```
{"text": "The first document.", "id": "doc1"}
{"text": "The second document,\\nover two lines."}
```

Instances are test instances with ids `id⟨n⟩` (n = 0-based position) unless given. Any problem
stops the run with one line naming the file (and line), e.g. `my.jsonl line 3: missing "text"`.
"""

from __future__ import annotations

from typing import Any

from helm_lite.common.errors import UserError
from helm_lite.scenarios.base import TEST_SPLIT, Input, Instance, Scenario
from helm_lite.scenarios.user_files import check_path, extension, jsonl_records, read_utf8

JSONL_FIELDS = ("text", "id")
EXTENSIONS = (".txt", ".jsonl")


class UserTextScenario(Scenario):
    """Paragraphs (.txt) or documents (.jsonl) of the user's own text, as test instances."""

    name = "user_text"
    description = "Text from the user's own file, for language modelling (perplexity, bits per byte)"
    tags = ["user_text", "language_modeling"]
    definition_file = ""

    def __init__(self, path: str) -> None:
        check_path(path, EXTENSIONS)
        self.path = path

    def get_instances(self, output_path: str) -> list[Instance]:
        return [
            Instance(Input(text=text), references=[], split=TEST_SPLIT, id=iid)
            for iid, text in load_texts(self.path)
        ]


def load_texts(path: str) -> list[tuple[str, str]]:
    """(id, text) pairs of a user text file; every problem is a one-line `UserError`."""
    content = read_utf8(path, EXTENSIONS)
    texts = _parse_jsonl(path, content) if extension(path) == ".jsonl" else _parse_paragraphs(content)
    if not texts:
        raise UserError(f"{path}: no text (the file is empty or only blank lines)")
    seen: dict[str, int] = {}
    for n, (iid, _, line) in enumerate(texts):
        key = iid if iid is not None else f"id{n}"
        if key in seen:
            raise UserError(f"{path} line {line}: duplicate id {key!r} (also line {seen[key]})")
        seen[key] = line
    return [(iid if iid is not None else f"id{n}", text) for n, (iid, text, _) in enumerate(texts)]


def _lines(content: str) -> list[str]:
    """Lines split on \\n, \\r\\n or \\r only (`str.splitlines` also splits on form feeds and the like)."""
    return content.replace("\r\n", "\n").replace("\r", "\n").split("\n")


def _parse_paragraphs(content: str) -> list[tuple[str | None, str, int]]:
    """Paragraphs with their first line number; blank lines separate them and are not kept."""
    paragraphs: list[tuple[str | None, str, int]] = []
    lines: list[str] = []
    start = 0
    for number, line in enumerate(_lines(content), start=1):
        if line.strip():
            if not lines:
                start = number
            lines.append(line)
        elif lines:
            paragraphs.append((None, "\n".join(lines), start))
            lines = []
    if lines:
        paragraphs.append((None, "\n".join(lines), start))
    return paragraphs


def _show(value: Any) -> str:
    shown = repr(value)
    return shown if len(shown) <= 60 else shown[:57] + "..."


def _parse_jsonl(path: str, content: str) -> list[tuple[str | None, str, int]]:
    texts: list[tuple[str | None, str, int]] = []
    for number, where, record in jsonl_records(path, _lines(content), JSONL_FIELDS):
        text = record.get("text")
        if text is None:
            raise UserError(f'{where}: missing "text"')
        if not isinstance(text, str):
            raise UserError(f'{where}: "text" must be a string, got {_show(text)}')
        if not text.strip():
            raise UserError(f'{where}: "text" is empty')
        iid = record.get("id")
        if iid is not None:
            if isinstance(iid, bool) or not isinstance(iid, (str, int)) or iid == "":
                raise UserError(f'{where}: "id" must be a non-empty string, got {_show(iid)}')
            iid = str(iid)
        texts.append((iid, text, number))
    return texts
