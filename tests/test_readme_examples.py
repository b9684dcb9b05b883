"""What the README shows works as shown: the files and commands are read out of README.md itself, so
the two cannot drift apart."""

from __future__ import annotations

import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
README = (REPO / "README.md").read_text(encoding="utf-8")


def _section(title: str) -> str:
    start = README.index(f"\n## {title}\n")
    end = README.find("\n## ", start + 1)
    return README[start : end if end != -1 else None]


def _commands(block: str) -> list[list[str]]:
    """The shell commands of a ```bash block (continuation lines joined), split into words."""
    joined = block.replace("\\\n", " ")
    commands = [shlex.split(line, comments=True) for line in joined.splitlines()]
    return [words for words in commands if words]


def _helm_run(words: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    assert words[0] == "helm-run", words
    return subprocess.run(
        [sys.executable, "-m", "helm_lite.cli.run", "--no-progress", *words[1:]],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_user_data_example_files_and_command_run(tmp_path: Path) -> None:
    section = _section("Evaluating your own data")
    files = re.findall(r"^`([\w.-]+\.jsonl)`[^\n]*:\n\n```json\n(.*?)```", section, re.M | re.S)
    assert [name for name, _ in files] == ["capitals.jsonl", "sums.jsonl"]
    for name, text in files:
        (tmp_path / name).write_text(text, encoding="utf-8")
    (block,) = re.findall(r"```bash\n(.*?)```", section, re.S)
    (command,) = _commands(block)
    proc = _helm_run(command, tmp_path)
    assert proc.returncode == 0, proc.stderr
    suite = tmp_path / "benchmark_output" / "runs" / "my-data"
    runs = sorted(p.name for p in suite.iterdir() if (p / "stats.json").is_file())
    assert len(runs) == 2, runs


def _running_evaluations_commands() -> list[list[str]]:
    (block,) = re.findall(r"```bash\n(.*?)```", _section("Running evaluations"), re.S)
    return [c for c in _commands(block) if c[0] == "helm-run"]


def test_running_evaluations_commands_write_separate_suites() -> None:
    commands = _running_evaluations_commands()
    assert len(commands) == 2
    suites = [c[c.index("--suite") + 1] for c in commands]
    assert len(set(suites)) == 2, "the two commands would write the same run directories"


@pytest.mark.slow
def test_running_evaluations_commands_run(tmp_path: Path) -> None:
    """Both commands as shown (from the repository, where run_specs/ is), each into its own suite."""
    output = tmp_path / "out"
    for command in _running_evaluations_commands():
        proc = _helm_run([*command, "-o", str(output), "--local-path", str(tmp_path / "prod_env")], REPO)
        assert proc.returncode == 0, proc.stderr
        suite = command[command.index("--suite") + 1]
        assert any((output / "runs" / suite).iterdir())


def test_readme_keeps_exactly_two_set_up_commands() -> None:
    (block,) = re.findall(r"```bash\n(.*?)```", _section("Get started"), re.S)
    assert [c[:2] for c in _commands(block)] == [["make", "quickstart"], ["make", "test"]]
