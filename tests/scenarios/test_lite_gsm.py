"""GSM8K: HELM's instances, evaluated rows and prompt on the real files; loader on small files."""

from __future__ import annotations

import json
import logging
import random
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
from helm_lite.run_specs.registry import get_run_spec_function
from helm_lite.run_specs.run_spec import RunSpec
from helm_lite.runner import downsample
from helm_lite.scenarios.base import EVAL_SPLITS, Instance, with_ids
from helm_lite.scenarios.gsm import URL, GSM8KScenario, reference_text
from helm_lite.tokenizers.simple import SimpleTokenizer
from helm_lite.window.service import WindowService

needs_mirror = pytest.mark.skipif(not MIRROR.is_dir(), reason="shared data mirror not present")
WINDOW = WindowService(SimpleTokenizer(), max_sequence_length=1_000_000)
FIRST_TRAIN = (
    "Natalia sold clips to 48 of her friends in April, and then she sold half as many clips in May. "
    "How many clips did Natalia sell altogether in April and May?",
    "Natalia sold 48/2 = <<48/2=24>>24 clips in May. Natalia sold 48+24 = <<48+24=72>>72 clips altogether "
    "in April and May. The answer is 72.",
)
FOLLOW_PREFIX = (
    "Here are some input-output examples. Read the examples carefully to figure out the mapping. The "
    "output of the last example is not given, and your job is to figure out what it is.\n\n"
)
FOLLOW_SUFFIX = (
    "\n\nPlease provide the output to this last example. It is critical to follow the format of the "
    "preceding outputs!\nA:"
)


def _instances(tmp_path: Path, mirror: Path = MIRROR) -> list[Instance]:
    source = DataSource(str(tmp_path / "scenarios"), str(mirror))
    return with_ids(GSM8KScenario(data_source=source).get_instances(str(tmp_path / "scenarios/gsm")))


def _states(run_spec: RunSpec, instances: list[Instance], max_eval: int) -> list[RequestState]:
    return make_adapter(run_spec.adapter_spec, WINDOW).adapt(
        downsample(instances, max_eval, list(EVAL_SPLITS))
    )


@pytest.fixture(scope="module")
def real(tmp_path_factory: pytest.TempPathFactory) -> list[Instance]:
    if not MIRROR.is_dir():
        pytest.skip("shared data mirror not present")
    return _instances(tmp_path_factory.mktemp("gsm"))


def test_real_instances(real: list[Instance]) -> None:
    assert len(real) == 8792
    assert [i.split for i in real] == ["train"] * 7473 + ["test"] * 1319
    first = real[0]
    assert (first.id, first.input.text, first.references[0].output.text) == ("id0", *FIRST_TRAIN)
    assert first.references[0].tags == ["correct"]


def test_first_evaluated_rows_and_prompt_are_helms(real: list[Instance]) -> None:
    states = _states(get_run_spec_function("gsm")(), real, 1000)
    assert len(states) == 1000
    rows = [int(str(s.instance.id)[2:]) - 7473 for s in states[:5]]
    assert rows == [658, 406, 1202, 202, 1187]
    # Every gold is distinct, so the five examples are the first five of shuffle(sorted(golds)), seed 0.
    golds = sorted(i.references[0].output.text for i in real if i.split == "train")
    random.Random(0).shuffle(golds)
    by_gold = {i.references[0].output.text: i for i in real if i.split == "train"}
    examples = [by_gold[g] for g in golds[:5]]
    blocks = [f"Q: {e.input.text}\nA: {e.references[0].output.text}\n" for e in examples]
    evaluated = states[0].instance
    assert states[0].request.prompt == "\n".join([*blocks, f"Q: {evaluated.input.text}\nA:"])
    assert (states[0].request.max_tokens, states[0].request.stop_sequences) == (400, ["\n\n"])


def test_max_eval_instances_picks_helms_rows(real: list[Instance]) -> None:
    states = _states(get_run_spec_function("gsm")(), real, 5)
    assert [int(str(s.instance.id)[2:]) - 7473 for s in states] == [658, 406, 1202, 202, 1187]


def test_instruct_variants(real: list[Instance], tmp_path: Path) -> None:
    registry = load_registry(tmp_path)

    def spec(description: str) -> RunSpec:
        (out,) = construct_run_specs_for(parse_description(description), registry, description)
        return out

    plain = spec("gsm:model=simple/model1,follow_format_instructions=instruct")
    assert plain.name == "gsm:model=simple_model1"
    assert (plain.adapter_spec.global_prefix, plain.adapter_spec.global_suffix) == ("", "")  # not instruct

    instruct = spec("gsm:model=huggingfacetb/smollm2-135m-instruct,follow_format_instructions=instruct")
    assert instruct.name == "gsm:model=huggingfacetb_smollm2-135m-instruct"
    prompt = _states(instruct, real, 1)[0].request.prompt
    assert prompt.startswith(FOLLOW_PREFIX + "Q: ")
    assert prompt.endswith("\nA:" + FOLLOW_SUFFIX)

    everyone = spec("gsm:model=simple/model1,follow_format_instructions=all")
    assert everyone.adapter_spec.global_suffix == FOLLOW_SUFFIX

    no_stop = spec("gsm:model=simple/model1,stop=none")
    assert no_stop.name == "gsm:model=simple_model1,stop=none"
    assert no_stop.adapter_spec.stop_sequences == []
    assert _states(no_stop, real, 1)[0].request.prompt == _states(plain, real, 1)[0].request.prompt

    with pytest.raises(UserError, match="must be 'all' or 'instruct'"):
        spec("gsm:model=simple/model1,follow_format_instructions=sometimes")
    with pytest.raises(UserError, match="only supports the generation adaptation method"):
        spec("mmlu:subject=anatomy,model=simple/model1,follow_format_instructions=all")


