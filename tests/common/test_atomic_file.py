"""Outputs appear whole or not at all, readable as a plain `open` would leave them."""

from __future__ import annotations

import os
import stat

import pytest

from helm_lite.common.atomic_file import atomic_open
from helm_lite.common.json_io import write_json_atomic


def test_written_files_get_the_umask_mode_not_mkstemps_0600(tmp_path) -> None:
    umask = os.umask(0o022)
    os.umask(umask)
    path = tmp_path / "out" / "stats.json"
    write_json_atomic(str(path), {"a": 1})
    assert stat.S_IMODE(path.stat().st_mode) == 0o666 & ~umask
    assert path.read_text() == '{\n  "a": 1\n}'


def test_a_failed_write_keeps_the_old_file_and_leaves_no_temporary(tmp_path) -> None:
    path = tmp_path / "run_spec.json"
    path.write_text("old")
    with pytest.raises(RuntimeError), atomic_open(path) as f:
        f.write("half of the new")
        raise RuntimeError("interrupted")
    assert path.read_text() == "old"
    assert os.listdir(tmp_path) == ["run_spec.json"]


def test_binary_mode(tmp_path) -> None:
    with atomic_open(tmp_path / "plot.png", "wb") as f:
        f.write(b"\x89PNG")
    assert (tmp_path / "plot.png").read_bytes() == b"\x89PNG"
