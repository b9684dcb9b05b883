"""User data files: both formats, both question kinds, and one-line errors naming file and line."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from helm_lite.common.errors import UserError
from helm_lite.scenarios.base import Instance
from helm_lite.scenarios.user_data import UserDataScenario, is_multiple_choice

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "user_data"


def write(tmp_path: Path, name: str, content: str) -> str:
    path = tmp_path / name
    path.write_text(content, encoding="utf-8")
    return str(path)


def jsonl(tmp_path: Path, *records: object, name: str = "data.jsonl") -> str:
    return write(tmp_path, name, "".join(json.dumps(r) + "\n" for r in records))


def load(path: str) -> list[Instance]:
    return UserDataScenario(path).get_instances("")


def refs(instance: Instance) -> list[tuple[str, list[str]]]:
    return [(r.output.text, r.tags) for r in instance.references]


def assert_error(path: str, expected: str) -> None:
    """The load fails with exactly `<path> <expected>` on a single line."""
    with pytest.raises(UserError) as info:
        load(path)
    message = str(info.value)
    assert "\n" not in message
    separator = "" if expected.startswith(":") else " "
    assert re.fullmatch(re.escape(path) + separator + expected, message), message


def test_jsonl_free_answer(tmp_path: Path) -> None:
    path = jsonl(
        tmp_path,
        {"question": "What is 2 + 2?", "answer": "4", "split": "train"},
        {"question": "Name a primary colour.", "answer": ["red", "blue", "yellow"], "id": "colour"},
        {"question": "What is 6 * 7?", "answer": 42, "split": "valid"},
    )
    result = load(path)
    assert [i.input.text for i in result] == ["What is 2 + 2?", "Name a primary colour.", "What is 6 * 7?"]
    assert [i.split for i in result] == ["train", "test", "valid"]
    assert [i.id for i in result] == ["id0", "colour", "id2"]
    assert refs(result[1]) == [("red", ["correct"]), ("blue", ["correct"]), ("yellow", ["correct"])]
    assert refs(result[2]) == [("42", ["correct"])]
    assert not is_multiple_choice(path)


def test_jsonl_blank_lines_are_skipped_but_counted(tmp_path: Path) -> None:
    path = write(tmp_path, "d.jsonl", '{"question": "q", "answer": "a"}\n\n   \n{"answer": "a"}\n')
    assert_error(path, 'line 4: missing "question"')


@pytest.mark.parametrize("answer", ["Paris", 1, "B", "b"])
def test_jsonl_multiple_choice_answer_forms(tmp_path: Path, answer: object) -> None:
    record = {"question": "Capital of France?", "choices": ["Lyon", "Paris", "Nice"], "answer": answer}
    path = jsonl(tmp_path, record)
    (instance,) = load(path)
    assert refs(instance) == [("Lyon", []), ("Paris", ["correct"]), ("Nice", [])]
    assert is_multiple_choice(path)


def test_choice_text_wins_over_letter(tmp_path: Path) -> None:
    path = jsonl(tmp_path, {"question": "Pick", "choices": ["C", "B", "A"], "answer": "A"})
    assert refs(load(path)[0]) == [("C", []), ("B", []), ("A", ["correct"])]


def test_csv_free_answer(tmp_path: Path) -> None:
    path = write(
        tmp_path, "d.csv", 'question,answer,split,id\nWhat is 1 + 1?,2,train,\n"Say ""hi""",hi,,x7\n'
    )
    result = load(path)
    assert [(i.input.text, i.split, i.id) for i in result] == [
        ("What is 1 + 1?", "train", "id0"),
        ('Say "hi"', "test", "x7"),
    ]
    assert refs(result[1]) == [("hi", ["correct"])]
    assert not is_multiple_choice(path)


@pytest.mark.parametrize("header", ["question,choice_a,choice_b,choice_c,answer", "Question,A,B,C,Answer"])
def test_csv_multiple_choice(tmp_path: Path, header: str) -> None:
    path = write(
        tmp_path, "d.csv", f"{header}\nCapital of Japan?,Kyoto,Tokyo,Osaka,B\nTwo choices?,yes,no,,yes\n"
    )
    first, second = load(path)
    assert refs(first) == [("Kyoto", []), ("Tokyo", ["correct"]), ("Osaka", [])]
    assert refs(second) == [("yes", ["correct"]), ("no", [])]
    assert is_multiple_choice(path)


def test_examples_load() -> None:
    capitals = UserDataScenario(str(EXAMPLES / "capitals.jsonl")).get_instances("")
    assert len(capitals) == 8 and sum(i.split == "train" for i in capitals) == 2
    assert all(len(i.all_correct_references) == 1 for i in capitals)
    assert is_multiple_choice(str(EXAMPLES / "capitals.jsonl"))
    arithmetic = UserDataScenario(str(EXAMPLES / "arithmetic.csv")).get_instances("")
    assert len(arithmetic) == 8 and sum(i.split == "train" for i in arithmetic) == 2
    assert arithmetic[0].input.text == "What is 7 + 5?" and refs(arithmetic[0]) == [("12", ["correct"])]
    assert not is_multiple_choice(str(EXAMPLES / "arithmetic.csv"))