def test_run_spec_matches_helm_lite() -> None:
    spec = get_run_spec_function("gsm")()
    assert spec.name == "gsm"
    assert (spec.scenario_spec.class_name, spec.scenario_spec.args) == (
        "helm.benchmark.scenarios.gsm_scenario.GSM8KScenario",
        {},
    )
    a = spec.adapter_spec
    assert (a.method, a.instructions, a.input_prefix, a.input_suffix, a.output_prefix, a.output_suffix) == (
        "generation",
        "",
        "Q: ",
        "\n",
        "A: ",
        "\n",
    )
    assert (a.instance_prefix, a.max_train_instances, a.num_outputs, a.max_tokens, a.temperature) == (
        "\n",
        5,
        1,
        400,
        0.0,
    )
    assert a.stop_sequences == ["\n\n"]
    assert [(m.class_name.rsplit(".", 1)[1], m.args) for m in spec.metric_specs] == [
        ("BasicGenerationMetric", {"names": ["exact_match_indicator", "final_number_exact_match"]}),
        ("InstancesPerSplitMetric", {}),
    ]
    assert spec.groups == ["gsm"]


def test_reference_text() -> None:
    assert reference_text("Add them.\n2+2=4\n#### 4") == "Add them. 2+2=4 The answer is 4."


# --- the loader on small files in the real format --------------------------------------------------


def _jsonl(*rows: dict[str, str]) -> str:
    return "".join(json.dumps(r) + "\n" for r in rows)


TRAIN = _jsonl({"question": "1+1?", "answer": "One and one.\n#### 2"})
TEST = _jsonl({"question": "2+2?", "answer": "#### 4"}, {"question": "3+3?", "answer": "#### 6"})


def _mirror(tmp_path: Path, train: str = TRAIN, test: str = TEST) -> Path:
    mirror = tmp_path / "mirror"
    (mirror / "gsm").mkdir(parents=True)
    (mirror / "gsm" / "gsm_data_train").write_text(train)
    (mirror / "gsm" / "gsm_data_test").write_text(test)
    return mirror


def test_loader_reads_the_real_format(tmp_path: Path) -> None:
    instances = _instances(tmp_path, _mirror(tmp_path))
    assert [(i.id, i.split, i.input.text, i.references[0].output.text) for i in instances] == [
        ("id0", "train", "1+1?", "One and one. The answer is 2."),
        ("id1", "test", "2+2?", "The answer is 4."),
        ("id2", "test", "3+3?", "The answer is 6."),
    ]


@pytest.mark.parametrize(
    "damage",
    [
        TEST[: len(TEST) - 12],  # cut mid-line
        TEST + '{"question": "4+4?"}\n',  # no answer
        TEST + '{"question": "4+4?", "answer": "8"}\n',  # no #### line
    ],
)
def test_truncated_or_corrupt_file_is_detected_and_not_used(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture, damage: str
) -> None:
    monkeypatch.setenv(OFFLINE_ENV, "1")
    with caplog.at_level(logging.WARNING), pytest.raises(UserError, match="gsm/gsm_data_test is missing"):
        _instances(tmp_path, _mirror(tmp_path, test=damage))
    assert "Ignoring" in caplog.text


def test_missing_data_names_the_file_and_the_source(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(OFFLINE_ENV, "1")
    with pytest.raises(UserError) as info:
        _instances(tmp_path, tmp_path / "empty_mirror")
    assert "gsm/gsm_data_train" in str(info.value)
    assert URL.format(split="train") in str(info.value)


def test_download_goes_where_helm_puts_it(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    upstream = _mirror(tmp_path)
    monkeypatch.setattr(
        "helm_lite.scenarios.gsm.URL", (upstream / "gsm").as_uri() + "/gsm_data_{split}"
    )  # a file:// stand-in for raw.githubusercontent.com
    instances = _instances(tmp_path, tmp_path / "empty_mirror")
    assert len(instances) == 3
    assert (tmp_path / "scenarios/gsm/gsm_data_train").read_text() == TRAIN


def test_scenario_metadata() -> None:
    meta = GSM8KScenario().metadata()
    assert (meta.name, meta.description, meta.tags) == (
        "gsm",
        "Grade school math dataset with 8.5K examples (GSM8K).",
        ["reasoning", "math"],
    )
    assert meta.definition_path.endswith("/src/helm/benchmark/scenarios/gsm_scenario.py")
