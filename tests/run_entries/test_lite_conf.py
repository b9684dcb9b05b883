"""run_specs/lite.conf: HELM's run_entries_lite_20240424.conf, its run names, and a run of it end to end."""

from __future__ import annotations

import csv
import gzip
import io
import json
from collections import Counter
from pathlib import Path

import pytest

from helm_lite.registry.loader import load_registry
from helm_lite.run_entries.conf import read_conf_file
from helm_lite.run_entries.construct import Selection, construct_run_specs
from helm_lite.run_specs.run_spec import RunSpec

REPO = Path(__file__).resolve().parents[2]
LITE_CONF = REPO / "run_specs" / "lite.conf"
MODEL = "simple/model1"
INSTRUCT_MODEL = "huggingfacetb/smollm2-135m-instruct"

MMLU_PRIORITY_2 = [
    "abstract_algebra",
    "college_chemistry",
    "computer_security",
    "econometrics",
    "us_foreign_policy",
]
MMLU_PRIORITY_3 = ["anatomy", "global_facts", "jurisprudence", "philosophy", "professional_medicine"]
MATH_SUBJECTS = [
    "number_theory",
    "intermediate_algebra",
    "algebra",
    "prealgebra",
    "geometry",
    "counting_and_probability",
    "precalculus",
]
LEGALBENCH = [
    "abercrombie",
    "corporate_lobbying",
    "international_citizenship_questions",
    "function_of_decision_section",
    "proa",
]
WMT_PAIRS = ["cs-en", "de-en", "fr-en", "hi-en", "ru-en"]
FFI = "follow_format_instructions=instruct"


def specs(models: list[str], priority: int | None = None) -> list[RunSpec]:
    registry = load_registry(REPO / "no-such-prod-env")  # the shipped registry only
    selection = Selection(models_to_run=models, priority=priority, max_eval_instances=1000)
    return construct_run_specs(read_conf_file(LITE_CONF), registry, selection)


def test_entries_are_helms_with_their_priorities() -> None:
    entries = read_conf_file(LITE_CONF)
    assert len(entries) == 108 and all(e.groups is None for e in entries)
    assert Counter(e.priority for e in entries) == {1: 4, 2: 24, 3: 19, 4: 61}
    described = {e.description: e.priority for e in entries}
    assert [e.description for e in entries[:4]] == [
        f"narrative_qa:model=text,{FFI}",
        f"natural_qa:model=text,mode=openbook_longans,{FFI}",
        f"natural_qa:model=text,mode=closedbook,{FFI}",
        "commonsense:model=text_code,dataset=openbookqa,method=multiple_choice_joint",
    ]
    mmlu = [e for e in entries if e.description.startswith("mmlu:")]
    assert len(mmlu) == 57 and all(e.description.startswith("mmlu:model=text,subject=") for e in mmlu)
    for subject in MMLU_PRIORITY_2 + MMLU_PRIORITY_3:
        assert described[f"mmlu:model=text,subject={subject}"] == (2 if subject in MMLU_PRIORITY_2 else 3)
    level_priority = {1: 2, 2: 4, 3: 3, 4: 4, 5: 3}
    for level, priority in level_priority.items():
        for subject in MATH_SUBJECTS:
            description = (
                f"math:model=text_code,subject={subject},level={level},use_chain_of_thought=True,{FFI}"
            )
            assert described[description] == priority
    assert described[f"gsm:model=text_code,{FFI}"] == 2
    assert all(described[f"legalbench:model=text_code,subset={s},{FFI}"] == 2 for s in LEGALBENCH)
    assert described["med_qa:model=text_code"] == 2
    assert all(described[f"wmt_14:language_pair={p},model=text,{FFI}"] == 2 for p in WMT_PAIRS)


