"""Runs you can reproduce: run_info.json holds the recipe, `--rerun` repeats a run and names what
changed, `--check-determinism` re-decodes a sample one at a time (and on a twin engine)."""

from __future__ import annotations

import hashlib
import json
import os
import re
from pathlib import Path

import pytest
from data_mirror import MIRROR as SHARED_DATA

QUESTIONS = [
    {"question": "What is the capital of France?", "answer": "Paris", "split": "train"},
    {"question": "What is the capital of Japan?", "answer": "Tokyo", "split": "train"},
    {"question": "What is the capital of Italy?", "answer": "Rome"},
    {"question": "What is the capital of Peru?", "answer": "Lima"},
    {"question": "What is the capital of Kenya?", "answer": "Nairobi"},
]
ENTRY = "user_data:path=questions.jsonl,model=simple/model1"
RUN = "runs/s/user_data:path=questions.jsonl,model=simple_model1"


def write_questions(folder: Path, questions: list[dict[str, str]]) -> Path:
    path = folder / "questions.jsonl"
    path.write_text("".join(json.dumps(q) + "\n" for q in questions))
    return path


@pytest.fixture
def recorded(helm_run, tmp_path: Path) -> Path:
    write_questions(tmp_path, QUESTIONS)
    done = helm_run("-r", ENTRY, "-m", "10", "--suite", "s")
    assert done.returncode == 0, done.stderr
    return tmp_path / "benchmark_output" / RUN


def test_run_info_holds_the_recipe(recorded: Path, tmp_path: Path) -> None:
    info = json.loads((recorded / "run_info.json").read_text())
    inv = info["invocation"]
    assert inv["run_entries"] == [ENTRY] and inv["max_eval_instances"] == 10 and inv["suite"] == "s"
    assert inv["local_path"] == str(tmp_path / "prod_env")  # absolute: a rerun may start elsewhere
    data = (tmp_path / "questions.jsonl").read_bytes()
    assert info["scenario_data"] == {"questions.jsonl": hashlib.sha256(data).hexdigest()}
    assert info["run_name"] == recorded.name
    assert info["seeds"]["instance_sampling"] == 0
    source = info["helm_lite_source"]  # the tests run from a git checkout
    assert re.fullmatch(r"[0-9a-f]{40}", source["commit"]) and source["dirty"] in (True, False, None)
    assert info["client_settings"] == {"max_batch_size": 1} and info["model"] is None


def test_data_read_through_the_mirror_is_hashed_by_its_name(helm_run, tmp_path: Path) -> None:
    if not (SHARED_DATA / "gsm").is_dir():
        pytest.skip("no data mirror with gsm")
    done = helm_run(
        "-r", "gsm:model=simple/model1", "-m", "2", "--suite", "g", "--data-mirror", str(SHARED_DATA)
    )
    assert done.returncode == 0, done.stderr
    info = json.loads(
        (
            tmp_path / "benchmark_output" / "runs" / "g" / "gsm:model=simple_model1" / "run_info.json"
        ).read_text()
    )
    assert info["invocation"]["data_mirror"] == os.path.abspath(SHARED_DATA)
    for name, digest in info["scenario_data"].items():
        assert name.startswith("gsm/")
        assert digest == hashlib.sha256((SHARED_DATA / name).read_bytes()).hexdigest()
    assert info["scenario_data"]


def test_rerun_of_an_unchanged_run_is_identical(helm_run, recorded: Path, tmp_path: Path) -> None:
    done = helm_run("--rerun", str(recorded))
    assert done.returncode == 0, done.stderr
    # The run's own summary lines come first; the verdict is the last line.
    assert re.fullmatch(r"helm-run: rerun of \S+ is identical \(new run: .*\)", done.stdout.splitlines()[-1])
    rerun = tmp_path / "benchmark_output" / "runs" / "s-rerun" / recorded.name
    assert json.loads((rerun / "run_spec.json").read_text()) == json.loads(
        (recorded / "run_spec.json").read_text()
    )
    assert json.loads((rerun / "run_info.json").read_text())["invocation"]["suite"] == "s-rerun"


def test_rerun_after_the_data_changed_names_the_changed_file(
    helm_run, recorded: Path, tmp_path: Path
) -> None:
    write_questions(
        tmp_path,
        [*QUESTIONS[:2], {"question": "What is the capital of Chile?", "answer": "Santiago"}, *QUESTIONS[3:]],
    )
    done = helm_run("--rerun", str(recorded), "--suite", "again")
    assert done.returncode == 1, done.stderr
    lines = done.stdout.splitlines()
    lines = lines[next(i for i, x in enumerate(lines) if x.startswith("helm-run: rerun of")) :]
    assert (
        lines[0].startswith(f"helm-run: rerun of {recorded.name} differs")
        and "answered differently" in lines[0]
    )
    assert lines[1:] == [
        f"  changed: scenario_data.questions.jsonl: {_sha(QUESTIONS)} → {_sha_file(tmp_path)}"
    ]
    assert (tmp_path / "benchmark_output" / "runs" / "again" / recorded.name / "run_info.json").is_file()


