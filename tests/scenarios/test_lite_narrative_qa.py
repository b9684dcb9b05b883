"""NarrativeQA: HELM's files and layout, its random question per story, and its exact prompt."""

from __future__ import annotations

import csv
import io
import json
import logging
import random
import zipfile
from pathlib import Path

import pytest

from helm_lite.adaptation.registry import make_adapter
from helm_lite.common import data
from helm_lite.common.data import DataSource
from helm_lite.common.errors import UserError
from helm_lite.run_specs.narrative_qa import narrative_qa
from helm_lite.scenarios.base import Instance, with_ids
from helm_lite.scenarios.narrative_qa import QAPS_FILE, SUMMARIES_FILE, URL, NarrativeQAScenario
from helm_lite.tokenizers.simple import SimpleTokenizer
from helm_lite.window.service import WindowService

WINDOW = WindowService(SimpleTokenizer(), max_sequence_length=100_000)

SUMMARIES = [
    ["document_id", "set", "summary", "summary_tokenized"],
    ["t1", "train", "  Ann sails to the island.\nShe finds a map. ", "ann sails to the island ."],
    ["t2", "train", "Bob builds a boat.", "bob builds a boat ."],
    ["v1", "valid", 'Cara, a baker, opens a shop in "Rome".', "cara , a baker , opens a shop ."],
    ["x1", "test", "Dan climbs a hill.", "dan climbs a hill ."],
    ["x2", "test", "Eve reads a book.", "eve reads a book ."],
]
# Stories appear interleaved; within a split HELM groups them by first appearance.
QAPS = [
    ["document_id", "set", "question", "answer1", "answer2", "question_tokenized", "answer1_tokenized",
     "answer2_tokenized"],
    ["t2", "train", "Who builds a boat?", "Bob", "Bob does", "who builds a boat ?", "bob", "bob does"],
    ["t1", "train", " Where does Ann sail ", "To the island", "The island", "where does ann sail", "x", "x"],
    ["x1", "test", "Q0 about Dan?", "a0", "b0", "q0", "a0", "b0"],
    ["t2", "train", "What does Bob build?", "A boat", "a boat", "what does bob build ?", "x", "x"],
    ["v1", "valid", "What does Cara open?", "A shop", "A bakery", "what does cara open ?", "x", "x"],
    ["t2", "train", "Is Bob happy?", "Yes", "yes", "is bob happy ?", "yes", "yes"],
    ["x1", "test", "Q1 about Dan?", "a1", "b1", "q1", "a1", "b1"],
    ["x1", "test", "Q2 about Dan?", "a2", "b2", "q2", "a2", "b2"],
    ["x1", "test", "Q3 about Dan?", "a3", "b3", "q3", "a3", "b3"],
    ["v1", "valid", "Where is the shop?", "Rome", "In Rome", "where is the shop ?", "rome", "in rome"],
    ["x2", "test", "What does Eve read", "A book", "a novel", "what does eve read", "x", "x"],
]  # fmt: skip


def csv_text(rows: list[list[str]]) -> str:
    out = io.StringIO()
    csv.writer(out).writerows(rows)  # the csv module's dialect: minimal quoting, \r\n line ends
    return out.getvalue()


def write_mirror(mirror: Path) -> None:
    for relative, rows in ((SUMMARIES_FILE, SUMMARIES), (QAPS_FILE, QAPS)):
        path = mirror / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(csv_text(rows).encode("utf-8"))


def load(tmp_path: Path, mirror: Path | None = None) -> list[Instance]:
    scenarios = tmp_path / "out" / "scenarios"
    source = DataSource(str(scenarios), str(mirror) if mirror else None)
    scenario = NarrativeQAScenario(data_source=source)
    return with_ids(scenario.get_instances(str(scenarios / scenario.name)))


