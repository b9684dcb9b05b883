"""HELM Capabilities: `mmlu_pro`, `gpqa` and `ifeval` run as HELM's entries on the real data.

Expected prompts are built here from the raw files (parquet rows, the GPQA CSV decrypted in memory,
the IFEval JSONL) and HELM's template facts: the question prefix, ``Choices:`` line, option labels
and answer-format suffixes of `capabilities_run_specs.py`.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import os
import random
import subprocess
import sys
import threading
import zipfile
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from typing import Any

import pytest
from data_mirror import MIRROR

from helm_lite.common.data import DataSource
from helm_lite.common.errors import UserError
from helm_lite.metrics.chain_of_thought import extract_answer
from helm_lite.run_specs.registry import get_run_spec_function

needs_mirror = pytest.mark.skipif(not (MIRROR / "gpqa").is_dir(), reason="shared data mirror not present")

QUESTION = "What is the correct answer to this question: "
FORMAT = 'Format your response as follows: "The correct answer is (insert answer here)".'
STEP = (
    "Let’s think step by step. Based on your reasoning, what is the single, most likely answer choice? "
    + FORMAT
)
EXPERTS = (
    "Here are some example questions from experts. An explanation is given before the final answer. "
    "Answer the final question yourself, giving your reasoning beforehand.\n"
)
FEW_SHOT_COT_SUFFIX = (
    "Give step by step reasoning before you answer, and when you’re ready to answer, "
    'please use the format "The correct answer is (insert answer here)":'
)
ENTRIES = [
    # HELM's run_entries_capabilities.conf, unchanged
    "mmlu_pro:subject=all,model=text",
    "gpqa:subset=main,model=text",
    "ifeval:model=text",
    # the other variants
    "mmlu_pro:subject=all,use_chain_of_thought=false,model=text",
    "gpqa:subset=main,use_few_shot=true,model=text",
]
RUNS = {
    "mmlu_pro:subset=all,use_chain_of_thought=true,use_few_shot=false,model=simple_model1": "mmlu_pro_cot",
    "gpqa:subset=gpqa_main,use_chain_of_thought=true,use_few_shot=false,model=simple_model1": "gpqa_cot",
    "ifeval:model=simple_model1": "ifeval",
    "mmlu_pro:subset=all,use_chain_of_thought=false,use_few_shot=false,model=simple_model1": "mmlu_pro",
    "gpqa:subset=gpqa_main,use_chain_of_thought=true,use_few_shot=true,model=simple_model1": "gpqa_few_shot",
}
# simple/model1 with a window large enough for max_tokens=4096, so no prompt is cut.
LONG_WINDOW = """model_deployments:
  - name: simple/model1
    model_name: simple/model1
    tokenizer_name: simple/tokenizer1
    max_sequence_length: 100000
    client_spec:
      class_name: "helm.clients.simple_client.SimpleClient"
"""


def mmlu_pro_rows() -> dict[str, dict[str, Any]]:
    import pyarrow.parquet as pq

    table = pq.read_table(MIRROR / "mmlu_pro/data/test-00000-of-00001.parquet")
    return {f"id{row['question_id']}": row for row in table.to_pylist()}


def gpqa_rows() -> list[dict[str, str]]:
    with zipfile.ZipFile(MIRROR / "gpqa/dataset.zip") as archive:
        data = archive.read("dataset/gpqa_main.csv", pwd=b"deserted-untie-orchid")
    return list(csv.DictReader(io.StringIO(data.decode("utf-8"), newline="")))


def gpqa_options(rows: list[dict[str, str]], index: int) -> list[str]:
    """Row `index`'s answers in HELM's order: one `random.seed(42)` stream, one shuffle per row."""
    rng = random.Random(42)
    fields = ["Correct Answer", "Incorrect Answer 1", "Incorrect Answer 2", "Incorrect Answer 3"]
    for _ in range(index + 1):
        order = list(fields)
        rng.shuffle(order)
    return [rows[index][f].strip() for f in order]


def gpqa_block(rows: list[dict[str, str]], index: int, prefix: str, suffix: str) -> str:
    options = "".join(f"({chr(65 + i)}) {o}\n" for i, o in enumerate(gpqa_options(rows, index)))
    return prefix + rows[index]["Question"].strip() + suffix + options


@pytest.fixture(scope="module")
def suite(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One helm-run of all five entries with `-m 3`; returns the suite folder."""
    if not (MIRROR / "gpqa").is_dir():
        pytest.skip("shared data mirror not present")
    pytest.importorskip("pyarrow")
    cwd = tmp_path_factory.mktemp("capabilities")
    (cwd / "prod_env").mkdir()
    (cwd / "prod_env/model_deployments.yaml").write_text(LONG_WINDOW)
    args = ["-r", *ENTRIES, "--models-to-run", "simple/model1", "--suite", "cap", "-m", "3", "--no-progress"]
    env = {**os.environ, "HELM_LITE_DATA_MIRROR": str(MIRROR), "TMPDIR": str(cwd / "tmp")}
    (cwd / "tmp").mkdir()
    proc = subprocess.run(
        [sys.executable, "-m", "helm_lite.cli.run", *args], cwd=cwd, capture_output=True, text=True, env=env
    )
    assert proc.returncode == 0, proc.stderr
    return cwd / "benchmark_output/runs/cap"