def _sha(questions: list[dict[str, str]]) -> str:
    return hashlib.sha256("".join(json.dumps(q) + "\n" for q in questions).encode()).hexdigest()


def _sha_file(folder: Path) -> str:
    return hashlib.sha256((folder / "questions.jsonl").read_bytes()).hexdigest()


@pytest.mark.parametrize("content", [None, "{}", "not json"])
def test_rerun_without_a_usable_run_info_is_one_line_and_exit_2(
    helm_run, tmp_path: Path, content: str | None
) -> None:
    run_dir = tmp_path / "old"
    run_dir.mkdir()
    if content is not None:
        (run_dir / "run_info.json").write_text(content)
    done = helm_run("--rerun", str(run_dir))
    assert done.returncode == 2
    assert done.stderr.startswith(f"helm-run: error: --rerun {run_dir}: ") and done.stderr.count("\n") == 1
    assert sorted(p.name for p in tmp_path.iterdir()) == ["old"]  # nothing written


def test_rerun_refuses_run_entries_and_its_own_suite(helm_run, recorded: Path) -> None:
    done = helm_run("--rerun", str(recorded), "-r", ENTRY)
    assert done.returncode == 2 and "--rerun: give no run entries" in done.stderr
    done = helm_run("--rerun", str(recorded), "--suite", "s")
    assert done.returncode == 2 and "would replace the run it repeats" in done.stderr


def test_check_determinism_of_a_run_dir_leaves_the_cache_alone(
    helm_run, recorded: Path, tmp_path: Path
) -> None:
    cache = tmp_path / "prod_env" / "cache" / "simple.sqlite"
    before = cache.read_bytes()
    done = helm_run("--check-determinism", str(recorded), "--determinism-sample", "2")
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert len(lines) == 3
    assert all(
        re.match(r"request \d+ \(id\d+\): batch size 1: identical text, max \|Δlogprob\| 0$", x)
        for x in lines[:2]
    )
    assert (
        lines[2]
        == f"{recorded.name}: deterministic on 2 re-decoded requests (batch size 1: 2/2 identical texts, max |Δlogprob| 0)"
    )
    assert cache.read_bytes() == before


def test_check_determinism_with_run_entries_checks_the_runs_it_makes(helm_run, tmp_path: Path) -> None:
    entry = "synthetic_reasoning:mode=pattern_match,model=simple/model1"
    done = helm_run("-r", entry, "-m", "4", "--suite", "d", "--check-determinism")
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[-1].startswith(
        "synthetic_reasoning:mode=pattern_match,model=simple_model1: deterministic on 4 re-decoded requests"
    )


@pytest.mark.slow  # SmolLM2 on both engines (~30 s)
def test_check_determinism_on_smollm2_compares_both_engines(helm_run) -> None:
    entry = "synthetic_reasoning:mode=pattern_match,model=huggingfacetb/smollm2-135m-instruct"
    flags = ["--check-determinism", "--determinism-sample", "2", "--determinism-twins", "engine"]
    done = helm_run("-r", entry, "-m", "3", "--suite", "d", *flags)
    assert done.returncode == 0, done.stdout + done.stderr
    last = done.stdout.splitlines()[-1]
    assert "deterministic on 2 re-decoded requests" in last
    assert "batch size 1: 2/2 identical texts" in last and "engine reference: 2/2 identical texts" in last


@pytest.mark.slow  # SmolLM2 twice, the second time without the cache (~20 s)
def test_rerun_of_a_smollm2_run_is_identical(helm_run, tmp_path: Path) -> None:
    entry = "synthetic_reasoning:mode=pattern_match,model=huggingfacetb/smollm2-135m-instruct"
    done = helm_run("-r", entry, "-m", "3", "--suite", "r")
    assert done.returncode == 0, done.stdout + done.stderr
    run = (
        tmp_path
        / "benchmark_output/runs/r/synthetic_reasoning:mode=pattern_match,model=huggingfacetb_smollm2-135m-instruct"
    )
    again = helm_run("--rerun", str(run))
    assert again.returncode == 0, again.stdout + again.stderr
    assert again.stdout.splitlines()[-1].startswith(f"helm-run: rerun of {run.name} is identical")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--rerun", "x", "--check-determinism"], "--rerun and --check-determinism cannot be combined"),
        (
            ["-r", ENTRY, "-m", "1", "--dry-run", "--check-determinism"],
            "--dry-run: --check-determinism needs",
        ),
        (["--check-determinism", "x", "-r", ENTRY], "--check-determinism RUN_DIR: give no run entries"),
        (["--check-determinism", "nowhere"], "--check-determinism nowhere: not a run directory"),
        (["-r", ENTRY], "the following arguments are required: -m/--max-eval-instances"),
    ],
)
def test_reproduce_flag_misuse_is_one_line_and_exit_2(
    helm_run, tmp_path: Path, args: list[str], message: str
) -> None:
    done = helm_run(*args)
    assert done.returncode == 2 and done.stderr.count("\n") == 1
    assert done.stderr.startswith(f"helm-run: error: {message}")
    assert list(tmp_path.iterdir()) == []
