"""Whether helm-summarize's files in a suite still describe its runs.

helm-summarize writes its tables once; runs added or rewritten later make them stale. The page shows
helm-summarize's own computation either way (it recomputes the leaderboard from the runs on each
request), and says when the files on disk are older than the newest run or absent, so a stale table
is never presented as current.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from typing import Any

SUMMARIZE_FILES = ("summary.json", "groups.json", "leaderboard.csv")
"""Files every helm-summarize run writes into the suite folder."""

CURRENT, STALE, ABSENT = "current", "stale", "absent"


def _mtime(path: str) -> float | None:
    try:
        return os.stat(path).st_mtime
    except OSError:
        return None


def newest_run_time(suite_dir: str, run_names: Iterable[str]) -> float | None:
    """When the newest run was written: its stats.json's modification time (helm-summarize writes
    display files into run folders, so the folder's own time would move with every summarize)."""
    times = [_mtime(os.path.join(suite_dir, name, "stats.json")) for name in run_names]
    present = [t for t in times if t is not None]
    return max(present) if present else None


def summarize_state(suite_dir: str, run_names: Iterable[str]) -> dict[str, Any]:
    """{state: current | stale | absent, written, newest_run} (times in seconds since the epoch).

    `written` is the oldest of helm-summarize's files present, so a partial rewrite still counts as
    stale; a summarize output with none of its files is `absent`."""
    times = [_mtime(os.path.join(suite_dir, name)) for name in SUMMARIZE_FILES]
    present = [t for t in times if t is not None]
    written = min(present) if present else None
    newest = newest_run_time(suite_dir, run_names)
    if written is None:
        state = ABSENT
    elif newest is not None and newest > written:
        state = STALE
    else:
        state = CURRENT
    return {"state": state, "written": written, "newest_run": newest}
