"""MedQA: the 4-option US question files in HELM's layout, option cleaning, and HELM's exact prompt."""

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
from helm_lite.run_specs.med_qa import med_qa
from helm_lite.scenarios.base import Instance, with_ids
from helm_lite.scenarios.med_qa import URL, MedQAScenario
from helm_lite.tokenizers.simple import SimpleTokenizer
from helm_lite.window.service import WindowService

WINDOW = WindowService(SimpleTokenizer(), max_sequence_length=100_000)
FOLDER = "med_qa/data/data_clean/questions/US/4_options"


def row(question: str, options: list[str], answer_idx: str) -> dict[str, Any]:
    """A line of phrases_no_exclude_*.jsonl as released (with the fields HELM does not read)."""
    opts = dict(zip("ABCD", options, strict=True))
    return {
        "question": question,
        "answer": opts[answer_idx],
        "options": opts,
        "meta_info": "step1",
        "answer_idx": answer_idx,
        "metamap_phrases": question.split()[:3],
    }


FILES = {
    "train": [
        row("A 23-year-old woman has a cough. Which drug?", ["Aspirin", "Codeine", "Insulin", "Heparin"], "B")
    ],
    "dev": [
        row(
            "A 60-year-old man has sudden dyspnea after surgery. Diagnosis?",
            ["Asthma", 'Pulmonary embolism\n"', "Pneumonia  ", "Anxiety"],
            "B",
        ),
        row("Dev question two?", ["a", "b", "c", "d"], "D"),
    ],
    "test": [row("Test question?", ["w", "x", "y", "z"], "A")],
}


def jsonl(rows: list[dict[str, Any]]) -> str:
    return "".join(json.dumps(r) + "\n" for r in rows)


def write_mirror(mirror: Path) -> None:
    folder = mirror / FOLDER
    folder.mkdir(parents=True, exist_ok=True)
    for split, rows in FILES.items():
        (folder / f"phrases_no_exclude_{split}.jsonl").write_text(jsonl(rows))


def load(tmp_path: Path, mirror: Path | None = None) -> list[Instance]:
    scenarios = tmp_path / "out" / "scenarios"
    source = DataSource(str(scenarios), str(mirror) if mirror else None)
    scenario = MedQAScenario(data_source=source)
    return with_ids(scenario.get_instances(str(scenarios / scenario.name)))


@pytest.fixture(autouse=True)
def offline(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(data.OFFLINE_ENV, "1")


def test_instances_ids_splits_and_cleaned_options(tmp_path: Path) -> None:
    write_mirror(tmp_path / "mirror")
    instances = load(tmp_path, tmp_path / "mirror")
    assert [(i.id, i.split) for i in instances] == [
        ("id0", "train"),
        ("id1", "valid"),
        ("id2", "valid"),
        ("id3", "test"),
    ]
    assert [(r.output.text, r.tags) for r in instances[1].references] == [
        ("Asthma", []),
        ("Pulmonary embolism", ["correct"]),  # trailing '"' and whitespace removed, as HELM does
        ("Pneumonia", []),
        ("Anxiety", []),
    ]


def test_prompt_of_first_eval_instance(tmp_path: Path) -> None:
    write_mirror(tmp_path / "mirror")
    states = make_adapter(med_qa().adapter_spec, WINDOW).adapt(load(tmp_path, tmp_path / "mirror"))
    assert states[0].request.prompt == (
        "The following are multiple choice questions (with answers) about medicine.\n\n"
        "Question: A 23-year-old woman has a cough. Which drug?\n"
        "A. Aspirin\nB. Codeine\nC. Insulin\nD. Heparin\nAnswer: B\n\n"
        "Question: A 60-year-old man has sudden dyspnea after surgery. Diagnosis?\n"
        "A. Asthma\nB. Pulmonary embolism\nC. Pneumonia\nD. Anxiety\nAnswer:"
    )


def test_run_spec_matches_helm() -> None:
    spec = med_qa()
    assert (spec.name, spec.groups) == ("med_qa", ["med_qa"])
    assert spec.scenario_spec.class_name == "helm.benchmark.scenarios.med_qa_scenario.MedQAScenario"
    a = spec.adapter_spec
    assert a.method == "multiple_choice_joint"
    assert a.instructions == "The following are multiple choice questions (with answers) about medicine.\n"
    assert (a.input_prefix, a.output_prefix, a.max_train_instances, a.num_outputs, a.max_tokens) == (
        "Question: ",
        "Answer: ",
        5,
        5,
        1,
    )
    assert [m.class_name for m in spec.metric_specs] == [
        "helm.benchmark.metrics.basic_metrics.BasicGenerationMetric",
        "helm.benchmark.metrics.basic_metrics.BasicReferenceMetric",
        "helm.benchmark.metrics.basic_metrics.InstancesPerSplitMetric",
    ]


def test_download_unpacks_where_helm_does(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(data.OFFLINE_ENV)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as zf:  # the Drive zip: data_clean/ beside other top-level entries
        for split, rows in FILES.items():
            zf.writestr(f"data_clean/questions/US/4_options/phrases_no_exclude_{split}.jsonl", jsonl(rows))
        zf.writestr("data_clean/textbooks/en/Anatomy_Gray.txt", "text")
        zf.writestr("__MACOSX/._data_clean", "")

    monkeypatch.setattr(data, "_download", lambda url, target: target.write_bytes(buffer.getvalue()))
    assert len(load(tmp_path)) == 4
    assert (tmp_path / "out" / "scenarios" / FOLDER / "phrases_no_exclude_dev.jsonl").is_file()


def test_html_instead_of_zip_is_a_user_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(data.OFFLINE_ENV)
    monkeypatch.setattr(data, "_download", lambda url, target: target.write_bytes(b"<html>Virus scan</html>"))
    with pytest.raises(UserError, match="not a zip archive"):
        load(tmp_path)


def test_truncated_file_is_rejected(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    mirror = tmp_path / "mirror"
    write_mirror(mirror)
    dev = mirror / FOLDER / "phrases_no_exclude_dev.jsonl"
    dev.write_bytes(dev.read_bytes()[:-40])
    with caplog.at_level(logging.WARNING), pytest.raises(UserError) as info:
        load(tmp_path, mirror)
    assert f"{FOLDER}/phrases_no_exclude_dev.jsonl" in str(info.value) and URL in str(info.value)
    assert "does not parse" in caplog.text


def test_missing_data_names_file_and_url(tmp_path: Path) -> None:
    with pytest.raises(UserError) as info:
        load(tmp_path, tmp_path / "empty-mirror")
    message = str(info.value)
    assert "\n" not in message
    assert f"{FOLDER}/phrases_no_exclude_train.jsonl is missing" in message and URL in message


def test_scenario_metadata() -> None:
    meta = MedQAScenario().metadata()
    assert (meta.name, meta.tags) == ("med_qa", ["question_answering", "biomedical"])
    assert meta.description == (
        "An open domain question answering (QA) dataset collected from professional medical board exams."
    )
    assert meta.definition_path.endswith("/src/helm/benchmark/scenarios/med_qa_scenario.py")
