"""Verified downloads of files from Hugging Face dataset repositories at a pinned commit.

A file HELM reads with ``datasets.load_dataset(repo, revision=...)`` is fetched here by its
``resolve/<commit>/<path>`` address. The hub's first answer states, in its headers, the file's content
hash (``X-Linked-Etag`` for a file kept in LFS or Xet storage: its SHA-256; ``ETag`` for a file kept in
git: its git blob SHA-1), its size (``X-Linked-Size`` or ``Content-Length``) and the commit it
resolved (``X-Repo-Commit``). The bytes, which usually come from a content-delivery host after a
redirect, are accepted only when they match all three, so a cut, substituted or wrongly-resolved file
is never written. A `HubFile` may add a check of its own (a published row count) that the data source
runs on a fresh download.
"""

from __future__ import annotations

import hashlib
import logging
import os
import re
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from helm_lite.common.atomic_file import atomic_open

logger = logging.getLogger(__name__)

ENDPOINT = "https://huggingface.co"
ENDPOINT_ENV = "HF_ENDPOINT"
_HEX40 = re.compile(r"[0-9a-f]{40}")
_HEX64 = re.compile(r"[0-9a-f]{64}")
_CHUNK = 1 << 20


class HubMismatch(ValueError):
    """The hub's answer does not vouch for the bytes (hash, size or commit differ, or are unstated)."""


@dataclass(frozen=True)
class HubFile:
    """`path` in the dataset repository `repo` at commit `revision` (40 hex digits: a branch could move).

    `check`, when given, is also run on a fresh download (e.g. the published row count), on top of the
    format check every copy gets. The hub is ``HF_ENDPOINT`` when set (a mirror of the hub, as for
    huggingface_hub), else huggingface.co."""

    repo: str
    revision: str
    path: str
    check: Callable[[Path], None] | None = None

    def __post_init__(self) -> None:
        if not _HEX40.fullmatch(self.revision):
            raise ValueError(f"{self.repo}: revision {self.revision!r} is not a commit hash")

    @property
    def url(self) -> str:
        endpoint = os.environ.get(ENDPOINT_ENV) or ENDPOINT
        return f"{endpoint.rstrip('/')}/datasets/{self.repo}/resolve/{self.revision}/{self.path}"


def git_blob_sha1(data: bytes) -> str:
    """Git's object name of a file with these bytes (what ``git hash-object`` prints)."""
    return hashlib.sha1(b"blob %d\0" % len(data) + data, usedforsecurity=False).hexdigest()


def download(file: HubFile, target: Path) -> None:
    """Write `file` to `target` whole, or raise (`HubMismatch`, `OSError`) leaving `target` as it was."""
    logger.info("Downloading %s", file.url)
    first = _first_answer(file.url)
    try:
        body = _verified_body(file, first)
    except BaseException:
        if first.body is not None:
            first.body.close()
        raise
    sha256 = hashlib.sha256()
    sha1 = hashlib.sha1(b"blob %d\0" % body.size, usedforsecurity=False)
    received = 0
    with body.stream, atomic_open(target, "wb") as out:
        while chunk := body.stream.read(_CHUNK):
            received += len(chunk)
            sha256.update(chunk)
            sha1.update(chunk)
            out.write(chunk)
        if received != body.size:
            raise HubMismatch(f"received {received} bytes where the hub stated {body.size}")
        lfs = len(body.etag) == 64
        digest, name = (sha256.hexdigest(), "SHA-256") if lfs else (sha1.hexdigest(), "git blob SHA-1")
        if digest != body.etag:
            raise HubMismatch(f"{name} {digest[:12]}… does not match the hub's {body.etag[:12]}…")


@dataclass(frozen=True)
class _Body:
    """The bytes to read and what the hub said they are."""

    stream: IO[bytes]
    etag: str
    size: int


def _verified_body(file: HubFile, first: _Answer) -> _Body:
    """Check the hub's statements about `file` and open its bytes (following the CDN redirect)."""
    headers = first.headers
    commit = headers.get("X-Repo-Commit")
    if commit != file.revision:
        raise HubMismatch(f"the hub resolved commit {commit or '(none stated)'}, not {file.revision}")
    etag = _normalise(headers.get("X-Linked-Etag") or headers.get("ETag"))
    if not (_HEX64.fullmatch(etag) or _HEX40.fullmatch(etag)):
        raise HubMismatch(f"the hub stated no content hash for {file.path} (ETag {etag or 'missing'})")
    redirected = 300 <= first.status < 400
    stated_size = headers.get("X-Linked-Size") or (None if redirected else headers.get("Content-Length"))
    if stated_size is None or not stated_size.isdigit():
        raise HubMismatch(f"the hub stated no size for {file.path}")
    if first.body is not None:
        return _Body(first.body, etag, int(stated_size))
    location = urllib.parse.urljoin(first.url, headers["Location"])
    return _Body(urllib.request.urlopen(location, timeout=60), etag, int(stated_size))  # noqa: S310


@dataclass(frozen=True)
class _Answer:
    """The hub's first answer, redirect or not: its status, headers and (for a 200) its body."""

    url: str
    status: int
    headers: Any
    body: IO[bytes] | None


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None  # the redirect's headers carry the hash: surface it as an HTTPError to read them


def _first_answer(url: str, hops: int = 5) -> _Answer:
    """The hub's answer for `url`, after the hub's own relative redirects (a renamed repository) but
    before a redirect to another host (the content store), whose headers no longer speak for the file."""
    opener = urllib.request.build_opener(_NoRedirect)
    try:
        response = opener.open(url, timeout=60)
    except urllib.error.HTTPError as e:
        location = e.headers.get("Location")
        if 300 <= e.code < 400 and location:
            e.close()
            relative = location.startswith("/") and not location.startswith("//")
            if relative and not e.headers.get("X-Linked-Etag") and hops > 0:
                return _first_answer(urllib.parse.urljoin(url, location), hops - 1)
            return _Answer(url, e.code, e.headers, None)
        raise
    if 300 <= response.status < 400:  # a redirect the handler could not refuse
        response.close()
        raise HubMismatch(f"the hub answered {response.status} without a Location")
    return _Answer(url, response.status, response.headers, response)


def _normalise(etag: str | None) -> str:
    """``W/"abc"`` or ``"abc"`` → ``abc`` (the two forms HTTP allows)."""
    if not etag:
        return ""
    return etag.removeprefix("W/").strip('"').lower()
