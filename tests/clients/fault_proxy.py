"""A loopback HTTP proxy that injects faults by script between a client and a server (stdlib only).

Faults: an HTTP status (429 with or without ``Retry-After``, 500, 503…), a slow answer (the proxy
waits longer than the client's timeout, then hangs up), a dropped connection (the proxy starts a
200 response and closes the socket mid-body), and a complete answer with a given body (`body`:
malformed JSON, JSON without ``choices``, an HTML page…). Faults are scripted per request: `FaultProxy.script`
queues faults for the requests whose body contains a marker (or all requests), used once each in
order; `FaultProxy.always` answers every matching request with the same fault. Requests without a
fault pass through to the upstream server unchanged. Every request the proxy saw is recorded with
what it did, so tests can count attempts.
"""

from __future__ import annotations

import http.client
import json
import threading
import urllib.parse
from collections import deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass(frozen=True)
class Fault:
    kind: str  # "status" | "slow" | "drop" | "body"
    status: int = 0
    retry_after: str | None = None
    delay_s: float = 0.0
    data: bytes = b""
    content_type: str = "application/json"

    def __str__(self) -> str:
        if self.kind == "body":
            return f"body {self.status} {self.data[:20]!r}"
        if self.kind == "status":
            return f"{self.status}" + (f" (Retry-After {self.retry_after})" if self.retry_after else "")
        return f"slow {self.delay_s}s" if self.kind == "slow" else "drop"


def status(code: int, retry_after: float | str | None = None) -> Fault:
    return Fault("status", status=code, retry_after=None if retry_after is None else str(retry_after))


def slow(delay_s: float) -> Fault:
    return Fault("slow", delay_s=delay_s)


def drop() -> Fault:
    return Fault("drop")


def body(data: bytes, code: int = 200, content_type: str = "application/json") -> Fault:
    return Fault("body", status=code, data=data, content_type=content_type)


@dataclass
class _Rule:
    match: str | None
    queue: deque[Fault] = field(default_factory=deque)
    forever: Fault | None = None

    def take(self, body: str) -> Fault | None:
        if self.match is not None and self.match not in body:
            return None
        if self.forever is not None:
            return self.forever
        return self.queue.popleft() if self.queue else None


@dataclass(frozen=True)
class Seen:
    path: str
    body: str
    action: str  # "pass" or the fault injected


class FaultProxy:
    """``with FaultProxy(server.url) as proxy: proxy.script(status(429), status(503)) …``"""

    def __init__(self, upstream: str) -> None:
        parsed = urllib.parse.urlsplit(upstream)
        self.upstream = (parsed.hostname or "127.0.0.1", parsed.port or 80)
        self.seen: list[Seen] = []
        self._rules: list[_Rule] = []
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._httpd.daemon_threads = True
        self._thread = threading.Thread(target=self._httpd.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        host, port = self._httpd.server_address[:2]
        return f"http://{host!s}:{port}"

    def script(self, *faults: Fault, match: str | None = None) -> None:
        """The next requests matching `match` (a body substring; None: any) get `faults`, in order."""
        with self._lock:
            self._rules.append(_Rule(match, deque(faults)))

    def always(self, fault: Fault, match: str | None = None) -> None:
        with self._lock:
            self._rules.append(_Rule(match, forever=fault))

    def clear(self) -> None:
        with self._lock:
            self._rules.clear()
            self.seen.clear()

    def actions(self, match: str | None = None) -> list[str]:
        with self._lock:
            return [s.action for s in self.seen if match is None or match in s.body]

    def __enter__(self) -> FaultProxy:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._httpd.shutdown()
        self._httpd.server_close()

    def _pick(self, path: str, body: str) -> Fault | None:
        with self._lock:
            fault = None
            for rule in self._rules:
                fault = rule.take(body)
                if fault is not None:
                    break
            self.seen.append(Seen(path, body, str(fault) if fault else "pass"))
            return fault

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:
                pass

            def _send(self, code: int, headers: dict[str, str], data: bytes) -> None:
                self.send_response(code)
                for k, v in headers.items():
                    self.send_header(k, v)
                self.send_header("Content-Length", str(len(data)))
                self.send_header("Connection", "close")
                self.end_headers()
                self.wfile.write(data)
                self.close_connection = True

            def _forward(self, body: bytes) -> None:
                conn = http.client.HTTPConnection(*proxy.upstream, timeout=30)
                headers = {k: v for k, v in self.headers.items() if k.lower() not in ("host", "connection")}
                conn.request(self.command, self.path, body=body or None, headers=headers)
                answer = conn.getresponse()
                data = answer.read()
                conn.close()
                self._send(answer.status, {"Content-Type": answer.getheader("Content-Type", "")}, data)

            def _inject(self, fault: Fault) -> None:
                if fault.kind == "body":
                    self._send(fault.status, {"Content-Type": fault.content_type}, fault.data)
                elif fault.kind == "status":
                    payload = {"error": {"message": f"injected HTTP {fault.status}", "type": "server_error"}}
                    headers = {"Content-Type": "application/json"}
                    if fault.retry_after is not None:
                        headers["Retry-After"] = fault.retry_after
                    self._send(fault.status, headers, json.dumps(payload).encode())
                elif fault.kind == "slow":
                    proxy._stop.wait(fault.delay_s)  # the client gives up first
                    self.close_connection = True
                else:  # drop: promise a body, send a piece of it, hang up
                    self.wfile.write(
                        b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                        b'Content-Length: 400\r\n\r\n{"id": "cmpl-dropped", "choi'
                    )
                    self.wfile.flush()
                    self.close_connection = True

            def _handle(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                fault = proxy._pick(self.path, body.decode("utf-8", "replace"))
                if fault is None:
                    self._forward(body)
                else:
                    self._inject(fault)

            def do_GET(self) -> None:
                self._handle()

            def do_POST(self) -> None:
                self._handle()

        return Handler
