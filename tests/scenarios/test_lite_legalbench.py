"""LegalBench: prompt settings, instances and the Lite prompt on the real task files; loader on small files."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest
from data_mirror import MIRROR  # $HELM_LITE_DATA_MIRROR, else ../shared/data/scenarios

from helm_lite.adaptation.registry import make_adapter
from helm_lite.adaptation.request_state import RequestState
from helm_lite.common.data import OFFLINE_ENV, DataSource
from helm_lite.common.errors import UserError
from helm_lite.registry.loader import load_registry
from helm_lite.run_entries.construct import construct_run_specs_for
from helm_lite.run_entries.description import parse_description
from helm_lite.run_specs.legalbench import PROMPT_SETTINGS
from helm_lite.run_specs.registry import get_run_spec_function
from helm_lite.run_specs.run_spec import RunSpec
from helm_lite.runner import downsample
from helm_lite.scenarios.base import EVAL_SPLITS, Instance, with_ids
from helm_lite.scenarios.legalbench import (
    PROMPT_SETTINGS_URL,
    SETTINGS_FILE,
    SUBSETS,
    TASKS_DIR,
    TEST_URLS,
    LegalBenchScenario,
)
from helm_lite.tokenizers.simple import SimpleTokenizer
from helm_lite.window.service import WindowService

needs_mirror = pytest.mark.skipif(not MIRROR.is_dir(), reason="shared data mirror not present")
WINDOW = WindowService(SimpleTokenizer(), max_sequence_length=1_000_000)

ABERCROMBIE_INSTRUCTIONS = (
    "A mark is generic if it is the common name for the product. A mark is descriptive if it describes a "
    "purpose, nature, or attribute of the product. A mark is suggestive if it suggests or implies a quality or "
    "characteristic of the product. A mark is arbitrary if it is a real English word that has no relation to "
    "the product. A mark is fanciful if it is an invented word. Label the type of mark for the following "
    "products.\n"
)


def _instances(tmp_path: Path, subset: str = "abercrombie", mirror: Path = MIRROR) -> list[Instance]:
    source = DataSource(str(tmp_path / "scenarios"), str(mirror))
    scenario = LegalBenchScenario(subset, data_source=source)
    return with_ids(scenario.get_instances(str(tmp_path / "scenarios/legalbench")))


def _states(run_spec: RunSpec, instances: list[Instance], max_eval: int) -> list[RequestState]:
    return make_adapter(run_spec.adapter_spec, WINDOW).adapt(
        downsample(instances, max_eval, list(EVAL_SPLITS))
    )


@needs_mirror
def test_pinned_settings_equal_the_settings_file() -> None:
    lines = (MIRROR / SETTINGS_FILE).read_text().strip().split("\n")
    _, instructions, _, output_nouns, _ = map(json.loads, lines)
    assert {s: (instructions[s], output_nouns[s]) for s in SUBSETS} == PROMPT_SETTINGS


@needs_mirror
def test_abercrombie_prompt_on_real_data(tmp_path: Path) -> None:
    instances = _instances(tmp_path)
    assert [i.split for i in instances] == ["train"] * 5 + ["test"] * 95
    first_test = instances[5]
    assert (first_test.id, first_test.input.text, first_test.references[0].output.text) == (
        "id5",
        "Description: The mark “Salt” for packages of sodium chloride.",
        "generic",
    )
    states = _states(get_run_spec_function("legalbench")(subset="abercrombie"), instances, 1000)
    assert len(states) == 95
    state = states[0]
    assert state.instance is first_test
    # Five distinct labels: they come in the order of shuffle(sorted(labels)) with seed 0.
    assert state.request.prompt == (
        ABERCROMBIE_INSTRUCTIONS + "\n"
        'Description: The mark "Aswelly" for a taxi service.\nType: fanciful\n\n'
        'Description: The mark "Tasty" for bread.\nType: descriptive\n\n'
        'Description: The mark "Virgin" for wireless communications.\nType: arbitrary\n\n'
        'Description: The mark "Caress" for body soap.\nType: suggestive\n\n'
        'Description: The mark "Ivory" for a product made of elephant tusks.\nType: generic\n\n'
        "Description: The mark “Salt” for packages of sodium chloride.\nType:"
    )
    assert (state.request.max_tokens, state.request.stop_sequences) == (30, ["\n"])


@needs_mirror
def test_corporate_lobbying_fields_and_multiline_values(tmp_path: Path) -> None:
    instances = _instances(tmp_path, "corporate_lobbying")
    assert [sum(i.split == s for i in instances) for s in ("train", "test")] == [10, 490]
    text = instances[0].input.text
    assert text.startswith("Official title of bill: To approve the settlement of water rights claims")
    assert (
        "\nOfficial summary of bill: Hualapai Tribe Water Rights Settlement Act of 2019\n\nThis bill" in text
    )
    assert [line.split(":")[0] for line in text.split("\n") if line.startswith(("Company", "Official"))] == [
        "Official title of bill",
        "Official summary of bill",
        "Company name",
        "Company business description",
    ]
    assert {i.references[0].output.text for i in instances} == {"Yes", "No"}


@needs_mirror
def test_subset_without_a_test_split_is_a_clear_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(OFFLINE_ENV, "1")
    with pytest.raises(UserError) as info:
        _instances(tmp_path, "international_citizenship_questions")
    message = str(info.value)
    assert "LegalBench international_citizenship_questions test split" in message
    assert f"{TASKS_DIR}/international_citizenship_questions/test.tsv is missing" in message
    assert "nguha/legalbench" in message


@needs_mirror
def test_max_eval_instances_picks_helms_instances(tmp_path: Path) -> None:
    states = _states(get_run_spec_function("legalbench")(subset="proa"), _instances(tmp_path, "proa"), 5)
    # numpy RandomState(0).permutation(95)[:5], offset by the 5 train rows.
    assert [s.instance.id for s in states] == ["id7", "id35", "id61", "id21", "id18"]


def test_run_spec_matches_helm_lite() -> None:
    spec = get_run_spec_function("legalbench")(subset="abercrombie")
    assert spec.name == "legalbench:subset=abercrombie"
    assert (spec.scenario_spec.class_name, spec.scenario_spec.args) == (
        "helm.benchmark.scenarios.legalbench_scenario.LegalBenchScenario",
        {"subset": "abercrombie"},
    )
    a = spec.adapter_spec
    assert (a.method, a.instructions, a.input_prefix, a.input_suffix, a.output_prefix, a.output_suffix) == (
        "generation",
        ABERCROMBIE_INSTRUCTIONS,
        "",
        "\n",
        "Type: ",
        "\n",
    )
    assert (a.max_train_instances, a.num_outputs, a.max_tokens, a.temperature, a.stop_sequences) == (
        5,
        1,
        30,
        0.0,
        ["\n"],
    )
    assert spec.metric_specs[0].args["names"] == [
        "exact_match",
        "quasi_exact_match",
        "prefix_exact_match",
        "quasi_prefix_exact_match",
    ]
    assert spec.groups == ["legalbench"]
    # corporate_lobbying's settings say 0 train instances; HELM Lite uses 5 for every subset.
    assert (
        get_run_spec_function("legalbench")(subset="corporate_lobbying").adapter_spec.max_train_instances == 5
    )
    with pytest.raises(UserError, match="Unknown LegalBench subset 'tax'"):
        get_run_spec_function("legalbench")(subset="tax")
    with pytest.raises(UserError, match="Unknown LegalBench subset 'tax'"):
        LegalBenchScenario("tax")


@pytest.mark.parametrize(
    ("subset", "expected"),
    [
        ("abercrombie", "Answer with the type."),
        ("corporate_lobbying", "Answer with the label."),
        ("proa", "Answer yes or no."),
    ],
)
def test_output_format_instructions(tmp_path: Path, subset: str, expected: str) -> None:
    description = f"legalbench:model=simple/model1,subset={subset},output_format_instructions=legalbench"
    (spec,) = construct_run_specs_for(parse_description(description), load_registry(tmp_path), description)
    assert spec.name == f"legalbench:subset={subset},model=simple_model1"
    assert spec.adapter_spec.instructions == f"{expected}\n\n{PROMPT_SETTINGS[subset][0]}\n"
    for value, text in [
        (
            "legalbench_abercrombie",
            "Answer with only 'generic', 'descriptive', 'suggestive', 'arbitrary' or 'fanciful'.",
        ),
        (
            "legalbench_yes_or_no_no_prefix",
            "Answer with only 'Yes' or 'No'. Do not include 'Type:' in your answer.",
        ),
    ]:
        description = f"legalbench:model=simple/model1,subset=abercrombie,output_format_instructions={value}"
        (spec,) = construct_run_specs_for(
            parse_description(description), load_registry(tmp_path), description
        )
        assert spec.adapter_spec.instructions.startswith(text + "\n\n")
    description = "legalbench:model=simple/model1,subset=proa,output_format_instructions=legalbench_suffix"
    (spec,) = construct_run_specs_for(parse_description(description), load_registry(tmp_path), description)
    assert spec.adapter_spec.global_suffix == "\n\nAnswer yes or no."
    assert spec.adapter_spec.instructions == PROMPT_SETTINGS["proa"][0] + "\n"
    with pytest.raises(UserError, match="Unknown scenario nonsense"):
        description = "legalbench:model=simple/model1,subset=proa,output_format_instructions=nonsense"
        construct_run_specs_for(parse_description(description), load_registry(tmp_path), description)


# --- the loader on small files in the real format --------------------------------------------------

SETTINGS = "\n".join(
    json.dumps(section)
    for section in (
        {
            "proa": [["Statute", "text"]],
            "corporate_lobbying": [["Title", "bill_title"], ["Company", "company"]],
        },
        {"proa": "Answer Yes or No.", "corporate_lobbying": "Relevant?"},
        {"proa": "answer", "corporate_lobbying": "answer"},
        {"proa": "Answer", "corporate_lobbying": "Label"},
        {"proa": 5, "corporate_lobbying": 0},
    )
)
TRAIN = 'index\tanswer\ttext\n0\tNo\t"A ""quoted"" clause."\n1\tYes\tA person may sue.\n'
TEST = "label\ttext\nYes\tAnyone may bring an action.\nNo\tThe fee is $10.\n"  # pre-release: `label`


def _mirror(tmp_path: Path, train: str = TRAIN, test: str | None = TEST, settings: str = SETTINGS) -> Path:
    mirror = tmp_path / "mirror"
    (mirror / TASKS_DIR / "proa").mkdir(parents=True)
    (mirror / SETTINGS_FILE).write_text(settings + "\n")
    (mirror / TASKS_DIR / "proa" / "train.tsv").write_text(train)
    if test is not None:
        (mirror / TASKS_DIR / "proa" / "test.tsv").write_text(test)
    return mirror


def test_loader_reads_the_real_format(tmp_path: Path) -> None:
    instances = _instances(tmp_path, "proa", _mirror(tmp_path))
    assert [(i.id, i.split, i.input.text, i.references[0].output.text) for i in instances] == [
        ("id0", "train", 'Statute: A "quoted" clause.', "No"),
        ("id1", "train", "Statute: A person may sue.", "Yes"),
        ("id2", "test", "Statute: Anyone may bring an action.", "Yes"),
        ("id3", "test", "Statute: The fee is $10.", "No"),
    ]


def test_multiline_quoted_values_and_several_fields(tmp_path: Path) -> None:
    mirror = _mirror(tmp_path)
    task = mirror / TASKS_DIR / "corporate_lobbying"
    task.mkdir()
    (task / "train.tsv").write_text('bill_title\tcompany\tanswer\n"Act\n\nSummary"\tAcme\tNo\n')
    (task / "test.tsv").write_text("bill_title\tcompany\tlabel\tunused\nAct 2\tBeta\tYes\tx\n")
    instances = _instances(tmp_path, "corporate_lobbying", mirror)
    assert [i.input.text for i in instances] == [
        "Title: Act\n\nSummary\nCompany: Acme",
        "Title: Act 2\nCompany: Beta",
    ]


@pytest.mark.parametrize(
    ("name", "damage"),
    [
        ("test.tsv", TEST + "Yes\n"),  # a row cut short
        ("test.tsv", TEST + "Yes\tone\ttoo many\n"),
        ("test.tsv", "text\nAnyone may bring an action.\n"),  # no label column
        ("train.tsv", TRAIN[:-5]),  # cut inside the last field: every field is still there
        ("train.tsv", 'index\tanswer\ttext\n0\tNo\t"A quote never closed\n'),
    ],
)
def test_truncated_or_corrupt_file_is_detected_and_not_used(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture, name: str, damage: str
) -> None:
    monkeypatch.setenv(OFFLINE_ENV, "1")
    mirror = _mirror(tmp_path, **{name.split(".")[0]: damage})
    with caplog.at_level(logging.WARNING), pytest.raises(UserError) as info:
        _instances(tmp_path, "proa", mirror)
    assert "Ignoring" in caplog.text and f"proa/{name}" in caplog.text
    assert f"{TASKS_DIR}/proa/{name} is missing" in str(info.value)


def test_damaged_settings_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(OFFLINE_ENV, "1")
    with pytest.raises(UserError) as info:
        _instances(tmp_path, "proa", _mirror(tmp_path, settings=SETTINGS.rsplit("\n", 1)[0]))
    assert f"{SETTINGS_FILE} is missing" in str(info.value) and PROMPT_SETTINGS_URL in str(info.value)


def test_missing_test_split_names_the_file_and_the_source(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(OFFLINE_ENV, "1")
    with pytest.raises(UserError) as info:
        _instances(tmp_path, "proa", _mirror(tmp_path, test=None))
    message = str(info.value)
    assert f"{TASKS_DIR}/proa/test.tsv is missing" in message
    assert TEST_URLS["proa"] in message and "nguha/legalbench" in message


def test_scenario_metadata() -> None:
    meta = LegalBenchScenario("proa").metadata()
    assert (meta.name, meta.description, meta.tags) == (
        "legalbench",
        "LegalBench",
        ["text_classification", "robustness"],
    )
    assert meta.definition_path.endswith("/src/helm/benchmark/scenarios/legalbench_scenario.py")
