"""`--help` shows defaults and example commands that really parse; a typo gets each suggestion once."""

from __future__ import annotations

import shlex
import subprocess
import sys
from pathlib import Path

import pytest

from helm_lite.cli import run, server, summarize

PARSERS = {
    "helm-run": run.build_parser,
    "helm-summarize": summarize.build_parser,
    "helm-server": server.build_parser,
}


@pytest.mark.parametrize("prog", list(PARSERS))
def test_help_shows_defaults_and_examples_that_parse(prog: str) -> None:
    parser = PARSERS[prog]()
    text = parser.format_help()
    flat = " ".join(text.split())  # help lines wrap with the terminal's width
    assert "(default: benchmark_output)" in flat  # -o/--output-path
    assert "(default: None)" not in flat and "(default: False)" not in flat
    examples = [line.split("#")[0].strip() for line in text.split("examples:\n")[1].splitlines()]
    assert examples and all(e.startswith(prog) for e in examples)
    for example in examples:
        parser.parse_args(shlex.split(example)[1:])  # exits (status 2) if an example stopped parsing


def test_helm_run_help_names_its_defaults() -> None:
    text = run.build_parser().format_help()
    for default in ("(default: default)", "(default: prod_env)", "(default: 4)", "(default: local)"):
        assert default in " ".join(text.split()), default


def test_a_misspelt_model_is_suggested_once(tmp_path: Path) -> None:
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "helm_lite.cli.run",
            "-r",
            "synthetic_reasoning:mode=pattern_match,model=simple/model1",
            "--models-to-run",
            "simple/modle1",
            "-m",
            "1",
        ],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 2
    assert proc.stderr.strip() == (
        "helm-run: error: Unknown model 'simple/modle1' passed to --models-to-run "
        "(did you mean: simple/model1?)"
    )
