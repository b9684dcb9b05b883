"""`helm-run`: evaluate models on run entries and write HELM-format results."""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from helm_lite.cli.common import (
    ArgumentParser,
    check_writable_dir,
    existing_dir,
    fail,
    path_component,
    positive_int,
    run_and_exit_fast,
    setup_logging,
)
from helm_lite.cli.helm_flags import add_helm_run_flags, apply_helm_flags, with_enabled_huggingface_models
from helm_lite.cli.judges import add_judge_arguments, judge_selection
from helm_lite.cli.list_run_specs import add_list_run_specs_argument, list_run_specs, wants_list
from helm_lite.cli.reproduce import add_reproduce_arguments, after_run
from helm_lite.cli.reproduce import dispatch as dispatch_reproduce

if TYPE_CHECKING:
    from helm_lite.registry.loader import Registry

PROG = "helm-run"
#: The flags that add models to the registry; run_info.json's invocation records them.
ENABLE_FLAGS = ("enable_huggingface_models", "enable_local_huggingface_models")
logger = logging.getLogger("helm_lite")


def build_parser() -> argparse.ArgumentParser:
    from helm_lite.cli.help_format import examples

    p = ArgumentParser(
        prog=PROG,
        description="Evaluate language models on HELM run entries.",
        epilog=examples(
            'helm-run -r "synthetic_reasoning:mode=pattern_match,model=simple/model1" -m 10 --suite demo',
            "helm-run -c run_specs/quickstart.conf --models-to-run simple/model1 -m 20 --dry-run",
        ),
    )
    p.add_argument(
        "-c", "--conf-paths", nargs="+", default=[], metavar="PATH", help="run-entry files (HOCON)"
    )
    p.add_argument(
        "-r",
        "--run-entries",
        nargs="+",
        default=[],
        metavar="DESC",
        help="run entries, e.g. mmlu:subject=anatomy,model=…",
    )
    p.add_argument(
        "--models-to-run",
        nargs="+",
        default=None,
        metavar="MODEL",
        help="models (or deployments) to run; replaces model wildcards",
    )
    p.add_argument(
        "--groups-to-run", nargs="+", default=None, metavar="GROUP", help="keep only runs in these groups"
    )
    p.add_argument(
        "--priority",
        type=positive_int,
        default=None,
        help="run only entries with priority <= this (1 = most important)",
    )
    p.add_argument(
        "-m", "--max-eval-instances", type=positive_int, default=None, help="evaluation instances per run"
    )
    p.add_argument(
        "-t", "--num-train-trials", type=positive_int, default=None, help="number of in-context example draws"
    )
    p.add_argument(
        "--suite", type=path_component, default="default", help="name of the output folder under runs/"
    )
    p.add_argument("-o", "--output-path", default="benchmark_output", help="root output directory")
    p.add_argument("--local-path", default="prod_env", help="your registries, credentials and request cache")
    p.add_argument(
        "--data-mirror",
        type=existing_dir,
        default=None,
        metavar="DIR",
        help="scenario data laid out like <output-path>/scenarios, used before any download "
        "(default: $HELM_LITE_DATA_MIRROR)",
    )
    p.add_argument(
        "-n", "--num-threads", type=positive_int, default=4, help="parallel requests for remote APIs"
    )
    p.add_argument(
        "--skip-completed-runs", action="store_true", help="skip runs whose files match their record"
    )
    p.add_argument(
        "-d", "--dry-run", action="store_true", help="build prompts and count tokens; call no model"
    )
    p.add_argument("--disable-cache", action="store_true", help="do not read or write the request cache")
    p.add_argument("--exit-on-error", action="store_true", help="stop at the first failed run")
    p.add_argument("--no-progress", action="store_true", help="hide progress bars")
    p.add_argument(
        "--executor",
        default="local",
        metavar="{local,ray}",
        help="where model requests are computed: this process, or engine replicas on a Ray cluster "
        "(pip install 'helm-lite[ray]'; see docs/ray.md), or one a plug-in registers",
    )
    p.add_argument(
        "--ray-address",
        default=None,
        metavar="ADDRESS",
        help="with --executor ray: auto, HOST:PORT or ray://HOST:PORT "
        "(default: start or join a local cluster)",
    )
    p.add_argument(
        "--plugins",
        nargs="+",
        default=[],
        metavar="MODULE_OR_PATH",
        help="modules (or .py files) to import first, so that they register their own run-spec "
        "functions, scenarios, clients, metrics …",
    )
    p.add_argument("-v", "--verbose", action="store_true", help="debug logging")
    add_list_run_specs_argument(p)
    add_reproduce_arguments(p)
    add_helm_run_flags(p)
    add_judge_arguments(p)
    return p


