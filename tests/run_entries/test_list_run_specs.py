"""`helm-run --list-run-specs`: every run-spec function with its arguments, sorted, without `-m`."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from helm_lite.run_specs.registry import all_run_spec_names

PLUGIN = """\
from helm_lite.run_specs.registry import run_spec_function


@run_spec_function("aaa_my_task")
def my_task(level: int, note: str = "x"):
    raise NotImplementedError
"""


def _list(tmp_path: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "helm_lite.cli.run", "--list-run-specs", *extra],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_lists_every_run_spec_with_its_arguments(tmp_path: Path) -> None:
    proc = _list(tmp_path)
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    assert lines == sorted(lines)
    assert [line.split("(", 1)[0] for line in lines] == all_run_spec_names()
    assert "mmlu(subject: str, method: str = 'multiple_choice_joint')" in lines
    assert "dyck_language(num_parenthesis_pairs: int)" in lines
    assert "gsm()" in lines
    assert not list(tmp_path.iterdir())  # nothing written


def test_plugins_are_listed_and_other_flags_are_ignored(tmp_path: Path) -> None:
    (tmp_path / "my_plugin.py").write_text(PLUGIN)
    proc = _list(tmp_path, "--plugins", "my_plugin.py", "--suite", "x")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.splitlines()[0] == "aaa_my_task(level: int, note: str = 'x')"


def test_a_broken_plugin_is_one_line(tmp_path: Path) -> None:
    (tmp_path / "bad.py").write_text("raise RuntimeError('boom')\n")
    proc = _list(tmp_path, "--plugins", "bad.py")
    assert proc.returncode == 2
    assert len(proc.stderr.strip().splitlines()) == 1
    assert proc.stderr.startswith("helm-run: error: ") and "bad.py" in proc.stderr
