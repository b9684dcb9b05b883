"""Temporaries named after the process writing them, so a later writer can tell leftovers from work.

A file or folder built beside its final name is called `.<name>.<kind>-<pid>-<token>`: `part` (a file
being written), `tmp` (a folder being filled), `old` (a previous folder set aside while its
replacement moves in). The leading dot keeps it out of every listing of runs and out of helm-server.
A process killed mid-write leaves its temporaries behind, and the next writer to the folder removes
those whose process no longer exists (`os.kill(pid, 0)` raises `ProcessLookupError`). A live writer's
temporaries are never touched; a reused pid can only keep a leftover longer, never remove live work.
Pid-less `.part-` files from older versions are removed once they have not changed for a day.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
import shutil
import time
from collections.abc import Iterator
from dataclasses import dataclass

PART, TMP, OLD = "part", "tmp", "old"
LEGACY_MAX_AGE_S = 24 * 3600

_NAME_MAX = 255  # bytes in one path component on Linux, macOS and Windows file systems
_SUFFIX_ROOM = 32  # ".", ".kind-", a pid of up to 10 digits, "-", a token of 8 characters, spare
_PATTERN = re.compile(
    r"\.(?P<stem>.+)\.(?P<kind>part|tmp|old)-(?P<pid>[0-9]{1,10})-(?P<token>[a-z0-9_]{8})", re.S
)
_LEGACY_PART = re.compile(r"\..+\.part-[a-z0-9_]{8}", re.S)


@dataclass(frozen=True)
class Temporary:
    path: str
    stem: str  # the final name, or its shortened form (see `stem`)
    kind: str
    pid: int  # 0 for a pid-less temporary of an older version


def stem(name: str) -> str:
    """`name`, or for a name too long to carry the suffix, its start plus a digest of the whole."""
    raw = name.encode()
    budget = _NAME_MAX - _SUFFIX_ROOM
    if len(raw) <= budget:
        return name
    return raw[: budget - 13].decode(errors="ignore") + "~" + hashlib.sha256(raw).hexdigest()[:12]


def prefix(name: str, kind: str) -> str:
    """The name of a temporary for `name` up to its random token (what `tempfile.mkstemp` takes)."""
    return f".{stem(name)}.{kind}-{os.getpid()}-"


def temporary_name(name: str, kind: str) -> str:
    return prefix(name, kind) + os.urandom(4).hex()


def writer_alive(pid: int) -> bool:
    """False only when no process `pid` exists; anything uncertain counts as alive."""
    if os.name == "nt":  # os.kill(pid, 0) sends CTRL_C_EVENT there; it is no probe
        return True
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (OSError, OverflowError):  # PermissionError: it exists, under another user
        return True
    return True


def leftovers(directory: str) -> Iterator[Temporary]:
    """Temporaries in `directory` whose writer is gone (nothing for a missing directory)."""
    try:
        entries = list(os.scandir(directory))
    except (FileNotFoundError, NotADirectoryError):
        return
    now = time.time()
    for entry in entries:
        if not entry.name.startswith("."):
            continue
        match = _PATTERN.fullmatch(entry.name)
        if match is not None:
            pid = int(match["pid"])
            if not writer_alive(pid):
                yield Temporary(entry.path, match["stem"], match["kind"], pid)
        elif _LEGACY_PART.fullmatch(entry.name):
            with contextlib.suppress(OSError):
                if now - entry.stat(follow_symlinks=False).st_mtime > LEGACY_MAX_AGE_S:
                    yield Temporary(entry.path, entry.name[1:].rsplit(".part-", 1)[0], PART, 0)


def remove(path: str) -> None:
    """Remove a file or a whole folder (a symlink itself, never what it points to); gone is fine."""
    if os.path.isdir(path) and not os.path.islink(path):
        shutil.rmtree(path, ignore_errors=True)
    else:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(path)


def remove_leftovers(directory: str) -> list[Temporary]:
    """Remove the dead writers' `part` and `tmp` temporaries in `directory`; return its `old` ones.

    A folder set aside (`old`) may be the only copy of its contents, so only the code that sets
    folders aside decides what becomes of it.
    """
    kept = []
    for temporary in leftovers(directory):
        if temporary.kind == OLD:
            kept.append(temporary)
        else:
            remove(temporary.path)
    return kept
