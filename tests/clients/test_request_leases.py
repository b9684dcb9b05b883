"""Several helm-run processes on one `--local-path` pay for each answer once.

Real helm-run processes share one cache file and ask a loopback OpenAI-compatible server that counts
requests. The server holds every answer past the first `free` ones until the test opens its gate, so
the test decides when the owner of the leases may go on, and which processes must be waiting by then.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from fake_openai_server import FakeOpenAIServer

pytest.importorskip("openai")  # the SDK of the openai extra

MODEL = "acme/fake-7b"
RUN = "synthetic_reasoning:mode=pattern_match,model=openai/fake-gpt"


class GatedServer(FakeOpenAIServer):
    """Answers the first `free` completion requests, then holds the rest until `gate` is set.

    Each answer takes 20 ms, as a real API's would at least, so the client commits it at once
    (answers under 10 ms are committed in groups)."""

    def __init__(self, free: int) -> None:
        super().__init__(model=MODEL)
        self.free = free
        self.gate = threading.Event()
        self._seen = 0
        self._count = threading.Lock()
        self._httpd.handle_error = lambda *_: None  # type: ignore[method-assign]  # the killed client's broken pipe

    def answer(self, path: str, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        if path.endswith("completions"):
            with self._count:
                self._seen += 1
                held = self._seen > self.free
            if held:
                self.gate.wait(60)
            time.sleep(0.02)
        return super().answer(path, body)


@pytest.fixture
def local(tmp_path: Path):
    """A local path whose `openai/fake-gpt` deployment is served by a fresh gated server."""

    def make(free: int) -> GatedServer:
        env = tmp_path / "prod_env"
        env.mkdir()
        (env / "credentials.conf").write_text('openaiApiKey: "sk-lease-test"\n')
        server = GatedServer(free)
        server.__enter__()
        servers.append(server)
        (env / "model_deployments.yaml").write_text(
            f"""model_deployments:
  - name: openai/fake-gpt
    client_spec:
      class_name: "helm.clients.openai_client.OpenAIClient"
      args: {{base_url: "{server.url}/v1", model: "{MODEL}", retry: {{base_delay_s: 0.01, max_delay_s: 0.05}}}}
"""
        )
        return server

    servers: list[GatedServer] = []
    yield make
    for server in servers:
        server.gate.set()
        server.__exit__()


class HelmRun:
    """A helm-run subprocess whose stderr goes to a file the test can watch while it runs."""

    def __init__(self, cwd: Path, name: str, *args: str) -> None:
        self.log = cwd / f"{name}.log"
        self._out = open(self.log, "w")  # noqa: SIM115 - closed in wait()
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "helm_lite.cli.run", "--no-progress", "-r", RUN, "--suite", name, *args],
            cwd=cwd,
            stdout=self._out,
            stderr=subprocess.STDOUT,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )

    def text(self) -> str:
        return self.log.read_text()

    def wait(self) -> int:
        try:
            return self.proc.wait(120)
        finally:
            self._out.close()

    def kill(self) -> None:
        self.proc.send_signal(signal.SIGKILL)
        self.wait()  # reaped at once: a zombie would still look alive


def wait_until(condition, what: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.05)


def completions(server: FakeOpenAIServer) -> Counter[str]:
    return Counter(server.prompts())


@pytest.mark.slow  # several processes or a model (2-7 s)
def test_three_processes_sharing_a_cache_ask_each_request_once(local, tmp_path: Path) -> None:
    server = local(free=0)
    runs = [HelmRun(tmp_path, f"p{i}", "-m", "12", "-n", "2") for i in range(3)]
    try:
        wait_until(lambda: sum("Waiting for 12 requests" in r.text() for r in runs) == 2, "two waiters")
        server.gate.set()
        assert [r.wait() for r in runs] == [0, 0, 0], [r.text() for r in runs]
    finally:
        for r in runs:
            if r.proc.poll() is None:
                r.kill()
    asked = completions(server)
    assert len(asked) == 12 and set(asked.values()) == {1}  # every distinct request exactly once
    states = [
        (tmp_path / "benchmark_output" / "runs" / f"p{i}").glob("*/scenario_state.json") for i in range(3)
    ]
    texts = [sorted(p.read_text().count('"cached": true') for p in found) for found in states]
    assert sorted(sum(t) for t in texts) == [0, 12, 12]  # two processes got every answer from the cache


@pytest.mark.slow  # several processes or a model (2-7 s)
def test_processes_take_over_from_one_killed_while_holding_leases(local, tmp_path: Path) -> None:
    server = local(free=2)
    owner = HelmRun(tmp_path, "owner", "-m", "10", "-n", "1")
    waiters: list[HelmRun] = []
    try:
        wait_until(lambda: len(server.calls()) == 3, "the owner's third request (held at the server)")
        waiters = [HelmRun(tmp_path, f"w{i}", "-m", "10", "-n", "2") for i in range(2)]
        wait_until(lambda: all("Waiting for 8 requests" in w.text() for w in waiters), "both waiters")
        owner.kill()
        server.gate.set()
        assert [w.wait() for w in waiters] == [0, 0], [w.text() for w in waiters]
    finally:
        for r in (owner, *waiters):
            if r.proc.poll() is None:
                r.kill()
    asked = completions(server)
    assert len(asked) == 10
    assert sorted(asked.values()) == [1] * 9 + [2]  # only the one in flight at the kill, twice
    takeovers = [w.text().count("no longer leased") for w in waiters]
    assert sum(takeovers) >= 1
