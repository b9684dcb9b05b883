"""Progress bars: one per run, or one shared bar while several runs are in flight (its total grows
as each run adds its requests). tqdm is imported when the first bar opens."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any


class ProgressBars:
    def __init__(self, show: bool) -> None:
        self.show = show
        self._shared: Any = None
        self._lock = threading.Lock()

    @contextmanager
    def shared(self) -> Iterator[None]:
        """Within this block, every run counts on one bar, "all runs"."""
        from tqdm import tqdm

        self._shared = tqdm(total=0, desc="all runs", unit="req", disable=not self.show, mininterval=0.5)
        try:
            yield
        finally:
            self._shared.close()
            self._shared = None

    @contextmanager
    def for_run(self, run_name: str, total: int) -> Iterator[Callable[[int], object]]:
        """An update function counting a run's `total` requests as they are answered."""
        if self._shared is None:
            from tqdm import tqdm

            with tqdm(total=total, desc=run_name, unit="req", disable=not self.show, mininterval=0.5) as bar:
                yield bar.update
            return
        shared = self._shared
        with self._lock:
            shared.total += total
            shared.refresh()

        def update(n: int) -> None:
            with self._lock:
                shared.update(n)

        yield update
