"""`helm-run --dry-run` prints per run the requests, prompt tokens and maximum completion tokens it
would send, with totals and an upper-bound cost where the deployment declares a `price:`."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from helm_lite.registry.loader import load_registry

ENTRIES = (
    "synthetic_reasoning:mode=pattern_match,model=simple/model1",
    "synthetic_reasoning:mode=induction,model=simple/model1",
)
PRICED = """\
model_deployments:
  - name: simple/model1
    model_name: simple/model1
    tokenizer_name: simple/tokenizer1
    max_sequence_length: 2048
    price: {input_per_million_tokens: 2, output_per_million_tokens: 8, currency: EUR}
    client_spec:
      class_name: "helm.clients.simple_client.SimpleClient"
"""


def _sums(run_dir: Path) -> dict[str, float]:
    return {s["name"]["name"]: s["sum"] for s in json.loads((run_dir / "stats.json").read_text())}


def _row(stdout: str, start: str) -> list[str]:
    (line,) = [line for line in stdout.splitlines() if line.startswith(start)]
    return line.split()


def test_table_matches_the_stats_and_prices_the_tokens(helm_run, tmp_path: Path) -> None:
    (tmp_path / "prod_env").mkdir()
    (tmp_path / "prod_env" / "model_deployments.yaml").write_text(PRICED)
    proc = helm_run("-r", *ENTRIES, "-m", "3", "--dry-run")
    assert proc.returncode == 0, proc.stderr
    suite = tmp_path / "benchmark_output" / "runs" / "default"
    totals = {"requests": 0, "prompt": 0, "completion": 0}
    cost = 0.0
    for run_dir in sorted(suite.iterdir()):
        sums = _sums(run_dir)
        prompt, completion = int(sums["num_prompt_tokens"]), int(sums["max_num_completion_tokens"])
        row = _row(proc.stdout, run_dir.name)
        assert row[1:] == [
            "simple/model1",
            str(int(sums["num_requests"])),
            f"{prompt:,}",
            f"{completion:,}",
            f"{(prompt * 2 + completion * 8) / 1e6:.6f}",
            "EUR",
        ]
        totals["requests"] += int(sums["num_requests"])
        totals["prompt"] += prompt
        totals["completion"] += completion
        cost += (prompt * 2 + completion * 8) / 1e6
    assert totals["requests"] == 6
    assert _row(proc.stdout, "total (2 runs)")[3:] == [
        str(totals["requests"]),
        f"{totals['prompt']:,}",
        f"{totals['completion']:,}",
        f"{cost:.6f}",
        "EUR",
    ]
    assert "upper bound" in proc.stdout


def test_a_deployment_without_price_says_so(helm_run) -> None:
    proc = helm_run("-r", ENTRIES[0], "-m", "2", "--dry-run")
    assert proc.returncode == 0, proc.stderr
    assert _row(proc.stdout, "synthetic_reasoning:")[-2:] == ["no", "price"]


def test_a_real_run_prints_no_table(helm_run) -> None:
    proc = helm_run("-r", ENTRIES[0], "-m", "2")
    assert proc.returncode == 0, proc.stderr
    assert "max completion tokens" not in proc.stdout


def test_a_negative_price_is_a_one_line_error(helm_run, tmp_path: Path) -> None:
    (tmp_path / "prod_env").mkdir()
    (tmp_path / "prod_env" / "model_deployments.yaml").write_text(
        PRICED.replace("output_per_million_tokens: 8", "output_per_million_tokens: -8")
    )
    proc = helm_run("-r", ENTRIES[0], "-m", "2", "--dry-run")
    assert proc.returncode == 2
    (line,) = proc.stderr.strip().splitlines()
    assert "model_deployments.yaml" in line and "price.output_per_million_tokens" in line
    assert not (tmp_path / "benchmark_output" / "runs").exists()


@pytest.mark.parametrize("host", ["openai", "together"])
def test_shipped_hosted_deployments_have_prices(tmp_path: Path, host: str) -> None:
    registry = load_registry(str(tmp_path))
    names = [n for n in registry.all_deployments() if n.startswith(f"{host}/")]
    assert names
    for name in names:
        price = registry.get_deployment(name).price
        assert price is not None and price.currency == "USD", name
        assert 0 < price.input_per_million_tokens <= price.output_per_million_tokens, name
