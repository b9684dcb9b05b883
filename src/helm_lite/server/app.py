"""The HTTP layer: standard-library `ThreadingHTTPServer`, a small read-only JSON API and a static page.

Routes (GET and HEAD only; anything else is 405):

    /                                               the page (static/index.html)
    /static/app.js, /static/style.css               its script and style sheet
    /api/suites                                     served suites
    /api/suites/<suite>                             overview: run count, helm-summarize outputs, plots
    /api/suites/<suite>/leaderboard?metric_group=   model × run group main metric (or one metric
                                                    group's metrics), mean win rate, summarize state
    /api/suites/<suite>/head_to_head?a=&b=          instances one deployment gets right, the other wrong
    /api/suites/<suite>/runs?model=&scenario=&group=   run summaries (filtered)
    /api/suites/<suite>/runs/<run>                  one run: specs, stats, problems
    /api/suites/<suite>/runs/<run>/instances?offset=&limit=&status=&id=   a page of instances
    /api/suites/<suite>/groups/<group>              helm-summarize's groups/<group>.json
    /files/<suite>/<path>                           a raw file inside the suite (plots, JSON)

The path is split on '/' before percent-decoding, each segment is decoded once and must be a plain name,
and every file is reached through `paths.resolve_inside`, so encoded or double-encoded dots, separators,
backslashes, NUL bytes and symlinks cannot lead outside the suite.
"""

from __future__ import annotations

import ipaddress
import json
import logging
import math
import os
import shutil
import socket
from collections.abc import Iterable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from importlib import resources
from typing import Any
from urllib.parse import parse_qs, unquote

from helm_lite import __version__
from helm_lite.common.secrets import redact, scrub
from helm_lite.run_directory import RUN_INFO_FILE
from helm_lite.server.board import MAIN
from helm_lite.server.errors import ServeError
from helm_lite.server.host_check import HostPolicy
from helm_lite.server.instances import INSTANCE_FILTERS
from helm_lite.server.store import Store

logger = logging.getLogger(__name__)

STATIC_FILES = {
    "index.html": "text/html; charset=utf-8",
    "app.js": "text/javascript; charset=utf-8",
    "style.css": "text/css; charset=utf-8",
}
# Raw files are served with a type only for what the page shows; anything else downloads as bytes.
FILE_TYPES = {
    ".json": "application/json; charset=utf-8",
    ".csv": "text/csv; charset=utf-8",
    ".txt": "text/plain; charset=utf-8",
    ".tex": "text/plain; charset=utf-8",
    ".yaml": "text/plain; charset=utf-8",
    ".log": "text/plain; charset=utf-8",
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".gif": "image/gif",
    ".webp": "image/webp",
    ".svg": "image/svg+xml",
}
PAGE_CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
    "base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
)
# Files from the suite are data, never code (an SVG or HTML file cannot run script in our origin).
FILE_CSP = "sandbox; default-src 'none'; img-src 'self' data:; style-src 'unsafe-inline'"
MAX_PAGE = 500


def _finite(obj: Any) -> Any:
    """JSON for browsers: NaN and infinities become null (JSON.parse rejects them)."""
    if isinstance(obj, float) and not math.isfinite(obj):
        return None
    if isinstance(obj, dict):
        return {k: _finite(v) for k, v in obj.items()}
    if isinstance(obj, list):
        return [_finite(v) for v in obj]
    return obj


def json_bytes(obj: Any) -> bytes:
    try:
        text = json.dumps(obj, ensure_ascii=False, allow_nan=False)
    except ValueError:
        text = json.dumps(_finite(obj), ensure_ascii=False, allow_nan=False)
    return text.encode("utf-8")


def is_loopback(host: str) -> bool:
    """Whether binding to `host` keeps the server on this machine (``localhost``, 127.0.0.0/8, ``::1``)."""
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def _int_param(query: dict[str, list[str]], name: str, default: int, low: int, high: int) -> int:
    raw = query.get(name, [None])[-1]
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ServeError(400, f"{name} must be an integer, got {raw!r}") from None
    if not low <= value <= high:
        raise ServeError(400, f"{name} must be between {low} and {high}, got {value}")
    return value


def _str_param(query: dict[str, list[str]], name: str) -> str | None:
    values = query.get(name)
    return values[-1] if values and values[-1] != "" else None


