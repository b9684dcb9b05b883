"""Every kind of bad input: one line naming the culprit, exit status 2, no traceback, no run directory."""

from __future__ import annotations

from pathlib import Path

import pytest

OK_ENTRY = "synthetic_reasoning:mode=pattern_match,model=simple/model1"


def _assert_clean_failure(result, *fragments: str, tmp_path: Path) -> None:
    assert result.returncode == 2, result.stderr
    errors = [line for line in result.stderr.splitlines() if line.startswith("helm-run: error:")]
    assert len(errors) == 1, result.stderr
    assert "Traceback" not in result.stderr
    for fragment in fragments:
        assert fragment in errors[0], errors[0]
    runs = tmp_path / "benchmark_output" / "runs"
    assert not runs.exists() or not any(runs.rglob("*.json"))


def _write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def test_malformed_yaml(helm_run, tmp_path: Path) -> None:
    _write(tmp_path / "prod_env" / "model_deployments.yaml", "model_deployments:\n  - name: [unclosed\n")
    r = helm_run("-r", OK_ENTRY, "-m", "5")
    _assert_clean_failure(r, "model_deployments.yaml", tmp_path=tmp_path)


def test_unknown_yaml_field(helm_run, tmp_path: Path) -> None:
    _write(
        tmp_path / "prod_env" / "model_deployments.yaml",
        "model_deployments:\n  - name: acme/m\n    max_seq_len: 10\n    client_spec:\n      class_name: x.Y\n",
    )
    r = helm_run("-r", OK_ENTRY, "-m", "5")
    _assert_clean_failure(r, "model_deployments.yaml", "acme/m", "max_seq_len", tmp_path=tmp_path)


def test_bad_description(helm_run, tmp_path: Path) -> None:
    r = helm_run("-r", "synthetic_reasoning:mode,model=simple/model1", "-m", "5")
    _assert_clean_failure(r, "Expected <key>=<value>, got 'mode'", tmp_path=tmp_path)


def test_unknown_scenario(helm_run, tmp_path: Path) -> None:
    r = helm_run("-r", "synthetic_reasonin:mode=induction,model=simple/model1", "-m", "5")
    _assert_clean_failure(
        r, "Unknown run spec name: synthetic_reasonin", "synthetic_reasoning", tmp_path=tmp_path
    )


def test_bad_scenario_argument(helm_run, tmp_path: Path) -> None:
    r = helm_run("-r", "synthetic_reasoning:mode=telepathy,model=simple/model1", "-m", "5")
    _assert_clean_failure(
        r, "Unsupported mode: telepathy", "synthetic_reasoning:mode=telepathy", tmp_path=tmp_path
    )


def test_unknown_model(helm_run, tmp_path: Path) -> None:
    r = helm_run("-r", "synthetic_reasoning:mode=induction,model=simple/model2", "-m", "5")
    _assert_clean_failure(r, "simple/model2", "simple/model1", tmp_path=tmp_path)


def test_unknown_deployment(helm_run, tmp_path: Path) -> None:
    r = helm_run(
        "-r", "synthetic_reasoning:mode=induction,model=simple/model1,model_deployment=text", "-m", "5"
    )
    _assert_clean_failure(r, "Model deployment text not found", tmp_path=tmp_path)


def test_conflicting_model_and_deployment(helm_run, tmp_path: Path) -> None:
    _write(
        tmp_path / "prod_env" / "model_deployments.yaml",
        "model_deployments:\n  - name: acme/other\n    model_name: acme/other\n    tokenizer_name: simple/tokenizer1\n"
        "    max_sequence_length: 100\n    client_spec:\n      class_name: helm.clients.simple_client.SimpleClient\n",
    )
    r = helm_run(
        "-r", "synthetic_reasoning:mode=induction,model=simple/model1,model_deployment=acme/other", "-m", "5"
    )
    _assert_clean_failure(
        r,
        "Invalid RunSpec: selected model deployment 'acme/other'for model 'simple/model1' but the model "
        "deployment is for a different model 'acme/other'",
        tmp_path=tmp_path,
    )


def test_missing_conf_file(helm_run, tmp_path: Path) -> None:
    r = helm_run("--conf-paths", "nope.conf", "-m", "5")
    _assert_clean_failure(r, "nope.conf", tmp_path=tmp_path)


def test_bad_conf_file(helm_run, tmp_path: Path) -> None:
    _write(tmp_path / "bad.conf", "entries: [{priority: 1}]")
    r = helm_run("--conf-paths", "bad.conf", "-m", "5")
    _assert_clean_failure(r, "bad.conf", "description", tmp_path=tmp_path)


@pytest.mark.parametrize(
    ("args", "flag"),
    [
        (["-m", "abc"], "--max-eval-instances"),
        (["-m", "0"], "--max-eval-instances"),
        (["-m", "5", "--num-threads", "-1"], "--num-threads"),
        (["-m", "5", "--suite", "../escape"], "--suite"),
        (["-m", "5", "--priority", "x"], "--priority"),
        ([], "--max-eval-instances"),
    ],
)
def test_bad_flag_values(helm_run, tmp_path: Path, args: list[str], flag: str) -> None:
    r = helm_run("-r", OK_ENTRY, *args)
    _assert_clean_failure(r, flag, tmp_path=tmp_path)


def test_models_to_run_required_for_wildcards(helm_run, tmp_path: Path) -> None:
    r = helm_run("-r", "synthetic_reasoning:mode=induction,model=text", "-m", "5")
    _assert_clean_failure(r, "--models-to-run must be set", tmp_path=tmp_path)


def test_unknown_model_to_run(helm_run, tmp_path: Path) -> None:
    r = helm_run(
        "-r", "synthetic_reasoning:mode=induction,model=text", "--models-to-run", "simple/modle1", "-m", "5"
    )
    _assert_clean_failure(r, "Unknown model 'simple/modle1' passed to --models-to-run", tmp_path=tmp_path)
