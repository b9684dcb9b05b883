"""Which suites `helm-summarize` and `helm-server` read: the ones named, or the newest one.

Both tools pick the same suite when `--suite` is omitted, and both answer a misspelt suite with
the list of suites that exist, so a newcomer never has to guess a folder name.
"""

from __future__ import annotations

import os
from collections.abc import Sequence

from helm_lite.common.errors import UserError


def list_suites(output_path: str) -> list[str]:
    """Suite folders under `<output_path>/runs/`, sorted by name ([] when there is none)."""
    runs_dir = os.path.join(output_path, "runs")
    try:
        return sorted(e.name for e in os.scandir(runs_dir) if e.is_dir())
    except OSError:
        return []


def suite_mtime(suite_dir: str) -> float:
    """When the suite last got a run: its newest run folder's mtime (runs are swapped into place
    whole, so that is when the run was written); the folder's own mtime when it holds no run yet.
    Summary folders written next to the runs (groups/, plots/) do not count."""
    newest = os.path.getmtime(suite_dir)
    runs = [
        e.stat().st_mtime
        for e in os.scandir(suite_dir)
        if e.is_dir() and os.path.isfile(os.path.join(e.path, "run_spec.json"))
    ]
    return max(runs) if runs else newest


def resolve_suites(output_path: str, requested: Sequence[str] | None) -> list[str]:
    """The requested suites, each checked to exist, or the suite with the newest run.

    Raises `UserError` naming the missing suite and the suites that exist.
    """
    runs_dir = os.path.join(output_path, "runs")
    found = list_suites(output_path)
    if not requested:
        if not found:
            raise UserError(f"No suites found in {runs_dir} (run helm-run first, or pass --output-path)")
        return [max(found, key=lambda name: suite_mtime(os.path.join(runs_dir, name)))]
    for suite in requested:
        if suite not in found:
            available = ", ".join(found) if found else "none"
            raise UserError(f"no suite {suite!r} in {runs_dir} (available: {available})")
    return list(dict.fromkeys(requested))
