"""`helm-run --plugins`: a user's own module registers a run-spec function, a scenario and a scorer,
and helm-run evaluates it like a built-in, in a real subprocess."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

PLUGIN = """
from helm_lite.adaptation.adapter_spec import AdapterSpec
from helm_lite.common.object_spec import SCENARIOS
from helm_lite.metrics.scoring import SCORERS
from helm_lite.run_specs.registry import run_spec_function
from helm_lite.run_specs.run_spec import MetricSpec, RunSpec, ScenarioSpec
from helm_lite.scenarios.base import CORRECT_TAG, TEST_SPLIT, Input, Instance, Output, Reference, Scenario


@SCENARIOS.decorator("my_scenario")
class MyScenario(Scenario):
    name = "my_scenario"
    description = "Echo a word."

    def __init__(self, word: str = "hello") -> None:
        self.word = word

    def get_instances(self, output_path):
        return [
            Instance(Input(f"{self.word} {i}"), [Reference(Output(str(i)), [CORRECT_TAG])], TEST_SPLIT, id=f"id{i}")
            for i in range(5)
        ]


def always_half(gold, pred):
    return 0.5


SCORERS.register("always_half", always_half)


@run_spec_function("my_task")
def my_task(word: str = "hello") -> RunSpec:
    return RunSpec(
        name=f"my_task:word={word}",
        scenario_spec=ScenarioSpec("my_scenario", {"word": word}),
        adapter_spec=AdapterSpec(method="generation", max_train_instances=0, max_tokens=5),
        metric_specs=[
            MetricSpec(
                "helm.benchmark.metrics.basic_metrics.BasicGenerationMetric",
                {"names": ["exact_match", "always_half"]},
            )
        ],
        groups=["my_task"],
    )
"""

FIVE = ("run_spec.json", "scenario.json", "scenario_state.json", "stats.json", "per_instance_stats.json")


def _stat(run: Path, name: str) -> dict:
    stats = json.loads((run / "stats.json").read_text())
    return next(s for s in stats if s["name"]["name"] == name and s["name"]["split"] == "test")


def test_plugin_file_adds_a_run_spec_scenario_and_scorer(tmp_path: Path, helm_run) -> None:
    (tmp_path / "my_plugin.py").write_text(PLUGIN)
    result = helm_run("--plugins", "my_plugin.py", "-r", "my_task:word=hi,model=simple/model1", "-m", "3")
    assert result.returncode == 0, result.stderr
    run = tmp_path / "benchmark_output" / "runs" / "default" / "my_task:word=hi,model=simple_model1"
    assert all((run / name).is_file() for name in FIVE)
    spec = json.loads((run / "run_spec.json").read_text())
    assert spec["scenario_spec"] == {"class_name": "my_scenario", "args": {"word": "hi"}}
    state = json.loads((run / "scenario_state.json").read_text())
    texts = sorted(s["instance"]["input"]["text"] for s in state["request_states"])
    assert len(texts) == 3 and all(t.startswith("hi ") for t in texts)
    assert _stat(run, "always_half")["mean"] == 0.5
    per_instance = json.loads((run / "per_instance_stats.json").read_text())
    halves = [s["mean"] for p in per_instance for s in p["stats"] if s["name"]["name"] == "always_half"]
    assert halves == [0.5, 0.5, 0.5]


def test_plugin_module_name_is_found_in_the_current_directory(tmp_path: Path) -> None:
    """The installed console script (whose sys.path does not hold the current directory)."""
    (tmp_path / "my_plugin.py").write_text(PLUGIN)
    helm_run = Path(sys.executable).parent / "helm-run"
    result = subprocess.run(
        [
            str(helm_run),
            "--no-progress",
            "--plugins",
            "my_plugin",
            "-r",
            "my_task:model=simple/model1",
            "-m",
            "2",
        ],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        env={k: v for k, v in os.environ.items() if k != "PYTHONPATH"},
    )
    assert result.returncode == 0, result.stderr
    run = tmp_path / "benchmark_output" / "runs" / "default" / "my_task:word=hello,model=simple_model1"
    assert all((run / name).is_file() for name in FIVE)


@pytest.mark.parametrize(
    ("plugin", "files", "fragment"),
    [
        ("broken.py", {"broken.py": "import nosuch_module_xyz\n"}, "No module named 'nosuch_module_xyz'"),
        ("syntax.py", {"syntax.py": "def f(:\n"}, "SyntaxError"),
        ("missing.py", {}, "no such file"),
        ("nosuch_plugin_module", {}, "No module named 'nosuch_plugin_module'"),
        (
            "dup.py",
            {
                "dup.py": "from helm_lite.run_specs.registry import RUN_SPECS\n"
                "RUN_SPECS.register('mmlu', 'dup:f')\n"
            },
            "run spec 'mmlu' is already registered",
        ),
    ],
)
def test_a_plugin_that_fails_to_import_is_one_line_naming_it(
    tmp_path: Path, helm_run, plugin: str, files: dict[str, str], fragment: str
) -> None:
    for name, text in files.items():
        (tmp_path / name).write_text(text)
    result = helm_run(
        "--plugins", plugin, "-r", "synthetic_reasoning:mode=induction,model=simple/model1", "-m", "1"
    )
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith(f"helm-run: error: --plugins '{plugin}': cannot import")
    assert fragment in lines[0]
    assert not (tmp_path / "benchmark_output").exists()


def test_a_plugin_can_add_an_executor(tmp_path: Path, helm_run) -> None:
    (tmp_path / "my_executor.py").write_text(
        "from helm_lite.executors import EXECUTORS\n"
        "EXECUTORS.register('inline', 'helm_lite.executors.local:LocalExecutor')\n"
    )
    ok = helm_run(
        "--plugins",
        "my_executor.py",
        "--executor",
        "inline",
        "-r",
        "synthetic_reasoning:mode=induction,model=simple/model1",
        "-m",
        "1",
    )
    assert ok.returncode == 0, ok.stderr
    bad = helm_run(
        "--executor", "inline", "-r", "synthetic_reasoning:mode=induction,model=simple/model1", "-m", "1"
    )
    assert bad.returncode == 2
    assert "--executor: unknown executor 'inline' (known: local, ray)" in bad.stderr
