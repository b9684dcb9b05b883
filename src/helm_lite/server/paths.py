"""Path safety: every file the server opens is reached through `resolve_inside`.

It resolves symlinks and refuses any path that ends up outside the suite directory, so the HTTP layer
never touches a path it built itself. A segment starting with '.' (a run being written, a writer's
temporary file) is refused, so nothing hidden is ever listed or served.
"""

from __future__ import annotations

import os

from helm_lite.server.errors import ServeError


def check_segment(segment: str) -> str:
    """One path level from a URL: refuse empty, hidden ('.', '..', '.x': temporaries of a writer),
    separators and NUL before touching the disk."""
    if not segment or segment.startswith(".") or any(c in segment for c in "/\\\0"):
        raise ServeError(403, "refused path")
    return segment


def resolve_inside(root: str, *segments: str) -> str:
    """`root/segments…` with symlinks resolved; 403 unless the result is `root` itself or inside it."""
    for segment in segments:
        check_segment(segment)
    real_root = os.path.realpath(root)
    path = os.path.realpath(os.path.join(real_root, *segments))
    if path != real_root and not path.startswith(real_root + os.sep):
        raise ServeError(403, "refused path: it leads outside the suite directory")
    return path
