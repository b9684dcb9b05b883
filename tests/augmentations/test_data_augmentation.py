"""`data_augmentation=`: the expander's runs, the augmenter, word-list lookup and download, end to end."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from typing import Any

import pytest
from data_mirror import MIRROR

from helm_lite.adaptation.adapter_spec import AdapterSpec
from helm_lite.augmentations.augmenter import augment
from helm_lite.augmentations.word_lists import PERSON_NAMES, WordList, WordLists
from helm_lite.common.errors import UserError
from helm_lite.run_entries.expanders import EXPANDERS
from helm_lite.run_specs.run_spec import RunSpec, ScenarioSpec
from helm_lite.scenarios.base import Input, Instance, Output, Reference

REPO = Path(__file__).resolve().parents[2]
SAE_TO_AAVE = {"the": ["da"], "with": ["wit"], "about": ["bout"], "going": ["goin"]}
MISSPELLINGS = {"the": ["teh"], "The": ["Teh"], "of": ["fo"], "which": ["wich"], "following": ["folowing"]}
PERSON_NAMES_TEXT = (
    "adam,first_name,race,white_american,gender,male\n"
    "amanda,first_name,race,white_american,gender,female\n"
    "alonzo,first_name,race,black_american,gender,male\n"
    "aiesha,first_name,race,black_american,gender,female\n"
)


def make_mirror(root: Path) -> Path:
    """A data mirror with word lists in HELM's formats (and the shared MMLU files, linked)."""
    perturbations = root / "perturbations"
    (perturbations / "dialect").mkdir(parents=True)
    (perturbations / "misspellings").mkdir()
    (perturbations / "person_name" / "data").mkdir(parents=True)
    (perturbations / "dialect" / "SAE_to_AAVE_mapping.json").write_text(json.dumps(SAE_TO_AAVE))
    (perturbations / "misspellings" / "correct_to_misspelling.json").write_text(json.dumps(MISSPELLINGS))
    (perturbations / "person_name" / "data" / "person_names.txt").write_text(PERSON_NAMES_TEXT)
    if (MIRROR / "mmlu").exists():
        (root / "mmlu").symlink_to(MIRROR / "mmlu")
    return root


def spec() -> RunSpec:
    return RunSpec("mmlu:subject=anatomy,model=m", ScenarioSpec("x"), AdapterSpec(), [])


def expand(value: str) -> list[RunSpec]:
    return EXPANDERS["data_augmentation"](spec(), value, None)  # type: ignore[arg-type]


def test_canonical_is_one_run_with_helm_specs() -> None:
    [run] = expand("canonical")
    assert run.name == "mmlu:subject=anatomy,model=m,data_augmentation=canonical"
    das = run.data_augmenter_spec
    assert [s.class_name.rsplit(".", 1)[1] for s in das.perturbation_specs] == [
        "MildMixPerturbation",
        "DialectPerturbation",
        "GenderPerturbation",
        "PersonNamePerturbation",
    ]
    assert (
        das.should_augment_eval_instances
        and das.should_include_original_eval
        and das.should_skip_unchanged_eval
    )
    assert not das.should_augment_train_instances
    assert EXPANDERS["DataAugmentationRunExpander"] is EXPANDERS["data_augmentation"]


def test_a_sweep_makes_one_run_per_setting() -> None:
    names = [r.name.rsplit("=", 1)[1] for r in expand("misspelling_sweep")]
    assert names == ["misspelling0", "misspelling0.05", "misspelling0.2", "misspelling0.5"]
    [run] = expand("gender_terms_deterministic")
    assert run.name.endswith(",data_augmentation=gender_terms_prob=1.0_source=male_target=female")


@pytest.mark.parametrize(
    ("value", "message"),
    [("cleva", r"not supported by helm_lite \(needs Chinese perturbations\)"), ("sparkle", "unknown value")],
)
def test_unknown_or_unsupported_values_are_one_line_errors(value: str, message: str) -> None:
    with pytest.raises(UserError, match=message):
        expand(value)


def test_augment_adds_changed_copies_after_each_eval_instance(tmp_path: Path) -> None:
    train = Instance(Input("the train one"), [], split="train", id="id0")
    changed = Instance(
        Input("Went with the boss"), [Reference(Output("the end"), ["correct"])], split="test", id="id1"
    )
    same = Instance(Input("nothing to map here"), [], split="test", id="id2")
    [run] = expand("dialect_deterministic")
    lists = WordLists(str(tmp_path / "out"), str(make_mirror(tmp_path / "mirror")))
    out = augment([train, changed, same], run.data_augmenter_spec, lists)
    assert [(i.id, i.input.text) for i in out] == [
        ("id0", "the train one"),
        ("id1", "Went with the boss"),
        ("id1", "Went wit the boss"),  # " with " took the space before "the": HELM's matches do not overlap
        ("id2", "nothing to map here"),  # unchanged copies are skipped
    ]
    assert out[2].references[0].output.text == "the end"  # at the start: no character before it
    assert out[2].perturbation is not None
    assert out[2].perturbation["mapping_file_path"] == str(
        tmp_path / "out/perturbations/dialect/SAE_to_AAVE_mapping.json"
    )
    assert not (tmp_path / "out").exists()  # read from the mirror, nothing copied


