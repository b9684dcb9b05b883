"""helm-run's flags for reproducing runs: `--rerun RUN_DIR` and `--check-determinism [RUN_DIR]`.

Nothing heavy is imported at module level: `helm-run --help` imports this module.
"""

from __future__ import annotations

import argparse
import functools
import os
import sys
import time
from typing import Any

from helm_lite.cli.common import check_writable_dir, fail, positive_int, setup_logging

PROG = "helm-run"
_started = time.time()


def add_reproduce_arguments(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("reproducing runs (docs/reproducibility.md)")
    group.add_argument(
        "--rerun",
        metavar="RUN_DIR",
        default=None,
        help="repeat the run in RUN_DIR from its run_info.json into suite <suite>-rerun (or --suite), "
        "computing every answer afresh; compare outputs and name the recorded inputs that changed "
        "(exit 1 when the outputs differ)",
    )
    group.add_argument(
        "--check-determinism",
        nargs="?",
        const="",
        default=None,
        metavar="RUN_DIR",
        help="re-decode a sample of a run's requests one at a time, and on the deployment's twin engine, "
        "and compare with the run's answers (the run in RUN_DIR, else the runs this command makes)",
    )
    group.add_argument(
        "--determinism-sample",
        type=positive_int,
        default=20,
        metavar="N",
        help="requests per run that --check-determinism re-decodes",
    )
    group.add_argument(
        "--determinism-twins",
        choices=("all", "engine", "none"),
        default="all",
        help="twins --check-determinism also decodes on: the HuggingFace client's other engine and "
        "the model's other in-process deployments (all), the other engine only, or none",
    )


def dispatch(args: argparse.Namespace) -> int | None:
    """Handle --rerun and --check-determinism RUN_DIR (returning the exit status); for an ordinary
    run, check what argparse no longer can and record the settings for run_info.json (None)."""
    from helm_lite.runner.provenance import record_invocation

    if args.rerun is not None and args.check_determinism is not None:
        fail(PROG, "--rerun and --check-determinism cannot be combined")
    if args.dry_run and (args.rerun is not None or args.check_determinism is not None):
        fail(
            PROG, f"--dry-run: {'--rerun' if args.rerun is not None else '--check-determinism'} needs answers"
        )
    standalone = args.rerun is not None or bool(args.check_determinism)
    if standalone and (args.conf_paths or args.run_entries):
        flag = "--rerun" if args.rerun is not None else "--check-determinism RUN_DIR"
        fail(PROG, f"{flag}: give no run entries (the run's own run_spec.json says what was run)")
    if args.rerun is not None:
        return _guarded(_rerun, args)
    if args.check_determinism:
        return _guarded(_check_dirs, args, [args.check_determinism])
    if args.max_eval_instances is None:
        fail(PROG, "the following arguments are required: -m/--max-eval-instances")
    record_invocation(vars(args))
    return None


def after_run(args: argparse.Namespace, status: int) -> int:
    """With `--check-determinism` and run entries: check the runs this command wrote."""
    if args.check_determinism != "" or status != 0:
        return status
    dirs = _runs_written_since(os.path.join(args.output_path, "runs", args.suite), _started)
    return _guarded(_check_dirs, args, dirs)


def _guarded(handler: Any, *a: Any) -> int:
    from helm_lite.common.errors import UserError

    setup_logging(a[0].verbose)
    try:
        status: int = handler(*a)
        return status
    except UserError as e:
        fail(PROG, str(e))


def _runs_written_since(suite_dir: str, started: float) -> list[str]:
    from helm_lite.run_directory import read_run_info, run_names

    out = []
    for name in run_names(suite_dir):
        path = os.path.join(suite_dir, name)
        try:
            info = read_run_info(path)
        except ValueError:
            continue
        if (
            isinstance(info, dict)
            and isinstance(info.get("started_at"), int)
            and info["started_at"] >= int(started)
        ):
            out.append(path)
    return out


@functools.cache
def _parser() -> argparse.ArgumentParser:
    """helm-run's parser, built once: `_default` reads its defaults."""
    from helm_lite.cli.run import build_parser

    return build_parser()


def _default(args: argparse.Namespace, name: str) -> bool:
    """Whether flag `name` has its default value (not given on the command line)."""
    value: bool = getattr(args, name) == _parser().get_default(name)
    return value


def _rerun(args: argparse.Namespace) -> int:
    from helm_lite.annotation.judges import JudgeSelection
    from helm_lite.cli.run import enabled_models, load_run_registry
    from helm_lite.common.cache import CacheManager
    from helm_lite.common.credentials import load_credentials
    from helm_lite.common.errors import UserError
    from helm_lite.common.plugins import load_plugins
    from helm_lite.executors import make_executor
    from helm_lite.runner import Runner, RunnerConfig
    from helm_lite.runner.provenance import record_invocation
    from helm_lite.runner.rerun import input_changes, output_differences, read_recorded_run
    from helm_lite.services import Services

    old = read_recorded_run(args.rerun)
    inv = old.invocation
    output_path = old.output_path if _default(args, "output_path") else os.path.abspath(args.output_path)
    suite = f"{old.suite}-rerun" if _default(args, "suite") else args.suite
    new_dir = os.path.join(output_path, "runs", suite, old.run_spec.name)
    if os.path.abspath(new_dir) == old.path:
        raise UserError(f"--suite {suite}: the rerun would replace the run it repeats; choose another suite")
    local_path = (
        inv.get("local_path") if _default(args, "local_path") and inv.get("local_path") else args.local_path
    )
    mirror = args.data_mirror or inv.get("data_mirror")
    if mirror is not None and not os.path.isdir(mirror):
        raise UserError(
            f"--rerun {args.rerun}: its data mirror {mirror} is not a directory (give --data-mirror)"
        )
    plugins = [*(inv.get("plugins") or []), *args.plugins]
    load_plugins(plugins)
    check_writable_dir(os.path.join(output_path, "runs", suite), "--suite", suite)
    enabled = enabled_models(args, inv)  # the models the run enabled, then any given now
    settings = {**inv, **enabled, "suite": suite, "output_path": output_path, "local_path": local_path}
    record_invocation({**settings, "data_mirror": mirror, "plugins": plugins, "disable_cache": True})
    registry = load_run_registry(args, str(local_path), inv)
    credentials = load_credentials(str(local_path))
    caches = CacheManager(os.path.join(str(local_path), "cache"), disabled=True)  # answers afresh
    # The judges that made the recorded scores judge again, unless --judge-deployment says otherwise.
    recorded_judges = old.info.get("judges")
    judges = JudgeSelection(
        override=args.judge_deployment,
        per_annotator=recorded_judges if isinstance(recorded_judges, dict) else {},
        source=f"--rerun {args.rerun}: run_info.json",
    ).resolved(registry)
    config = RunnerConfig(
        output_path=output_path,
        suite=suite,
        num_threads=args.num_threads,
        show_progress=not args.no_progress,
        data_mirror=mirror,
        judges=judges,
    )
    try:
        executor = make_executor(args.executor, args.ray_address)
        failed = Runner(config, Services(registry, caches, credentials), executor).run_all([old.run_spec])
    finally:
        caches.close()
    if failed:
        print(f"{PROG}: error: the rerun of {old.run_spec.name} failed", file=sys.stderr)
        return 1
    from helm_lite.run_directory import read_run_info

    differences = output_differences(old.path, new_dir)
    if not differences:
        print(f"{PROG}: rerun of {old.run_spec.name} is identical (new run: {new_dir})")
        return 0
    print(f"{PROG}: rerun of {old.run_spec.name} differs (new run: {new_dir}): {'; '.join(differences)}")
    changes = input_changes(old.info, read_run_info(new_dir))
    for change in changes:
        print(f"  changed: {change}")
    if not changes:
        print("  no recorded input changed: the decoding is not deterministic here (see --check-determinism)")
    return 1


def _check_dirs(args: argparse.Namespace, run_dirs: list[str]) -> int:
    from helm_lite.cli.run import load_run_registry
    from helm_lite.common.cache import CacheManager
    from helm_lite.common.credentials import load_credentials
    from helm_lite.common.errors import UserError
    from helm_lite.common.plugins import load_plugins
    from helm_lite.run_directory import read_run_info
    from helm_lite.runner.determinism import check_run, summary
    from helm_lite.services import Services

    if not run_dirs:
        print(f"{PROG}: --check-determinism: no run was written, so none was checked")
        return 0
    for run_dir in run_dirs:
        if not os.path.isfile(os.path.join(run_dir, "scenario_state.json")):
            raise UserError(f"--check-determinism {run_dir}: not a run directory (no scenario_state.json)")
    try:
        info = read_run_info(run_dirs[0])
    except ValueError:
        info = None
    inv = info.get("invocation") if isinstance(info, dict) else None
    local_path = args.local_path
    if _default(args, "local_path") and isinstance(inv, dict) and inv.get("local_path"):
        local_path = inv["local_path"]
    load_plugins([*((inv or {}).get("plugins") or []), *args.plugins])
    registry = load_run_registry(args, local_path, inv if isinstance(inv, dict) else None)
    caches = CacheManager(os.path.join(local_path, "cache"), disabled=True)  # never read nor written
    services = Services(registry, caches, load_credentials(local_path))
    all_same = True
    for run_dir in run_dirs:
        checks = check_run(run_dir, services, args.determinism_sample, print, args.determinism_twins)
        line, same = summary(os.path.basename(os.path.normpath(run_dir)), checks)
        print(line)
        all_same = all_same and same
    return 0 if all_same else 1
