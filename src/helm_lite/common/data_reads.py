"""Which scenario data files a run read, and their sha256, for the run's recipe (run_info.json).

`DataSource.file` notes every file it hands out; the runner wraps a scenario's `get_instances` in
`recording()` to collect what that run read (per thread, so nothing leaks between runs). A file is
hashed once per process while its size and modification time are unchanged.
"""

from __future__ import annotations

import hashlib
import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

_local = threading.local()
_hashes: dict[tuple[str, int, int], str] = {}
_lock = threading.Lock()


def note(relative: str, path: Path) -> Path:
    """Record that `path` (known to scenarios as `relative`) was read; returns `path`."""
    recordings: list[dict[str, Path]] | None = getattr(_local, "recordings", None)
    for recorded in recordings or ():
        recorded[relative] = path
    return path


@contextmanager
def recording() -> Iterator[dict[str, Path]]:
    """Collect, into the yielded dict (relative name → path), the data files read in this block."""
    recorded: dict[str, Path] = {}
    stack: list[dict[str, Path]] = getattr(_local, "recordings", None) or []
    _local.recordings = [*stack, recorded]
    try:
        yield recorded
    finally:
        _local.recordings = stack


def sha256_of(path: str | Path) -> str:
    """The file's sha256, computed once per process while its size and modification time hold."""
    st = os.stat(path)
    key = (os.path.realpath(path), st.st_size, st.st_mtime_ns)
    with _lock:
        known = _hashes.get(key)
    if known is not None:
        return known
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(1 << 22):
            digest.update(chunk)
    with _lock:
        _hashes[key] = digest.hexdigest()
    return _hashes[key]


def hashes(files: dict[str, Path]) -> dict[str, str]:
    """Relative name → sha256 (sorted); a file that vanished since is recorded as ``missing``."""
    out = {}
    for relative in sorted(files):
        try:
            out[relative] = sha256_of(files[relative])
        except OSError:
            out[relative] = "missing"
    return out
