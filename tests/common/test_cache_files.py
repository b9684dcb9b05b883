"""A cache file SQLite cannot use stops helm-run with one line naming it and what to do (exit 2).

Each case damages a real cache file that a real helm-run wrote, then runs helm-run again: no
traceback, no run written, the damaged file left as it was, and `--disable-cache` gets past it.
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Callable
from pathlib import Path

import pytest

from helm_lite.common.cache import CacheDamagedError, SqliteCache

RUN = "synthetic_reasoning:mode=pattern_match,model=simple/model1"
CACHE = "prod_env/cache/simple.sqlite"


def overwrite_header(path: Path) -> None:
    with open(path, "r+b") as f:
        f.write(b"\xde\xad\xbe\xef" * 25)  # the first 100 bytes: SQLite's file header


def truncate_to_half(path: Path) -> None:
    os.truncate(path, path.stat().st_size // 2)


def not_sqlite(path: Path) -> None:
    path.write_text("model answers, one per line\n" * 200)


def directory_instead(path: Path) -> None:
    path.unlink()
    path.mkdir()


def garble_key_index(path: Path) -> None:
    """Junk over the key index: the file opens, but the first lookup fails."""
    with sqlite3.connect(path) as conn:
        (page_size,) = conn.execute("PRAGMA page_size").fetchone()
        (root,) = conn.execute(
            "SELECT rootpage FROM sqlite_master WHERE name = 'sqlite_autoindex_unnamed_1'"
        ).fetchone()
    conn.close()
    with open(path, "r+b") as f:
        f.seek((root - 1) * page_size)
        f.write(b"\x0d\xff" * (page_size // 2))


DAMAGE: dict[str, Callable[[Path], None]] = {
    "header overwritten": overwrite_header,
    "truncated to half": truncate_to_half,
    "not SQLite": not_sqlite,
    "a directory": directory_instead,
    "key index garbled": garble_key_index,
}


def snapshot(path: Path) -> bytes | str:
    return path.read_bytes() if path.is_file() else "dir" if path.is_dir() else "missing"


@pytest.mark.slow  # several processes or a model (2-7 s)
@pytest.mark.parametrize("damage", DAMAGE)
def test_a_damaged_cache_file_is_one_actionable_line(helm_run, tmp_path: Path, damage: str) -> None:
    first = helm_run("-r", RUN, "-m", "5", "--suite", "a", "-o", "first")
    assert first.returncode == 0, first.stderr
    cache = tmp_path / CACHE
    assert not Path(f"{cache}-wal").exists()  # closed cleanly: everything is in the main file
    DAMAGE[damage](cache)
    before = snapshot(cache)

    r = helm_run("-r", RUN, "-m", "5", "--suite", "b", "-o", "second")
    assert r.returncode == 2, r.stderr
    assert "Traceback" not in r.stderr
    errors = [line for line in r.stderr.splitlines() if "error" in line.lower()]
    assert len(errors) == 1, r.stderr
    assert errors[0].startswith("helm-run: error: ")
    assert f"request cache {CACHE} cannot be used" in errors[0]
    assert "--disable-cache" in errors[0] and f"mv {CACHE} " in errors[0]
    assert not (tmp_path / "second" / "runs").exists()
    assert snapshot(cache) == before  # a damaged file is left for the user to inspect

    bypass = helm_run("-r", RUN, "-m", "5", "--suite", "b", "-o", "second", "--disable-cache")
    assert bypass.returncode == 0, bypass.stderr
    assert (tmp_path / "second" / "runs" / "b").is_dir()
    assert snapshot(cache) == before


def test_a_damaged_file_is_a_user_error_in_the_library_too(tmp_path: Path) -> None:
    path = tmp_path / "host.sqlite"
    not_sqlite(path)
    with pytest.raises(
        CacheDamagedError, match=f"request cache {path} cannot be used .file is not a database."
    ):
        SqliteCache(str(path))
