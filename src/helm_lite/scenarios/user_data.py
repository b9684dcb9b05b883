"""Evaluate on your own questions: a JSONL or CSV file, no code needed.

File formats
------------

**JSONL** (`.jsonl`): one JSON object per line; blank lines are skipped.

* `question` (string, required): the text shown to the model.
* `answer` (required):
  - free-answer questions: a string, or a list of strings when several answers are acceptable
    (an integer is read as its decimal text);
  - multiple-choice questions: the correct choice's text, its 0-based index (integer), or its
    letter (`"A"` for the first choice, `"B"` for the second, …).
* `choices` (list of at least two strings, optional): makes the question multiple choice.
* `split` (optional): `"train"` (used as in-context examples), `"valid"` or `"test"` (default `"test"`).
* `id` (string, optional): the instance id; default `id⟨n⟩`, n = 0-based position in the file.

```
{"question": "What is the capital of France?", "choices": ["Paris", "Lyon"], "answer": "A"}
{"question": "What is 7 + 5?", "answer": ["12", "twelve"], "split": "train"}
```

**CSV** (`.csv`, UTF-8, header row required): columns `question` and `answer`, optional `split` and
`id`, and for multiple choice the choice columns `choice_a`, `choice_b`, … (or `A`, `B`, …). Column
names are case-insensitive. A row whose choice cells are all empty is a free-answer question with a
single answer; otherwise the filled choices (from A on, without gaps) are its choices and `answer` is
the correct choice's text or letter.

```
question,choice_a,choice_b,choice_c,answer,split
What is the capital of Japan?,Kyoto,Tokyo,Osaka,B,test
```

A file holds either only multiple-choice or only free-answer questions, and at least one `valid` or
`test` question. Multiple-choice files are meant for the `multiple_choice_joint` adapter, free-answer
files for `generation` (`is_multiple_choice` tells which). Any problem stops the run with one line
naming the file, the line and what is wrong, e.g. `my.jsonl line 3: missing "question"`.
"""

from __future__ import annotations

import csv
import io
import re
import string
from dataclasses import dataclass
from typing import Any

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
from helm_lite.scenarios.user_files import check_path, extension, jsonl_records, read_utf8

SPLITS = (TRAIN_SPLIT, VALID_SPLIT, TEST_SPLIT)
JSONL_FIELDS = ("question", "answer", "choices", "split", "id")
LETTERS = string.ascii_uppercase
_NAME_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]*")
_CHOICE_COLUMN = re.compile(r"(?:choice_)?([a-z])")


EXTENSIONS = (".jsonl", ".csv")


@dataclass(frozen=True)
class UserItem:
    """One parsed question. `choices` is None for free-answer questions, whose `answers` are all correct."""

    question: str
    answers: list[str]
    choices: list[str] | None
    correct_index: int | None
    split: str
    id: str | None
    line: int


class UserDataScenario(Scenario):
    """Questions from a user's JSONL or CSV file (format in the module docstring)."""

    name = "user_data"
    description = "Questions from the user's own data file"
    tags = ["user_data"]
    definition_file = ""

    def __init__(self, path: str, name: str | None = None) -> None:
        check_path(path, EXTENSIONS)
        self.path = path
        if name is not None:
            if not _NAME_PATTERN.fullmatch(name):
                raise UserError(f"user_data name {name!r}: use letters, digits, '_', '.' or '-' only")
            # `name` is a class variable on Scenario; an instance entry overrides it for this scenario only.
            self.__dict__["name"] = name

    def get_instances(self, output_path: str) -> list[Instance]:
        instances = []
        for n, item in enumerate(load_items(self.path)):
            if item.choices is None:
                references = [Reference(Output(text=a), tags=[CORRECT_TAG]) for a in item.answers]
            else:
                references = [
                    Reference(Output(text=c), tags=[CORRECT_TAG] if i == item.correct_index else [])
                    for i, c in enumerate(item.choices)
                ]
            instances.append(
                Instance(
                    input=Input(text=item.question),
                    references=references,
                    split=item.split,
                    id=item.id if item.id is not None else f"id{n}",
                )
            )
        return instances


def is_multiple_choice(path: str) -> bool:
    """True when the file's questions all have choices (files never mix the two kinds)."""
    return all(item.choices is not None for item in load_items(path))


