"""Logprob-scored runs end to end on simple/model1: user_data with the separate multiple-choice methods
and user_text (language modelling), plus their run specs, file parsing and bad-input errors."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from helm_lite.common.errors import UserError
from helm_lite.run_specs.registry import get_run_spec_function
from helm_lite.scenarios.user_text import UserTextScenario, load_texts

REPO = Path(__file__).resolve().parents[2]
CAPITALS = REPO / "examples" / "user_data" / "capitals.jsonl"
ARITHMETIC = REPO / "examples" / "user_data" / "arithmetic.csv"
SAMPLE = REPO / "examples" / "user_text" / "sample.txt"


def _load(path: Path) -> Any:
    return json.loads(path.read_text())


def _only_run(tmp_path: Path, suite: str) -> Path:
    (run_dir,) = (tmp_path / "benchmark_output" / "runs" / suite).iterdir()
    return run_dir


def _stats(run_dir: Path) -> dict[str, dict[str, Any]]:
    """Aggregated test-split stats without perturbation, by name."""
    return {
        s["name"]["name"]: s
        for s in _load(run_dir / "stats.json")
        if s["name"].get("split") == "test" and "perturbation" not in s["name"]
    }


def _capitals_test_questions() -> list[dict[str, Any]]:
    rows = [json.loads(line) for line in CAPITALS.read_text().splitlines() if line.strip()]
    return [r for r in rows if r.get("split", "test") == "test"]


@pytest.mark.parametrize(
    "method", ["multiple_choice_separate_original", "multiple_choice_separate_calibrated"]
)
def test_user_data_separate_methods(helm_run, tmp_path: Path, method: str) -> None:
    entry = f"user_data:path={CAPITALS},method={method},model=simple/model1"
    result = helm_run("-r", entry, "--suite", "s", "-m", "20")
    assert result.returncode == 0, result.stderr
    run_dir = _only_run(tmp_path, "s")
    assert f"method={method}" in run_dir.name

    run_spec = _load(run_dir / "run_spec.json")
    adapter = run_spec["adapter_spec"]
    assert adapter["method"] == method
    assert (adapter["input_prefix"], adapter["output_prefix"], adapter["output_suffix"]) == ("", " ", "")
    assert (adapter["max_train_instances"], adapter["max_tokens"], adapter["num_outputs"]) == (0, 0, 1)

    states = _load(run_dir / "scenario_state.json")["request_states"]
    calibrated = method.endswith("calibrated")
    questions = {q["question"]: q["choices"] for q in _capitals_test_questions()}
    per_reference = 2 if calibrated else 1
    assert len(states) == sum(len(c) for c in questions.values()) * per_reference
    for s in states:
        question = s["instance"]["input"]["text"]
        choice = questions[question][s["reference_index"]]
        request = s["request"]
        expected = f"Answer: {choice}" if s["request_mode"] == "calibration" else f"{question} {choice}"
        assert request["prompt"] == expected
        assert request["echo_prompt"] is True and request["max_tokens"] == 0 and request["temperature"] == 0
        assert s["result"]["completions"][0]["text"] == expected  # echoed, nothing generated
    modes = [s["request_mode"] for s in states]
    assert modes == (
        ["original", "calibration"] * (len(states) // 2) if calibrated else ["original"] * len(states)
    )

    stats = _stats(run_dir)
    # simple/model1 gives every echoed token logprob 0: all choices tie, so each instance scores
    # 1/len(choices) (the tie is shared) and predicts choice 0.
    expected_em = sum(1 / len(c) for c in questions.values()) / len(questions)
    assert stats["exact_match"]["mean"] == pytest.approx(expected_em)
    assert stats["max_prob"]["mean"] == pytest.approx(expected_em)
    assert stats["predicted_index"]["mean"] == 0
    assert stats["num_instances"]["mean"] == len(questions)
    rows = _load(run_dir / "per_instance_stats.json")
    assert len(rows) == len(questions)
    names = [s["name"]["name"] for s in rows[0]["stats"]]
    assert names[-3:] == ["max_prob", "exact_match", "predicted_index"]


def test_user_text_sample(helm_run, tmp_path: Path) -> None:
    result = helm_run("-r", f"user_text:path={SAMPLE},model=simple/model1", "--suite", "t", "-m", "100")
    assert result.returncode == 0, result.stderr
    run_dir = _only_run(tmp_path, "t")
    paragraphs = [text for _, text in load_texts(str(SAMPLE))]
    assert len(paragraphs) == 4

    run_spec = _load(run_dir / "run_spec.json")
    assert run_spec["adapter_spec"]["method"] == "language_modeling"
    assert [m["class_name"] for m in run_spec["metric_specs"]] == [
        "helm.benchmark.metrics.language_modeling_metrics.LanguageModelingMetric"
    ]
    states = _load(run_dir / "scenario_state.json")["request_states"]
    assert [s["request"]["prompt"] for s in states] == ["<s>" + p for p in paragraphs]
    assert all(s["num_conditioning_tokens"] == 1 for s in states)

    stats = _stats(run_dir)
    # The echo has logprob 0 everywhere: perplexity 1, zero bits per byte.
    assert stats["logprob"]["mean"] == 0
    assert stats["perplexity"]["mean"] == 1.0
    assert stats["bits_per_byte"]["mean"] == 0
    assert stats["num_instances"]["mean"] == 4
    # Scored: everything after the first token, i.e. "s>" and the paragraph (all ASCII).
    mean_tokens = sum(len(p) + 2 for p in paragraphs) / 4
    assert stats["num_perplexity_tokens"]["mean"] == pytest.approx(mean_tokens)
    assert stats["num_bytes"]["mean"] == pytest.approx(mean_tokens)


def test_user_text_long_document_is_split_into_windows(helm_run, tmp_path: Path) -> None:
    text = " ".join(f"word{i}" for i in range(1000))  # 7889 characters: 4 windows of at most 2048
    path = tmp_path / "long.jsonl"
    path.write_text(
        json.dumps({"text": text, "id": "doc"}) + "\n" + json.dumps({"text": "Short one."}) + "\n"
    )
    result = helm_run("-r", f"user_text:path={path},model=simple/model1", "--suite", "t", "-m", "10")
    assert result.returncode == 0, result.stderr
    run_dir = _only_run(tmp_path, "t")
    states = _load(run_dir / "scenario_state.json")["request_states"]
    doc = [s for s in states if s["instance"]["id"] == "doc"]
    assert len(doc) == 4 and all(len(s["request"]["prompt"]) <= 2048 for s in doc)
    assert doc[0]["request"]["prompt"] == "<s>" + text[:2045]
    rows = [r for r in _load(run_dir / "per_instance_stats.json") if r["instance_id"] == "doc"]
    assert len(rows) == 4  # one row per window, as HELM writes them
    scored = sum(
        next(s["sum"] for s in r["stats"] if s["name"]["name"] == "num_perplexity_tokens") for r in rows
    )
    assert scored == len(text) - 1  # "s>" + all but the 3 characters that did not fit next to "<s>"
    stats = _stats(run_dir)
    assert stats["num_instances"]["mean"] == 2 and stats["perplexity"]["mean"] == 1.0


# Run specs and bad input.


def test_user_data_method_default_and_name() -> None:
    user_data = get_run_spec_function("user_data")
    default = user_data(path=str(CAPITALS))
    assert default.adapter_spec.method == "multiple_choice_joint" and "method" not in default.name
    assert default.adapter_spec.max_train_instances == 5
    separate = user_data(path=str(CAPITALS), method="multiple_choice_separate_calibrated")
    assert separate.name.endswith(",method=multiple_choice_separate_calibrated")
    assert separate.adapter_spec.instructions == "" and separate.adapter_spec.max_train_instances == 0
    tuned = user_data(
        path=str(CAPITALS),
        method="multiple_choice_separate_original",
        instructions="Hi",
        max_train_instances=2,
    )
    assert tuned.adapter_spec.instructions == "Hi\n" and tuned.adapter_spec.max_train_instances == 2
    assert user_data(path=str(ARITHMETIC)).adapter_spec.method == "generation"
    assert user_data(path=str(ARITHMETIC), method="generation").adapter_spec.method == "generation"


@pytest.mark.parametrize(
    ("path", "method", "fragment"),
    [
        (ARITHMETIC, "multiple_choice_separate_original", "free-answer"),
        (CAPITALS, "language_modeling", "multiple-choice"),
        (CAPITALS, "telepathy", "'telepathy'"),
    ],
)
def test_user_data_bad_method(path: Path, method: str, fragment: str) -> None:
    with pytest.raises(UserError) as e:
        get_run_spec_function("user_data")(path=str(path), method=method)
    assert f"user_data:path={path},method={method}" in str(e.value) and fragment in str(e.value)


def test_user_data_bad_method_on_the_command_line(helm_run, tmp_path: Path) -> None:
    entry = f"user_data:path={ARITHMETIC},method=multiple_choice_separate_calibrated,model=simple/model1"
    result = helm_run("-r", entry, "-m", "5")
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert "method=multiple_choice_separate_calibrated" in result.stderr and "free-answer" in result.stderr


def _write(tmp_path: Path, name: str, content: str | bytes) -> str:
    path = tmp_path / name
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content)
    return str(path)


def test_user_text_paragraphs(tmp_path: Path) -> None:
    path = _write(tmp_path, "t.txt", "\n\nFirst line\n  indented second\n \t\nSecond para\r\n\r\n\r\nThird\n")
    instances = UserTextScenario(path).get_instances("")
    assert [i.input.text for i in instances] == ["First line\n  indented second", "Second para", "Third"]
    assert [i.id for i in instances] == ["id0", "id1", "id2"]
    assert all(i.split == "test" and i.references == [] for i in instances)


def test_user_text_jsonl(tmp_path: Path) -> None:
    path = _write(tmp_path, "t.jsonl", '{"text": "one\\n\\ntwo", "id": "a"}\n\n{"text": "three"}\n')
    assert load_texts(path) == [("a", "one\n\ntwo"), ("id1", "three")]


@pytest.mark.parametrize(
    ("name", "content", "fragment"),
    [
        ("t.md", "x", "unsupported file extension '.md'"),
        ("t.txt", "\n \n", "no text"),
        ("t.txt", b"ok\n\xff\n", "line 2: not UTF-8"),
        ("t.jsonl", '{"text": "a"}\n{"txt": "b"}\n', "line 2: unknown field 'txt'"),
        ("t.jsonl", '{"id": "x"}\n', 'line 1: missing "text"'),
        ("t.jsonl", '{"text": 3}\n', 'line 1: "text" must be a string'),
        ("t.jsonl", '{"text": "  "}\n', 'line 1: "text" is empty'),
        ("t.jsonl", "[1]\n", "line 1: expected a JSON object"),
        ("t.jsonl", '{"text": "a"\n', "line 1: not valid JSON"),
        ("t.jsonl", '{"text": "a", "id": "x"}\n{"text": "b", "id": "x"}\n', "line 2: duplicate id 'x'"),
    ],
)
def test_user_text_bad_files(tmp_path: Path, name: str, content: str | bytes, fragment: str) -> None:
    path = _write(tmp_path, name, content)
    with pytest.raises(UserError) as e:
        UserTextScenario(path).get_instances("")
    assert str(e.value).startswith(path) and fragment in str(e.value)


def test_user_text_missing_file_on_the_command_line(helm_run, tmp_path: Path) -> None:
    result = helm_run("-r", "user_text:path=nowhere.txt,model=simple/model1", "-m", "5")
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert "nowhere.txt: file not found" in result.stderr
    assert not (tmp_path / "benchmark_output" / "runs").exists()
