"""Turns for runs in flight together, so that they ask for a shared request once, as in order.

Two runs may share requests (the calibrated and the original multiple-choice runs do). Run one after
the other, the later run finds the shared answers in the cache (`cached: true`); in flight together,
both would miss, and the model would answer twice. So a run starts its request phase only once every
earlier run that uses the same cache either has sent its requests and got its answers, or is known to
share none of this run's requests. Runs that share nothing overlap freely.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager

from helm_lite.common.errors import RunFailedError


class RequestTurns:
    def __init__(self, runs: list[tuple[str, str]]) -> None:
        """`runs`: (run name, cache name) of every run, in run order."""
        self._earlier: dict[str, list[str]] = {}
        seen: dict[str, list[str]] = {}
        for run, cache in runs:
            names = seen.setdefault(cache, [])
            self._earlier[run] = list(names)
            names.append(run)
        self._keys: dict[str, frozenset[str]] = {}
        self._released: set[str] = set()
        self._aborted = False
        self._cond = threading.Condition()

    @contextmanager
    def turn(self, run: str, keys: Iterable[str]) -> Iterator[None]:
        """Wait until no earlier run may still compute one of `keys` (cache keys); release after."""
        with self._cond:
            self._keys[run] = frozenset(keys)
            self._cond.notify_all()  # later runs waiting to learn this run's keys
            self._cond.wait_for(lambda: self._aborted or all(self._clear(run, e) for e in self._earlier[run]))
            if self._aborted:
                raise RunFailedError("stopped before its requests were sent")
        try:
            yield
        finally:
            self.release(run)

    def _clear(self, run: str, earlier: str) -> bool:
        if earlier in self._released:
            return True
        keys = self._keys.get(earlier)
        return keys is not None and keys.isdisjoint(self._keys[run])

    def release(self, run: str) -> None:
        """The run has its answers, or will never ask (failed, skipped, dry run)."""
        with self._cond:
            self._released.add(run)
            self._cond.notify_all()

    def abort(self) -> None:
        """Let every waiting run go (and fail): the runs before them will not come."""
        with self._cond:
            self._aborted = True
            self._cond.notify_all()
