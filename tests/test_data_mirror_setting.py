"""The tests find the real scenario data where helm-run does: `$HELM_LITE_DATA_MIRROR` first, then
`../shared/data/scenarios`; in CI a mirror that is not there stops the session instead of skipping."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

TESTS = Path(__file__).resolve().parent


def _mirror_seen(env: dict[str, str]) -> str:
    proc = subprocess.run(
        [sys.executable, "-c", "import data_mirror; print(data_mirror.MIRROR)"],
        cwd=TESTS,
        env=env,
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert proc.returncode == 0, proc.stderr
    return proc.stdout.strip()


def test_the_environment_setting_comes_first(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k != "HELM_LITE_DATA_MIRROR"}
    assert _mirror_seen({**env, "HELM_LITE_DATA_MIRROR": str(tmp_path)}) == str(tmp_path)
    assert _mirror_seen(env) == str(TESTS.parent.parent / "shared" / "data" / "scenarios")


def test_ci_stops_when_the_configured_mirror_is_missing(tmp_path: Path) -> None:
    missing = tmp_path / "no-mirror"
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:cacheprovider",
            "--collect-only",
            str(TESTS / "test_data_mirror_setting.py"),
        ],
        cwd=TESTS.parent,
        env={**os.environ, "CI": "1", "HELM_LITE_DATA_MIRROR": str(missing)},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 4, proc.stdout + proc.stderr  # pytest's usage-error status
    assert f"CI needs the data mirror at {missing}" in proc.stdout + proc.stderr
