"""MMLU: HELM's exact prompt on the real abstract_algebra files, and the loader on small files."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
from data_mirror import MIRROR  # $HELM_LITE_DATA_MIRROR, else ../shared/data/scenarios

from helm_lite.adaptation.examples import sample_examples
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
from helm_lite.scenarios.mmlu import DATA_URL, MMLUScenario
from helm_lite.tokenizers.simple import SimpleTokenizer
from helm_lite.window.service import WindowService

needs_mirror = pytest.mark.skipif(not MIRROR.is_dir(), reason="shared data mirror not present")
WINDOW = WindowService(SimpleTokenizer(), max_sequence_length=1_000_000)

ID16_PROMPT = """The following are multiple choice questions (with answers) about abstract algebra.

Question: Statement 1 | If aH is an element of a factor group, then |aH| divides |a|. Statement 2 | If H and K are subgroups of G then HK is a subgroup of G.
A. True, True
B. False, False
C. True, False
D. False, True
Answer: B

Question: Find all c in Z_3 such that Z_3[x]/(x^2 + c) is a field.
A. 0
B. 1
C. 2
D. 3
Answer: B

Question: Find the characteristic of the ring 2Z.
A. 0
B. 3
C. 12
D. 30
Answer: A

Question: Statement 1| Every function from a finite set onto itself must be one to one. Statement 2 | Every subgroup of an abelian group is abelian.
A. True, True
B. False, False
C. True, False
D. False, True
Answer: A

Question: Statement 1 | Every element of a group generates a cyclic subgroup of the group. Statement 2 | The symmetric group S_10 has 10 elements.
A. True, True
B. False, False
C. True, False
D. False, True
Answer: C

Question: Find the degree for the given field extension Q(sqrt(2), sqrt(3), sqrt(18)) over Q.
A. 0
B. 4
C. 2
D. 6
Answer:"""


def _instances(tmp_path: Path, subject: str = "abstract_algebra", mirror: Path = MIRROR) -> list[Instance]:
    source = DataSource(str(tmp_path / "scenarios"), str(mirror))
    return with_ids(MMLUScenario(subject, data_source=source).get_instances(str(tmp_path / "scenarios/mmlu")))


def _states(run_spec: RunSpec, instances: list[Instance], max_eval: int) -> list[RequestState]:
    return make_adapter(run_spec.adapter_spec, WINDOW).adapt(
        downsample(instances, max_eval, list(EVAL_SPLITS))
    )


@needs_mirror
def test_abstract_algebra_prompt_is_helms_byte_for_byte(tmp_path: Path) -> None:
    instances = _instances(tmp_path)
    assert [sum(i.split == s for i in instances) for s in ("train", "valid", "test")] == [5, 11, 100]
    states = _states(get_run_spec_function("mmlu")(subject="abstract_algebra"), instances, 1000)
    assert [s.instance.id for s in states] == [f"id{n}" for n in range(5, 116)]  # 111 <= 1000: all, in order
    state = next(s for s in states if s.instance.id == "id16")
    assert state.instance.split == "test"
    assert state.request.prompt == ID16_PROMPT
    assert state.output_mapping == {"A": "0", "B": "4", "C": "2", "D": "6"}
    assert (state.request.max_tokens, state.request.top_k_per_token, state.request.stop_sequences) == (
        1,
        5,
        [],
    )
    assert [r.output.text for r in state.instance.references if r.is_correct] == ["4"]
    assert not (tmp_path / "scenarios").exists()  # the mirror is read in place


@needs_mirror
def test_examples_come_in_helms_order_d2_d1_d5_d4_d3(tmp_path: Path) -> None:
    train = [i for i in _instances(tmp_path) if i.split == "train"]
    picked = sample_examples(train, seed=0, max_train_instances=5)
    assert picked == [train[1], train[0], train[4], train[3], train[2]]


@needs_mirror
def test_max_eval_instances_picks_helms_instances(tmp_path: Path) -> None:
    states = _states(get_run_spec_function("mmlu")(subject="abstract_algebra"), _instances(tmp_path), 5)
    # numpy RandomState(0).permutation(111)[:5], offset by the 5 train rows.
    assert [s.instance.id for s in states] == ["id104", "id15", "id81", "id7", "id29"]


@needs_mirror
def test_output_format_instructions_variant(tmp_path: Path) -> None:
    description = "mmlu:subject=abstract_algebra,model=simple/model1,output_format_instructions=mmlu"
    (spec,) = construct_run_specs_for(parse_description(description), load_registry(tmp_path), description)
    assert spec.name == "mmlu:subject=abstract_algebra,method=multiple_choice_joint,model=simple_model1"
    assert spec.adapter_spec.instructions == (
        "Answer with only a single letter.\n\n"
        "The following are multiple choice questions (with answers) about abstract algebra.\n"
    )
    prompt = _states(spec, _instances(tmp_path), 1)[0].request.prompt
    assert prompt.startswith(
        "Answer with only a single letter.\n\nThe following are multiple choice questions (with answers) "
        "about abstract algebra.\n\nQuestion: "
    )


def test_run_spec_matches_helm_lite() -> None:
    spec = get_run_spec_function("mmlu")(subject="us_foreign_policy")
    assert spec.name == "mmlu:subject=us_foreign_policy,method=multiple_choice_joint"
    assert spec.scenario_spec.class_name == "helm.benchmark.scenarios.mmlu_scenario.MMLUScenario"
    assert spec.scenario_spec.args == {"subject": "us_foreign_policy"}
    a = spec.adapter_spec
    assert (a.method, a.instructions, a.input_prefix, a.input_suffix, a.output_prefix, a.output_suffix) == (
        "multiple_choice_joint",
        "The following are multiple choice questions (with answers) about us foreign policy.\n",
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
    assert [m.class_name.rsplit(".", 1)[1] for m in spec.metric_specs] == [
        "BasicGenerationMetric",
        "BasicReferenceMetric",
        "InstancesPerSplitMetric",
    ]
    assert spec.metric_specs[0].args == {
        "names": ["exact_match", "quasi_exact_match", "prefix_exact_match", "quasi_prefix_exact_match"]
    }
    assert spec.groups == ["mmlu"]
    separate = get_run_spec_function("mmlu")(subject="anatomy", method="multiple_choice_separate_original")
    assert separate.name == "mmlu:subject=anatomy,method=multiple_choice_separate_original"
    assert (separate.adapter_spec.method, separate.adapter_spec.max_train_instances) == (
        "multiple_choice_separate_original",
        0,
    )
    with pytest.raises(UserError, match="method=telepathy"):
        get_run_spec_function("mmlu")(subject="anatomy", method="telepathy")


def test_unknown_subject_is_reported_up_front() -> None:
    with pytest.raises(UserError, match="Unknown MMLU subject 'abstract_algebr'"):
        MMLUScenario("abstract_algebr")


# --- the loader on small files in the real format --------------------------------------------------

ROWS = {
    "dev": 'What is 1+1?,1,2,3,4,B\n"Pick ""x""",x,y,x,z,A\n',
    # A quoted field with \r\n, as some real files have: HELM reads it in text mode, giving \n.
    "val": '"Two\r\nlines",a,b,c,d,D\n',
    "test": "Sky colour?,red,blue,green,grey,B\nGrass colour?,green,red,blue,grey,A\n",
}


