"""Fixtures for helm-server tests: a real suite built by helm-run, and servers on free ports in threads."""

from __future__ import annotations

import json
import shutil
import socket
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from helm_lite.server.app import HelmServer, create_server

SUITE = "s"
TWIN = "dyck_language_np=3:model=simple_model2"
RUN_ENTRIES = [
    "synthetic_reasoning:mode=pattern_match,model=simple/model1",
    "dyck_language:num_parenthesis_pairs=3,model=simple/model1",
]


def add_second_model(suite: Path) -> dict[str, float]:
    """A copy of the Dyck run as deployment simple/model2 whose per-instance scores are flipped: it is
    right exactly where simple/model1 is wrong. Returns model1's values by instance id."""
    twin = suite / TWIN
    shutil.copytree(suite / "dyck_language_np=3:model=simple_model1", twin)
    (twin / "run_info.json").unlink()  # its completion record no longer matches (counts as HELM's run)
    spec = json.loads((twin / "run_spec.json").read_text())
    spec["name"] = TWIN
    spec["adapter_spec"]["model"] = spec["adapter_spec"]["model_deployment"] = "simple/model2"
    (twin / "run_spec.json").write_text(json.dumps(spec))
    rows = json.loads((twin / "per_instance_stats.json").read_text())
    original = {}
    for row in rows:
        for stat in row["stats"]:
            if stat["name"] == {"name": "exact_match_indicator", "split": "test"}:
                original[row["instance_id"]] = stat["mean"]
                stat["mean"] = stat["sum"] = 1 - stat["mean"]
    (twin / "per_instance_stats.json").write_text(json.dumps(rows))
    return original


@pytest.fixture
def second_model() -> Callable[[Path], dict[str, float]]:
    """`add_second_model`: a Dyck run of a second model, right exactly where simple/model1 is wrong."""
    return add_second_model


@dataclass
class Response:
    status: int
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


def build_suite(root: Path) -> Path:
    """`helm-run` the two offline runs with the test model into `root/benchmark_output/runs/s/`."""
    proc = subprocess.run(
        [sys.executable, "-m", "helm_lite.cli.run", "--no-progress", "-r", *RUN_ENTRIES]
        + ["--suite", SUITE, "-m", "10"],
        cwd=root,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    return root / "benchmark_output"


@pytest.fixture(scope="session")
def built_output(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A read-only, session-wide output directory; tests that modify runs copy it first."""
    return build_suite(tmp_path_factory.mktemp("suite"))


@pytest.fixture
def serve() -> Iterator[Callable[..., str]]:
    """Start `create_server(output, suites)` on a free port in a thread; returns its base URL."""
    servers: list[tuple[HelmServer, threading.Thread]] = []

    def start(output: Path, suites: list[str] | None = None, host: str = "127.0.0.1") -> str:
        server = create_server(str(output), suites or [SUITE], host=host, port=0)
        thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        thread.start()
        servers.append((server, thread))
        return server.url

    yield start
    for server, thread in servers:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def raw_request(base_url: str, target: bytes | str, method: str = "GET", host: str | None = None) -> Response:
    """Send the request target byte for byte (no client-side normalisation of '..' or '%2e')."""
    if isinstance(target, str):
        target = target.encode("latin-1")
    address = base_url.removeprefix("http://")
    hostname, port = address.rsplit(":", 1)
    request = (
        method.encode()
        + b" "
        + target
        + b" HTTP/1.1\r\nHost: "
        + (host or address).encode()
        + b"\r\nConnection: close\r\n\r\n"
    )
    with socket.create_connection((hostname, int(port)), timeout=10) as sock:
        sock.sendall(request)
        chunks = []
        while chunk := sock.recv(65536):
            chunks.append(chunk)
    data = b"".join(chunks)
    head, _, body = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1])
    headers = {}
    for line in lines[1:]:
        key, _, value = line.partition(":")
        headers[key.strip().lower()] = value.strip()
    return Response(status, headers, body)


class Http:
    """What tests use to talk to a server (a fixture, so test modules need not import conftest)."""

    raw = staticmethod(raw_request)

    @staticmethod
    def get(base_url: str, path: str, method: str = "GET") -> Response:
        return raw_request(base_url, path, method=method)

    @staticmethod
    def json(base_url: str, path: str) -> Any:
        response = raw_request(base_url, path)
        assert response.status == 200, (path, response.status, response.body[:300])
        return response.json()


@pytest.fixture
def http() -> type[Http]:
    return Http