def _states(suite: Path, kind: str) -> list[dict[str, Any]]:
    name = next(n for n, k in RUNS.items() if k == kind)
    states: list[dict[str, Any]] = json.loads((suite / name / "scenario_state.json").read_text())[
        "request_states"
    ]
    return states


def test_run_names_and_stats_are_helms(suite: Path) -> None:
    assert sorted(p.name for p in suite.iterdir() if p.is_dir()) == sorted(RUNS)
    main = {
        "mmlu_pro_cot": "chain_of_thought_correctness",
        "gpqa_cot": "chain_of_thought_correctness",
        "gpqa_few_shot": "chain_of_thought_correctness",
        "ifeval": "ifeval_strict_accuracy",
        "mmlu_pro": "exact_match",
    }
    for name, kind in RUNS.items():
        stats = json.loads((suite / name / "stats.json").read_text())
        names = {s["name"]["name"] for s in stats if s["name"].get("split") == "test"}
        assert {main[kind], "num_instances", "num_prompt_tokens"} <= names, kind
        if kind == "mmlu_pro":
            assert {"quasi_exact_match", "prefix_exact_match", "quasi_prefix_exact_match"} <= names
            assert "chain_of_thought_correctness" not in names
        spec = json.loads((suite / name / "run_spec.json").read_text())
        assert spec["name"] == name
        assert not any(s["prompt_truncated"] for s in _states(suite, kind))


def test_mmlu_pro_prompts_are_helms(suite: Path) -> None:
    rows = mmlu_pro_rows()
    for kind, suffix in (("mmlu_pro_cot", STEP), ("mmlu_pro", FORMAT)):
        states = _states(suite, kind)
        assert len(states) == 3
        for state in states:
            row = rows[state["instance"]["id"]]
            options = "".join(f"{chr(65 + i)}. {o}\n" for i, o in enumerate(row["options"]))
            assert (
                state["request"]["prompt"] == QUESTION + row["question"] + "\nChoices:\n" + options + suffix
            )
            assert state["output_mapping"]["A"] == row["options"][0]
            assert (state["request"]["max_tokens"], state["request"]["temperature"]) == (4096, 1)
        assert state["instance"]["split"] == "test"


def test_gpqa_zero_shot_cot_prompts_are_helms(suite: Path) -> None:
    rows = gpqa_rows()
    for state in _states(suite, "gpqa_cot"):
        index = int(state["instance"]["id"].removeprefix("id"))
        expected = gpqa_block(rows, index, QUESTION, "\nChoices:\n") + STEP
        assert state["request"]["prompt"] == expected
        correct = [r["output"]["text"] for r in state["instance"]["references"] if "correct" in r["tags"]]
        assert correct == [rows[index]["Correct Answer"].strip()]


def test_gpqa_few_shot_cot_shows_helms_two_worked_examples(suite: Path) -> None:
    rows = gpqa_rows()
    for state in _states(suite, "gpqa_few_shot"):
        assert state["num_train_instances"] == 2  # rows 339 and 105, the paper's CoT examples
        examples = []
        for index in (339, 105):
            options = gpqa_options(rows, index)
            letter = chr(65 + options.index(rows[index]["Correct Answer"].strip()))
            examples.append(
                gpqa_block(rows, index, "Question: ", "\nChoices: \n")
                + "Let's think step by step: "
                + rows[index]["Explanation"]
                + f"The correct answer is ({letter}) \n"
            )
        prompt = state["request"]["prompt"]
        examples.sort(key=prompt.find)  # the order HELM's example sampler draws them in
        index = int(state["instance"]["id"].removeprefix("id"))
        eval_block = gpqa_block(rows, index, "Question: ", "\nChoices: \n")
        assert prompt == EXPERTS + "\n" + "\n".join(examples) + "\n" + eval_block + FEW_SHOT_COT_SUFFIX
        assert (state["request"]["max_tokens"], state["request"]["temperature"]) == (2000, 0)