def main(argv: list[str] | None = None) -> int:
    if wants_list(sys.argv[1:] if argv is None else argv):
        return _list_run_specs(sys.argv[1:] if argv is None else argv)
    args = build_parser().parse_args(argv)
    apply_helm_flags(PROG, args)
    if (reproduced := dispatch_reproduce(args)) is not None:
        return reproduced
    if not args.conf_paths and not args.run_entries:
        fail(PROG, "give run entries with --conf-paths or --run-entries")
    if args.ray_address is not None and args.executor != "ray":
        fail(PROG, "--ray-address needs --executor ray")
    twice = [m for i, m in enumerate(args.models_to_run or []) if m in args.models_to_run[:i]]
    if twice:
        fail(PROG, f"--models-to-run: {twice[0]!r} is given twice")
    setup_logging(args.verbose)

    from helm_lite.common.errors import UserError

    try:
        return after_run(args, _run(args))
    except UserError as e:
        fail(PROG, str(e))
    except KeyboardInterrupt:
        print(f"{PROG}: interrupted; answers received so far are cached", file=sys.stderr)
        return 130


def _list_run_specs(argv: list[str]) -> int:
    from helm_lite.common.errors import UserError

    try:
        return list_run_specs(argv)
    except UserError as e:
        fail(PROG, str(e))


def _load_plugins(args: argparse.Namespace) -> None:
    """Import the user's plug-ins before anything is looked up by name, then check names they may add."""
    from helm_lite.common.errors import UserError
    from helm_lite.common.plugins import load_plugins
    from helm_lite.executors import EXECUTORS

    load_plugins(args.plugins)
    if args.executor not in EXECUTORS:
        known = ", ".join(EXECUTORS.names())
        raise UserError(f"--executor: unknown executor {args.executor!r} (known: {known})")


def _check_paths(args: argparse.Namespace) -> None:
    """Checked before any work: every folder helm-run writes to must be (or become) a writable
    folder, and a data mirror set in the environment must be a folder."""
    import os

    from helm_lite.common.errors import UserError

    mirror = os.environ.get("HELM_LITE_DATA_MIRROR")
    if args.data_mirror is None and mirror and not os.path.isdir(mirror):
        what = "not a directory" if os.path.lexists(mirror) else "no such directory"
        raise UserError(f"$HELM_LITE_DATA_MIRROR {mirror!r}: {what}")
    out, local = args.output_path, args.local_path
    check_writable_dir(out, "--output-path")
    check_writable_dir(os.path.join(out, "runs", args.suite), "--suite", args.suite)
    check_writable_dir(os.path.join(out, "scenarios"), "--output-path", out)
    if args.disable_cache:  # registries and credentials are only read
        if not local:
            raise UserError("--local-path: must not be empty")
        if os.path.lexists(local) and not os.path.isdir(local):
            raise UserError(f"--local-path {local!r}: {local!r} is not a directory")
    else:
        check_writable_dir(local, "--local-path")
        check_writable_dir(os.path.join(local, "cache"), "--local-path", local)


def enabled_models(
    args: argparse.Namespace, recorded: Mapping[str, Any] | None = None
) -> dict[str, list[str]]:
    """The values of --enable-huggingface-models / --enable-local-huggingface-models: those a run
    recorded (`recorded`: its run_info.json invocation, for --rerun and --check-determinism), then
    those given now that it did not record."""
    import os

    out: dict[str, list[str]] = {}
    for name in ENABLE_FLAGS:
        old = (recorded or {}).get(name)
        values = [v for v in old if isinstance(v, str)] if isinstance(old, list) else []
        key = os.path.abspath if name == "enable_local_huggingface_models" else str
        seen = {key(v) for v in values}
        values += [v for v in getattr(args, name, None) or [] if key(v) not in seen]
        out[name] = values
    return out


