"""HELM's command lines work on helm_lite's CLIs: every flag of HELM's helm-run, helm-summarize and
helm-server parses; those that cannot apply stop with one line; the accepted ones do what HELM does."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from helm_lite.cli import helm_flags
from helm_lite.cli import run as run_cli
from helm_lite.cli import server as server_cli
from helm_lite.cli import summarize as summarize_cli

OK = "synthetic_reasoning:mode=pattern_match,model=simple/model1"

# Every flag of HELM's three CLIs (crfm-helm 0.5.16: benchmark/run.py with proxy/services/
# remote_service.add_service_args, benchmark/presentation/summarize.py, benchmark/server.py) with a
# value HELM accepts for it.
HELM_RUN = {
    "--server-url": ["http://localhost:1959"],
    "--api-key-path": ["proxy_api_key.txt"],
    "-c": ["a.conf"],
    "--conf-paths": ["a.conf", "b.conf"],
    "--models-to-run": ["openai/gpt2", "simple/model1"],
    "--groups-to-run": ["mmlu"],
    "--exit-on-error": [],
    "--skip-completed-runs": [],
    "--priority": ["2"],
    "--run-specs": [OK],
    "-r": [OK],
    "--run-entries": [OK, OK],
    "--enable-huggingface-models": ["org/model", "org/model@rev"],
    "--enable-local-huggingface-models": ["/models/x"],
    "--runner-class-name": ["my.Runner"],
    "--log-config": ["log.yaml"],
    "--plugins": ["my_plugin"],
    "-o": ["out"],
    "--output-path": ["out"],
    "-n": ["8"],
    "--num-threads": ["8"],
    "--skip-instances": [],
    "--cache-instances": [],
    "--cache-instances-only": [],
    "-d": [],
    "--dry-run": [],
    "-m": ["10"],
    "--max-eval-instances": ["10"],
    "-t": ["3"],
    "--num-train-trials": ["3"],
    "--suite": ["v1"],
    "--local-path": ["prod_env"],
    "--mongo-uri": ["mongodb://localhost/db"],
    "--disable-cache": [],
}
HELM_SUMMARIZE = {
    "-o": ["out"],
    "--output-path": ["out"],
    "--schema-path": ["schema.yaml"],
    "--schema-validation": ["error"],
    "--suite": ["v1"],
    "--release": ["r1"],
    "--suites": ["v1", "v2"],
    "-n": ["4"],
    "--num-threads": ["4"],
    "--debug": [],
    "--skip-completed-run-display-json": [],
    "--local-path": ["prod_env"],
    "--allow-unknown-models": ["True"],
    "--summarizer-class-name": ["my.Summarizer"],
    "--log-config": ["log.yaml"],
    "--auto-generate-schema": [],
}
HELM_SERVER = {
    "-p": ["8001"],
    "--port": ["8001"],
    "-o": ["out"],
    "--output-path": ["out"],
    "--cache-output-path": ["prod_env/cache/output"],
    "--suite": ["v1"],
    "--release": ["r1"],
    "--project": ["lite"],
    "--export-path": ["site"],
}
CLIS = {
    "helm-run": (HELM_RUN, run_cli, ["-r", OK, "-m", "1"]),
    "helm-summarize": (HELM_SUMMARIZE, summarize_cli, []),
    "helm-server": (HELM_SERVER, server_cli, []),
}
# --suite and --suites are alternatives in helm-summarize, as --suites and --release go together.
EXCLUSIVE = {("helm-summarize", "--suites"): ["--suite"]}


def _table(prog: str) -> dict[str, helm_flags.HelmFlag]:
    return {name: flag for flag in helm_flags.FLAG_TABLES[prog] for name in flag.names}


@pytest.mark.parametrize("prog", CLIS)
def test_the_table_lists_exactly_helms_flags(prog: str) -> None:
    assert set(_table(prog)) == set(CLIS[prog][0])
    for flag in helm_flags.FLAG_TABLES[prog]:
        assert flag.reason and flag.status in ("same", "accepted", "ignored", "refused")


@pytest.mark.parametrize(
    ("prog", "flag"), [(prog, flag) for prog, (helm, _, _) in CLIS.items() for flag in helm]
)
def test_every_helm_flag_parses(prog: str, flag: str) -> None:
    helm, module, _ = CLIS[prog]
    argv = [flag, *helm[flag]]
    if prog == "helm-run" and flag not in ("-m", "--max-eval-instances"):
        argv += ["-m", "1"]
    args = module.build_parser().parse_args(argv)
    dest = flag.lstrip("-").replace("-", "_")
    if flag.startswith("--") and flag not in ("--suite", "--debug", "--run-specs"):
        assert getattr(args, dest) not in (None, [])


@pytest.mark.parametrize(
    ("prog", "flag"),
    [(p, f.names[-1]) for p in CLIS for f in helm_flags.FLAG_TABLES[p] if f.status == "refused"],
)
def test_refused_flags_stop_with_one_line(
    prog: str, flag: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    helm, module, base = CLIS[prog]
    monkeypatch.chdir(tmp_path)
    with pytest.raises(SystemExit) as e:
        module.main([*base, flag, *helm[flag]])
    assert e.value.code == 2
    err = capsys.readouterr().err.strip().splitlines()
    reason = _table(prog)[flag].reason
    assert err == [f"{prog}: error: {flag}: not supported by helm_lite: {reason}"]
    assert os.listdir(tmp_path) == []


def helm_run(tmp_path: Path, *argv: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "helm_lite.cli.run", "--no-progress", *argv],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_helm_command_line_with_aliases_and_ignored_flags(tmp_path: Path) -> None:
    """A HELM command line: --run-specs (HELM's old name), --cache-instances and --api-key-path
    (no effect here, one note each), --log-config (HELM's logging file) all work together."""
    (tmp_path / "log.yaml").write_text(
        "version: 1\n"
        "handlers: {file: {class: logging.FileHandler, filename: helm.log}}\n"
        "root: {level: INFO, handlers: [file]}\n"
    )
    proc = helm_run(
        tmp_path,
        "--run-specs", OK,
        "-m", "3",
        "--suite", "s",
        "--cache-instances",
        "--api-key-path", "key.txt",
        "--log-config", "log.yaml",
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    notes = [line for line in proc.stderr.splitlines() if "note:" in line]
    assert notes == [
        f"helm-run: note: --cache-instances has no effect in helm_lite: {_table('helm-run')['--cache-instances'].reason}",
        f"helm-run: note: --api-key-path has no effect in helm_lite: {_table('helm-run')['--api-key-path'].reason}",
    ]
    (run_dir,) = (tmp_path / "benchmark_output" / "runs" / "s").iterdir()
    assert (run_dir / "stats.json").is_file()
    log = (tmp_path / "helm.log").read_text()
    assert "1 entries produced 1 run specs" in log
    assert "produced" not in proc.stderr  # the log went where the config sends it, not to stderr


def test_skip_instances_builds_run_specs_and_runs_nothing(tmp_path: Path) -> None:
    proc = helm_run(tmp_path, "-r", OK, "-m", "3", "--skip-instances", "--suite", "s")
    assert proc.returncode == 0, proc.stderr
    assert not (tmp_path / "benchmark_output" / "runs").exists()
    bad = helm_run(tmp_path, "-r", "synthetic_reasonin:model=simple/model1", "-m", "3", "--skip-instances")
    assert bad.returncode == 2 and "synthetic_reasonin" in bad.stderr


def test_summarize_debug_is_verbose() -> None:
    assert summarize_cli.build_parser().parse_args(["--debug"]).verbose is True
    assert summarize_cli.build_parser().parse_args([]).verbose is False


@pytest.mark.slow
def test_enable_local_huggingface_model_runs_without_yaml(tmp_path: Path, smollm2_path: str) -> None:
    """HELM's --enable-local-huggingface-models: the bundled SmolLM2's folder becomes deployment
    huggingface/<folder name>, with window length and special tokens read from its own files."""
    name = f"huggingface/{os.path.basename(smollm2_path)}"
    proc = helm_run(
        tmp_path,
        "--enable-local-huggingface-models", smollm2_path,
        "-r", f"synthetic_reasoning:mode=pattern_match,model={name}",
        "-m", "2",
        "--suite", "hf",
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    (run_dir,) = (tmp_path / "benchmark_output" / "runs" / "hf").iterdir()
    state = json.loads((run_dir / "scenario_state.json").read_text())
    assert state["adapter_spec"]["model"] == name
    assert state["adapter_spec"]["model_deployment"] == name
    assert len(state["request_states"]) == 2
    assert all(rs["result"]["success"] for rs in state["request_states"])
    assert all(rs["result"]["completions"][0]["text"].strip() for rs in state["request_states"])
    info = json.loads((run_dir / "run_info.json").read_text())
    assert smollm2_path in json.dumps(info)
    assert (tmp_path / "prod_env" / "cache" / "huggingface.sqlite").is_file()
