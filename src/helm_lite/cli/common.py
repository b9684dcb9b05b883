"""Shared CLI plumbing: one-line errors with exit status 2, logging set-up, flag value types."""

from __future__ import annotations

import argparse
import atexit
import contextlib
import logging
import os
import sys
from collections.abc import Callable
from typing import NoReturn

EXIT_USER_ERROR = 2


class ArgumentParser(argparse.ArgumentParser):
    """argparse prints usage plus the error; we print just one line naming the flag."""

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
        raise argparse.ArgumentTypeError(f"no such directory: {text!r}")
    return text


def path_component(text: str) -> str:
    """A name used as one directory level (e.g. a suite): no separators, not '.' or '..'."""
    if not text or "/" in text or "\\" in text or text in (".", ".."):
        raise argparse.ArgumentTypeError(f"must be a plain name without '/' (got {text!r})")
    return text


def setup_logging(verbose: bool = False) -> None:
    logging.basicConfig(
        level=logging.DEBUG if verbose else logging.INFO,
        format="%(asctime)s %(levelname)s %(message)s",
        datefmt="%H:%M:%S",
        stream=sys.stderr,
    )
    for noisy in ("urllib3", "filelock", "httpx", "httpx2", "httpcore"):
        logging.getLogger(noisy).setLevel(logging.WARNING)


def fail(prog: str, message: str) -> NoReturn:
    print(f"{prog}: error: {message}", file=sys.stderr)
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
