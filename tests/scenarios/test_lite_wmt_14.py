"""WMT14: HF wmt14 rows as JSON Lines, HELM's train sample and de-duplication, directions, and prompt."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest

from helm_lite.adaptation.registry import make_adapter
from helm_lite.common import data
from helm_lite.common.data import DataSource
from helm_lite.common.errors import UserError
from helm_lite.run_specs.wmt_14 import wmt_14
from helm_lite.scenarios import wmt_14 as wmt_module
from helm_lite.scenarios.base import Instance, with_ids
from helm_lite.scenarios.wmt_14 import WMT14Scenario
from helm_lite.tokenizers.simple import SimpleTokenizer
from helm_lite.window.service import WindowService

WINDOW = WindowService(SimpleTokenizer(), max_sequence_length=100_000)
FOLDER = "WMT_14/de-en"


def rows(pairs: list[tuple[str, str]]) -> str:
    """HF rows of wmt14/de-en: {"translation": {"de": …, "en": …}}, one per line."""
    return "".join(json.dumps({"translation": {"de": de, "en": en}}) + "\n" for de, en in pairs)


# Row 6 repeats row 0's English sentence, so HELM's de-duplication (by target) drops it.
TRAIN = [(f"Satz {n}.", "Sentence zero." if n == 6 else f"Sentence {n}.") for n in range(12)]
TRAIN[0] = ("Satz null.", "Sentence zero.")
VALIDATION = [("Guten Tag, Welt.", "Good day, world."), ("Zweiter Satz.", "Second sentence.")]
TEST = [("Prüfung läuft.", "Exam is running.")]


def write_mirror(mirror: Path, train: str | None = None, sample: str | None = None) -> Path:
    folder = mirror / FOLDER
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "validation.jsonl").write_text(rows(VALIDATION), encoding="utf-8")
    (folder / "test.jsonl").write_text(rows(TEST), encoding="utf-8")
    if train is not None:
        (folder / "train.jsonl").write_text(train, encoding="utf-8")
    if sample is not None:
        (folder / "train_sample.jsonl").write_text(sample, encoding="utf-8")
    return mirror


def load(tmp_path: Path, mirror: Path | None, source: str = "de", target: str = "en") -> list[Instance]:
    scenarios = tmp_path / "out" / "scenarios"
    data_source = DataSource(str(scenarios), str(mirror) if mirror else None)
    scenario = WMT14Scenario(source, target, data_source=data_source)
    return with_ids(scenario.get_instances(str(scenarios / scenario.name)))


def pairs(instances: list[Instance], split: str) -> list[tuple[str, str]]:
    return [(i.input.text, i.references[0].output.text) for i in instances if i.split == split]


@pytest.fixture(autouse=True)
def offline(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(data.OFFLINE_ENV, "1")


def test_full_train_split_is_sampled_as_helm_does(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    mirror = write_mirror(tmp_path / "mirror", train=rows(TRAIN))
    instances = load(tmp_path, mirror)
    # HF's shuffle(seed=42) is numpy.random.default_rng(42).permutation(12) = 0 7 6 9 11 3 5 2 4 10 1 8;
    # row 6 ("Sentence zero." again) is dropped as a duplicate target.
    order = [0, 7, 9, 11, 3, 5, 2, 4, 10, 1, 8]
    assert pairs(instances, "train") == [TRAIN[n] for n in order]
    assert pairs(instances, "valid") == VALIDATION and pairs(instances, "test") == TEST
    assert [i.id for i in instances][-3:] == ["id11", "id12", "id13"]

    monkeypatch.setattr(wmt_module, "MAX_TRAIN_INSTANCES", 5)  # first 5 of the permutation, then dedup
    assert pairs(load(tmp_path, mirror), "train") == [TRAIN[n] for n in (0, 7, 9, 11)]


def test_train_sample_is_used_as_given(tmp_path: Path) -> None:
    sample = rows([TRAIN[3], TRAIN[0], TRAIN[6], TRAIN[1]])
    mirror = write_mirror(tmp_path / "mirror", train=rows(TRAIN), sample=sample)
    assert pairs(load(tmp_path, mirror), "train") == [TRAIN[3], TRAIN[0], TRAIN[1]]


def test_english_to_german_reads_the_de_en_files(tmp_path: Path) -> None:
    mirror = write_mirror(
        tmp_path / "mirror", sample=rows([("Eins.", "One."), ("Ein.", "One."), ("Zwei.", "Two.")])
    )
    instances = load(tmp_path, mirror, source="en", target="de")
    # De-duplication is by the *target* sentence, so both German variants of "One." stay.
    assert pairs(instances, "train") == [("One.", "Eins."), ("One.", "Ein."), ("Two.", "Zwei.")]
    assert pairs(instances, "test") == [("Exam is running.", "Prüfung läuft.")]


def test_prompt_of_first_eval_instance(tmp_path: Path) -> None:
    sample = rows([("Guten Morgen.", "Good morning."), ("Morgen!", "Good morning.")])  # one after dedup
    mirror = write_mirror(tmp_path / "mirror", sample=sample)
    spec = wmt_14("de-en")
    states = make_adapter(spec.adapter_spec, WINDOW).adapt(load(tmp_path, mirror))
    assert states[0].request.prompt == (
        "Translate the following sentences from German to English.\n"
        "German: Guten Morgen.\nEnglish: Good morning.\n\n"
        "German: Guten Tag, Welt.\nEnglish:"
    )
    assert states[0].request.stop_sequences == ["\n\n"] and states[0].request.max_tokens == 100


def test_run_spec_matches_helm() -> None:
    spec = wmt_14("de-en")
    assert (spec.name, spec.groups) == ("wmt_14:language_pair=de-en", ["wmt_14"])
    assert spec.scenario_spec.class_name == "helm.benchmark.scenarios.wmt_14_scenario.WMT14Scenario"
    assert spec.scenario_spec.args == {"source_language": "de", "target_language": "en"}
    a = spec.adapter_spec
    assert (a.input_prefix, a.output_prefix, a.max_train_instances, a.num_outputs) == (
        "German: ",
        "English: ",
        1,
        1,
    )
    assert spec.metric_specs[0].args == {
        "names": ["exact_match", "quasi_exact_match", "f1_score", "rouge_l", "bleu_1", "bleu_4"]
    }
    assert (
        wmt_14("en-hi").adapter_spec.instructions
        == "Translate the following sentences from English to Hindi."
    )
    with pytest.raises(UserError, match="language_pair=de"):
        wmt_14("de")


def test_bad_languages_are_user_errors() -> None:
    with pytest.raises(UserError, match="languages"):
        WMT14Scenario("xx", "en")
    with pytest.raises(UserError, match="English"):
        WMT14Scenario("de", "fr")
    with pytest.raises(UserError, match="different"):
        WMT14Scenario("en", "en")


def test_truncated_file_is_rejected(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    mirror = write_mirror(tmp_path / "mirror", train=rows(TRAIN))
    validation = mirror / FOLDER / "validation.jsonl"
    validation.write_bytes(validation.read_bytes()[:-15])
    with caplog.at_level(logging.WARNING), pytest.raises(UserError) as info:
        load(tmp_path, mirror)
    assert f"{FOLDER}/validation.jsonl is missing or unusable" in str(info.value)
    assert "does not parse" in caplog.text


def test_truncated_full_train_split_is_rejected(tmp_path: Path) -> None:
    mirror = write_mirror(tmp_path / "mirror", train=rows(TRAIN)[:-10])
    with pytest.raises(UserError, match="train.jsonl"):
        load(tmp_path, mirror)


def test_missing_data_names_file_and_source(tmp_path: Path) -> None:
    with pytest.raises(UserError) as info:
        load(tmp_path, tmp_path / "empty-mirror")
    message = str(info.value)
    assert "\n" not in message
    assert f"{FOLDER}/train.jsonl (or train_sample.jsonl) is missing" in message
    assert "https://huggingface.co/datasets/wmt14" in message and "de-en" in message


def test_scenario_metadata() -> None:
    meta = WMT14Scenario("de", "en").metadata()
    assert (meta.name, meta.description, meta.tags) == (
        "WMT_14",
        "Scenario for the 2014 Workshop on Statistical Machine Translation",
        ["machine_translation"],
    )
    assert meta.definition_path.endswith("/src/helm/benchmark/scenarios/wmt_14_scenario.py")
