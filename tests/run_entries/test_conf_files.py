"""Run-entry (.conf) files: HELM's HOCON format, and one-line errors naming file and entry."""

from __future__ import annotations

from pathlib import Path

import pytest

from helm_lite.common.errors import UserError
from helm_lite.run_entries.conf import RunEntry, parse_conf, read_conf_files


def write(path: Path, text: str) -> str:
    path.write_text(text)
    return str(path)


def test_reads_helm_style_conf_with_comments(tmp_path: Path) -> None:
    path = write(
        tmp_path / "lite.conf",
        """
        # A HELM-style run-entry file
        entries: [
          // a comment
          {description: "mmlu:model=text,subject=abstract_algebra", priority: 2}
          {description: "gsm:model=text_code,stop=none", priority: 2, groups: ["my_extra_group"]},
          {description: "narrative_qa:model=text"}  # trailing comment
        ]
        """,
    )
    assert read_conf_files([path]) == [
        RunEntry("mmlu:model=text,subject=abstract_algebra", priority=2),
        RunEntry("gsm:model=text_code,stop=none", priority=2, groups=["my_extra_group"]),
        RunEntry("narrative_qa:model=text"),
    ]


def test_files_are_concatenated_in_order(tmp_path: Path) -> None:
    a = write(tmp_path / "a.conf", 'entries: [{description: "a:x=1"}]')
    b = write(tmp_path / "b.conf", 'entries: [{description: "b"}, {description: "c", groups: []}]')
    assert [e.description for e in read_conf_files([b, a])] == ["b", "c", "a:x=1"]
    assert read_conf_files([b])[1].groups == []
    assert read_conf_files([]) == []


def test_empty_entries_list_is_fine() -> None:
    assert parse_conf("entries: []") == []


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("entries: [{priority: 1}]", "x.conf: entry 1: missing 'description'"),
        (
            'entries: [{description: "a"}, {description: "b"}, {groups: ["g"]}]',
            "x.conf: entry 3: missing 'description'",
        ),
        ("foo: 1", "x.conf: missing 'entries' (expected entries: [{description: ...}, ...])"),
        ("", "x.conf: missing 'entries' (expected entries: [{description: ...}, ...])"),
        ('entries: {description: "a"}', "x.conf: 'entries' must be a list, got a mapping"),
        ('entries: ["a"]', "x.conf: entry 1: expected {description: ...}, got str"),
        ("entries: [{description: 3}]", "x.conf: entry 1: 'description' must be a string, got int"),
        (
            'entries: [{description: "a", priority: "2"}]',
            "x.conf: entry 1: 'priority' must be an integer, got str '2'",
        ),
        (
            'entries: [{description: "a", priority: 1.5}]',
            "x.conf: entry 1: 'priority' must be an integer, got float 1.5",
        ),
        (
            'entries: [{description: "a", priority: true}]',
            "x.conf: entry 1: 'priority' must be an integer, got bool True",
        ),
        (
            'entries: [{description: "a", groups: "g"}]',
            "x.conf: entry 1: 'groups' must be a list of strings, got 'g'",
        ),
        (
            'entries: [{description: "a", groups: [g, 3]}]',
            "x.conf: entry 1: 'groups' must be a list of strings, got ['g', 3]",
        ),
        (
            'entries: [{description: "a", priorty: 2}]',
            "x.conf: entry 1: unknown key 'priorty' (expected description, priority, groups)",
        ),
    ],
)
def test_errors_are_one_line_and_name_file_and_entry(text: str, expected: str) -> None:
    with pytest.raises(UserError) as e:
        parse_conf(text, shown="x.conf")
    assert str(e.value) == expected


def test_missing_file() -> None:
    with pytest.raises(UserError) as e:
        read_conf_files(["run_specs/does_not_exist.conf"])
    assert str(e.value) == "run_specs/does_not_exist.conf: file not found"


def test_bad_hocon_names_file_and_position(tmp_path: Path) -> None:
    path = write(tmp_path / "bad.conf", 'entries: [\n  {description: "a"\n')
    with pytest.raises(UserError) as e:
        read_conf_files([path])
    message = str(e.value)
    assert "\n" not in message
    assert message.startswith(f"{path}: invalid HOCON at line ")


def test_unresolved_substitution(tmp_path: Path) -> None:
    path = write(tmp_path / "sub.conf", "entries: ${missing}")
    with pytest.raises(UserError, match=r"sub.conf: invalid HOCON: Cannot resolve variable \$\{missing\}"):
        read_conf_files([path])
