"""OpenBookQA (commonsense:dataset=openbookqa): AI2's zip layout, train/test only, and HELM's exact prompt."""

from __future__ import annotations

import io
import json
import logging
import zipfile
from pathlib import Path
from typing import Any

import pytest

from helm_lite.adaptation.registry import make_adapter
from helm_lite.common import data
from helm_lite.common.data import DataSource
from helm_lite.common.errors import UserError
from helm_lite.run_specs.commonsense import commonsense
from helm_lite.scenarios.base import Instance, with_ids
from helm_lite.scenarios.commonsense import URL, OpenBookQA
from helm_lite.tokenizers.simple import SimpleTokenizer
from helm_lite.window.service import WindowService

WINDOW = WindowService(SimpleTokenizer(), max_sequence_length=100_000)
MAIN = "openbookqa/data/OpenBookQA-V1-Sep2018/Data/Main"


def question(qid: str, stem: str, choices: list[str], key: str) -> dict[str, Any]:
    """A line of Data/Main/*.jsonl as AI2 released it."""
    labelled = [{"text": text, "label": label} for text, label in zip(choices, "ABCD", strict=True)]
    return {"id": qid, "question": {"stem": stem, "choices": labelled}, "answerKey": key}


TRAIN = [
    question("7-980", "The sun is responsible for", ["puppies", "aging", "vases", "plants growing"], "D"),
    question("7-584", "When food is reduced in the stomach", ["the mind", "nutrients are", "it", "x"], "B"),
]
TEST = [
    question(
        "8-376", "Frilled sharks and angler fish live far beneath the surface", ["Ice", "deep", "a", "b"], "B"
    ),
    question("8-377", "A same-text pair", ["same", "other", "same", "more"], "A"),
]


def jsonl(rows: list[dict[str, Any]]) -> str:
    return "".join(json.dumps(r) + "\n" for r in rows)


def write_mirror(mirror: Path, test: str | None = None) -> None:
    folder = mirror / MAIN
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "train.jsonl").write_text(jsonl(TRAIN))
    (folder / "test.jsonl").write_text(jsonl(TEST) if test is None else test)


def load(tmp_path: Path, mirror: Path | None = None) -> list[Instance]:
    scenarios = tmp_path / "out" / "scenarios"
    source = DataSource(str(scenarios), str(mirror) if mirror else None)
    scenario = OpenBookQA(data_source=source)
    return with_ids(scenario.get_instances(str(scenarios / scenario.name)))