def test_run_names_at_leaderboard_priority() -> None:
    names = [s.name for s in specs([MODEL], priority=2)]
    m = "model=simple_model1"
    assert names == [
        f"narrative_qa:{m}",
        f"natural_qa:mode=openbook_longans,{m}",
        f"natural_qa:mode=closedbook,{m}",
        f"commonsense:dataset=openbookqa,method=multiple_choice_joint,{m}",
        *[f"mmlu:subject={s},method=multiple_choice_joint,{m}" for s in MMLU_PRIORITY_2],
        *[
            f"math:subject={s},level=1,use_official_examples=False,use_chain_of_thought=True,{m}"
            for s in MATH_SUBJECTS
        ],
        f"gsm:{m}",
        *[f"legalbench:subset={s},{m}" for s in LEGALBENCH],
        f"med_qa:{m}",
        *[f"wmt_14:language_pair={p},{m}" for p in WMT_PAIRS],
    ]


def test_every_entry_builds_a_run_spec_for_each_model() -> None:
    built = specs([MODEL, INSTRUCT_MODEL])
    assert len(built) == 2 * 108
    assert len({s.name for s in built}) == len(built)
    assert {s.adapter_spec.model for s in built} == {MODEL, INSTRUCT_MODEL}
    assert all(s.adapter_spec.max_eval_instances == 1000 for s in built)


def test_follow_format_instructions_frame_only_instruction_following_models() -> None:
    by_name = {s.name: s.adapter_spec for s in specs([MODEL, INSTRUCT_MODEL], priority=1)}
    plain = by_name["narrative_qa:model=simple_model1"]
    assert (plain.global_prefix, plain.global_suffix) == ("", "")
    framed = by_name["narrative_qa:model=huggingfacetb_smollm2-135m-instruct"]
    assert framed.global_prefix.startswith("Here are some input-output examples.")
    assert framed.global_prefix.endswith("figure out what it is.\n\n")
    assert framed.global_suffix == (
        "\n\nPlease provide the output to this last example. It is critical to follow the format of the "
        "preceding outputs!\nAnswer:"
    )
    # OpenBookQA has no such expander (it is multiple choice), whatever the model.
    obqa = by_name[
        "commonsense:dataset=openbookqa,method=multiple_choice_joint,model=huggingfacetb_smollm2-135m-instruct"
    ]
    assert obqa.global_prefix == ""


# --- End to end: helm-run on lite.conf, restricted to the five groups this file's scenarios feed ----


def _csv(rows: list[list[str]]) -> str:
    out = io.StringIO()
    csv.writer(out).writerows(rows)
    return out.getvalue()


