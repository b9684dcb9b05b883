"""Reading run files for the web view: an mtime-keyed cache and tolerant parsing.

Parsed files are cached under (path, mtime, size): a run that is rewritten is re-read, an unchanged one
is parsed once, however many pages of its instances are requested. A missing or damaged file becomes a
`ServeError` with a readable message, never an exception that reaches the client. Files may have any
shape (HELM's, an older helm_lite's, a damaged one), so fields are looked up with `get`, which answers
None for anything missing.
"""

from __future__ import annotations

import json
import os
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Any, TypeVar

from helm_lite.server.errors import ServeError

T = TypeVar("T")


class LruCache:
    """A small thread-safe LRU; concurrent requests for the same key build it once."""

    def __init__(self, max_entries: int) -> None:
        self._max = max_entries
        self._data: OrderedDict[Hashable, Any] = OrderedDict()
        self._lock = threading.Lock()
        self._building: dict[Hashable, threading.Lock] = {}

    def get(self, key: Hashable, build: Callable[[], T]) -> T:
        with self._lock:
            if key in self._data:
                self._data.move_to_end(key)
                hit: T = self._data[key]  # a key's builder always returns the same type
                return hit
            key_lock = self._building.setdefault(key, threading.Lock())
        with key_lock:
            with self._lock:
                if key in self._data:
                    built: T = self._data[key]
                    return built
            try:
                value = build()  # errors are not cached: a half-written file may be complete next time
            finally:
                with self._lock:
                    self._building.pop(key, None)
            with self._lock:
                self._data[key] = value
                while len(self._data) > self._max:
                    self._data.popitem(last=False)
            return value


def file_key(path: str) -> tuple[str, int, int] | None:
    try:
        st = os.stat(path)
    except (FileNotFoundError, NotADirectoryError):
        return None
    return (path, st.st_mtime_ns, st.st_size)


def read_json(path: str, label: str) -> Any:
    try:
        with open(path, encoding="utf-8") as f:
            return json.load(f)
    except FileNotFoundError:
        raise ServeError(404, f"{label} is missing: the run is incomplete or still being written") from None
    except json.JSONDecodeError as e:
        raise ServeError(
            422, f"{label} is not valid JSON (half-written or damaged?): {e.msg} at line {e.lineno}"
        ) from None
    except (UnicodeDecodeError, IsADirectoryError) as e:
        raise ServeError(422, f"{label} cannot be read: {e}") from None


def get(obj: Any, *keys: str) -> Any:
    """obj[k1][k2]… or None when any level is missing or not an object (files may have any shape)."""
    for key in keys:
        if not isinstance(obj, dict):
            return None
        obj = obj.get(key)
    return obj


def number(x: Any) -> float | None:
    return float(x) if isinstance(x, (int, float)) and not isinstance(x, bool) else None


def flat_stat(stat: Any) -> dict[str, Any] | None:
    """A HELM `Stat` as one flat row: name, split, sub_split, perturbation name, count and moments."""
    name = get(stat, "name")
    if not isinstance(name, dict) or not isinstance(name.get("name"), str):
        return None
    count = stat.get("count")
    perturbation = name.get("perturbation")
    return {
        "name": name["name"],
        "split": name.get("split"),
        "sub_split": name.get("sub_split"),
        "perturbation": get(perturbation, "name") if isinstance(perturbation, dict) else None,
        "count": count,
        "mean": number(stat.get("mean")) if count else None,
        "min": number(stat.get("min")),
        "max": number(stat.get("max")),
        "sum": number(stat.get("sum")),
        "stddev": number(stat.get("stddev")),
    }


def flat_stats(raw: Any) -> list[dict[str, Any]]:
    """stats.json as flat rows (entries that are not stats are left out)."""
    if not isinstance(raw, list):
        return []
    return [s for s in (flat_stat(x) for x in raw) if s is not None]
