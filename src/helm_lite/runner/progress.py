"""Progress bars: one per run, or one shared bar while several runs are in flight (its total grows
as each run adds its requests). tqdm is imported when the first bar opens.

Bars count requests, never batches: the engine advances a bar by the number of requests each
finished batch answered. The rate (and so the ETA) is measured from the first answer on: a local
engine spends its first seconds loading the model, and counting them as answering time would
predict minutes for a run that then takes seconds. The elapsed time shown is the real one.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any


class _Counter:
    """Advances a tqdm bar; the rate is measured from the first advance on (see the module docstring)."""

    def __init__(self, bar: Any, lock: threading.Lock) -> None:
        self.bar = bar
        self.lock = lock
        self.started = False

    def __call__(self, n: int) -> None:
        with self.lock:
            bar = self.bar
            if self.started:
                bar.update(n)
                return
            self.started = True
            # The first answers took set-up time as well as answering time: count them without
            # letting them into the rate (the elapsed time shown stays the real one).
            bar.n += n
            bar.initial = bar.last_print_n = bar.n
            bar.last_print_t = time.time()
            bar.refresh()


class ProgressBars:
    def __init__(self, show: bool) -> None:
        self.show = show
        self._shared: Any = None
        self._shared_counter: _Counter | None = None
        self._lock = threading.Lock()

    @contextmanager
    def shared(self) -> Iterator[None]:
        """Within this block, every run counts on one bar, "all runs"."""
        from tqdm import tqdm

        self._shared = tqdm(total=0, desc="all runs", unit="req", disable=not self.show, mininterval=0.5)
        self._shared_counter = _Counter(self._shared, self._lock)
        try:
            yield
        finally:
            self._shared.close()
            self._shared = None
            self._shared_counter = None

    @contextmanager
    def for_run(self, run_name: str, total: int) -> Iterator[Callable[[int], object]]:
        """An update function counting a run's `total` requests as they are answered."""
        if self._shared is None or self._shared_counter is None:
            from tqdm import tqdm

            with tqdm(total=total, desc=run_name, unit="req", disable=not self.show, mininterval=0.5) as bar:
                yield _Counter(bar, threading.Lock())
            return
        shared = self._shared
        with self._lock:
            shared.total += total
            shared.refresh()
        yield self._shared_counter
