"""--rerun and --check-determinism of a run made with --enable-huggingface-models /
--enable-local-huggingface-models: run_info.json records the flags, and the run's deployment is
found again when the run is repeated or re-decoded."""

from __future__ import annotations

import argparse
import json
import os
from pathlib import Path

import pytest

from helm_lite.cli import run as run_cli
from helm_lite.runner import provenance


def model_folder(parent: Path, name: str = "tiny") -> Path:
    """A local model folder with just the configuration files the registry reads."""
    folder = parent / name
    folder.mkdir()
    (folder / "config.json").write_text(json.dumps({"max_position_embeddings": 512}))
    (folder / "tokenizer_config.json").write_text(json.dumps({"eos_token": "</s>", "bos_token": "<s>"}))
    return folder


def no_flags() -> argparse.Namespace:
    return run_cli.build_parser().parse_args(["-r", "x", "-m", "1"])


def test_invocation_records_the_enable_flags_with_absolute_folders(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    model_folder(tmp_path)
    args = run_cli.build_parser().parse_args(
        ["-r", "x", "-m", "1", "--enable-local-huggingface-models", "tiny",
         "--enable-huggingface-models", "org/model@rev"]
    )  # fmt: skip
    monkeypatch.setattr(provenance, "_invocation", {})
    provenance.record_invocation(vars(args))
    inv = provenance._invocation
    assert inv["enable_local_huggingface_models"] == [str(tmp_path / "tiny")]
    assert inv["enable_huggingface_models"] == ["org/model@rev"]
    assert set(run_cli.ENABLE_FLAGS) <= set(provenance.INVOCATION_SETTINGS)


def test_recorded_flags_are_restored_and_merged_with_those_given_now(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    recorded = {"enable_local_huggingface_models": [str(model_folder(tmp_path))]}
    model_folder(tmp_path, "other")
    args = run_cli.build_parser().parse_args(
        ["-r", "x", "-m", "1", "--enable-local-huggingface-models", "tiny", "other"]
    )
    assert run_cli.enabled_models(args, recorded) == {
        "enable_huggingface_models": [],
        "enable_local_huggingface_models": [str(tmp_path / "tiny"), "other"],  # "tiny" only once
    }
    registry = run_cli.load_run_registry(no_flags(), str(tmp_path / "prod_env"), recorded)
    assert registry.get_deployment("huggingface/tiny").max_sequence_length == 512
    assert run_cli.enabled_models(no_flags(), {"enable_huggingface_models": "not a list"}) == {
        "enable_huggingface_models": [],
        "enable_local_huggingface_models": [],
    }


@pytest.mark.slow  # SmolLM2 three times: the run, its rerun (no cache) and a re-decode (~30 s)
def test_rerun_of_a_local_huggingface_model_run_finds_its_deployment(
    helm_run, tmp_path: Path, smollm2_path: str
) -> None:
    name = f"huggingface/{os.path.basename(smollm2_path)}"
    done = helm_run(
        "--enable-local-huggingface-models", smollm2_path,
        "-r", f"synthetic_reasoning:mode=pattern_match,model={name}",
        "-m", "2",
        "--suite", "hf",
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    (run_dir,) = (tmp_path / "benchmark_output" / "runs" / "hf").iterdir()
    inv = json.loads((run_dir / "run_info.json").read_text())["invocation"]
    assert inv["enable_local_huggingface_models"] == [os.path.abspath(smollm2_path)]
    again = helm_run("--rerun", str(run_dir))  # no --enable-local-huggingface-models: it is recorded
    assert again.returncode == 0, again.stdout + again.stderr
    assert again.stdout.splitlines()[-1].startswith(f"helm-run: rerun of {run_dir.name} is identical")
    rerun = tmp_path / "benchmark_output" / "runs" / "hf-rerun" / run_dir.name
    rerun_inv = json.loads((rerun / "run_info.json").read_text())["invocation"]
    assert rerun_inv["enable_local_huggingface_models"] == [os.path.abspath(smollm2_path)]
    check = helm_run(
        "--check-determinism", str(run_dir), "--determinism-sample", "1", "--determinism-twins", "none"
    )
    assert check.returncode == 0, check.stdout + check.stderr
    assert "deterministic on 1 re-decoded requests" in check.stdout.splitlines()[-1]