def test_a_mirrored_list_that_does_not_parse_is_not_used(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    mirror = make_mirror(tmp_path / "mirror")
    (mirror / PERSON_NAMES.relative).write_text("just-one-field\n")
    monkeypatch.setenv("HELM_LITE_OFFLINE", "1")
    with pytest.raises(UserError, match=r"perturbation word list: .*person_names.txt is missing"):
        WordLists(str(tmp_path / "out"), str(mirror)).path(PERSON_NAMES)


class _Serve(BaseHTTPRequestHandler):
    body = b""

    def do_GET(self) -> None:  # noqa: N802
        self.send_response(200)
        self.send_header("Content-Length", str(len(self.body)))
        self.end_headers()
        self.wfile.write(self.body)

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def server() -> Iterator[str]:
    _Serve.body = json.dumps(SAE_TO_AAVE).encode()
    httpd = HTTPServer(("127.0.0.1", 0), _Serve)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}/SAE_to_AAVE_mapping.json"
    httpd.shutdown()


def test_download_is_checked_against_its_pinned_sha256(tmp_path: Path, server: str) -> None:
    good = hashlib.sha256(_Serve.body).hexdigest()
    lists = WordLists(str(tmp_path / "out"), None)
    wrong = WordList("perturbations/dialect/x.json", server, "0" * 64, "json_dict")
    with pytest.raises(UserError, match="downloaded file is unusable: SHA-256"):
        lists.path(wrong)
    assert not any((tmp_path / "out").rglob("*.json"))  # nothing half-written or unverified is left
    right = WordList("perturbations/dialect/x.json", server, good, "json_dict")
    path = lists.path(right)
    assert path == tmp_path / "out/perturbations/dialect/x.json"
    assert lists.json_dict(right) == SAE_TO_AAVE


def _helm_run(cwd: Path, mirror: Path, suite: str) -> subprocess.CompletedProcess[str]:
    entry = "mmlu:subject=anatomy,model=simple/model1,data_augmentation=canonical"
    cmd = [sys.executable, "-m", "helm_lite.cli.run", "-r", entry, "-m", "3", "--suite", suite]
    cmd += ["-o", "out", "--data-mirror", str(mirror), "--no-progress"]
    env = {**os.environ, "HELM_LITE_OFFLINE": "1", "PYTHONPATH": str(REPO / "src")}
    return subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, timeout=120)


def _without_timing(path: Path) -> Any:
    """The file's JSON without what differs between a first run and its repeat (timing, cache hits)."""

    def strip(obj: Any) -> Any:
        if isinstance(obj, dict):
            return {
                k: strip(v) for k, v in obj.items() if k not in ("cached", "request_time", "request_datetime")
            }
        return [strip(v) for v in obj] if isinstance(obj, list) else obj

    return strip(json.loads(path.read_text()))


@pytest.mark.skipif(not (MIRROR / "mmlu").exists(), reason="needs the shared data mirror")
def test_helm_run_canonical_on_mmlu(tmp_path: Path) -> None:
    mirror = make_mirror(tmp_path / "mirror")
    for suite in ("a", "b"):
        done = _helm_run(tmp_path, mirror, suite)
        assert done.returncode == 0, done.stderr
    name = "mmlu:subject=anatomy,method=multiple_choice_joint,model=simple_model1,data_augmentation=canonical"
    a, b = tmp_path / "out/runs/a" / name, tmp_path / "out/runs/b" / name
    for file in ("run_spec.json", "scenario_state.json", "stats.json", "per_instance_stats.json"):
        assert _without_timing(a / file) == _without_timing(b / file), file

    states = json.loads((a / "scenario_state.json").read_text())["request_states"]
    perturbed = [s["instance"] for s in states if "perturbation" in s["instance"]]
    assert {p["perturbation"]["name"] for p in perturbed} >= {"mild_mix", "dialect"}
    assert all(p["contrast_inputs"] for p in perturbed if p["perturbation"]["name"] != "person_name")

    stats = json.loads((a / "stats.json").read_text())
    keyed = {(s["name"]["name"], json.dumps(s["name"].get("perturbation"), sort_keys=True)): s for s in stats}

    def stat(pert: dict[str, Any] | None) -> dict[str, Any]:
        return keyed[("exact_match", json.dumps(pert, sort_keys=True))]

    robust = {"name": "robustness", "robustness": True, "fairness": False, "computed_on": "worst"}
    fair = {"name": "fairness", "robustness": False, "fairness": True, "computed_on": "worst"}
    mild = {"name": "mild_mix", "robustness": True, "fairness": False}
    for pert in (robust, fair, {**mild, "computed_on": "perturbed"}, {**mild, "computed_on": "worst"}):
        assert stat(pert)["count"] == 1
    # The worst case over the original and its perturbations is never better than the original.
    assert stat(robust)["mean"] <= stat(None)["mean"]
    assert stat(fair)["mean"] <= stat(None)["mean"]