def test_ifeval_prompts_and_instructions(suite: Path) -> None:
    rows = {
        f"id{row['key']}": row
        for row in map(json.loads, (MIRROR / "ifeval/data/input_data.jsonl").read_text().splitlines())
    }
    for state in _states(suite, "ifeval"):
        row = rows[state["instance"]["id"]]
        # HELM's ifeval spec keeps AdapterSpec's default input_suffix, so its prompts end with "\n".
        assert state["request"]["prompt"] == row["prompt"].strip() + "\n"
        assert state["instance"]["extra_data"]["instruction_ids"] == row["instruction_id_list"]
        assert (state["request"]["max_tokens"], state["request"]["temperature"]) == (4096, 0)


def test_gpqa_plain_text_never_reaches_disk(suite: Path) -> None:
    """The CSV is decrypted in memory: no .csv anywhere, and a question's text appears only in the
    run's own outputs (scenario_state.json) and the request cache that holds its prompts."""
    root = suite.parents[2]
    assert not list(root.rglob("*.csv"))
    scenario_dir = root / "benchmark_output/scenarios/gpqa"
    assert not any(p.is_file() for p in scenario_dir.rglob("*"))  # the mirror's zip is read in place
    needle = gpqa_rows()[0]["Question"].strip()[:60].encode()
    holders = {p.name for p in root.rglob("*") if p.is_file() and needle in p.read_bytes()}
    assert holders <= {"scenario_state.json", "simple.sqlite", "simple.sqlite-wal"}


def test_extract_answer_uses_helms_patterns_in_order() -> None:
    assert extract_answer("so the answer is (C).") == "C"
    assert extract_answer("the answer is B") == "B"
    assert extract_answer("The correct answer is **D**") == "D"  # third: skips non-letters
    assert extract_answer("The correct answer is 4, i.e. E") == "E"  # fourth: skips lower case too
    assert extract_answer("The correct answer is: D") is None  # every pattern needs "is "
    assert extract_answer("[aA]nswer: (F)") == "F"  # HELM's escaped brackets match literally
    assert extract_answer("Answer: F") is None
    assert extract_answer("answer is K") is None


@pytest.mark.parametrize(
    ("name", "args", "message"),
    [
        (
            "gpqa",
            {"subset": "main", "use_few_shot": "sometimes"},
            "use_few_shot=sometimes: expected true or false",
        ),
        ("mmlu_pro", {"use_chain_of_thought": "yes"}, "use_chain_of_thought=yes: expected true or false"),
    ],
)
def test_bad_flags_are_one_line_errors(name: str, args: dict[str, str], message: str) -> None:
    with pytest.raises(UserError, match=message):
        get_run_spec_function(name)(**args)


def test_unknown_subject_or_subset_is_reported() -> None:
    from helm_lite.scenarios.gpqa import GPQAScenario
    from helm_lite.scenarios.mmlu_pro import MMLUProScenario

    with pytest.raises(UserError, match="Unknown GPQA subset 'gpqa_mian'"):
        GPQAScenario("gpqa_mian")
    with pytest.raises(UserError, match="Unknown MMLU-Pro subject 'chemestry'"):
        MMLUProScenario("chemestry")
    assert MMLUProScenario("computer_science").subject == "computer science"


class _Serve(BaseHTTPRequestHandler):
    body = b""

    def do_GET(self) -> None:
        self.send_response(200)
        self.send_header("Content-Length", str(len(self.body)))
        self.end_headers()
        self.wfile.write(self.body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def zip_server() -> Iterator[str]:
    httpd = HTTPServer(("127.0.0.1", 0), _Serve)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}/dataset.zip"
    httpd.shutdown()


