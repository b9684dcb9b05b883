"""Scenario data: a local data mirror first, then what an earlier run left, then the network.

Files live under ``<output>/scenarios/<relative path>`` exactly where HELM's downloaders put them, and a
mirror (``--data-mirror DIR`` or ``HELM_LITE_DATA_MIRROR``) is laid out the same way, so a folder HELM
filled can serve as a mirror. Every file is checked (SHA-256 or git blob SHA-1, minimum size and/or
a parse check) before use; a file of a Hugging Face dataset (`HubFile`) is downloaded only when its
bytes match the hash, size and commit the hub states for it (`common/hub.py`). A bad cached file is
deleted and fetched again, and a download is written to a temporary file and renamed only once it
passes, so nothing half-written is ever used.
"""

from __future__ import annotations

import hashlib
import logging
import os
import shutil
import tarfile
import tempfile
import urllib.request
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from helm_lite.common.atomic_file import atomic_open
from helm_lite.common.data_reads import note
from helm_lite.common.errors import UserError
from helm_lite.common.hub import HubFile, HubMismatch, git_blob_sha1
from helm_lite.common.hub import download as hub_download

logger = logging.getLogger(__name__)

MIRROR_ENV = "HELM_LITE_DATA_MIRROR"
OFFLINE_ENV = "HELM_LITE_OFFLINE"

Check = Callable[[Path], None]  # raises (any exception) when the file is unusable


@dataclass(frozen=True)
class Archive:
    """A download that must be unpacked: `url`, `kind` ("tar", "zip", "gz"), where to unpack it
    (relative to the scenarios root) and an optional top folder in the archive to rename."""

    url: str
    kind: str
    unpack_to: str
    rename_top: str | None = None


@dataclass(frozen=True)
class DataSource:
    """Where a run's scenario data comes from. Injected into scenarios that ask for `data_source`."""

    scenarios_root: str = "benchmark_output/scenarios"
    mirror: str | None = None

    @staticmethod
    def from_settings(output_path: str, mirror: str | None) -> DataSource:
        mirror = mirror or os.environ.get(MIRROR_ENV) or None
        return DataSource(os.path.join(output_path, "scenarios"), mirror)

    @staticmethod
    def for_scenario_dir(output_path: str) -> DataSource:
        """The default when the runner injected none: `output_path` is `<output>/scenarios/<name>`,
        and the mirror comes from `HELM_LITE_DATA_MIRROR` if set."""
        return DataSource.from_settings(os.path.dirname(os.path.dirname(os.path.abspath(output_path))), None)

    def file(
        self,
        relative: str,
        *,
        url: str | HubFile | None = None,
        archive: Archive | None = None,
        sha256: str | None = None,
        git_blob: str | None = None,
        min_size: int = 1,
        check: Check | None = None,
    ) -> Path:
        """A verified local path for `relative` (e.g. ``gsm/gsm_data_test``), fetching it if needed.

        `git_blob` pins a file taken from a git repository by its object name (``git hash-object``)."""
        digests = _Digests(sha256, git_blob)

        def good(path: Path) -> bool:
            return _verify(path, digests, min_size, check) is None

        if self.mirror:
            mirrored = Path(self.mirror) / relative
            if mirrored.exists():
                problem = _verify(mirrored, digests, min_size, check)
                if problem is None:
                    return note(relative, mirrored)
                logger.warning("Ignoring %s from the data mirror: %s", mirrored, problem)
        target = Path(self.scenarios_root) / relative
        if target.exists():
            if good(target):
                return note(relative, target)
            logger.warning("Deleting damaged %s and fetching it again", target)
            target.unlink()
        if url is None and archive is None:
            raise UserError(self._missing(relative, None))
        source = archive.url if archive is not None else url.url if isinstance(url, HubFile) else url
        if os.environ.get(OFFLINE_ENV):
            raise UserError(self._missing(relative, source))
        try:
            if archive is not None:
                self._fetch_archive(archive)
            elif isinstance(url, HubFile):
                hub_download(url, target)
            else:
                assert url is not None
                _download(url, target)
        except HubMismatch as e:
            raise UserError(f"{relative}: download from {source} refused (nothing written): {e}") from e
        except (tarfile.TarError, zipfile.BadZipFile) as e:
            # e.g. a file host answering with an HTML page instead of the archive
            kind = archive.kind if archive is not None else "archive"
            raise UserError(
                f"{relative}: the download from {source} is not a {kind} archive ({e}); fetch it by hand "
                "(e.g. in a browser) and put the files in a data mirror"
            ) from e
        except OSError as e:
            raise UserError(f"{self._missing(relative, source)} ({e})") from e
        problem = _verify(target, digests, min_size, check) if target.exists() else "not in the download"
        if problem is None and isinstance(url, HubFile) and url.check is not None:
            problem = _verify(target, _Digests(), min_size, url.check)
        if problem is not None:
            if target.exists():
                target.unlink()
            raise UserError(f"{relative}: downloaded file is unusable: {problem}")
        return note(relative, target)

    def _missing(self, relative: str, source: str | None) -> str:
        where = [str(Path(self.scenarios_root) / relative)]
        if self.mirror:
            where.append(str(Path(self.mirror) / relative))
        text = f"scenario data {relative} is missing (looked in {' and '.join(where)})"
        if source:
            text += f"; it comes from {source} — fetch it with network access or put it in a data mirror"
        else:
            text += "; put it in a data mirror (--data-mirror or HELM_LITE_DATA_MIRROR)"
        return text

    def _fetch_archive(self, archive: Archive) -> None:
        dest = Path(self.scenarios_root) / archive.unpack_to
        dest.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory(dir=dest.parent, prefix=".download-") as tmp:
            file = Path(tmp) / "archive"
            _download(archive.url, file)
            unpacked = Path(tmp) / "unpacked"
            if archive.kind == "tar":
                with tarfile.open(file) as tf:
                    tf.extractall(unpacked, filter="data")
            elif archive.kind == "zip":
                with zipfile.ZipFile(file) as zf:
                    zf.extractall(unpacked)
            else:
                raise ValueError(f"unknown archive kind {archive.kind!r}")
            source = unpacked / archive.rename_top if archive.rename_top else unpacked
            if dest.exists():
                shutil.rmtree(dest)
            os.replace(source, dest)


