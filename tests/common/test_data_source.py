"""DataSource: mirror first, then the cache, then a verified download (file:// URLs, no network)."""

from __future__ import annotations

import hashlib
import io
import logging
import tarfile
import zipfile
from pathlib import Path

import pytest

from helm_lite.common.data import OFFLINE_ENV, Archive, DataSource
from helm_lite.common.errors import UserError


def _no_digits(path: Path) -> None:
    """A parse check standing in for a scenario's: a file containing a digit is 'corrupt'."""
    if any(c.isdigit() for c in path.read_text()):
        raise ValueError("contains a digit")


@pytest.fixture
def dirs(tmp_path: Path) -> tuple[Path, Path, Path]:
    """(scenarios root = the cache, mirror, upstream folder served through file:// URLs)."""
    root, mirror, upstream = tmp_path / "scenarios", tmp_path / "mirror", tmp_path / "upstream"
    for d in (root, mirror, upstream):
        d.mkdir()
    return root, mirror, upstream


def _put(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def test_mirror_hit_is_used_in_place(dirs: tuple[Path, Path, Path]) -> None:
    root, mirror, upstream = dirs
    _put(mirror / "x/a.txt", "mirrored")
    source = DataSource(str(root), str(mirror))
    missing_url = (upstream / "absent").as_uri()  # would fail if a download were tried
    assert source.file("x/a.txt", url=missing_url) == mirror / "x/a.txt"
    assert list(root.iterdir()) == []  # nothing copied into the cache


def test_damaged_mirror_file_is_ignored_and_the_cache_used(
    dirs: tuple[Path, Path, Path], caplog: pytest.LogCaptureFixture
) -> None:
    root, mirror, _ = dirs
    _put(mirror / "x/a.txt", "damaged 1")
    _put(root / "x/a.txt", "good")
    with caplog.at_level(logging.WARNING):
        path = DataSource(str(root), str(mirror)).file("x/a.txt", check=_no_digits)
    assert path == root / "x/a.txt"
    assert "Ignoring" in caplog.text and "contains a digit" in caplog.text
    assert (mirror / "x/a.txt").read_text() == "damaged 1"  # a mirror is never modified


def test_cached_file_is_reused_without_downloading(dirs: tuple[Path, Path, Path]) -> None:
    root, _, upstream = dirs
    _put(root / "x/a.txt", "cached")
    path = DataSource(str(root)).file("x/a.txt", url=(upstream / "absent").as_uri(), check=_no_digits)
    assert path.read_text() == "cached"


def test_download_when_missing(dirs: tuple[Path, Path, Path]) -> None:
    root, _, upstream = dirs
    url = _put(upstream / "a.txt", "fresh").as_uri()
    path = DataSource(str(root)).file("x/a.txt", url=url, check=_no_digits)
    assert path == root / "x/a.txt" and path.read_text() == "fresh"
    assert [p.name for p in path.parent.iterdir()] == ["a.txt"]  # no temporary file left behind


def test_damaged_cached_file_is_deleted_and_fetched_again(
    dirs: tuple[Path, Path, Path], caplog: pytest.LogCaptureFixture
) -> None:
    root, _, upstream = dirs
    _put(root / "x/a.txt", "trunc4ted")
    url = _put(upstream / "a.txt", "complete").as_uri()
    with caplog.at_level(logging.WARNING):
        path = DataSource(str(root)).file("x/a.txt", url=url, check=_no_digits)
    assert path.read_text() == "complete"
    assert "Deleting damaged" in caplog.text


def test_unusable_download_is_not_kept(dirs: tuple[Path, Path, Path]) -> None:
    root, _, upstream = dirs
    url = _put(upstream / "a.txt", "bad 1").as_uri()
    with pytest.raises(UserError, match=r"x/a.txt: downloaded file is unusable: does not parse"):
        DataSource(str(root)).file("x/a.txt", url=url, check=_no_digits)
    assert not (root / "x/a.txt").exists()


def test_offline_names_the_file_and_its_source(
    dirs: tuple[Path, Path, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    root, mirror, upstream = dirs
    url = _put(upstream / "a.txt", "available").as_uri()
    monkeypatch.setenv(OFFLINE_ENV, "1")
    with pytest.raises(UserError) as info:
        DataSource(str(root), str(mirror)).file("x/a.txt", url=url)
    message = str(info.value)
    assert "scenario data x/a.txt is missing" in message
    assert str(root / "x/a.txt") in message and str(mirror / "x/a.txt") in message
    assert url in message
    assert not (root / "x/a.txt").exists()  # really offline: nothing fetched


def test_no_source_at_all_points_to_a_mirror(dirs: tuple[Path, Path, Path]) -> None:
    root, _, _ = dirs
    with pytest.raises(UserError, match="put it in a data mirror"):
        DataSource(str(root)).file("x/a.txt")


def test_failed_download_is_a_user_error_naming_the_url(dirs: tuple[Path, Path, Path]) -> None:
    root, _, upstream = dirs
    url = (upstream / "absent.txt").as_uri()
    with pytest.raises(UserError) as info:
        DataSource(str(root)).file("x/a.txt", url=url)
    assert url in str(info.value) and "x/a.txt" in str(info.value)
    assert not (root / "x").exists() or list((root / "x").iterdir()) == []


def _sha(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def test_sha256_mismatch(dirs: tuple[Path, Path, Path]) -> None:
    root, mirror, upstream = dirs
    _put(mirror / "x/a.txt", "tampered")
    _put(root / "x/a.txt", "also tampered")
    url = _put(upstream / "a.txt", "genuine").as_uri()
    source = DataSource(str(root), str(mirror))
    # Mirror and cache copies fail the digest; the cached one is replaced by a good download.
    assert source.file("x/a.txt", url=url, sha256=_sha("genuine")).read_text() == "genuine"
    # A download whose digest does not match is refused and removed.
    with pytest.raises(UserError, match="SHA-256"):
        DataSource(str(root / "other")).file("x/a.txt", url=url, sha256=_sha("something else"))
    assert not (root / "other/x/a.txt").exists()


def test_min_size(dirs: tuple[Path, Path, Path]) -> None:
    root, mirror, upstream = dirs
    _put(mirror / "x/a.txt", "")
    url = _put(upstream / "a.txt", "non-empty").as_uri()
    assert DataSource(str(root), str(mirror)).file("x/a.txt", url=url).read_text() == "non-empty"


def _tar(path: Path, files: dict[str, str]) -> Path:
    with tarfile.open(path, "w") as tf:
        for name, text in files.items():
            data = text.encode()
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tf.addfile(info, io.BytesIO(data))
    return path


def test_tar_archive_is_unpacked_and_its_top_folder_renamed(dirs: tuple[Path, Path, Path]) -> None:
    root, _, upstream = dirs
    tar = _tar(upstream / "data.tar", {"data/dev/a.csv": "dev", "data/test/a.csv": "test"})
    archive = Archive(tar.as_uri(), "tar", "bench/data", rename_top="data")
    source = DataSource(str(root))
    assert source.file("bench/data/dev/a.csv", archive=archive).read_text() == "dev"
    # The rest of the archive came with it: the next file needs no download.
    tar.unlink()
    assert source.file("bench/data/test/a.csv", archive=archive).read_text() == "test"
    assert sorted(p.name for p in root.iterdir()) == ["bench"]  # no temporary folders left


def test_zip_archive(dirs: tuple[Path, Path, Path]) -> None:
    root, _, upstream = dirs
    with zipfile.ZipFile(upstream / "d.zip", "w") as zf:
        zf.writestr("inner/b.txt", "zipped")
    archive = Archive((upstream / "d.zip").as_uri(), "zip", "bench/unzipped")
    assert DataSource(str(root)).file("bench/unzipped/inner/b.txt", archive=archive).read_text() == "zipped"


def test_archive_without_the_file(dirs: tuple[Path, Path, Path]) -> None:
    root, _, upstream = dirs
    tar = _tar(upstream / "data.tar", {"data/dev/a.csv": "dev"})
    archive = Archive(tar.as_uri(), "tar", "bench/data", rename_top="data")
    with pytest.raises(UserError, match="not in the download"):
        DataSource(str(root)).file("bench/data/dev/missing.csv", archive=archive)


def test_from_settings_reads_the_mirror_from_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HELM_LITE_DATA_MIRROR", str(tmp_path / "m"))
    assert DataSource.from_settings("out", None) == DataSource("out/scenarios", str(tmp_path / "m"))
    assert DataSource.from_settings("out", "flag").mirror == "flag"  # the flag wins


def test_a_download_that_is_not_an_archive_is_a_clear_error(tmp_path) -> None:
    from helm_lite.common.data import Archive, DataSource
    from helm_lite.common.errors import UserError

    page = tmp_path / "page.html"
    page.write_text("<html>quota exceeded</html>")
    source = DataSource(str(tmp_path / "scenarios"))
    archive = Archive(url=page.as_uri(), kind="zip", unpack_to="x/data")
    try:
        source.file("x/data/rows.jsonl", archive=archive)
    except UserError as e:
        assert "is not a zip archive" in str(e) and page.as_uri() in str(e)
    else:
        raise AssertionError("expected a UserError")
    assert not (tmp_path / "scenarios" / "x" / "data").exists()


def test_default_source_for_a_scenario_dir_uses_its_parent_and_the_env_mirror(tmp_path, monkeypatch) -> None:
    from helm_lite.common.data import MIRROR_ENV, DataSource

    monkeypatch.setenv(MIRROR_ENV, str(tmp_path / "mirror"))
    source = DataSource.for_scenario_dir(str(tmp_path / "out" / "scenarios" / "gsm"))
    assert source.scenarios_root == str(tmp_path / "out" / "scenarios")
    assert source.mirror == str(tmp_path / "mirror")
