"""The new-provider example of docs/clients.md, loaded by helm-run exactly as a user would load it."""

from __future__ import annotations

import json
import os
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "providers" / "echo_provider.py"
FIVE = ["run_spec.json", "scenario.json", "scenario_state.json", "stats.json", "per_instance_stats.json"]
ENTRY = "synthetic_reasoning:mode=pattern_match,model=echo/model1"
RUN_DIR = "synthetic_reasoning:mode=pattern_match,model=echo_model1"
DEPLOYMENTS = """\
model_deployments:
  - name: echo/model1
    model_name: echo/model1
    client_spec:
      class_name: echo_provider.EchoProvider
      args: {words: 1}
"""


def test_the_documented_provider_is_the_example_file_verbatim() -> None:
    doc = (ROOT / "docs" / "clients.md").read_text(encoding="utf-8")
    assert f"```python\n{EXAMPLE.read_text(encoding='utf-8')}```" in doc
    assert len(EXAMPLE.read_text(encoding="utf-8").splitlines()) < 60


def test_the_example_provider_runs_through_helm_run_and_its_cache(helm_run, tmp_path: Path) -> None:
    (tmp_path / "prod_env").mkdir()
    (tmp_path / "prod_env" / "model_deployments.yaml").write_text(DEPLOYMENTS)
    args = ["--plugins", str(EXAMPLE), "-r", ENTRY, "-m", "20", "--suite", "s"]

    first = helm_run(*args)
    assert first.returncode == 0, first.stderr
    run_dir = tmp_path / "benchmark_output" / "runs" / "s" / RUN_DIR
    assert set(FIVE) <= set(os.listdir(run_dir))
    assert "prod_env/cache/echo.sqlite: 20 queries, 20 computes" in first.stderr
    states = json.loads((run_dir / "scenario_state.json").read_text())["request_states"]
    for state in states:  # the echo: the prompt's last word
        assert state["result"]["completions"][0]["text"] == state["request"]["prompt"].split()[-1]

    again = helm_run(*args, "-o", "again")
    assert again.returncode == 0, again.stderr
    assert "prod_env/cache/echo.sqlite: 20 queries, 0 computes" in again.stderr
    cached = json.loads((tmp_path / "again" / "runs" / "s" / RUN_DIR / "scenario_state.json").read_text())
    assert all(s["result"]["cached"] for s in cached["request_states"])