def load_items(path: str) -> list[UserItem]:
    """Parse and validate a user data file; every problem is a one-line `UserError`."""
    text = read_utf8(path, EXTENSIONS)

    items = _parse_csv(path, text) if extension(path) == ".csv" else _parse_jsonl(path, text)
    if not items:
        raise UserError(f"{path}: empty file (no questions)")
    _check_consistency(path, items)
    return items


def _check_consistency(path: str, items: list[UserItem]) -> None:
    """Reject mixed question kinds, duplicate ids and files with nothing to evaluate."""
    first_is_mc = items[0].choices is not None
    kind = {True: "multiple-choice", False: "free-answer"}
    for item in items:
        if (item.choices is not None) != first_is_mc:
            raise UserError(
                f"{path} line {item.line}: {kind[not first_is_mc]} question in a file of "
                f"{kind[first_is_mc]} questions (line {items[0].line}); use one kind per file"
            )
    seen: dict[str, int] = {}
    for n, item in enumerate(items):
        instance_id = item.id if item.id is not None else f"id{n}"
        if instance_id in seen:
            raise UserError(
                f"{path} line {item.line}: duplicate id {instance_id!r} (also line {seen[instance_id]})"
            )
        seen[instance_id] = item.line
    if all(item.split == TRAIN_SPLIT for item in items):
        raise UserError(f"{path}: every question has split 'train'; at least one must be 'valid' or 'test'")


def _show(value: Any) -> str:
    """A short single-line rendering of a user value for error messages."""
    shown = repr(value)
    return shown if len(shown) <= 60 else shown[:57] + "..."


def _parse_split(where: str, value: Any) -> str:
    if value is None or value == "":
        return TEST_SPLIT
    if value not in SPLITS:
        raise UserError(f"{where}: unknown split {_show(value)} (use train, valid or test)")
    return str(value)


def _parse_question(where: str, value: Any) -> str:
    if value is None:
        raise UserError(f'{where}: missing "question"')
    if not isinstance(value, str):
        raise UserError(f'{where}: "question" must be a string, got {_show(value)}')
    if not value.strip():
        raise UserError(f'{where}: "question" is empty')
    return value


def _choice_index(where: str, answer: Any, choices: list[str], allow_index: bool) -> int:
    """Resolve a multiple-choice answer given as choice text, letter or (JSONL only) 0-based index."""
    n = len(choices)
    if isinstance(answer, bool) or not isinstance(answer, (str, int)):
        raise UserError(f"{where}: answer must be a choice's text, letter or index, got {_show(answer)}")
    if isinstance(answer, int):
        if not allow_index:
            raise UserError(f"{where}: answer {answer} must be a choice's text or letter")
        if not 0 <= answer < n:
            raise UserError(f"{where}: answer index {answer} is not one of the {n} choices (0 to {n - 1})")
        return answer
    if answer in choices:
        return choices.index(answer)
    letter = answer.strip().upper()
    if len(letter) == 1 and letter in LETTERS:
        if LETTERS.index(letter) < n:
            return LETTERS.index(letter)
        raise UserError(f"{where}: answer {answer!r} is not one of the {n} choices (A to {LETTERS[n - 1]})")
    raise UserError(
        f"{where}: answer {_show(answer)} is not one of the {n} choices (give its text or letter)"
    )


def _parse_jsonl(path: str, text: str) -> list[UserItem]:
    items = []
    for line_number, where, record in jsonl_records(path, text.splitlines(), JSONL_FIELDS):
        question = _parse_question(where, record.get("question"))
        if "answer" not in record:
            raise UserError(f'{where}: missing "answer"')
        answer = record["answer"]
        split = _parse_split(where, record.get("split"))
        instance_id = record.get("id")
        if instance_id is not None:
            if isinstance(instance_id, bool) or not isinstance(instance_id, (str, int)) or instance_id == "":
                raise UserError(f'{where}: "id" must be a non-empty string, got {_show(instance_id)}')
            instance_id = str(instance_id)

        if "choices" in record:
            choices = record["choices"]
            if not isinstance(choices, list) or len(choices) < 2:
                raise UserError(f'{where}: "choices" must be a list of at least 2 strings')
            if len(choices) > len(LETTERS):
                raise UserError(f"{where}: at most {len(LETTERS)} choices are supported, got {len(choices)}")
            for position, choice in enumerate(choices):
                if not isinstance(choice, str) or not choice.strip():
                    raise UserError(
                        f"{where}: choice {LETTERS[position]} must be a non-empty string, got {_show(choice)}"
                    )
            index = _choice_index(where, answer, choices, allow_index=True)
            items.append(
                UserItem(question, [choices[index]], choices, index, split, instance_id, line_number)
            )
        else:
            answers = _free_answers(where, answer)
            items.append(UserItem(question, answers, None, None, split, instance_id, line_number))
    return items