def _mirror(tmp_path: Path, rows: dict[str, str] = ROWS) -> Path:
    mirror = tmp_path / "mirror"
    for split, text in rows.items():
        path = mirror / "mmlu" / "data" / split / f"anatomy_{split}.csv"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(text.encode())
    return mirror


def test_loader_reads_the_real_format(tmp_path: Path) -> None:
    instances = _instances(tmp_path, "anatomy", _mirror(tmp_path))
    assert [(i.id, i.split, i.input.text) for i in instances] == [
        ("id0", "train", "What is 1+1?"),
        ("id1", "train", 'Pick "x"'),
        ("id2", "valid", "Two\nlines"),
        ("id3", "test", "Sky colour?"),
        ("id4", "test", "Grass colour?"),
    ]
    assert [(r.output.text, r.tags) for r in instances[0].references] == [
        ("1", []),
        ("2", ["correct"]),
        ("3", []),
        ("4", []),
    ]
    # HELM tags by text: a repeated correct choice is correct twice.
    assert [r.is_correct for r in instances[1].references] == [True, False, True, False]


@pytest.mark.parametrize(
    "damage", ["Sky colour?,red,blue,green,grey,B\nGrass col", "Sky colour?,red,blue,green,grey,Q\n"]
)
def test_truncated_or_corrupt_file_is_detected_and_not_used(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture, damage: str
) -> None:
    monkeypatch.setenv(OFFLINE_ENV, "1")
    mirror = _mirror(tmp_path, {**ROWS, "test": damage})
    with caplog.at_level(logging.WARNING), pytest.raises(UserError) as info:
        _instances(tmp_path, "anatomy", mirror)
    assert "Ignoring" in caplog.text and "anatomy_test.csv" in caplog.text
    assert "mmlu/data/test/anatomy_test.csv is missing" in str(info.value)
    # With a good copy in the cache, that copy is used instead of the damaged mirror file.
    good = tmp_path / "scenarios/mmlu/data/test/anatomy_test.csv"
    good.parent.mkdir(parents=True)
    good.write_text(ROWS["test"])
    assert [i.input.text for i in _instances(tmp_path, "anatomy", mirror) if i.split == "test"] == [
        "Sky colour?",
        "Grass colour?",
    ]


def test_damaged_cached_file_is_deleted(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(OFFLINE_ENV, "1")
    cached = tmp_path / "scenarios/mmlu/data/dev/anatomy_dev.csv"
    cached.parent.mkdir(parents=True)
    cached.write_text("What is 1+1?,1,2\n")
    with pytest.raises(UserError):
        _instances(tmp_path, "anatomy", tmp_path / "empty_mirror")
    assert not cached.exists()


def test_missing_data_names_the_file_and_the_source(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(OFFLINE_ENV, "1")
    with pytest.raises(UserError) as info:
        _instances(tmp_path, "anatomy", tmp_path / "empty_mirror")
    message = str(info.value)
    assert "mmlu/data/dev/anatomy_dev.csv" in message and DATA_URL in message


def test_auxiliary_train_file_is_read_when_present(tmp_path: Path) -> None:
    mirror = _mirror(tmp_path, {**ROWS, "auxiliary_train": "Aux?,a,b,c,d,C\n"})
    instances = _instances(tmp_path, "anatomy", mirror)
    assert [(i.input.text, i.split) for i in instances[:2]] == [("Aux?", "train"), ("What is 1+1?", "train")]


def test_scenario_metadata() -> None:
    meta = MMLUScenario("anatomy").metadata()
    assert (meta.name, meta.description, meta.tags) == (
        "mmlu",
        "Massive Multitask Language Understanding",
        ["knowledge", "multiple_choice"],
    )
    assert meta.definition_path == (
        "https://github.com/stanford-crfm/helm/blob/main/src/helm/benchmark/scenarios/mmlu_scenario.py"
    )