@dataclass(frozen=True)
class _Digests:
    """The pinned hashes of a file, if any."""

    sha256: str | None = None
    git_blob: str | None = None

    def problem(self, path: Path) -> str | None:
        if self.sha256 is None and self.git_blob is None:
            return None
        data = path.read_bytes()
        if self.sha256 is not None and (actual := hashlib.sha256(data).hexdigest()) != self.sha256:
            return f"SHA-256 {actual[:12]}… does not match {self.sha256[:12]}…"
        if self.git_blob is not None and (actual := git_blob_sha1(data)) != self.git_blob:
            return f"git blob SHA-1 {actual[:12]}… does not match {self.git_blob[:12]}…"
        return None


def file_problem(
    path: Path,
    *,
    sha256: str | None = None,
    git_blob: str | None = None,
    min_size: int = 1,
    check: Check | None = None,
) -> str | None:
    """None when the file at `path` passes these checks, else what is wrong with it."""
    return _verify(path, _Digests(sha256, git_blob), min_size, check)


def _verify(path: Path, digests: _Digests, min_size: int, check: Check | None) -> str | None:
    """None when the file is usable, else what is wrong with it."""
    try:
        size = path.stat().st_size
    except OSError as e:
        return str(e)
    if size < min_size:
        return f"only {size} bytes"
    if (problem := digests.problem(path)) is not None:
        return problem
    if check is not None:
        try:
            check(path)
        except Exception as e:  # any parse failure means the file cannot be used
            return f"does not parse ({type(e).__name__}: {e})"
    return None


def _download(url: str, target: Path) -> None:
    """Download to a temporary file beside `target`, then rename: never a half-written file."""
    logger.info("Downloading %s", url)
    with atomic_open(target, "wb") as out, urllib.request.urlopen(url, timeout=60) as response:  # noqa: S310
        shutil.copyfileobj(response, out)
