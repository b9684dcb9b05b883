"""Shared fixtures: run helm-run in a scratch directory, in-process or as a real subprocess."""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest
from data_mirror import DEFAULT_MIRROR, data_mirror

REPO = Path(__file__).resolve().parent.parent
# $HELM_LITE_DATA_MIRROR first, else ../shared/data/scenarios (see data_mirror.py).
SHARED_DATA = data_mirror()


@dataclass
class Completed:
    returncode: int
    stdout: str
    stderr: str


@pytest.fixture
def helm_run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """Run `helm-run ARGS…` in a real subprocess with `tmp_path` as the working directory."""
    monkeypatch.chdir(tmp_path)

    def run(*args: str, cwd: Path | None = None) -> Completed:
        proc = subprocess.run(
            [sys.executable, "-m", "helm_lite.cli.run", "--no-progress", *args],
            cwd=cwd or tmp_path,
            capture_output=True,
            text=True,
            timeout=300,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )
        return Completed(proc.returncode, proc.stdout, proc.stderr)

    return run


@pytest.fixture(scope="session")
def smollm2_path() -> str:
    """The bundled SmolLM2's HF-format folder (de-quantised once per machine, ~25 s the first time)."""
    pytest.importorskip("transformers")
    from helm_lite.models.bundled import resolve_model_path

    return resolve_model_path("bundled/smollm2-135m-instruct")


def pytest_configure(config: pytest.Config) -> None:
    """In CI the real-data tests must run: a missing data mirror is an error, not a skip."""
    if os.environ.get("CI") and not SHARED_DATA.is_dir():
        raise pytest.UsageError(
            f"CI needs the data mirror at {SHARED_DATA} ($HELM_LITE_DATA_MIRROR, else "
            f"{DEFAULT_MIRROR}); real-data tests would skip"
        )
