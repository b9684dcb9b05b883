"""MATH: HF's sort+shuffle order, filters, references and the Lite prompt on the real JSONL; loader on small files."""

from __future__ import annotations

import hashlib
import json
import logging
import random
from pathlib import Path
from typing import Any

import pytest
from data_mirror import MIRROR  # $HELM_LITE_DATA_MIRROR, else ../shared/data/scenarios

from helm_lite.adaptation.registry import make_adapter
from helm_lite.adaptation.request_state import RequestState
from helm_lite.common.data import OFFLINE_ENV, DataSource
from helm_lite.common.errors import UserError
from helm_lite.registry.loader import load_registry
from helm_lite.run_entries.construct import construct_run_specs_for
from helm_lite.run_entries.description import parse_description
from helm_lite.run_specs.registry import get_run_spec_function
from helm_lite.run_specs.run_spec import RunSpec
from helm_lite.runner import downsample
from helm_lite.scenarios.base import EVAL_SPLITS, Instance, with_ids
from helm_lite.scenarios.math import (
    DATA_DIR,
    PARTIAL_TRAIN_WARNED,
    MATHScenario,
    hf_order,
    last_boxed,
    read_rows,
)
from helm_lite.tokenizers.simple import SimpleTokenizer
from helm_lite.window.service import WindowService

needs_mirror = pytest.mark.skipif(not MIRROR.is_dir(), reason="shared data mirror not present")
WINDOW = WindowService(SimpleTokenizer(), max_sequence_length=1_000_000)
INSTRUCTIONS = (
    "Given a mathematics problem, determine the answer. Simplify your answer as much as possible.\n"
)
# Digests of the problem order that HF datasets 5.2.0 gives for `.sort("problem").shuffle(seed=42)` on
# the mirror's files (computed once with the real library; it is not a test dependency).
HF_TEST_ORDER = "2a832d4c546bd653b7735fc139ddba3f0caf4e7ba23d3974ad2801d7ca5a055a"
HF_TRAIN_PARTIAL_ORDER = "9ded8c4d8277daa3a94a0eb0695f88ffb979e12a29320c550a583900d30a0eb3"


def _instances(tmp_path: Path, mirror: Path = MIRROR, **args: Any) -> list[Instance]:
    source = DataSource(str(tmp_path / "scenarios"), str(mirror))
    args = {"subject": "precalculus", "level": 1, "use_chain_of_thought": True, **args}
    return with_ids(MATHScenario(**args, data_source=source).get_instances(str(tmp_path / "scenarios/MATH")))


def _states(run_spec: RunSpec, instances: list[Instance], max_eval: int) -> list[RequestState]:
    return make_adapter(run_spec.adapter_spec, WINDOW).adapt(
        downsample(instances, max_eval, list(EVAL_SPLITS))
    )


def _digest(rows: list[dict[str, Any]]) -> str:
    return hashlib.sha256("\x00".join(r["problem"] for r in rows).encode()).hexdigest()


def _lite_spec(subject: str = "precalculus") -> RunSpec:
    return get_run_spec_function("math")(subject=subject, level=1, use_chain_of_thought="True")


@needs_mirror
def test_order_is_hf_datasets_sort_then_shuffle() -> None:
    data = MIRROR / DATA_DIR
    assert _digest(hf_order(read_rows(data / "test.jsonl"))) == HF_TEST_ORDER
    assert _digest(hf_order(read_rows(data / "train.partial.jsonl"))) == HF_TRAIN_PARTIAL_ORDER


def test_hf_order_on_a_small_list() -> None:
    rows = [{"problem": p} for p in "cabed"]
    # sorted: a b c d e; numpy default_rng(42).permutation(5) = [4, 2, 3, 1, 0]
    assert [r["problem"] for r in hf_order(rows)] == list("ecdba")


