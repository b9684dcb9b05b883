"""NaturalQuestions: NQ dev shards in their real format, HELM's instance files, picks, splits, prompts."""

from __future__ import annotations

import gzip
import json
import logging
import random
from pathlib import Path
from typing import Any

import pytest

from helm_lite.adaptation.registry import make_adapter
from helm_lite.common import data
from helm_lite.common.data import DataSource
from helm_lite.common.errors import UserError
from helm_lite.run_specs.natural_qa import natural_qa
from helm_lite.scenarios.base import Instance, with_ids
from helm_lite.scenarios.natural_qa import BASE_URL, SHARDS, NaturalQAScenario
from helm_lite.tokenizers.simple import SimpleTokenizer
from helm_lite.window.service import WindowService

WINDOW = WindowService(SimpleTokenizer(), max_sequence_length=100_000)
Span = tuple[int, int]  # token indices [start, end)


def nq_example(
    title: str, tokens: list[str], question: str, annotations: list[tuple[Span | None, list[Span]]]
) -> dict[str, Any]:
    """An example in NQ's released format: HTML, tokens with byte offsets, annotators' answer spans."""
    html, offsets = "", []
    for token in tokens:
        html += " " if html else ""
        start = len(html.encode("utf-8"))
        html += token
        offsets.append((start, len(html.encode("utf-8"))))

    def span(s: Span | None) -> dict[str, int]:
        if s is None:
            return {"start_byte": -1, "end_byte": -1, "start_token": -1, "end_token": -1}
        return {
            "start_byte": offsets[s[0]][0],
            "end_byte": offsets[s[1] - 1][1],
            "start_token": s[0],
            "end_token": s[1],
        }

    return {
        "annotations": [
            {
                "annotation_id": 1000 + n,
                "long_answer": {**span(long), "candidate_index": -1 if long is None else 0},
                "short_answers": [span(s) for s in shorts],
                "yes_no_answer": "NONE",
            }
            for n, (long, shorts) in enumerate(annotations)
        ],
        "document_html": html,
        "document_title": title,
        "document_tokens": [
            {"token": t, "start_byte": s, "end_byte": e, "html_token": t.startswith("<")}
            for t, (s, e) in zip(tokens, offsets, strict=True)
        ],
        "document_url": f"https://en.wikipedia.org/w/index.php?title={title}",
        "example_id": sum(map(ord, question)),
        "long_answer_candidates": [
            {"start_byte": 0, "end_byte": len(html), "start_token": 0, "end_token": 1}
        ],
        "question_text": question,
        "question_tokens": question.split(),
    }


LAKE = ["<P>", "The", "lake", "is", "10\u00a0km", "away", "</P>", "<P>", "It", "is", "10", "km", "</P>"]
SHARD_EXAMPLES: dict[int, list[dict[str, Any]]] = {
    0: [
        nq_example(
            "R&D Corp",
            ["<P>", "R&amp;D", "Corp", "was", "founded", "by", "Ann", "Lee", "</P>"],
            "who founded r&d corp",
            [((0, 9), [(6, 8)]), (None, [])],
        ),
        nq_example("Nothing", ["<P>", "No", "answer", "</P>"], "what is nothing", [((0, 4), [])]),
        nq_example(
            "Lake",
            LAKE,
            "how far is the LAKE?",
            [((0, 7), [(4, 5)]), ((7, 13), [(10, 12)]), ((0, 7), [(4, 6)])],
        ),
        nq_example(
            "France", ["<P>", "Capital", "is", "Paris", "</P>"], "capital of france", [((0, 5), [(3, 4)])]
        ),
    ],
    1: [nq_example("Sky", ["<P>", "The", "sky", "is", "blue", "</P>"], "sky colour", [((0, 6), [(4, 5)])])],
    2: [
        nq_example(
            "Week",
            ["<P>", "Seven", "days", "or", "7", "</P>"],
            "days in a week",
            [((0, 6), [(1, 2)]), ((0, 6), [(4, 5)])],
        ),
        nq_example("Pi", ["<P>", "About", "3.14", "</P>"], "value of pi", [((0, 4), [(2, 3)])]),
    ],
}


