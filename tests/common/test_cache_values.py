"""Cache values are data, never code: a planted or garbled value is a miss, recomputed and overwritten.

Values are planted with real SQLite writes into a cache that a real helm-run filled, and helm-run (a
real subprocess) reads them back.
"""

from __future__ import annotations

import os
import pickle
import sqlite3
from pathlib import Path

import pytest

from helm_lite.common.safe_pickle import UnsafePickleError, loads_plain

RUN = "synthetic_reasoning:mode=pattern_match,model=simple/model1"
CACHE = "prod_env/cache/simple.sqlite"


class Planted:
    """Unpickling this calls `os.system(command)`."""

    def __init__(self, command: str) -> None:
        self.command = command

    def __reduce__(self) -> tuple[object, tuple[str]]:
        return os.system, (self.command,)


PLAIN = {
    "completions": [{"text": "é ok", "logprob": -0.5, "tokens": [{"text": "é", "logprob": -1.0}]}],
    "finish_reason": None,
    "cached": True,
    "pair": (1, 2.5),
    "raw": b"\x00\xff",
    "big": 2**80,
    "labels": {"a", "b"},
    "frozen": frozenset({3}),
    "buffer": bytearray(b"xy"),
}


@pytest.mark.parametrize("protocol", range(pickle.HIGHEST_PROTOCOL + 1))
def test_plain_data_loads_as_pickle_loads_it(protocol: int) -> None:
    assert loads_plain(pickle.dumps(PLAIN, protocol=protocol)) == PLAIN


@pytest.mark.parametrize("protocol", range(pickle.HIGHEST_PROTOCOL + 1))
def test_a_value_naming_a_callable_is_refused_before_it_runs(tmp_path: Path, protocol: int) -> None:
    marker = tmp_path / "ran"
    blob = pickle.dumps({"completions": [Planted(f"touch {marker}")]}, protocol=protocol)
    with pytest.raises(UnsafePickleError, match=r"system"):
        loads_plain(blob)
    assert not marker.exists()


def test_the_planted_value_really_runs_code_under_plain_pickle(tmp_path: Path) -> None:
    """The value the other tests plant is live: `pickle.loads` would have run it."""
    marker = tmp_path / "ran"
    pickle.loads(pickle.dumps(Planted(f"touch {marker}")))
    assert marker.exists()


def test_classes_are_refused() -> None:
    with pytest.raises(UnsafePickleError, match="pathlib"):
        loads_plain(pickle.dumps({"p": Path("x")}))


def rows(path: Path) -> dict[str, bytes]:
    with sqlite3.connect(path) as conn:
        return dict(conn.execute("SELECT key, value FROM unnamed"))


def plant(path: Path, values: dict[str, object]) -> None:
    conn = sqlite3.connect(path)
    with conn:
        conn.executemany("UPDATE unnamed SET value = ? WHERE key = ?", [(v, k) for k, v in values.items()])
    conn.close()


def damaged_lines(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if "damaged" in line]


def test_helm_run_never_runs_a_planted_value_and_overwrites_it(helm_run, tmp_path: Path) -> None:
    first = helm_run("-r", RUN, "-m", "4", "--suite", "a")
    assert first.returncode == 0, first.stderr
    cache = tmp_path / CACHE
    good = rows(cache)
    victim = sorted(good)[0]
    marker = tmp_path / "ran"
    plant(cache, {victim: pickle.dumps(Planted(f"touch {marker}"))})

    second = helm_run("-r", RUN, "-m", "4", "--suite", "b")
    assert second.returncode == 0, second.stderr
    assert not marker.exists()
    assert [line.split(" ", 1)[1] for line in damaged_lines(second.stderr)] == [
        f"WARNING 1 damaged entries in {CACHE} were recomputed"
    ]
    assert f"{CACHE}: {len(good)} queries, 1 computes" in second.stderr
    restored = loads_plain(rows(cache)[victim])
    assert restored["completions"] == pickle.loads(good[victim])["completions"]

    third = helm_run("-r", RUN, "-m", "4", "--suite", "c")
    assert third.returncode == 0, third.stderr
    assert damaged_lines(third.stderr) == []
    assert f"{CACHE}: {len(good)} queries, 0 computes" in third.stderr


def test_helm_run_recomputes_every_kind_of_damaged_row_with_one_warning(helm_run, tmp_path: Path) -> None:
    first = helm_run("-r", RUN, "-m", "6", "--suite", "a")
    assert first.returncode == 0, first.stderr
    cache = tmp_path / CACHE
    good = rows(cache)
    keys = sorted(good)
    assert len(keys) >= 5
    some = good[keys[0]]
    plant(
        cache,
        {
            keys[0]: some[: len(some) // 2],  # truncated pickle
            keys[1]: b"\x80\x05\x95garbage that is no pickle",  # garbled bytes
            keys[2]: pickle.dumps(["a list, not a dict"]),  # not a dict
            keys[3]: "text instead of bytes",  # wrong SQLite type
            keys[4]: pickle.dumps({"completions": [Planted(f"touch {tmp_path / 'ran'}")]}),  # code
        },
    )

    second = helm_run("-r", RUN, "-m", "6", "--suite", "b")
    assert second.returncode == 0, second.stderr
    assert not (tmp_path / "ran").exists()
    assert len(damaged_lines(second.stderr)) == 1
    assert damaged_lines(second.stderr)[0].endswith(f"5 damaged entries in {CACHE} were recomputed")
    assert f"{CACHE}: {len(keys)} queries, 5 computes" in second.stderr
    after = rows(cache)
    for key in keys:
        assert loads_plain(after[key])["completions"] == pickle.loads(good[key])["completions"]
