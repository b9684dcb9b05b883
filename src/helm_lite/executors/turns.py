"""Turns for runs in flight together: runs of one deployment send their requests in run order.

With several runs in flight, two runs may share requests (the calibrated and the original
multiple-choice runs do). Locally the later run finds them in the cache; if both asked at once, the
model would answer twice and the later run's `cached` flags would differ. So a run of a deployment
starts its request phase only when every earlier run of that deployment is past its own. Runs of
other deployments, and all adaptation and metrics, still overlap.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

from helm_lite.common.errors import RunFailedError


class RequestTurns:
    def __init__(self, runs: list[tuple[str, str]]) -> None:
        """`runs`: (run name, deployment name) of every run, in run order."""
        self._earlier: dict[str, list[str]] = {}
        seen: dict[str, list[str]] = {}
        for run, deployment in runs:
            names = seen.setdefault(deployment, [])
            self._earlier[run] = list(names)
            names.append(run)
        self._released: set[str] = set()
        self._aborted = False
        self._cond = threading.Condition()

    @contextmanager
    def turn(self, run: str) -> Iterator[None]:
        """Wait until every earlier run of the same deployment has released its turn; release after."""
        with self._cond:
            self._cond.wait_for(lambda: self._aborted or self._released.issuperset(self._earlier[run]))
            if self._aborted:
                raise RunFailedError("stopped before its requests were sent")
        try:
            yield
        finally:
            self.release(run)

    def release(self, run: str) -> None:
        """The run is past its request phase, or will never reach it (failed, skipped, dry run)."""
        with self._cond:
            self._released.add(run)
            self._cond.notify_all()

    def abort(self) -> None:
        """Let every waiting run go (and fail): the runs before them will not come."""
        with self._cond:
            self._aborted = True
            self._cond.notify_all()
