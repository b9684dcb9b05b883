"""Folders that appear whole or not at all: filled under a temporary name, then moved into place.

With a folder already at the target, Linux swaps the two in one step (`renameat2` with
`RENAME_EXCHANGE`), so the target always holds the old folder or the new one; the old one, now under
the temporary name, is removed. Where that call is missing or the file system refuses it (other
systems, NFS), the old folder is renamed aside (`.<name>.old-<pid>-<token>`) and the new one renamed
in: a crash between those two renames leaves the target missing and the old folder aside, and
`settle_aside` (called by the next writer) puts it back or removes it.
"""

from __future__ import annotations

import ctypes
import errno
import os
import sys
from collections.abc import Callable
from typing import Any

from helm_lite.common.temporaries import OLD, remove, temporary_name

_AT_FDCWD = -100
_RENAME_EXCHANGE = 2
_UNSUPPORTED = {errno.EINVAL, errno.ENOSYS, errno.EPERM, getattr(errno, "ENOTSUP", errno.EINVAL)}
_BUSY = {errno.EEXIST, errno.ENOTEMPTY}
_renameat2: Any = None  # the libc function once looked up; False where there is none


def _exchange_function() -> Any:
    global _renameat2
    if _renameat2 is None:
        _renameat2 = False
        if sys.platform.startswith("linux"):
            try:
                function = ctypes.CDLL(None, use_errno=True).renameat2  # glibc >= 2.28, musl >= 1.2.5
            except (AttributeError, OSError):
                return False
            function.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_uint]
            function.restype = ctypes.c_int
            _renameat2 = function
    return _renameat2


def exchange(a: str, b: str) -> bool:
    """Swap two existing paths in one step; False when this system or file system cannot."""
    function = _exchange_function()
    if not function:
        return False
    if function(_AT_FDCWD, os.fsencode(a), _AT_FDCWD, os.fsencode(b), _RENAME_EXCHANGE) == 0:
        return True
    code = ctypes.get_errno()
    if code in _UNSUPPORTED:
        return False
    if code == errno.ENOENT:
        return False  # the target went away: the caller renames instead
    raise OSError(code, os.strerror(code), b)


def replace_folder(new: str, target: str, swap: Callable[[str, str], bool] = exchange) -> None:
    """Move the folder `new` to `target`, replacing (and then removing) any folder already there.

    Another process replacing the same target at the same moment makes this retry; the last one wins.
    """
    asides: list[str] = []
    try:
        previous = _move_in(new, target, swap, asides)
    except BaseException:
        for aside in asides:  # never lose the only copy: put it back when the target is free
            settle_aside(aside, target, lambda _: True)
        raise
    for path in (*asides, *([previous] if previous else [])):
        remove(path)


def _move_in(new: str, target: str, swap: Callable[[str, str], bool], asides: list[str]) -> str | None:
    """Put `new` at `target`; return where the folder it replaced now is (None: there was none)."""
    for _ in range(100):
        try:
            os.rename(new, target)  # nothing there (or an empty folder): one step
            return None
        except OSError as e:
            if e.errno not in _BUSY:
                raise
        if swap(new, target):
            return new  # `new` now names the previous folder
        aside = os.path.join(os.path.dirname(target), temporary_name(os.path.basename(target), OLD))
        try:
            os.rename(target, aside)
        except FileNotFoundError:
            continue
        asides.append(aside)
        try:
            os.rename(new, target)
            return None
        except OSError as e:
            if e.errno not in _BUSY:
                raise
    raise OSError(errno.EBUSY, "another process keeps replacing this folder", target)


def settle_aside(aside: str, target: str, whole: Callable[[str], bool]) -> None:
    """A folder set aside by a writer that is gone: back to `target` if that is free and the folder is
    `whole`, else removed (the target holds the newer folder, or this one was half removed)."""
    if not os.path.lexists(target) and whole(aside):
        try:
            os.rename(aside, target)
            return
        except OSError as e:
            if e.errno not in _BUSY:
                raise
    remove(aside)