@needs_mirror
def test_gpqa_download_is_checked_against_its_pinned_sha256(
    tmp_path: Path, zip_server: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from helm_lite.scenarios import gpqa

    real = (MIRROR / "gpqa/dataset.zip").read_bytes()
    assert hashlib.sha256(real).hexdigest() == gpqa.SHA256
    monkeypatch.setattr(gpqa, "DATA_URL", zip_server)
    source = DataSource(str(tmp_path / "scenarios"), None)
    _Serve.body = real[:-10] + b"tampered!!"
    with pytest.raises(UserError, match="downloaded file is unusable: SHA-256"):
        gpqa.GPQAScenario("gpqa_diamond", data_source=source).get_instances(str(tmp_path / "scenarios/gpqa"))
    assert not any(p.is_file() for p in (tmp_path / "scenarios").rglob("*"))
    _Serve.body = real
    instances = gpqa.GPQAScenario("gpqa_diamond", data_source=source).get_instances(str(tmp_path))
    assert [sum(i.split == s for i in instances) for s in ("train", "test")] == [2, 196]
    assert sorted(p.name for p in (tmp_path / "scenarios").rglob("*") if p.is_file()) == ["dataset.zip"]


def test_chain_of_thought_correctness_scores_the_extracted_letter() -> None:
    from helm_lite.adaptation.adapter_spec import AdapterSpec
    from helm_lite.adaptation.request_state import RequestState, ScenarioState
    from helm_lite.common.request import GeneratedOutput, Request, RequestResult
    from helm_lite.metrics.base import MetricService
    from helm_lite.metrics.chain_of_thought import ChainOfThoughtMetric
    from helm_lite.scenarios.base import CORRECT_TAG, Input, Instance, Output, Reference

    def state(n: int, text: str) -> RequestState:
        refs = [Reference(Output(t), [CORRECT_TAG] if t == "right" else []) for t in ("x", "right", "y")]
        return RequestState(
            instance=Instance(Input("q"), refs, split="test", id=f"id{n}"),
            reference_index=None,
            request_mode=None,
            train_trial_index=0,
            output_mapping=None,
            request=Request(model_deployment="simple/model1", model="simple/model1", prompt="q"),
            result=RequestResult(True, [], [GeneratedOutput(text, 0.0, [])], False),
            num_train_instances=0,
            prompt_truncated=False,
        )

    texts = ["<think>the answer is (A)</think>The correct answer is (B)", "The answer is (A)", "no idea"]
    spec = AdapterSpec(
        method="multiple_choice_joint_chain_of_thought", num_outputs=1, model_deployment="simple/model1"
    )
    result = ChainOfThoughtMetric().evaluate(
        ScenarioState(spec, [state(n, t) for n, t in enumerate(texts)]),
        MetricService(count_tokens=len, thinking=("<think>", "</think>")),
    )
    per_instance = [s.stats[0].mean for s in result.per_instance_stats]
    assert per_instance == [1, 0, 0]  # the thinking section's "(A)" is not the answer
    stats = result.aggregated_stats
    (main,) = [s for s in stats if s.name.name == "chain_of_thought_correctness" and not s.name.perturbation]
    assert main.mean == pytest.approx(1 / 3)


def test_prompt_cut_for_a_completion_longer_than_the_window_ends() -> None:
    """max_tokens=4096 on a 2048-token window: nothing fits, so the cut ends at "" (HELM loops forever)."""
    from helm_lite.tokenizers.simple import SimpleTokenizer
    from helm_lite.window.service import WindowService

    window = WindowService(SimpleTokenizer(), max_sequence_length=2048)
    assert window.truncate_from_right("a question " * 10, 4096) == ""


def test_capabilities_v2_entry_appends_helms_letter_instruction(tmp_path: Path) -> None:
    """`run_entries_capabilities_v2.conf`: the answer-format suffix gains HELM's letter instruction."""
    from helm_lite.registry.loader import load_registry
    from helm_lite.run_entries.construct import construct_run_specs_for
    from helm_lite.run_entries.description import parse_description

    for name in ("mmlu_pro:subject=all", "gpqa:subset=main"):
        scenario = name.split(":")[0]
        description = f"{name},output_format_instructions={scenario}_suffix,increase_max_tokens=10000,model=simple/model1"
        (spec,) = construct_run_specs_for(
            parse_description(description), load_registry(tmp_path), description
        )
        letter = (
            'In your response, replace "insert answer here" with the single uppercase letter '
            "corresponding to your answer."
        )
        assert spec.adapter_spec.global_suffix == STEP + "\n\n" + letter
        assert spec.adapter_spec.max_tokens == 14096
