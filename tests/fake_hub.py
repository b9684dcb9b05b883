"""A Hugging Face hub on 127.0.0.1 that answers `resolve` as the real one does.

A file kept in LFS/Xet storage gets a 302 whose headers state its SHA-256 (``X-Linked-Etag``), size
(``X-Linked-Size``) and the resolved commit (``X-Repo-Commit``), pointing at a content store on another
host name (``localhost``); a file kept in git is served at once with its git blob SHA-1 as ``ETag``.
Tests point ``HF_ENDPOINT`` at it and can make it lie (other bytes, another commit, no hash).
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from helm_lite.common.hub import git_blob_sha1


@dataclass
class HubEntry:
    data: bytes
    lfs: bool = True
    served: bytes | None = None  # what the content store sends instead of `data`
    commit: str | None = None  # the commit the hub states instead of the requested one
    state_hash: bool = True


@dataclass
class FakeHub:
    port: int = 0
    files: dict[str, HubEntry] = field(default_factory=dict)  # "<repo>@<revision>:<path>" → entry
    renamed: dict[str, str] = field(default_factory=dict)  # old repo → new repo (a relative redirect)
    requests: list[str] = field(default_factory=list)

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def put(self, repo: str, revision: str, path: str, entry: HubEntry) -> None:
        self.files[f"{repo}@{revision}:{path}"] = entry


def _handler(hub: FakeHub) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            hub.requests.append(self.path)
            if self.path.startswith("/cdn/"):
                key = self.path.removeprefix("/cdn/")
                entry = hub.files.get(key)
                if entry is None:
                    return self._reply(404, {}, b"no such object")
                body = entry.served if entry.served is not None else entry.data
                return self._reply(200, {"Content-Length": str(len(body))}, body)
            # /datasets/<owner>/<name>/resolve/<revision>/<path>
            parts = self.path.split("/", 6)
            if len(parts) < 7 or parts[1] != "datasets" or parts[4] != "resolve":
                return self._reply(404, {}, b"not a resolve address")
            repo, revision, path = f"{parts[2]}/{parts[3]}", parts[5], parts[6]
            if repo in hub.renamed:
                new = f"/datasets/{hub.renamed[repo]}/resolve/{revision}/{path}"
                return self._reply(307, {"Location": new}, b"")
            key = f"{repo}@{revision}:{path}"
            entry = hub.files.get(key)
            if entry is None:
                return self._reply(404, {}, b"Entry not found")
            headers = {"X-Repo-Commit": entry.commit or revision}
            if entry.lfs:
                if entry.state_hash:
                    headers["X-Linked-Etag"] = f'"{hashlib.sha256(entry.data).hexdigest()}"'
                headers["X-Linked-Size"] = str(len(entry.data))
                headers["Location"] = f"http://localhost:{hub.port}/cdn/{key}"
                return self._reply(302, headers, b"")
            body = entry.served if entry.served is not None else entry.data
            if entry.state_hash:
                headers["ETag"] = f'"{git_blob_sha1(entry.data)}"'
            headers["Content-Length"] = str(len(body))
            return self._reply(200, headers, body)

        def _reply(self, status: int, headers: dict[str, str], body: bytes) -> None:
            self.send_response(status)
            for name, value in headers.items():
                self.send_header(name, value)
            if "Content-Length" not in headers:
                self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    return Handler


@contextmanager
def fake_hub() -> Iterator[FakeHub]:
    hub = FakeHub()
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _handler(hub))
    hub.port = httpd.server_address[1]
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield hub
    finally:
        httpd.shutdown()
        httpd.server_close()
