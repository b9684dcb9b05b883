"""Files that appear whole or not at all: written beside their target, then renamed over it.

`tempfile.mkstemp` creates its file readable by the owner only (0600); the rename would carry that
onto every output, so a results folder served to, or copied for, other users would be unreadable.
The file is given the mode a plain `open` would give it (0666 less the process's umask) first.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from typing import IO, Any


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


_FILE_MODE = 0o666 & ~_umask()  # read once, at import: os.umask can only be read by setting it


@contextlib.contextmanager
def atomic_open(path: str | os.PathLike[str], mode: str = "w") -> Iterator[IO[Any]]:
    """Open a temporary file for writing (``"w"`` text as UTF-8, or ``"wb"``); on a clean exit it
    replaces `path`, on any exception it is removed and `path` is left as it was."""
    target = os.fspath(path)
    directory = os.path.dirname(target) or "."
    os.makedirs(directory, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=directory, prefix=f".{os.path.basename(target)}.part-")
    try:
        os.fchmod(fd, _FILE_MODE)
        with os.fdopen(fd, mode, encoding=None if "b" in mode else "utf-8") as f:
            yield f
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise
