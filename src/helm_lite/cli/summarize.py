"""`helm-summarize`: turn a suite's runs into HELM's summary files, a leaderboard and plots."""

from __future__ import annotations

import argparse
import sys

from helm_lite.cli.common import (
    ArgumentParser,
    check_writable_dir,
    fail,
    path_component,
    positive_int,
    run_and_exit_fast,
    setup_logging,
)
from helm_lite.cli.helm_flags import add_helm_summarize_flags, apply_helm_flags
from helm_lite.cli.summarize_compare import add_compare_arguments, run_compare

PROG = "helm-summarize"


def build_parser() -> argparse.ArgumentParser:
    from helm_lite.cli.help_format import examples
    from helm_lite.presentation.schema import DEFAULT_SCHEMA_PATH

    p = ArgumentParser(
        prog=PROG,
        description="Summarize a suite's runs: HELM's group tables, a leaderboard (mean win rate) and plots.",
        epilog=examples(
            "helm-summarize                      # the suite with the newest run",
            "helm-summarize --suite demo",
            "helm-summarize --suites a b --release r1",
        ),
    )
    which = p.add_mutually_exclusive_group()
    which.add_argument(
        "--suite",
        type=path_component,
        default=None,
        help="suite to summarize (default: the suite with the newest run)",
    )
    which.add_argument(
        "--suites",
        type=path_component,
        nargs="+",
        default=None,
        metavar="SUITE",
        help="several suites, each summarized into its own folder (or together with --release)",
    )
    p.add_argument(
        "--release",
        type=path_component,
        default=None,
        help="summarize --suites together into <output-path>/releases/RELEASE/",
    )
    p.add_argument("-o", "--output-path", default="benchmark_output", help="root output directory")
    p.add_argument(
        "--schema-path",
        default=DEFAULT_SCHEMA_PATH,
        metavar="PATH",
        help="presentation schema YAML (default: the packaged schema_lite.yaml)",
    )
    p.add_argument("--local-path", default="prod_env", help="your registries (model display names)")
    p.add_argument(
        "--skip-completed-run-display-json",
        action="store_true",
        help="keep existing per-run display files instead of rewriting them",
    )
    p.add_argument("--no-display-files", action="store_true", help="do not write per-run display files")
    p.add_argument("--no-plots", action="store_true", help="do not draw PNG plots")
    p.add_argument(
        "-n",
        "--num-threads",
        type=positive_int,
        default=4,
        help="workers writing the per-run display files (processes on Linux, at most one per core)",
    )
    p.add_argument("-v", "--verbose", action="store_true", help="debug logging")
    add_helm_summarize_flags(p)
    add_compare_arguments(p)
    return p


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    apply_helm_flags(PROG, args)
    if args.release is not None and not args.suites:
        fail(PROG, "--release needs --suites")
    requested = args.suites or ([args.suite] if args.suite else None)
    if requested and len(set(requested)) != len(requested):
        fail(PROG, "--suites: a suite is named twice")
    setup_logging(args.verbose)

    import os

    from helm_lite.cli.suites import resolve_suites
    from helm_lite.common.errors import UserError
    from helm_lite.presentation.summarize import SummarizeConfig, summarize

    if os.path.lexists(args.local_path) and not os.path.isdir(args.local_path):
        fail(PROG, f"--local-path {args.local_path!r}: is not a directory")
    try:
        suites = tuple(resolve_suites(args.output_path, requested))
    except UserError as e:
        fail(PROG, str(e))
    if requested is None:
        print(f"Summarizing suite {suites[0]!r}, the one with the newest run (--suite picks another)")
    if args.release is not None:
        try:
            release_dir = os.path.join(args.output_path, "releases", args.release)
            check_writable_dir(release_dir, "--release", args.release)
        except UserError as e:
            fail(PROG, str(e))
    if args.compare is not None:
        try:
            print(run_compare(args, suites), end="")
        except UserError as e:
            fail(PROG, str(e))
        return 0
    config = SummarizeConfig(
        output_path=args.output_path,
        suites=suites,
        release=args.release,
        schema_path=args.schema_path,
        local_path=args.local_path,
        plots=not args.no_plots,
        display_files=not args.no_display_files,
        skip_completed_display=args.skip_completed_run_display_json,
        num_threads=args.num_threads,
    )
    try:
        summarize(config)
    except UserError as e:
        fail(PROG, str(e))
    except KeyboardInterrupt:
        print(f"{PROG}: interrupted", file=sys.stderr)
        return 130
    return 0


def entry() -> None:
    """Console-script entry point: `main`, then a fast exit (see `run_and_exit_fast`)."""
    run_and_exit_fast(main)


if __name__ == "__main__":
    entry()
