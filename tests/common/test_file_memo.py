"""`memoised_by_file`: one read per file identity (path, mtime, size); exceptions are not cached."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from helm_lite.common.file_memo import FileMemo, memoised_by_file


def _counting_reader(maxsize: int = 4) -> tuple[list[Path], FileMemo[[], tuple[str, ...]]]:
    reads: list[Path] = []

    @memoised_by_file(maxsize)
    def read(path: Path) -> tuple[str, ...]:
        reads.append(path)
        text = path.read_text()
        if text.startswith("bad"):
            raise ValueError("bad file")
        return tuple(text.split())

    return reads, read


def test_a_second_call_does_not_reread(tmp_path: Path) -> None:
    reads, read = _counting_reader()
    f = tmp_path / "a.txt"
    f.write_text("x y")
    first = read(f)
    assert first == ("x", "y")
    assert read(f) is first
    assert len(reads) == 1


def test_the_same_file_by_another_spelling_is_one_entry(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    reads, read = _counting_reader()
    (tmp_path / "a.txt").write_text("x")
    monkeypatch.chdir(tmp_path)
    read(Path("a.txt"))
    read(tmp_path / "a.txt")
    assert len(reads) == 1


def test_a_changed_file_is_reread(tmp_path: Path) -> None:
    reads, read = _counting_reader()
    f = tmp_path / "a.txt"
    f.write_text("x y")
    read(f)
    f.write_text("x y z")  # new size
    assert read(f) == ("x", "y", "z")
    st = f.stat()
    f.write_text("a b c")  # same size: only the mtime tells
    os.utime(f, ns=(st.st_atime_ns, st.st_mtime_ns + 1_000_000))
    assert read(f) == ("a", "b", "c")
    assert len(reads) == 3


def test_an_exception_is_not_cached(tmp_path: Path) -> None:
    reads, read = _counting_reader()
    f = tmp_path / "a.txt"
    f.write_text("bad")
    for _ in range(2):
        with pytest.raises(ValueError, match="bad file"):
            read(f)
    assert len(reads) == 2
    with pytest.raises(FileNotFoundError):
        read(tmp_path / "missing.txt")


def test_least_recently_used_is_dropped_and_clear_forgets(tmp_path: Path) -> None:
    reads, read = _counting_reader(maxsize=2)
    a, b, c = (tmp_path / f"{n}.txt" for n in "abc")
    for f in (a, b, c):
        f.write_text(f.stem)
    read(a), read(b), read(a), read(c)  # c evicts b
    assert len(reads) == 3
    read(a)
    assert len(reads) == 3
    read(b)
    assert len(reads) == 4
    read.cache_clear()
    read(b)
    assert len(reads) == 5


def test_extra_arguments_are_part_of_the_key(tmp_path: Path) -> None:
    calls: list[tuple[str, ...]] = []

    @memoised_by_file(4)
    def words(path: Path, first: int) -> tuple[str, ...]:
        calls.append(("read", str(first)))
        return tuple(path.read_text().split()[:first])

    f = tmp_path / "a.txt"
    f.write_text("a b c")
    assert words(f, 1) == ("a",)
    assert words(f, 2) == ("a", "b")
    assert words(f, 1) == ("a",)
    assert len(calls) == 2