def load_run_registry(
    args: argparse.Namespace, local_path: str | None = None, recorded: Mapping[str, Any] | None = None
) -> Registry:
    """The registry a run uses: the registries in `local_path` (default --local-path) plus the models
    of `enabled_models(args, recorded)`. helm-run, --rerun and --check-determinism all build it here,
    so that a run's deployment is found again when it is repeated."""
    from helm_lite.registry.loader import load_registry

    enabled = argparse.Namespace(**enabled_models(args, recorded))
    registry = load_registry(local_path if local_path is not None else args.local_path)
    return with_enabled_huggingface_models(enabled, registry)


def _run(args: argparse.Namespace) -> int:
    import os
    from dataclasses import replace

    from helm_lite.common.cache import CacheManager
    from helm_lite.common.credentials import load_credentials
    from helm_lite.executors import make_executor
    from helm_lite.run_entries.conf import RunEntry, read_conf_files
    from helm_lite.run_entries.construct import Selection, construct_run_specs
    from helm_lite.run_entries.resolution import (
        check_models_to_run_needed,
        infer_models_from_deployments,
        validate_models_to_run,
    )
    from helm_lite.runner import Runner, RunnerConfig
    from helm_lite.services import Services

    _load_plugins(args)
    _check_paths(args)
    entries = read_conf_files(args.conf_paths) + [
        RunEntry(description=d, priority=1) for d in args.run_entries
    ]
    registry = load_run_registry(args)
    descriptions = infer_models_from_deployments(
        [e.description for e in entries], registry, args.models_to_run
    )
    entries = [replace(e, description=d) for e, d in zip(entries, descriptions, strict=True)]
    check_models_to_run_needed(descriptions, args.models_to_run)
    if args.models_to_run:
        validate_models_to_run(registry, args.models_to_run)
    selection = Selection(
        models_to_run=args.models_to_run,
        groups_to_run=args.groups_to_run,
        priority=args.priority,
        max_eval_instances=args.max_eval_instances,
        num_train_trials=args.num_train_trials,
        stop_on_unimplemented=args.exit_on_error,
    )
    run_specs = construct_run_specs(entries, registry, selection)
    if args.skip_instances:  # HELM's --skip-instances: everything is checked, nothing is run
        return 0
    if not run_specs:
        logger.info("There were no RunSpecs or they got filtered out.")
        return 0

    credentials = load_credentials(args.local_path)  # a malformed credentials.conf stops here
    caches = CacheManager(os.path.join(args.local_path, "cache"), disabled=args.disable_cache)
    config = RunnerConfig(
        output_path=args.output_path,
        suite=args.suite,
        num_threads=args.num_threads,
        skip_completed_runs=args.skip_completed_runs,
        dry_run=args.dry_run,
        exit_on_error=args.exit_on_error,
        show_progress=not args.no_progress,
        data_mirror=args.data_mirror,
        judges=judge_selection(args).resolved(registry),
    )
    try:
        executor = make_executor(args.executor, args.ray_address)
        failed = Runner(config, Services(registry, caches, credentials), executor).run_all(run_specs)
    finally:
        caches.close()
    if args.dry_run:
        from helm_lite.runner.dry_run_report import print_dry_run_report

        done = [rs for rs in run_specs if rs.name not in failed]
        print_dry_run_report(os.path.join(args.output_path, "runs", args.suite), done, registry)
    if failed:
        print(f"{PROG}: error: Failed runs: [{', '.join(repr(n) for n in failed)}]", file=sys.stderr)
        return 1
    return 0


def entry() -> None:
    """Console-script entry point: `main`, then a fast exit (see `run_and_exit_fast`)."""
    run_and_exit_fast(main)


if __name__ == "__main__":
    entry()
