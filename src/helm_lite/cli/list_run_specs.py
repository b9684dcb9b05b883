"""`helm-run --list-run-specs`: every run-spec function by name, with the arguments it takes.

Answered before the rest of the command line is checked, so it needs no `-m` or run entries; plug-ins
named with `--plugins` are imported first, so their run specs are listed too.
"""

from __future__ import annotations

import argparse
import sys

FLAG = "--list-run-specs"


def add_list_run_specs_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        FLAG,
        action="store_true",
        help="print every run-spec function with the arguments it takes, one per line, and exit",
    )


def wants_list(argv: list[str]) -> bool:
    return FLAG in argv


def list_run_specs(argv: list[str]) -> int:
    """Print the sorted signatures; `--plugins` in `argv` are imported first, other flags ignored."""
    from helm_lite.common.plugins import load_plugins
    from helm_lite.run_specs.registry import all_run_spec_names, run_spec_signature

    parser = argparse.ArgumentParser(add_help=False)
    parser.add_argument("--plugins", nargs="+", default=[])
    known, _ = parser.parse_known_args(argv)
    load_plugins(known.plugins)
    lines = [run_spec_signature(name) for name in all_run_spec_names()]
    sys.stdout.write("".join(line + "\n" for line in lines))
    return 0