@pytest.fixture(autouse=True)
def offline(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(data.OFFLINE_ENV, "1")


def test_instances_ids_and_splits(tmp_path: Path) -> None:
    write_mirror(tmp_path / "mirror")
    instances = load(tmp_path, tmp_path / "mirror")
    assert [(i.id, i.split, i.input.text) for i in instances] == [
        ("id0", "train", "The sun is responsible for"),
        ("id1", "train", "When food is reduced in the stomach"),
        ("id2", "test", "Frilled sharks and angler fish live far beneath the surface"),
        ("id3", "test", "A same-text pair"),
    ]
    assert [(r.output.text, r.tags) for r in instances[2].references] == [
        ("Ice", []),
        ("deep", ["correct"]),
        ("a", []),
        ("b", []),
    ]
    # HELM marks references by text: a choice repeating the correct text is correct too.
    assert [r.tags for r in instances[3].references] == [["correct"], [], ["correct"], []]


def test_prompt_of_first_eval_instance(tmp_path: Path) -> None:
    write_mirror(tmp_path / "mirror")
    spec = commonsense("openbookqa", "multiple_choice_joint")
    states = make_adapter(spec.adapter_spec, WINDOW).adapt(load(tmp_path, tmp_path / "mirror"))
    assert states[0].request.prompt == (
        "The following are multiple choice questions (with answers) about common sense.\n\n"
        "Question: When food is reduced in the stomach\n"
        "A. the mind\nB. nutrients are\nC. it\nD. x\nAnswer: B\n\n"
        "Question: The sun is responsible for\n"
        "A. puppies\nB. aging\nC. vases\nD. plants growing\nAnswer: D\n\n"
        "Question: Frilled sharks and angler fish live far beneath the surface\n"
        "A. Ice\nB. deep\nC. a\nD. b\nAnswer:"
    )
    assert states[0].output_mapping == {"A": "Ice", "B": "deep", "C": "a", "D": "b"}


def test_run_spec_matches_helm() -> None:
    spec = commonsense("openbookqa", "multiple_choice_joint")
    assert spec.name == "commonsense:dataset=openbookqa,method=multiple_choice_joint"
    assert spec.groups == ["openbookqa"]
    assert spec.scenario_spec.class_name == "helm.benchmark.scenarios.commonsense_scenario.OpenBookQA"
    assert spec.scenario_spec.args == {}
    a = spec.adapter_spec
    assert (
        a.instructions == "The following are multiple choice questions (with answers) about common sense.\n"
    )
    assert (a.input_prefix, a.input_suffix, a.output_prefix, a.output_suffix) == (
        "Question: ",
        "\n",
        "Answer: ",
        "\n",
    )
    assert (a.max_train_instances, a.num_outputs, a.max_tokens, a.temperature, a.stop_sequences) == (
        5,
        5,
        1,
        0.0,
        ["\n"],
    )
    assert spec.metric_specs[0].args == {
        "names": ["exact_match", "quasi_exact_match", "prefix_exact_match", "quasi_prefix_exact_match"]
    }
    separate = commonsense("openbookqa", "multiple_choice_separate_original").adapter_spec
    assert (separate.method, separate.max_train_instances, separate.output_prefix) == (
        "multiple_choice_separate_original",
        0,
        " ",
    )
    with pytest.raises(UserError, match="hellaswag"):
        commonsense("hellaswag", "multiple_choice_joint")


def test_download_unpacks_where_helm_does(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(data.OFFLINE_ENV)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as zf:
        zf.writestr("OpenBookQA-V1-Sep2018/Data/Main/train.jsonl", jsonl(TRAIN))
        zf.writestr("OpenBookQA-V1-Sep2018/Data/Main/dev.jsonl", jsonl(TRAIN))
        zf.writestr("OpenBookQA-V1-Sep2018/Data/Main/test.jsonl", jsonl(TEST))
        zf.writestr("OpenBookQA-V1-Sep2018/Data/Additional/test_complete.jsonl", jsonl(TEST))
    fetched: list[str] = []

    def fake_download(url: str, target: Path) -> None:
        fetched.append(url)
        target.write_bytes(buffer.getvalue())

    monkeypatch.setattr(data, "_download", fake_download)
    assert len(load(tmp_path)) == 4
    assert fetched == [URL]  # one download serves both files
    assert (tmp_path / "out" / "scenarios" / MAIN / "test.jsonl").is_file()


def test_truncated_file_is_rejected(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    write_mirror(tmp_path / "mirror", test=jsonl(TEST)[:-25])
    with caplog.at_level(logging.WARNING), pytest.raises(UserError) as info:
        load(tmp_path, tmp_path / "mirror")
    assert f"{MAIN}/test.jsonl" in str(info.value) and URL in str(info.value)
    assert "line 2" in caplog.text


def test_missing_data_names_file_and_url(tmp_path: Path) -> None:
    with pytest.raises(UserError) as info:
        load(tmp_path, tmp_path / "empty-mirror")
    message = str(info.value)
    assert "\n" not in message
    assert f"{MAIN}/train.jsonl is missing" in message and URL in message


def test_scenario_metadata() -> None:
    meta = OpenBookQA().metadata()
    assert (meta.name, meta.description, meta.tags) == (
        "openbookqa",
        "Benchmark from https://aclanthology.org/D18-1260.pdf.",
        ["knowledge", "multiple_choice"],
    )
    assert meta.definition_path.endswith("/src/helm/benchmark/scenarios/commonsense_scenario.py")