class HelmServer(ThreadingHTTPServer):
    """Serves one `Store`; answers only requests whose Host names it exactly (see `host_check`)."""

    daemon_threads = True

    def __init__(self, address: tuple[str, int], store: Store, allowed_hosts: Iterable[str] = ()) -> None:
        if ":" in address[0]:
            self.address_family = socket.AF_INET6
        self.store = store
        super().__init__(address, Handler)
        self.host_policy = HostPolicy.for_server(address[0], int(self.server_address[1]), allowed_hosts)

    @property
    def url(self) -> str:
        host, port = self.server_address[:2]
        host = str(host)
        return f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"


class Handler(BaseHTTPRequestHandler):
    server: HelmServer
    server_version = f"helm-lite-server/{__version__}"
    sys_version = ""
    protocol_version = "HTTP/1.1"
    timeout = 120  # idle keep-alive connections release their thread

    # -- methods -----------------------------------------------------------------------------------
    def do_GET(self) -> None:
        self._serve(head=False)

    def do_HEAD(self) -> None:
        self._serve(head=True)

    def _not_allowed(self) -> None:
        self._send_json(405, {"error": "read-only server: only GET and HEAD are allowed"}, head=False)

    do_POST = do_PUT = do_DELETE = do_PATCH = do_OPTIONS = do_TRACE = do_CONNECT = _not_allowed

    def log_message(self, format: str, *args: Any) -> None:
        logger.debug("%s %s", self.address_string(), format % args)

    # -- responses ---------------------------------------------------------------------------------
    def _headers(self, status: int, content_type: str, length: int, extra: dict[str, str]) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(length))
        self.send_header("Cache-Control", "no-cache, no-store, must-revalidate")
        self.send_header("Expires", "0")
        self.send_header("X-Content-Type-Options", "nosniff")
        self.send_header("Referrer-Policy", "no-referrer")
        if status == 405:
            self.send_header("Allow", "GET, HEAD")
        for key, value in extra.items():
            self.send_header(key, value)
        self.end_headers()

    def _send_bytes(
        self, status: int, body: bytes, content_type: str, head: bool, extra: dict[str, str] | None = None
    ) -> None:
        self._headers(status, content_type, len(body), extra or {})
        if not head:
            self.wfile.write(body)

    def _send_json(self, status: int, obj: Any, head: bool) -> None:
        self._send_bytes(status, json_bytes(obj), "application/json; charset=utf-8", head)

    def _send_file(self, path: str, head: bool) -> None:
        if os.path.basename(path) == RUN_INFO_FILE:  # older versions wrote client keys into it
            with open(path, "rb") as f:
                text = f.read().decode("utf-8", "replace")
            try:
                body = json_bytes(scrub(json.loads(text)))
            except ValueError:
                body = redact(text).encode()
            self._send_bytes(
                200, body, "application/json; charset=utf-8", head, {"Content-Security-Policy": FILE_CSP}
            )
            return
        content_type = FILE_TYPES.get(os.path.splitext(path)[1].lower(), "application/octet-stream")
        with open(path, "rb") as f:
            size = os.fstat(f.fileno()).st_size
            self._headers(200, content_type, size, {"Content-Security-Policy": FILE_CSP})
            if not head:
                shutil.copyfileobj(f, self.wfile, 1 << 16)

    # -- dispatch ----------------------------------------------------------------------------------
    def _serve(self, head: bool) -> None:
        try:
            self._route(head)
        except ServeError as e:
            self._send_json(e.status, {"error": e.message}, head)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the browser went away
        except Exception:
            logger.exception("error serving %r", self.path)
            self._send_json(500, {"error": "internal server error (see the server log)"}, head)

    def _route(self, head: bool) -> None:
        self._check_host()
        raw_path, _, raw_query = self.path.partition("?")
        if not raw_path.startswith("/"):
            raise ServeError(400, "bad request path")
        try:
            segments = [unquote(s, errors="strict") for s in raw_path.split("/")[1:]]
            query = parse_qs(raw_query, keep_blank_values=True, errors="strict")
        except UnicodeDecodeError:
            raise ServeError(400, "the path is not valid UTF-8") from None
        if len(segments) > 1 and segments[-1] == "":
            segments.pop()
        store = self.server.store

        if segments == [""] or segments == ["index.html"]:
            self._static("index.html", head)
        elif len(segments) == 2 and segments[0] == "static" and segments[1] in STATIC_FILES:
            self._static(segments[1], head)
        elif segments[0] == "files" and len(segments) >= 3:
            self._send_file(store.suite(segments[1]).file(segments[2:]), head)
        elif segments[:2] == ["api", "suites"]:
            self._send_json(200, self._api(store, segments[2:], query), head)
        else:
            raise ServeError(404, "not found")

    def _api(self, store: Store, rest: list[str], query: dict[str, list[str]]) -> Any:
        if not rest:
            return {"suites": store.suites, "default": store.default_suite(), "version": __version__}
        suite = store.suite(rest[0])
        rest = rest[1:]
        if not rest:
            return suite.overview()
        if rest == ["leaderboard"]:
            uncertainty = _str_param(query, "uncertainty") or "1"
            if uncertainty not in ("0", "1"):
                raise ServeError(400, f"uncertainty must be 0 or 1, got {uncertainty!r}")
            return suite.leaderboard(_str_param(query, "metric_group") or MAIN, uncertainty == "1")
        if rest == ["head_to_head"]:
            a, b = _str_param(query, "a"), _str_param(query, "b")
            if a is None or b is None:
                raise ServeError(400, "head_to_head needs two deployments: ?a=…&b=…")
            return suite.head_to_head(a, b)
        if rest == ["runs"]:
            return suite.runs(
                model=_str_param(query, "model"),
                scenario=_str_param(query, "scenario"),
                group=_str_param(query, "group"),
            )
        if len(rest) == 2 and rest[0] == "runs":
            return suite.run(rest[1])
        if len(rest) == 3 and rest[0] == "runs" and rest[2] == "instances":
            status = _str_param(query, "status") or "all"
            if status not in INSTANCE_FILTERS:
                raise ServeError(400, f"status must be one of {', '.join(INSTANCE_FILTERS)}, got {status!r}")
            return suite.instances(
                rest[1],
                offset=_int_param(query, "offset", 0, 0, 10**9),
                limit=_int_param(query, "limit", 50, 1, MAX_PAGE),
                status=status,
                instance_id=_str_param(query, "id"),
            )
        if len(rest) == 2 and rest[0] == "groups":
            return suite.group(rest[1])
        raise ServeError(404, "no such API route")

    def _static(self, name: str, head: bool) -> None:
        body = resources.files("helm_lite.server").joinpath("static").joinpath(name).read_bytes()
        extra = {"Content-Security-Policy": PAGE_CSP} if name == "index.html" else {}
        self._send_bytes(200, body, STATIC_FILES[name], head, extra)

    def _check_host(self) -> None:
        """403 unless the Host header names this server exactly (DNS-rebinding guard).

        HTTP/1.1 requires exactly one Host header (400 otherwise); an HTTP/1.0 request may omit it
        (browsers, the rebinding risk, always send it)."""
        hosts = self.headers.get_all("Host") or []
        if not hosts:
            if self.request_version == "HTTP/1.0":
                return
            raise ServeError(400, "missing Host header")
        if len(hosts) > 1:
            raise ServeError(400, "more than one Host header")
        policy = self.server.host_policy
        if not policy.allows(hosts[0]):
            raise ServeError(403, f"Host header not allowed (DNS-rebinding guard): {policy.hint()}")


def create_server(
    output_path: str,
    suites: list[str] | None,
    host: str = "127.0.0.1",
    port: int = 8000,
    allowed_hosts: Iterable[str] = (),
    schema_path: str | None = None,
    default_suite: str | None = None,
) -> HelmServer:
    """A bound (not yet serving) server; port 0 picks a free port (see `server.server_address`).

    `suites=None` serves every suite of `<output_path>/runs/`, including those created later, and
    opens on `default_suite` (else the most recently modified one).

    Requests must name the server in their Host header: a loopback name, `host` itself, or one of
    `allowed_hosts`. Main metrics and directions come from the presentation schema at `schema_path`
    (default the packaged `schema_lite.yaml`, as for helm-summarize); a bad schema is a `UserError`."""
    from helm_lite.presentation.schema import DEFAULT_SCHEMA_PATH, load_schema

    schema = load_schema(schema_path or DEFAULT_SCHEMA_PATH)
    store = Store(output_path, suites, schema, default=default_suite)
    return HelmServer((host, port), store, allowed_hosts)
