"""Downloads from a Hugging Face dataset at a pinned commit are written only when the bytes match what
the hub states for them; a git-pinned file is read only with its blob id. Served by tests/fake_hub.py."""

from __future__ import annotations

import hashlib
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from fake_hub import FakeHub, HubEntry, fake_hub

from helm_lite.common import data, hub
from helm_lite.common.data import DataSource
from helm_lite.common.errors import UserError
from helm_lite.common.hub import HubFile, git_blob_sha1

REPO = "someone/some-bench"
COMMIT = "0123456789abcdef0123456789abcdef01234567"
PATH = "v2/test-00000-of-00001.parquet"
DATA = b"the published bytes\n" * 50
RELATIVE = "some_bench/test.parquet"
FILE = HubFile(REPO, COMMIT, PATH)


@pytest.fixture
def server(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeHub]:
    monkeypatch.delenv(data.OFFLINE_ENV, raising=False)
    monkeypatch.delenv(data.MIRROR_ENV, raising=False)
    with fake_hub() as h:
        monkeypatch.setenv(hub.ENDPOINT_ENV, h.endpoint)
        yield h


def _fetch(tmp_path: Path, file: HubFile = FILE) -> Path:
    return DataSource(str(tmp_path / "scenarios")).file(RELATIVE, url=file)


def _written(tmp_path: Path) -> list[str]:
    root = tmp_path / "scenarios"
    return sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file()) if root.exists() else []


def test_an_lfs_file_is_fetched_from_the_content_store_and_checked(tmp_path: Path, server: FakeHub) -> None:
    server.put(REPO, COMMIT, PATH, HubEntry(DATA))
    path = _fetch(tmp_path)
    assert path.read_bytes() == DATA
    # Asked the hub at the pinned commit, then the content store it pointed to.
    assert server.requests == [f"/datasets/{REPO}/resolve/{COMMIT}/{PATH}", f"/cdn/{REPO}@{COMMIT}:{PATH}"]


def test_a_git_file_is_checked_against_its_blob_id(tmp_path: Path, server: FakeHub) -> None:
    server.put(REPO, COMMIT, PATH, HubEntry(DATA, lfs=False))
    assert _fetch(tmp_path).read_bytes() == DATA


@pytest.mark.parametrize("lfs", [True, False])
def test_other_bytes_than_the_hub_states_are_refused_and_nothing_is_written(
    tmp_path: Path, server: FakeHub, lfs: bool
) -> None:
    tampered = DATA.replace(b"published", b"tampered!")
    assert len(tampered) == len(DATA)
    server.put(REPO, COMMIT, PATH, HubEntry(DATA, lfs=lfs, served=tampered))
    name = "SHA-256" if lfs else "git blob SHA-1"
    with pytest.raises(
        UserError, match=f"{RELATIVE}: download from .* refused \\(nothing written\\): {name}"
    ):
        _fetch(tmp_path)
    assert _written(tmp_path) == []


def test_a_cut_download_is_refused(tmp_path: Path, server: FakeHub) -> None:
    server.put(REPO, COMMIT, PATH, HubEntry(DATA, served=DATA[:-7]))
    with pytest.raises(UserError, match=f"received {len(DATA) - 7} bytes where the hub stated {len(DATA)}"):
        _fetch(tmp_path)
    assert _written(tmp_path) == []


def test_another_commit_or_no_stated_hash_is_refused(tmp_path: Path, server: FakeHub) -> None:
    server.put(REPO, COMMIT, PATH, HubEntry(DATA, commit="f" * 40))
    with pytest.raises(UserError, match=f"the hub resolved commit f{{40}}, not {COMMIT}"):
        _fetch(tmp_path)
    server.put(REPO, COMMIT, PATH, HubEntry(DATA, state_hash=False))
    with pytest.raises(UserError, match="the hub stated no content hash"):
        _fetch(tmp_path)
    assert _written(tmp_path) == []


def test_a_renamed_repository_is_followed_on_the_hub(tmp_path: Path, server: FakeHub) -> None:
    server.renamed[REPO] = "someone/renamed-bench"
    server.put("someone/renamed-bench", COMMIT, PATH, HubEntry(DATA))
    assert _fetch(tmp_path).read_bytes() == DATA


def test_the_files_own_download_check_can_refuse_it(tmp_path: Path, server: FakeHub) -> None:
    def published_rows(path: Path) -> None:
        if (n := path.read_bytes().count(b"\n")) != 51:
            raise ValueError(f"{n} rows where the published split has 51")

    server.put(REPO, COMMIT, PATH, HubEntry(DATA))
    with pytest.raises(
        UserError, match="downloaded file is unusable: .*50 rows where the published split has 51"
    ):
        _fetch(tmp_path, HubFile(REPO, COMMIT, PATH, check=published_rows))
    assert _written(tmp_path) == []


def test_a_missing_file_and_offline_name_the_pinned_address(
    tmp_path: Path, server: FakeHub, monkeypatch: pytest.MonkeyPatch
) -> None:
    with pytest.raises(UserError, match="HTTP Error 404"):
        _fetch(tmp_path)
    monkeypatch.setenv(data.OFFLINE_ENV, "1")
    with pytest.raises(
        UserError, match=f"comes from {server.endpoint}/datasets/{REPO}/resolve/{COMMIT}/{PATH}"
    ):
        _fetch(tmp_path)


def test_a_revision_must_be_a_commit() -> None:
    with pytest.raises(ValueError, match="'main' is not a commit hash"):
        HubFile(REPO, "main", PATH)


def test_git_blob_id_is_what_git_computes(tmp_path: Path) -> None:
    file = tmp_path / "f.jsonl"
    file.write_bytes(DATA)
    out = subprocess.run(["git", "hash-object", str(file)], capture_output=True, text=True, check=True)
    assert git_blob_sha1(DATA) == out.stdout.strip()


def test_a_mirror_file_without_its_pinned_blob_id_is_ignored(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setenv(data.OFFLINE_ENV, "1")
    mirror = tmp_path / "mirror"
    (mirror / "some_bench").mkdir(parents=True)
    (mirror / RELATIVE).write_bytes(DATA)
    source = DataSource(str(tmp_path / "scenarios"), str(mirror))
    assert source.file(RELATIVE, git_blob=git_blob_sha1(DATA)) == mirror / RELATIVE
    wrong = hashlib.sha1(b"x").hexdigest()
    with pytest.raises(UserError, match="is missing"):
        source.file(RELATIVE, git_blob=wrong)
    assert f"git blob SHA-1 {git_blob_sha1(DATA)[:12]}… does not match {wrong[:12]}…" in caplog.text
