"""Shared CLI plumbing: one-line errors with exit status 2, logging set-up, flag value types."""

from __future__ import annotations

import argparse
import atexit
import contextlib
import logging
import os
import sys
from collections.abc import Callable
from typing import Any, NoReturn

EXIT_USER_ERROR = 2


class ArgumentParser(argparse.ArgumentParser):
    """argparse prints usage plus the error; we print just one line naming the flag.

    `--help` shows each flag's default (see `help_format.DefaultsHelpFormatter`)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        from helm_lite.cli.help_format import DefaultsHelpFormatter

        kwargs.setdefault("formatter_class", DefaultsHelpFormatter)
        super().__init__(*args, **kwargs)

    def error(self, message: str) -> NoReturn:
        print(f"{self.prog}: error: {message}", file=sys.stderr)
        raise SystemExit(EXIT_USER_ERROR)


def positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}")
    return value


def existing_dir(text: str) -> str:
    if not os.path.isdir(text):
        what = "not a directory" if os.path.lexists(text) else "no such directory"
        raise argparse.ArgumentTypeError(f"{what}: {text!r}")
    return text


MAX_NAME_BYTES = 255  # the longest file name Linux, macOS and Windows file systems accept


def path_component(text: str) -> str:
    """A name used as one directory level (e.g. a suite): no separators, not '.' or '..'."""
    if not text or "/" in text or "\\" in text or text in (".", ".."):
        raise argparse.ArgumentTypeError(f"must be a plain name without '/' (got {text!r})")
    if any(ch < " " or ch == "\x7f" for ch in text):
        raise argparse.ArgumentTypeError(f"must not contain control characters (got {text!r})")
    size = len(text.encode("utf-8", "surrogateescape"))
    if size > MAX_NAME_BYTES:
        raise argparse.ArgumentTypeError(
            f"must be at most {MAX_NAME_BYTES} bytes long, like any file name (got {size})"
        )
    return text


def check_writable_dir(path: str, flag: str, value: str | None = None) -> None:
    """Stop with a `UserError` naming `flag` unless `path` is, or can be created as, a writable folder.

    Checked before any work starts, so a typo never costs a run's model answers. The nearest
    existing folder is probed by creating and removing a temporary folder in it: permission bits
    say nothing about read-only mounts or pseudo file systems such as /proc. `value` is what the
    user typed for `flag` when `path` is a folder derived from it.
    """
    import tempfile

    from helm_lite.common.errors import UserError

    culprit = f"{flag} {path if value is None else value!r}"
    if not path:
        raise UserError(f"{flag}: must not be empty")
    if "\0" in path:
        raise UserError(f"{culprit}: contains a NUL character")
    if any(len(part.encode("utf-8", "surrogateescape")) > MAX_NAME_BYTES for part in path.split(os.sep)):
        raise UserError(f"{culprit}: a folder name in it is longer than {MAX_NAME_BYTES} bytes")
    existing = path
    while not os.path.isdir(existing):
        if os.path.lexists(existing):
            raise UserError(f"{culprit}: {existing!r} is not a directory")
        parent = os.path.dirname(os.path.normpath(existing)) or "."
        if parent == existing:
            raise UserError(f"{culprit}: no existing folder to create {path!r} in")
        existing = parent
    try:
        os.rmdir(tempfile.mkdtemp(prefix=".helm-lite-probe-", dir=existing))
    except OSError as e:
        reason = e.strerror or type(e).__name__
        raise UserError(f"{culprit}: cannot create folders in {existing!r} ({reason})") from None


def setup_logging(verbose: bool = False) -> None:
    logging.basicConfig(
        level=logging.DEBUG if verbose else logging.INFO,
        format="%(asctime)s %(levelname)s %(message)s",
        datefmt="%H:%M:%S",
        stream=sys.stderr,
    )
    for noisy in ("urllib3", "filelock", "httpx", "httpx2", "httpcore"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    from helm_lite.common import secrets

    secrets.install()  # no log line or traceback carries a known key


def fail(prog: str, message: str) -> NoReturn:
    from helm_lite.common.secrets import redact

    print(f"{prog}: error: {redact(message)}", file=sys.stderr)
    raise SystemExit(EXIT_USER_ERROR)


def run_and_exit_fast(main: Callable[[], int | None]) -> NoReturn:
    """Run a console script's `main` and end the process without tearing the interpreter down.

    With torch and transformers loaded, Python's own shutdown spends ~0.9 s destroying modules and
    objects whose memory the OS takes back anyway (0.3 s for torch alone). By the time `main` returns
    every output file and cache is closed; registered atexit handlers still run, logging and the
    standard streams are flushed, then the process exits with `main`'s status.
    """
    try:
        status = main()
    except SystemExit as e:
        status = e.code if isinstance(e.code, int) or e.code is None else _print_exit_message(e.code)
    atexit._run_exitfuncs()
    logging.shutdown()
    for stream in (sys.stdout, sys.stderr):
        # A closed stream or broken pipe: nothing more can be written anyway.
        with contextlib.suppress(OSError, ValueError):
            stream.flush()
    os._exit(status or 0)


def _print_exit_message(message: object) -> int:
    print(message, file=sys.stderr)
    return 1
