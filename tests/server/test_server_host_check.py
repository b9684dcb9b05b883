"""DNS-rebinding guard: helm-server answers only Host headers that name it exactly (real servers)."""

from __future__ import annotations

import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from helm_lite.server.app import HelmServer, create_server

SUITE = "s"


@pytest.fixture
def start_server() -> Iterator[Callable[..., HelmServer]]:
    servers: list[HelmServer] = []

    def start(output: Path, host: str = "127.0.0.1", allowed_hosts: tuple[str, ...] = ()) -> HelmServer:
        server = create_server(str(output), [SUITE], host=host, port=0, allowed_hosts=allowed_hosts)
        threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.shutdown()
        server.server_close()


def _status(server: HelmServer, head_lines: list[str], version: str = "HTTP/1.1") -> int:
    """Send GET /api/suites with exactly these header lines; return the status code."""
    host, port = server.server_address[:2]
    request = f"GET /api/suites {version}\r\n" + "".join(f"{h}\r\n" for h in head_lines)
    request += "Connection: close\r\n\r\n"
    with socket.create_connection((str(host), int(port)), timeout=10) as sock:
        sock.sendall(request.encode("latin-1"))
        data = b""
        while chunk := sock.recv(65536):
            data += chunk
    return int(data.split(b" ", 2)[1])


def _ipv6_loopback() -> bool:
    try:
        with socket.socket(socket.AF_INET6) as s:
            s.bind(("::1", 0))
        return True
    except OSError:
        return False


# Host values a page on another site could make a browser send to 127.0.0.1 (or ones that are simply
# not this server): each must be refused. {port} is the server's port.
FORGED = [
    "evil.example",
    "evil.example:{port}",
    "127.attacker.example",
    "127.attacker.example:{port}",
    "127.0.0.1.attacker.example:{port}",
    "localhost.evil.example:{port}",
    "evillocalhost:{port}",
    "localhost.:{port}",
    "127.0.0.2:{port}",
    "127.1:{port}",
    "2130706433:{port}",
    "0x7f000001:{port}",
    "0.0.0.0:{port}",
    "[::ffff:127.0.0.1]:{port}",
    "[::1]x:{port}",
    "[::1:{port}",
    "::1:{port}",
    "127.0.0.1:{port}:{port}",
    "127.0.0.1:{port}0",
    "127.0.0.1:1{port}",
    "127.0.0.1:",
    "127.0.0.1",  # a port other than 80 must be named
    "localhost",
    "user@127.0.0.1:{port}",
    "127.0.0.1:{port}/x",
    "127.0.0.1 :{port}",
    "",
]
ACCEPTED = ["127.0.0.1:{port}", "localhost:{port}", "LOCALHOST:{port}", "[::1]:{port}", " 127.0.0.1:{port} "]


def test_exact_host_names_only(built_output: Path, start_server) -> None:
    server = start_server(built_output)
    port = server.server_address[1]
    for host in FORGED:
        value = host.format(port=port)
        assert _status(server, [f"Host: {value}"]) == 403, value
    for host in ACCEPTED:
        value = host.format(port=port)
        assert _status(server, [f"Host: {value}"]) == 200, value


def test_missing_or_repeated_host(built_output: Path, start_server) -> None:
    server = start_server(built_output)
    port = server.server_address[1]
    assert _status(server, []) == 400  # HTTP/1.1 requires Host
    assert _status(server, [], version="HTTP/1.0") == 200  # HTTP/1.0 may omit it
    assert _status(server, [f"Host: 127.0.0.1:{port}", "Host: evil.example"]) == 400


def test_refusal_names_no_attacker_text(built_output: Path, start_server) -> None:
    """The 403 answer says how to reach the server and does not echo the forged name."""
    server = start_server(built_output)
    host, port = server.server_address[:2]
    with socket.create_connection((str(host), int(port)), timeout=10) as sock:
        sock.sendall(b"GET /api/suites HTTP/1.1\r\nHost: evil.example\r\nConnection: close\r\n\r\n")
        data = b""
        while chunk := sock.recv(65536):
            data += chunk
    assert data.startswith(b"HTTP/1.1 403")
    assert b"evil.example" not in data
    assert b"--allowed-host" in data and f"127.0.0.1:{port}".encode() in data


def test_allowed_host_and_bound_address(built_output: Path, start_server) -> None:
    server = start_server(built_output, allowed_hosts=("results.lab.example", "[fd00::5]"))
    port = server.server_address[1]
    assert _status(server, [f"Host: results.lab.example:{port}"]) == 200
    assert _status(server, [f"Host: RESULTS.lab.example:{port}"]) == 200
    assert _status(server, [f"Host: [fd00::5]:{port}"]) == 200
    assert _status(server, [f"Host: results.lab.example.evil.example:{port}"]) == 403
    assert _status(server, [f"Host: lab.example:{port}"]) == 403


@pytest.mark.skipif(not _ipv6_loopback(), reason="no IPv6 loopback on this machine")
def test_ipv6_bound_server(built_output: Path, start_server) -> None:
    server = start_server(built_output, host="::1")
    port = server.server_address[1]
    assert _status(server, [f"Host: [::1]:{port}"]) == 200
    assert _status(server, [f"Host: localhost:{port}"]) == 200
    assert _status(server, [f"Host: [::2]:{port}"]) == 403


def test_cli_allowed_host_flag(built_output: Path) -> None:
    """`helm-server --allowed-host NAME` answers NAME; a malformed NAME is refused with exit 2."""
    bad = subprocess.run(
        [sys.executable, "-m", "helm_lite.cli.server", "-o", str(built_output), "--allowed-host", "a.b:80"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert bad.returncode == 2 and "--allowed-host" in bad.stderr and "Traceback" not in bad.stderr

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = subprocess.Popen(
        [sys.executable, "-m", "helm_lite.cli.server", "-o", str(built_output), "--suite", SUITE]
        + ["--port", str(port), "--allowed-host", "results.lab.example"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                assert proc.poll() is None and time.monotonic() < deadline, proc.stderr
                time.sleep(0.1)

        class Bound:  # what _status needs
            server_address = ("127.0.0.1", port)

        assert _status(Bound, [f"Host: results.lab.example:{port}"]) == 200  # type: ignore[arg-type]
        assert _status(Bound, [f"Host: 127.attacker.example:{port}"]) == 403  # type: ignore[arg-type]
    finally:
        proc.terminate()
        proc.wait(timeout=10)