def test_name_override(tmp_path: Path) -> None:
    path = jsonl(tmp_path, {"question": "q", "answer": "a"})
    assert UserDataScenario(path).name == "user_data"
    scenario = UserDataScenario(path, name="my_quiz")
    assert scenario.name == "my_quiz" and scenario.metadata().name == "my_quiz"
    assert UserDataScenario.name == "user_data"
    meta = UserDataScenario(path).metadata()
    assert (meta.description, meta.tags, meta.definition_path) == (
        "Questions from the user's own data file",
        ["user_data"],
        "",
    )
    with pytest.raises(UserError, match="user_data name"):
        UserDataScenario(path, name="../escape")


JSONL_ERRORS = [
    ('{"question": "q", "answer": "a"}\n{"question": "q", answer: 1}\n', "line 2: not valid JSON .*"),
    ('{"question": "q", "answer": "a"}\n{"answer": "a"}\n{"question": "q"}\n', 'line 2: missing "question"'),
    ('{"question": "q"}\n', 'line 1: missing "answer"'),
    ('["q", "a"]\n', "line 1: expected a JSON object .*"),
    ('{"question": 5, "answer": "a"}\n', 'line 1: "question" must be a string, got 5'),
    ('{"question": "q", "answer": "a", "split": "dev"}\n', "line 1: unknown split 'dev' .*"),
    ('{"question": "q", "answer": "a", "choises": ["a", "b"]}\n', "line 1: unknown field 'choises' .*"),
    (
        '{"question": "q", "choices": ["a", "b", "c", "d"], "answer": "E"}\n',
        "line 1: answer 'E' is not one of the 4 choices .*",
    ),
    (
        '{"question": "q", "choices": ["a", "b"], "answer": 2}\n',
        "line 1: answer index 2 is not one of the 2 choices .*",
    ),
    (
        '{"question": "q", "choices": ["a", "b"], "answer": "zzz"}\n',
        "line 1: answer 'zzz' is not one of the 2 choices .*",
    ),
    (
        '{"question": "q", "choices": ["a"], "answer": "a"}\n',
        'line 1: "choices" must be a list of at least 2 strings',
    ),
    (
        '{"question": "q", "choices": ["a", 3], "answer": "a"}\n',
        "line 1: choice B must be a non-empty string, got 3",
    ),
    ('{"question": "q", "answer": []}\n', 'line 1: "answer" is an empty list'),
    (
        '{"question": "q", "answer": "a"}\n{"question": "q", "choices": ["a", "b"], "answer": "a"}\n',
        "line 2: multiple-choice question in a file of free-answer questions .*",
    ),
    (
        '{"question": "q", "answer": "a", "id": "x"}\n{"question": "r", "answer": "b", "id": "x"}\n',
        "line 2: duplicate id 'x' .*",
    ),
    ('{"question": "q", "answer": "a", "split": "train"}\n', ": every question has split 'train'.*"),
    ("\n\n", ": empty file \\(no questions\\)"),
]


@pytest.mark.parametrize(("content", "expected"), JSONL_ERRORS)
def test_jsonl_errors(tmp_path: Path, content: str, expected: str) -> None:
    assert_error(write(tmp_path, "my.jsonl", content), expected)


CSV_ERRORS = [
    ("question,split\nq,test\n", "line 1: header has no 'answer' column"),
    ("question,answer,notes\nq,a,n\n", "line 1: unknown column 'notes' .*"),
    ("question,answer,choice_a,choice_c\nq,a,x,y\n", "line 1: choice column B is missing .*"),
    ("question,answer\nq,a\n,b\n", 'line 3: missing "question"'),
    ("question,answer\nq,a\nr,\n", 'line 3: missing "answer"'),
    ("question,answer\nq,a,extra\n", "line 2: 3 fields but the header has 2 columns"),
    ("question,answer,split\nq,a,holdout\n", "line 2: unknown split 'holdout' .*"),
    ("question,A,B,C,D,answer\nq,a,b,c,d,E\n", "line 2: answer 'E' is not one of the 4 choices .*"),
    ("question,A,B,C,answer\nq,a,,c,a\n", "line 2: choice B is empty but choice C is filled"),
    ("question,A,B,answer\nq,a,,a\n", "line 2: a multiple-choice question needs at least 2 choices"),
    ("question,answer\n", ": empty file \\(no questions\\)"),
    ("", ": empty file \\(no questions\\)"),
]


@pytest.mark.parametrize(("content", "expected"), CSV_ERRORS)
def test_csv_errors(tmp_path: Path, content: str, expected: str) -> None:
    assert_error(write(tmp_path, "my.csv", content), expected)


def test_csv_error_line_counts_multiline_cells(tmp_path: Path) -> None:
    path = write(tmp_path, "my.csv", 'question,answer\n"two\nlines",a\nq,a,extra\n')
    assert_error(path, "line 4: 3 fields but the header has 2 columns")


def test_not_utf8(tmp_path: Path) -> None:
    path = tmp_path / "my.jsonl"
    path.write_bytes(b'{"question": "q", "answer": "a"}\n{"question": "caf\xe9", "answer": "a"}\n')
    assert_error(str(path), "line 2: not UTF-8 text")


def test_file_errors_at_construction(tmp_path: Path) -> None:
    missing = str(tmp_path / "nope.jsonl")
    with pytest.raises(UserError, match=re.escape(missing) + ": file not found$"):
        UserDataScenario(missing)
    text = write(tmp_path, "data.txt", "q,a\n")
    with pytest.raises(
        UserError, match=re.escape(text) + r": unsupported file extension '\.txt' \(use \.jsonl or \.csv\)$"
    ):
        UserDataScenario(text)
    with pytest.raises(UserError, match="file not found"):
        is_multiple_choice(missing)
