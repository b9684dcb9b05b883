"""`helm-summarize --compare A B`: print a head-to-head of two models instead of writing a summary."""

from __future__ import annotations

import argparse


def add_compare_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--compare",
        nargs=2,
        metavar=("A", "B"),
        default=None,
        help="print, per scenario group, the instances where A is right and B wrong and the reverse, "
        "with the paired difference A - B and its 95%% bootstrap interval (writes nothing)",
    )


def run_compare(args: argparse.Namespace, suites: tuple[str, ...]) -> str:
    """The head-to-head text for `args.compare` on the single suite in `suites`; `UserError` on bad
    input."""
    from helm_lite.common.errors import UserError
    from helm_lite.presentation.compare import format_head_to_head, head_to_head, suite_view

    if len(suites) != 1 or args.release is not None:
        raise UserError("--compare: give one --suite")
    view = suite_view(args.output_path, suites[0], args.schema_path, args.local_path)
    a, b = args.compare
    return format_head_to_head(head_to_head(view, a, b))