@pytest.fixture(autouse=True)
def offline(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(data.OFFLINE_ENV, "1")


def test_one_random_question_per_story_as_helm_picks_it(tmp_path: Path) -> None:
    write_mirror(tmp_path / "mirror")
    state = random.getstate()
    instances = load(tmp_path, tmp_path / "mirror")
    assert random.getstate() == state  # a private generator: the global one is untouched
    # random.seed(0), then choice() per story: train t2 (3 rows) → 1, t1 → 0, valid v1 (2) → 0,
    # test x1 (4) → 2, x2 → 0.
    assert [(i.id, i.split, i.input.text.rsplit("Question: ", 1)[1]) for i in instances] == [
        ("id0", "train", "What does Bob build?"),
        ("id1", "train", "Where does Ann sail?"),
        ("id2", "valid", "What does Cara open?"),
        ("id3", "test", "Q2 about Dan?"),
        ("id4", "test", "What does Eve read?"),
    ]
    assert (
        instances[1].input.text
        == "Ann sails to the island.\nShe finds a map.\nQuestion: Where does Ann sail?"
    )
    assert [(r.output.text, r.tags) for r in instances[2].references] == [
        ("A shop", ["correct"]),
        ("A bakery", ["correct"]),
    ]
    assert load(tmp_path, tmp_path / "mirror")[3].input.text.endswith("Q2 about Dan?")  # same every time


def test_prompt_of_first_eval_instance(tmp_path: Path) -> None:
    write_mirror(tmp_path / "mirror")
    spec = narrative_qa()
    states = make_adapter(spec.adapter_spec, WINDOW).adapt(load(tmp_path, tmp_path / "mirror"))
    assert states[0].request.prompt == (
        "Passage: Bob builds a boat.\nQuestion: What does Bob build?\nAnswer: A boat\n\n"
        "Passage: Ann sails to the island.\nShe finds a map.\nQuestion: Where does Ann sail?\n"
        "Answer: To the island\n\n"
        'Passage: Cara, a baker, opens a shop in "Rome".\nQuestion: What does Cara open?\nAnswer:'
    )
    assert states[0].request.max_tokens == 100 and states[0].request.stop_sequences == ["\n"]


def test_run_spec_matches_helm() -> None:
    spec = narrative_qa()
    assert spec.name == "narrative_qa" and spec.groups == ["narrative_qa"]
    assert (
        spec.scenario_spec.class_name == "helm.benchmark.scenarios.narrativeqa_scenario.NarrativeQAScenario"
    )
    a = spec.adapter_spec
    assert (a.method, a.instructions, a.input_prefix, a.input_suffix) == ("generation", "", "Passage: ", "\n")
    assert (a.output_prefix, a.output_suffix, a.max_train_instances, a.num_outputs) == (
        "Answer: ",
        "\n",
        5,
        1,
    )
    assert (a.temperature, a.max_tokens, a.stop_sequences) == (0.0, 100, ["\n"])
    assert [m.class_name.rsplit(".", 1)[1] for m in spec.metric_specs] == [
        "BasicGenerationMetric",
        "BasicReferenceMetric",
        "InstancesPerSplitMetric",
    ]
    assert spec.metric_specs[0].args == {
        "names": ["exact_match", "quasi_exact_match", "f1_score", "rouge_l", "bleu_1", "bleu_4"]
    }


def test_download_unpacks_where_helm_does(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(data.OFFLINE_ENV)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as zf:  # GitHub's archive: everything under narrativeqa-master/
        zf.writestr("narrativeqa-master/README.md", "NarrativeQA")
        zf.writestr("narrativeqa-master/qaps.csv", csv_text(QAPS))
        zf.writestr("narrativeqa-master/third_party/wikipedia/summaries.csv", csv_text(SUMMARIES))
    fetched: list[str] = []

    def fake_download(url: str, target: Path) -> None:
        fetched.append(url)
        target.write_bytes(buffer.getvalue())

    monkeypatch.setattr(data, "_download", fake_download)
    instances = load(tmp_path)
    assert fetched == [URL] and len(instances) == 5
    repo = tmp_path / "out" / "scenarios" / "narrativeqa" / "data" / "narrativeqa-master"
    assert (repo / "qaps.csv").is_file() and (repo / "third_party" / "wikipedia" / "summaries.csv").is_file()
    load(tmp_path)
    assert fetched == [URL]  # the second run reads what the first one left


def test_truncated_file_is_rejected(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    mirror = tmp_path / "mirror"
    write_mirror(mirror)
    qaps = mirror / QAPS_FILE
    qaps.write_bytes(qaps.read_bytes()[:-12])  # cut inside the last row's last field
    with caplog.at_level(logging.WARNING), pytest.raises(UserError) as info:
        load(tmp_path, mirror)
    assert "narrativeqa/data/narrativeqa-master/qaps.csv" in str(info.value) and URL in str(info.value)
    assert "line break" in caplog.text


def test_damaged_csv_is_rejected(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    mirror = tmp_path / "mirror"
    write_mirror(mirror)
    (mirror / SUMMARIES_FILE).write_text('document_id,set,summary\nt1,train,"unterminated\n')
    with caplog.at_level(logging.WARNING), pytest.raises(UserError, match="summaries.csv"):
        load(tmp_path, mirror)
    assert "does not parse" in caplog.text


def test_missing_data_names_file_and_url(tmp_path: Path) -> None:
    with pytest.raises(UserError) as info:
        load(tmp_path, tmp_path / "empty-mirror")
    message = str(info.value)
    assert "\n" not in message
    assert "narrativeqa/data/narrativeqa-master/third_party/wikipedia/summaries.csv" in message
    assert URL in message


def test_scenario_metadata() -> None:
    meta = NarrativeQAScenario().metadata()
    assert json.loads(json.dumps(meta.__dict__)) == {
        "name": "narrativeqa",
        "description": "Question answering using summaries of books/movie scripts.",
        "tags": ["question_answering"],
        "definition_path": "https://github.com/stanford-crfm/helm/blob/main/src/helm/benchmark/scenarios/"
        "narrativeqa_scenario.py",
    }
