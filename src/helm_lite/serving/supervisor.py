"""Runs one server process from start to clean shutdown.

The server runs in its own process group with its output in a log file; it is ready once
`GET /v1/models` lists the served name. Ctrl-C or SIGTERM stops the whole group (SIGTERM, then
SIGKILL after a grace period), and on Linux the server gets SIGTERM if its supervisor dies first.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from helm_lite.common.errors import UserError
from helm_lite.serving.launch_plan import ServePlan

EXIT_SERVER_FAILED = 1
PROGRESS_EVERY_S = 15.0
POLL_EVERY_S = 0.5


def check_port_free(host: str, port: int) -> None:
    """Fail before a 40-second model load if the address is taken (the server would fail after it)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    try:
        with socket.create_server((host, port), family=family):
            pass
    except OSError as e:
        reason = os.strerror(e.errno) if e.errno else str(e)
        raise UserError(f"--port: cannot listen on {host}:{port}: {reason}") from None


class Server:
    """One server child process (and its process group) from start to clean shutdown."""

    def __init__(self, plan: ServePlan, log_path: Path, env: Mapping[str, str], prog: str) -> None:
        self.plan = plan
        self.prog = prog  # the command whose name starts each line this prints
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

    def _say(self, message: str) -> None:
        print(f"{self.prog}: {message}", file=sys.stderr, flush=True)

    def _on_signal(self, signum: int, frame: Any) -> None:
        self.stop.set()

    def _start(self) -> None:
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        self._say(f"starting vLLM for {self.plan.deployment} (log: {self.log_path})")
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
                self._say(f"waiting for {self.plan.base_url}/models ({now - started:.0f} s)")
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
        print(f"{self.prog}: error: {what}; log: {self.log_path}", file=sys.stderr)
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
        self._say("stopping the server")
        _signal_group(group, signal.SIGTERM)
        deadline = time.monotonic() + grace
        while (self.proc.poll() is None or _group_alive(group)) and time.monotonic() < deadline:
            time.sleep(0.1)
        if self.proc.poll() is None or _group_alive(group):
            self._say(f"the server did not stop within {grace:g} s; killing it")
            _signal_group(group, signal.SIGKILL)
            self.proc.wait()
        self._say("server stopped")


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