def write_shards(mirror: Path) -> None:
    folder = mirror / "natural_qa" / "data"
    folder.mkdir(parents=True, exist_ok=True)
    for n, shard in enumerate(SHARDS):
        lines = "".join(json.dumps(e) + "\n" for e in SHARD_EXAMPLES.get(n, []))
        (folder / shard).write_bytes(gzip.compress(lines.encode("utf-8")))


def load(tmp_path: Path, mode: str, mirror: Path | None = None) -> list[Instance]:
    scenarios = tmp_path / "out" / "scenarios"
    source = DataSource(str(scenarios), str(mirror) if mirror else None)
    scenario = NaturalQAScenario(mode, data_source=source)
    return with_ids(scenario.get_instances(str(scenarios / scenario.name)))


def refs(instance: Instance) -> list[str]:
    assert all(r.tags == ["correct"] for r in instance.references)
    return [r.output.text for r in instance.references]


@pytest.fixture(autouse=True)
def offline(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(data.OFFLINE_ENV, "1")


def test_kept_examples_splits_and_picked_answers(tmp_path: Path) -> None:
    write_shards(tmp_path / "mirror")
    state = random.getstate()
    instances = load(tmp_path, "closedbook", tmp_path / "mirror")
    assert random.getstate() == state
    # Examples without a short answer are dropped; kept ones alternate train/valid within each shard.
    assert [(i.id, i.split, i.input.text) for i in instances] == [
        ("id0", "train", "Who founded r&d corp?"),
        ("id1", "valid", "How far is the lake?"),  # str.capitalize lower-cases the rest
        ("id2", "train", "Capital of france?"),
        ("id3", "train", "Sky colour?"),
        ("id4", "train", "Days in a week?"),
        ("id5", "valid", "Value of pi?"),
    ]
    # Answers are cut from the HTML by byte offsets: entities decoded, tags dropped, NBSP → space.
    # Valid: every distinct short answer; train: only the one drawn by randint (seed 0: 0, 1, 0, 0, 1, 0).
    assert [refs(i) for i in instances] == [
        ["Ann Lee"],
        ["10 km", "10 km away"],
        ["Paris"],
        ["blue"],
        ["7"],
        ["3.14"],
    ]


def test_openbook_passages_use_the_picked_long_answer(tmp_path: Path) -> None:
    write_shards(tmp_path / "mirror")
    instances = load(tmp_path, "openbook_longans", tmp_path / "mirror")
    assert (
        instances[0].input.text
        == "Passage:  R&D Corp was founded by Ann Lee \n\nQuestion: Who founded r&d corp?"
    )
    # The lake's draw is 1: the second annotator's long answer.
    assert instances[1].input.text == "Passage:  It is 10 km \n\nQuestion: How far is the lake?"
    wiki = load(tmp_path, "openbook_wiki", tmp_path / "mirror")
    assert (
        wiki[2].input.text == "Title: France\n\nPassage:  Capital is Paris \n\nQuestion: Capital of france?"
    )


def test_prompts_of_first_eval_instance(tmp_path: Path) -> None:
    write_shards(tmp_path / "mirror")
    closed = natural_qa("closedbook")
    states = make_adapter(closed.adapter_spec, WINDOW).adapt(
        load(tmp_path, "closedbook", tmp_path / "mirror")
    )
    examples = {
        "Who founded r&d corp?": "Ann Lee",
        "Capital of france?": "Paris",
        "Sky colour?": "blue",
        "Days in a week?": "7",
    }
    train_blocks = [f"Question: {q}\nAnswer: {a}\n\n" for q, a in examples.items()]
    prompt = states[0].request.prompt
    assert prompt.endswith("\n\nQuestion: How far is the lake?\nAnswer:")
    assert sorted(prompt.split("\n\n")[:-1]) == sorted(b.rstrip("\n") for b in train_blocks)
    assert states[0].request.max_tokens == 300

    longans = natural_qa("openbook_longans")
    instances = load(tmp_path, "openbook_longans", tmp_path / "mirror")
    train = [i for i in instances if i.split == "train"][:1]
    first_eval = instances[1]
    states = make_adapter(longans.adapter_spec, WINDOW).adapt([*train, first_eval])
    assert states[0].request.prompt == (
        "Passage:  R&D Corp was founded by Ann Lee \n\nQuestion: Who founded r&d corp?\nAnswer: Ann Lee\n\n"
        "Passage:  It is 10 km \n\nQuestion: How far is the lake?\nAnswer:"
    )


def test_run_specs_match_helm() -> None:
    closed, longans = natural_qa("closedbook"), natural_qa("openbook_longans")
    assert (closed.name, closed.groups) == ("natural_qa:mode=closedbook", ["natural_qa_closedbook"])
    assert (longans.name, longans.groups) == (
        "natural_qa:mode=openbook_longans",
        ["natural_qa_openbook_longans"],
    )
    assert closed.scenario_spec.class_name == "helm.benchmark.scenarios.natural_qa_scenario.NaturalQAScenario"
    assert closed.scenario_spec.args == {"mode": "closedbook"}
    assert (closed.adapter_spec.input_prefix, longans.adapter_spec.input_prefix) == ("Question: ", "")
    for spec in (closed, longans):
        a = spec.adapter_spec
        assert (a.output_prefix, a.max_tokens, a.stop_sequences, a.max_train_instances) == (
            "Answer: ",
            300,
            ["\n"],
            5,
        )
        assert spec.metric_specs[0].args == {"names": ["exact_match", "quasi_exact_match", "f1_score"]}


def test_instance_files_in_helms_format_are_written_and_reused(tmp_path: Path) -> None:
    mirror = tmp_path / "mirror"
    write_shards(mirror)
    first = load(tmp_path, "closedbook", mirror)
    cache = tmp_path / "out" / "scenarios" / "natural_qa" / "data" / "nq-dev-00.jsonl.gz-instances.jsonl"
    lines = cache.read_text().splitlines()
    assert lines[0] == json.dumps(
        {
            "title": "R&D Corp",
            "document": " R&D Corp was founded by Ann Lee ",
            "question": "who founded r&d corp",
            "long_answers": [" R&D Corp was founded by Ann Lee "],
            "short_answers": ["Ann Lee"],
        }
    )
    assert len(lines) == 3
    for shard in SHARDS:  # the instance files alone are enough now
        (mirror / "natural_qa" / "data" / shard).unlink()
    again = load(tmp_path, "closedbook", mirror)
    assert [(i.input.text, refs(i)) for i in again] == [(i.input.text, refs(i)) for i in first]


def test_damaged_instance_file_is_rebuilt(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    mirror = tmp_path / "mirror"
    write_shards(mirror)
    first = load(tmp_path, "closedbook", mirror)
    cache = tmp_path / "out" / "scenarios" / "natural_qa" / "data" / "nq-dev-00.jsonl.gz-instances.jsonl"
    good = cache.read_bytes()
    cache.write_bytes(good[:-20])
    with caplog.at_level(logging.WARNING):
        again = load(tmp_path, "closedbook", mirror)
    assert "Deleting damaged" in caplog.text
    assert cache.read_bytes() == good
    assert [i.input.text for i in again] == [i.input.text for i in first]


def test_truncated_shard_is_rejected(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    mirror = tmp_path / "mirror"
    write_shards(mirror)
    shard = mirror / "natural_qa" / "data" / "nq-dev-02.jsonl.gz"
    shard.write_bytes(shard.read_bytes()[:-30])
    with caplog.at_level(logging.WARNING), pytest.raises(UserError) as info:
        load(tmp_path, "closedbook", mirror)
    assert "natural_qa/data/nq-dev-02.jsonl.gz" in str(info.value)
    assert f"{BASE_URL}/nq-dev-02.jsonl.gz" in str(info.value)
    assert "does not parse" in caplog.text


def test_missing_data_names_file_and_url(tmp_path: Path) -> None:
    with pytest.raises(UserError) as info:
        load(tmp_path, "closedbook")
    message = str(info.value)
    assert "\n" not in message
    assert "natural_qa/data/nq-dev-00.jsonl.gz is missing" in message
    assert "https://storage.googleapis.com/natural_questions/v1.0/dev/nq-dev-00.jsonl.gz" in message


def test_bad_mode_is_a_user_error() -> None:
    with pytest.raises(UserError, match="openbook_longans"):
        NaturalQAScenario("telepathy")


def test_scenario_metadata() -> None:
    meta = NaturalQAScenario("closedbook").metadata()
    assert (meta.name, meta.description, meta.tags) == (
        "natural_qa",
        "Question answering from wikipedia.",
        ["question_answering"],
    )
    assert meta.definition_path.endswith("/src/helm/benchmark/scenarios/natural_qa_scenario.py")