def _write(path: Path, text: str | bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(text if isinstance(text, bytes) else text.encode("utf-8"))


def _nq_example(question: str, answer: str) -> dict[str, object]:
    html = f"<P> {answer} is the answer </P>"
    end = len(f"<P> {answer}".encode())
    span = {"start_byte": 4, "end_byte": end, "start_token": 1, "end_token": 2}
    whole = {"start_byte": 0, "end_byte": len(html.encode()), "start_token": 0, "end_token": 5}
    return {
        "annotations": [{"long_answer": whole, "short_answers": [span], "yes_no_answer": "NONE"}],
        "document_html": html,
        "document_title": answer,
        "document_tokens": [{"token": t, "html_token": t.startswith("<")} for t in html.split()],
        "question_text": question,
    }


def write_lite_mirror(mirror: Path) -> None:
    """Tiny files in the real upstream formats, laid out as HELM's benchmark_output/scenarios."""
    nqa = "narrativeqa/data/narrativeqa-master"
    _write(
        mirror / nqa / "third_party/wikipedia/summaries.csv",
        _csv(
            [
                ["document_id", "set", "summary", "summary_tokenized"],
                ["a", "train", "Ann sails.", "ann sails ."],
                ["b", "test", "Bob rows.", "bob rows ."],
            ]
        ),
    )
    _write(
        mirror / nqa / "qaps.csv",
        _csv(
            [
                ["document_id", "set", "question", "answer1", "answer2", "question_tokenized"],
                ["a", "train", "Who sails?", "Ann", "Ann does", "who sails ?"],
                ["b", "test", "Who rows", "Bob", "Bob does", "who rows"],
            ]
        ),
    )
    shard = "".join(
        json.dumps(_nq_example(q, a)) + "\n" for q, a in [("who sails", "Ann"), ("who rows", "Bob")]
    )
    for n in range(5):
        _write(mirror / f"natural_qa/data/nq-dev-{n:02d}.jsonl.gz", gzip.compress(shard.encode()))
    choices = [
        {"text": t, "label": label} for t, label in zip(["red", "blue", "green", "grey"], "ABCD", strict=True)
    ]
    obqa = "".join(
        json.dumps({"id": i, "question": {"stem": f"Colour {i}?", "choices": choices}, "answerKey": "B"})
        + "\n"
        for i in ("1", "2")
    )
    for split in ("train", "test"):
        _write(mirror / f"openbookqa/data/OpenBookQA-V1-Sep2018/Data/Main/{split}.jsonl", obqa)
    medqa = json.dumps(
        {
            "question": "Best drug?",
            "answer": "b",
            "options": {"A": "a", "B": "b", "C": "c", "D": "d"},
            "answer_idx": "B",
        }
    )
    for split in ("train", "dev", "test"):
        _write(
            mirror / f"med_qa/data/data_clean/questions/US/4_options/phrases_no_exclude_{split}.jsonl",
            medqa + "\n",
        )
    for pair in WMT_PAIRS:
        other = pair.split("-")[0]
        rows = "".join(
            json.dumps({"translation": {other: f"{other} {n}", "en": f"en {n}"}}) + "\n" for n in range(3)
        )
        for split in ("train", "validation", "test"):
            _write(mirror / f"WMT_14/{pair}/{split}.jsonl", rows)


def test_helm_run_on_lite_conf_with_a_data_mirror(
    helm_run, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HELM_LITE_OFFLINE", "1")
    write_lite_mirror(tmp_path / "mirror")
    groups = [
        "narrative_qa",
        "natural_qa_openbook_longans",
        "natural_qa_closedbook",
        "openbookqa",
        "med_qa",
        "wmt_14",
    ]
    done = helm_run(
        "--conf-paths", str(LITE_CONF), "--models-to-run", MODEL, "--max-eval-instances", "2",
        "--suite", "lite", "--groups-to-run", *groups, "--data-mirror", str(tmp_path / "mirror"),
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    runs = tmp_path / "benchmark_output" / "runs" / "lite"
    expected = {
        "narrative_qa:model=simple_model1": "narrativeqa",
        "natural_qa:mode=openbook_longans,model=simple_model1": "natural_qa",
        "natural_qa:mode=closedbook,model=simple_model1": "natural_qa",
        "commonsense:dataset=openbookqa,method=multiple_choice_joint,model=simple_model1": "openbookqa",
        "med_qa:model=simple_model1": "med_qa",
        **{f"wmt_14:language_pair={p},model=simple_model1": "WMT_14" for p in WMT_PAIRS},
    }
    assert sorted(p.name for p in runs.iterdir() if p.is_dir() and p.name != "eval_cache") == sorted(expected)
    for run, scenario_name in expected.items():
        assert json.loads((runs / run / "scenario.json").read_text())["name"] == scenario_name
        assert (runs / run / "stats.json").is_file()
    state = json.loads((runs / "narrative_qa:model=simple_model1" / "scenario_state.json").read_text())
    assert state["request_states"][0]["request"]["prompt"] == (
        "Passage: Ann sails.\nQuestion: Who sails?\nAnswer: Ann\n\nPassage: Bob rows.\nQuestion: Who rows?\nAnswer:"
    )
    wmt = json.loads((runs / "wmt_14:language_pair=de-en,model=simple_model1" / "stats.json").read_text())
    assert {s["name"]["name"] for s in wmt} >= {"bleu_4", "rouge_l", "f1_score"}
