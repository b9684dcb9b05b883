"""Files that appear whole or not at all: written beside their target, then renamed over it.

The temporary is `.<name>.part-<pid>-<token>` (see `temporaries`): hidden from listings, and
recognisable as a leftover once its writer is gone. The first write into a folder by a process
removes the leftovers of dead writers there, so an interrupted write costs nothing lasting.

`tempfile.mkstemp` creates its file readable by the owner only (0600); the rename would carry that
onto every output, so a results folder served to, or copied for, other users would be unreadable.
The file is given the mode a plain `open` would give it (0666 less the process's umask) first.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
import threading
from collections.abc import Iterator
from typing import IO, Any

from helm_lite.common.temporaries import PART, prefix, remove_leftovers


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


_FILE_MODE = 0o666 & ~_umask()  # read once, at import: os.umask can only be read by setting it
_swept: set[str] = set()  # folders this process has already cleared of leftovers
_swept_lock = threading.Lock()


def _sweep_once(directory: str) -> None:
    key = os.path.abspath(directory)
    with _swept_lock:
        if key in _swept:
            return
        _swept.add(key)
    remove_leftovers(directory)


@contextlib.contextmanager
def atomic_open(path: str | os.PathLike[str], mode: str = "w") -> Iterator[IO[Any]]:
    """Open a temporary file for writing (``"w"`` text as UTF-8, or ``"wb"``); on a clean exit it
    replaces `path`, on any exception it is removed and `path` is left as it was."""
    target = os.fspath(path)
    directory = os.path.dirname(target) or "."
    os.makedirs(directory, exist_ok=True)
    _sweep_once(directory)
    fd, tmp = tempfile.mkstemp(dir=directory, prefix=prefix(os.path.basename(target), PART))
    try:
        os.fchmod(fd, _FILE_MODE)
        with os.fdopen(fd, mode, encoding=None if "b" in mode else "utf-8") as f:
            yield f
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise
