"""Memoise a reader of a file by the file's identity, so that the data check and the scenario (and a
download's published-size check) parse a scenario file once, not two or three times.

`memoised_by_file(maxsize)` caches ``fn(path, *args)`` by (absolute path, ``st_mtime_ns``,
``st_size``, ``st_ino``, args): a file rewritten or replaced (new mtime, size or inode) is read again,
and a call that raises caches nothing. The cached value is returned to every caller as is, so it
must not be mutated: return tuples (or other immutable values), or copy before changing anything.
"""

from __future__ import annotations

import functools
import os
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from pathlib import Path
from typing import Any, Concatenate, Generic, ParamSpec, TypeVar

P = ParamSpec("P")
T = TypeVar("T")


class FileMemo(Generic[P, T]):
    """`fn` memoised by file identity (see the module); `cache_clear()` forgets everything."""

    def __init__(self, fn: Callable[Concatenate[Path, P], T], maxsize: int) -> None:
        if maxsize < 1:
            raise ValueError(f"maxsize must be at least 1, not {maxsize}")
        self._fn = fn
        self._maxsize = maxsize
        self._values: OrderedDict[Hashable, T] = OrderedDict()
        self._lock = threading.Lock()
        functools.update_wrapper(self, fn)

    def __call__(self, path: Path, *args: P.args, **kwargs: P.kwargs) -> T:
        stat = os.stat(path)  # before the read: a file changed meanwhile is read again next time
        key: tuple[Any, ...] = (
            os.path.abspath(path),
            stat.st_mtime_ns,
            stat.st_size,
            stat.st_ino,  # a file replaced by a rename within one clock tick, same size, is new too
            args,
            tuple(sorted(kwargs.items())),
        )
        with self._lock:
            if key in self._values:
                self._values.move_to_end(key)
                return self._values[key]
        value = self._fn(path, *args, **kwargs)  # an exception propagates and is not cached
        with self._lock:
            self._values[key] = value
            self._values.move_to_end(key)
            while len(self._values) > self._maxsize:
                self._values.popitem(last=False)
        return value

    def cache_clear(self) -> None:
        with self._lock:
            self._values.clear()


def memoised_by_file(
    maxsize: int,
) -> Callable[[Callable[Concatenate[Path, P], T]], FileMemo[P, T]]:
    """Decorator: memoise ``fn(path, *hashable_args)`` by file identity, keeping the `maxsize`
    most recently used values. Callers must not mutate what it returns."""

    def decorate(fn: Callable[Concatenate[Path, P], T]) -> FileMemo[P, T]:
        return FileMemo(fn, maxsize)

    return decorate