@needs_mirror
def test_lite_prompt_on_real_data(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    PARTIAL_TRAIN_WARNED.clear()  # the warning comes once per process
    with caplog.at_level(logging.WARNING):
        instances = _instances(tmp_path)
    assert "train.partial.jsonl, a partial train split" in caplog.text
    train = [i for i in instances if i.split == "train"]
    test = [i for i in instances if i.split == "test"]
    assert (len(train), len(test)) == (64, 57)  # Precalculus train is complete in the mirror
    assert [i.id for i in test] == [f"id{n}" for n in range(64, 121)]
    expected_test = [
        r for r in hf_order(read_rows(MIRROR / DATA_DIR / "test.jsonl"))
        if (r["type"], r["level"]) == ("Precalculus", "Level 1")
    ]  # fmt: skip
    assert [(i.input.text, i.references[0].output.text) for i in test] == [
        (r["problem"], r["solution"]) for r in expected_test
    ]

    states = _states(_lite_spec(), instances, 1000)
    assert len(states) == 57
    # Every solution is distinct: the 8 examples are the first 8 of shuffle(sorted(solutions)), seed 0.
    solutions = sorted(i.references[0].output.text for i in train)
    random.Random(0).shuffle(solutions)
    by_solution = {i.references[0].output.text: i for i in train}
    blocks = [f"Problem: {by_solution[s].input.text}\nAnswer: {s}\n" for s in solutions[:8]]
    first = states[0]
    assert first.request.prompt == "###\n".join(
        [INSTRUCTIONS, *blocks, f"Problem: {first.instance.input.text}\nAnswer:"]
    )
    assert (first.request.max_tokens, first.request.stop_sequences) == (400, ["###"])


@needs_mirror
def test_max_eval_instances_picks_helms_instances(tmp_path: Path) -> None:
    states = _states(_lite_spec(), _instances(tmp_path), 5)
    # numpy RandomState(0).permutation(57)[:5], offset by the 64 train rows.
    assert [s.instance.id for s in states] == ["id99", "id98", "id105", "id91", "id75"]


@needs_mirror
def test_plain_answers_and_official_examples(tmp_path: Path) -> None:
    plain = _instances(tmp_path, use_chain_of_thought=False)
    cot = _instances(tmp_path)
    assert [i.input.text for i in plain] == [i.input.text for i in cot]
    assert [i.references[0].output.text for i in plain] == [
        last_boxed(i.references[0].output.text) for i in cot
    ]
    official = _instances(tmp_path, use_chain_of_thought=False, use_official_examples=True)
    assert [i.split for i in official] == ["train"] * 8 + ["test"] * 57
    assert (
        official[0].input.text == r"What is $\left(\frac{7}{8}\right)^3 \cdot \left(\frac{7}{8}\right)^{-3}$?"
    )
    spec = get_run_spec_function("math")(subject="precalculus", level=1, use_official_examples="True")
    prompt = _states(spec, official, 1)[0].request.prompt
    assert prompt.startswith(INSTRUCTIONS + "###\nProblem: ")
    assert "\nAnswer: $\\sqrt{59}$\n###\n" in prompt and prompt.endswith("\nAnswer: $")


@needs_mirror
def test_subject_without_train_rows_in_the_partial_split(tmp_path: Path) -> None:
    instances = _instances(tmp_path, subject="algebra")
    assert [i.split for i in instances] == ["test"] * 135  # no Algebra train rows in the mirror


def test_run_spec_matches_helm_lite() -> None:
    spec = _lite_spec("number_theory")
    assert (
        spec.name
        == "math:subject=number_theory,level=1,use_official_examples=False,use_chain_of_thought=True"
    )
    assert spec.scenario_spec.class_name == "helm.benchmark.scenarios.math_scenario.MATHScenario"
    assert spec.scenario_spec.args == {
        "subject": "number_theory",
        "level": 1,
        "use_official_examples": False,
        "use_chain_of_thought": True,
    }
    a = spec.adapter_spec
    assert (a.method, a.instructions, a.input_prefix, a.input_suffix, a.output_prefix, a.output_suffix) == (
        "generation",
        INSTRUCTIONS,
        "Problem: ",
        "\n",
        "Answer: ",
        "\n",
    )
    assert (a.instance_prefix, a.max_train_instances, a.num_outputs, a.max_tokens, a.stop_sequences) == (
        "###\n",
        8,
        1,
        400,
        ["###"],
    )
    assert [m.class_name.rsplit(".", 1)[1] for m in spec.metric_specs] == [
        "BasicGenerationMetric",
        "BasicReferenceMetric",
        "InstancesPerSplitMetric",
    ]
    assert spec.metric_specs[0].args == {"names": ["math_equiv_chain_of_thought"]}
    assert spec.groups == ["math_chain_of_thought"]

    plain = get_run_spec_function("math")(subject="algebra", level="2", use_chain_of_thought="false")
    assert plain.name == "math:subject=algebra,level=2,use_official_examples=False,use_chain_of_thought=False"
    p = plain.adapter_spec
    assert (p.output_prefix, p.output_suffix, p.max_tokens, p.stop_sequences) == (
        "Answer: $",
        "$\n",
        20,
        ["$"],
    )
    assert plain.metric_specs[0].args == {"names": ["math_equiv"]} and plain.groups == ["math_regular"]
    with pytest.raises(UserError, match="Cannot use official examples"):
        get_run_spec_function("math")(
            subject="algebra", level=1, use_official_examples="true", use_chain_of_thought="TRUE"
        )


def test_lite_entry_name_and_output_format_instructions(tmp_path: Path) -> None:
    registry = load_registry(tmp_path)
    description = "math:model=simple/model1,subject=algebra,level=1,use_chain_of_thought=True"
    (spec,) = construct_run_specs_for(parse_description(description), registry, description)
    assert spec.name == (
        "math:subject=algebra,level=1,use_official_examples=False,use_chain_of_thought=True,model=simple_model1"
    )
    description += ",output_format_instructions=math"
    (spec,) = construct_run_specs_for(parse_description(description), registry, description)
    assert (
        spec.adapter_spec.instructions
        == "Wrap the final answer with the \\boxed{} command.\n\n" + INSTRUCTIONS
    )


def test_bad_arguments() -> None:
    with pytest.raises(UserError, match="Unknown MATH subject 'calculus'"):
        MATHScenario("calculus", 1)
    with pytest.raises(UserError, match="Unknown MATH level 6"):
        MATHScenario("algebra", 6)


def test_last_boxed() -> None:
    assert last_boxed(r"so $x = \boxed{\frac{1}{2}}$.") == r"\frac{1}{2}"
    assert last_boxed(r"\boxed{1} then \boxed{2}") == "2"
    assert last_boxed(r"\fbox{3}") is None  # found, but HELM only unwraps \boxed{…}
    assert last_boxed(r"\boxed{unclosed") is None
    assert last_boxed("no box") is None


# --- the loader on small files in the real format --------------------------------------------------


def _row(problem: str, solution: str, level: str = "Level 1", kind: str = "Geometry") -> dict[str, str]:
    return {"problem": problem, "level": level, "type": kind, "solution": solution}


TEST_ROWS = [
    _row("t1", r"$\boxed{1}$"),
    _row("t2", r"$\boxed{2}$"),
    _row("t3", "no box"),
    _row("x", "x", "Level 2"),
]
TRAIN_ROWS = [_row("r1", r"\boxed{5}"), _row("r2", r"\boxed{6}", kind="Algebra")]


def _mirror(tmp_path: Path, files: dict[str, str]) -> Path:
    mirror = tmp_path / "mirror"
    (mirror / DATA_DIR).mkdir(parents=True)
    for name, text in files.items():
        (mirror / DATA_DIR / name).write_text(text)
    return mirror


def _jsonl(rows: list[dict[str, str]]) -> str:
    return "".join(json.dumps(r) + "\n" for r in rows)


def test_loader_reads_the_real_format(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    mirror = _mirror(tmp_path, {"test.jsonl": _jsonl(TEST_ROWS), "train.jsonl": _jsonl(TRAIN_ROWS)})
    with caplog.at_level(logging.WARNING):
        plain = _instances(tmp_path, mirror, subject="geometry", use_chain_of_thought=False)
    assert caplog.text == ""  # a full train split: no warning
    # Filtered by subject and level, rows without \boxed skipped (plain answers), in HF order.
    assert [(i.split, i.input.text, i.references[0].output.text) for i in plain] == [
        ("train", "r1", "5"),
        ("test", "t2", "2"),
        ("test", "t1", "1"),
    ]
    cot = _instances(tmp_path, mirror, subject="geometry")
    assert [i.references[0].output.text for i in cot if i.split == "test"] == [
        "no box",
        r"$\boxed{2}$",
        r"$\boxed{1}$",
    ]


@pytest.mark.parametrize("damage", [_jsonl(TEST_ROWS)[:-20], _jsonl(TEST_ROWS) + '{"problem": "p"}\n'])
def test_truncated_or_corrupt_file_is_detected_and_not_used(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture, damage: str
) -> None:
    monkeypatch.setenv(OFFLINE_ENV, "1")
    mirror = _mirror(tmp_path, {"test.jsonl": damage, "train.jsonl": _jsonl(TRAIN_ROWS)})
    with caplog.at_level(logging.WARNING), pytest.raises(UserError) as info:
        _instances(tmp_path, mirror, subject="geometry")
    assert "Ignoring" in caplog.text and "does not parse" in caplog.text
    assert f"{DATA_DIR}/test.jsonl is missing" in str(info.value)


def test_missing_data_names_the_file_and_the_source(tmp_path: Path) -> None:
    with pytest.raises(UserError) as info:
        _instances(tmp_path, _mirror(tmp_path, {"train.jsonl": _jsonl(TRAIN_ROWS)}))
    message = str(info.value)
    assert f"{DATA_DIR}/test.jsonl is missing" in message
    assert "hendrycks/competition_math" in message and "data mirror" in message
    with pytest.raises(UserError, match=f"MATH train split: scenario data {DATA_DIR}/train.jsonl is missing"):
        _instances(tmp_path, _mirror(tmp_path / "2", {"test.jsonl": _jsonl(TEST_ROWS)}))
    # Official examples need no train split.
    official = _mirror(tmp_path / "3", {"test.jsonl": _jsonl(TEST_ROWS)})
    assert len(_instances(tmp_path, official, use_chain_of_thought=False, use_official_examples=True)) == 8


def test_scenario_metadata() -> None:
    meta = MATHScenario("algebra", 1).metadata()
    assert (meta.name, meta.description, meta.tags) == (
        "MATH",
        "Mathematical Problem Solving",
        ["knowledge", "reasoning"],
    )
    assert meta.definition_path.endswith("/src/helm/benchmark/scenarios/math_scenario.py")