def _free_answers(where: str, answer: Any) -> list[str]:
    values = answer if isinstance(answer, list) else [answer]
    if not values:
        raise UserError(f'{where}: "answer" is an empty list')
    answers = []
    for value in values:
        if isinstance(value, int) and not isinstance(value, bool):
            value = str(value)
        if not isinstance(value, str):
            raise UserError(f'{where}: "answer" must be a string or a list of strings, got {_show(value)}')
        if not value.strip():
            raise UserError(f'{where}: "answer" is empty')
        answers.append(value)
    return answers


def _parse_csv(path: str, text: str) -> list[UserItem]:
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = next(reader, None)
    except csv.Error as e:
        raise UserError(f"{path} line 1: not valid CSV ({e})") from e
    if header is None or not any(cell.strip() for cell in header):
        return []
    columns = [cell.strip().lower() for cell in header]
    choice_columns = _csv_choice_columns(path, columns)
    for column in columns:
        if column not in ("question", "answer", "split", "id") and column not in choice_columns:
            raise UserError(
                f"{path} line 1: unknown column {column!r} "
                "(allowed: question, answer, split, id, choice_a, choice_b, … or A, B, …)"
            )
    for required in ("question", "answer"):
        if required not in columns:
            raise UserError(f"{path} line 1: header has no {required!r} column")
    if len(set(columns)) != len(columns):
        duplicate = next(c for c in columns if columns.count(c) > 1)
        raise UserError(f"{path} line 1: column {duplicate!r} appears twice")

    items = []
    while True:
        line_number = reader.line_num + 1
        try:
            row = next(reader, None)
        except csv.Error as e:
            raise UserError(f"{path} line {line_number}: not valid CSV ({e})") from e
        if row is None:
            break
        if not any(cell.strip() for cell in row):
            continue
        where = f"{path} line {line_number}"
        if any(cell.strip() for cell in row[len(columns) :]):
            raise UserError(f"{where}: {len(row)} fields but the header has {len(columns)} columns")
        cells = dict(zip(columns, row + [""] * max(0, len(columns) - len(row)), strict=True))
        question = _parse_question(where, cells["question"] or None)
        answer = cells["answer"].strip()
        if not answer:
            raise UserError(f'{where}: missing "answer"')
        split = _parse_split(where, cells.get("split", "").strip())
        instance_id = cells.get("id", "").strip() or None
        filled = [cells[c] for c in choice_columns]
        if any(value.strip() for value in filled):
            last = max(i for i, value in enumerate(filled) if value.strip())
            gap = next((i for i in range(last) if not filled[i].strip()), None)
            if gap is not None:
                raise UserError(
                    f"{where}: choice {LETTERS[gap]} is empty but choice {LETTERS[last]} is filled"
                )
            choices = filled[: last + 1]
            if len(choices) < 2:
                raise UserError(f"{where}: a multiple-choice question needs at least 2 choices")
            index = _choice_index(where, answer, choices, allow_index=False)
            items.append(
                UserItem(question, [choices[index]], choices, index, split, instance_id, line_number)
            )
        else:
            items.append(UserItem(question, [answer], None, None, split, instance_id, line_number))
    return items


def _csv_choice_columns(path: str, columns: list[str]) -> list[str]:
    """Choice columns in letter order; they must run from A without gaps."""
    by_letter: dict[str, str] = {}
    for column in columns:
        match = _CHOICE_COLUMN.fullmatch(column)
        if match is None:
            continue
        letter = match.group(1).upper()
        if letter in by_letter:
            raise UserError(
                f"{path} line 1: columns {by_letter[letter]!r} and {column!r} both name choice {letter}"
            )
        by_letter[letter] = column
    letters = sorted(by_letter)
    expected = list(LETTERS[: len(letters)])
    if letters != expected:
        missing = next(x for x in expected if x not in by_letter)
        raise UserError(f"{path} line 1: choice column {missing} is missing (choice columns must start at A)")
    return [by_letter[letter] for letter in letters]
