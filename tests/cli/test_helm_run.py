"""helm-run end to end on the test model: files, cache reuse, skipping, dry runs, HELM prompt parity."""

from __future__ import annotations

import json
import os
from pathlib import Path

from helm_lite.scenarios.dyck_language import DyckLanguageScenario
from helm_lite.scenarios.synthetic_reasoning import SyntheticReasoningScenario

FIVE = ["run_spec.json", "scenario.json", "scenario_state.json", "stats.json", "per_instance_stats.json"]
PATTERN_MATCH = "synthetic_reasoning:mode=pattern_match,model=simple/model1"
PATTERN_MATCH_DIR = "synthetic_reasoning:mode=pattern_match,model=simple_model1"


def _run_dir(root: Path, suite: str, name: str) -> Path:
    return root / "benchmark_output" / "runs" / suite / name


def _load(path: Path):
    return json.loads(path.read_text())


def test_writes_the_five_files_and_a_cached_repeat_calls_no_model(helm_run, tmp_path: Path) -> None:
    first = helm_run("--run-entries", PATTERN_MATCH, "--suite", "demo", "--max-eval-instances", "50")
    assert first.returncode == 0, first.stderr
    run_dir = _run_dir(tmp_path, "demo", PATTERN_MATCH_DIR)
    assert sorted(os.listdir(run_dir)) == sorted([*FIVE, "run_info.json"])
    assert "prod_env/cache/simple.sqlite: 50 queries, 50 computes" in first.stderr

    again = helm_run(
        "--run-entries", PATTERN_MATCH, "--suite", "demo", "-m", "50", "--output-path", "other_output"
    )
    assert again.returncode == 0, again.stderr
    assert "prod_env/cache/simple.sqlite: 50 queries, 0 computes" in again.stderr
    states = _load(tmp_path / "other_output" / "runs" / "demo" / PATTERN_MATCH_DIR / "scenario_state.json")
    assert all(s["result"]["cached"] for s in states["request_states"])
    # Same answers and same stats (timings aside) from the cache.
    first_states = _load(run_dir / "scenario_state.json")["request_states"]
    assert [s["result"]["completions"] for s in states["request_states"]] == [
        s["result"]["completions"] for s in first_states
    ]


def test_output_shapes(helm_run, tmp_path: Path) -> None:
    assert helm_run("-r", PATTERN_MATCH, "--suite", "s", "-m", "10").returncode == 0
    run_dir = _run_dir(tmp_path, "s", PATTERN_MATCH_DIR)
    text = (run_dir / "run_spec.json").read_text()
    assert text.startswith('{\n  "name": "synthetic_reasoning:mode=pattern_match,model=simple_model1",')
    run_spec = json.loads(text)
    assert list(run_spec) == [
        "name",
        "scenario_spec",
        "adapter_spec",
        "metric_specs",
        "data_augmenter_spec",
        "groups",
    ]
    assert run_spec["groups"] == ["synthetic_reasoning", "synthetic_reasoning_pattern_match"]
    assert list(_load(run_dir / "scenario.json")) == ["name", "description", "tags", "definition_path"]
    state = _load(run_dir / "scenario_state.json")["request_states"][0]
    assert list(state) == [
        "instance",
        "train_trial_index",
        "request",
        "result",
        "num_train_instances",
        "prompt_truncated",
        "num_conditioning_tokens",
    ]
    stats = _load(run_dir / "stats.json")
    exact = [s for s in stats if s["name"] == {"name": "exact_match", "split": "test"}]
    assert len(exact) == 1 and exact[0]["count"] == 1
    assert list(exact[0]) == [
        "name",
        "count",
        "sum",
        "sum_squared",
        "min",
        "max",
        "mean",
        "variance",
        "stddev",
    ]
    rows = _load(run_dir / "per_instance_stats.json")
    assert {r["instance_id"] for r in rows} == {
        s["instance"]["id"] for s in _load(run_dir / "scenario_state.json")["request_states"]
    }
    info = _load(run_dir / "run_info.json")
    assert info["helm_lite_version"] and info["python"] and "numpy" in info["libraries"]
    assert info["model_deployment"]["name"] == "simple/model1"


def _expected_prompt(instructions: str, examples, eval_instance, block) -> str:
    return "\n".join([instructions, *(block(e, True) for e in examples), block(eval_instance, False)])


def test_prompts_match_helm_for_the_four_offline_entries(helm_run, tmp_path: Path) -> None:
    entries = [
        f"synthetic_reasoning:mode={m},model=simple/model1"
        for m in ("pattern_match", "variable_substitution", "induction")
    ]
    entries.append("dyck_language:num_parenthesis_pairs=3,model=simple/model1")
    result = helm_run("-r", *entries, "--suite", "p", "-m", "50")
    assert result.returncode == 0, result.stderr

    def first_prompt(name: str) -> tuple[str, list[str]]:
        states = _load(_run_dir(tmp_path, "p", name) / "scenario_state.json")["request_states"]
        return states[0]["request"]["prompt"], [s["instance"]["id"] for s in states]

    # As in HELM, the evaluated ids are the same in every mode.
    ids50 = [
        "id10394",
        "id1898",
        "id3398",
        "id6906",
        "id3343",
        "id9225",
        "id6506",
        "id7451",
        "id3670",
        "id4497",
    ]

    def sr_block(inst, with_answer: bool) -> str:
        answer = " " + inst.references[0].output.text + "\n" if with_answer else ""
        return inst.input.text + "\nTarget:" + answer

    picks = {
        "pattern_match": ["id223", "id697", "id181", "id995", "id267"],
        "variable_substitution": ["id257", "id150", "id662", "id327", "id780"],
        "induction": ["id239", "id613", "id358", "id268", "id47"],
    }
    for mode, example_ids in picks.items():
        prompt, ids = first_prompt(f"synthetic_reasoning:mode={mode},model=simple_model1")
        assert ids[:10] == ids50
        by_id = {i.id: i for i in SyntheticReasoningScenario(mode).get_instances("")}
        expected = _expected_prompt(
            "Please solve the following problem.\n",
            [by_id[i] for i in example_ids],
            by_id["id10394"],
            sr_block,
        )
        assert prompt == expected, mode

    # HELM's literal pattern_match prompt, to pin the text itself.
    prompt, _ = first_prompt("synthetic_reasoning:mode=pattern_match,model=simple_model1")
    assert prompt.endswith(
        "Rules: Y - Z - | - Z Y - | - - Z Y | Z - Y - | Result: watermelon - penguin pear -\nTarget: Y - Z -\n\n"
        "Rules: * X + = | X = + * | = + * X | X = + * X | Result: kiwi = + * kiwi\nTarget:"
    )

    # Dyck, as HELM prompts it: examples id1, id2, id0 on single lines, eval id93 first.
    prompt, ids = first_prompt("dyck_language_np=3:model=simple_model1")
    assert ids[:10] == [
        "id93",
        "id257",
        "id286",
        "id448",
        "id464",
        "id18",
        "id319",
        "id492",
        "id162",
        "id156",
    ]
    by_id = {i.id: i for i in DyckLanguageScenario(3).get_instances("")}
    assert prompt == (
        "Please complete the rest of the following Dyck sequences, making sure that the parentheses are "
        "closed properly.\n\n"
        f"Input: {by_id['id1'].input.text}{by_id['id1'].references[0].output.text}\n"
        f"Input: {by_id['id2'].input.text}{by_id['id2'].references[0].output.text}\n"
        f"Input: {by_id['id0'].input.text}{by_id['id0'].references[0].output.text}\n"
        f"Input: {by_id['id93'].input.text}"
    )
    assert (
        prompt.splitlines()[2]
        == "Input: [ { [ ( { ( [ ( { } ) ] ) { [ ( ) ] } { } } ) ] } [ { { } } ] { } ( ) ( { } ) ]"
    )


def test_skip_completed_runs_skips_complete_and_redoes_partial(helm_run, tmp_path: Path) -> None:
    assert helm_run("-r", PATTERN_MATCH, "--suite", "k", "-m", "5").returncode == 0
    run_dir = _run_dir(tmp_path, "k", PATTERN_MATCH_DIR)
    before = (run_dir / "stats.json").stat().st_mtime_ns
    skipped = helm_run("-r", PATTERN_MATCH, "--suite", "k", "-m", "5", "--skip-completed-runs")
    assert skipped.returncode == 0 and "already complete" in skipped.stderr
    assert (run_dir / "stats.json").stat().st_mtime_ns == before

    (run_dir / "stats.json").unlink()  # a partial run is redone
    redone = helm_run("-r", PATTERN_MATCH, "--suite", "k", "-m", "5", "--skip-completed-runs")
    assert redone.returncode == 0 and (run_dir / "stats.json").exists()
    assert "5 queries, 0 computes" in redone.stderr


def test_dry_run_calls_no_model(helm_run, tmp_path: Path) -> None:
    result = helm_run("-r", PATTERN_MATCH, "--suite", "d", "-m", "7", "--dry-run")
    assert result.returncode == 0, result.stderr
    run_dir = _run_dir(tmp_path, "d", PATTERN_MATCH_DIR)
    states = _load(run_dir / "scenario_state.json")["request_states"]
    assert len(states) == 7 and all("result" not in s for s in states)
    names = {s["name"]["name"]: s for s in _load(run_dir / "stats.json")}
    assert names["num_requests"]["sum"] == 7
    assert not (tmp_path / "prod_env" / "cache" / "simple.sqlite").exists()


def test_conf_file_priority_groups_and_models_to_run(helm_run, tmp_path: Path) -> None:
    conf = tmp_path / "mine.conf"
    conf.write_text(
        """# my entries
        entries: [
          {description: "synthetic_reasoning:model=text,mode=induction", priority: 1}
          {description: "dyck_language:model=text,num_parenthesis_pairs=2", priority: 3, groups: ["extra", "a"]}
        ]
        """
    )
    result = helm_run(
        "--conf-paths",
        str(conf),
        "--models-to-run",
        "simple/model1",
        "--suite",
        "c",
        "-m",
        "3",
        "--priority",
        "2",
    )
    assert result.returncode == 0, result.stderr
    assert sorted(os.listdir(tmp_path / "benchmark_output" / "runs" / "c")) == [
        "synthetic_reasoning:mode=induction,model=simple_model1"
    ]
    result = helm_run(
        "--conf-paths", str(conf), "--models-to-run", "simple/model1", "--suite", "c2", "-m", "3"
    )
    assert result.returncode == 0, result.stderr
    dyck = _run_dir(tmp_path, "c2", "dyck_language_np=2:model=simple_model1,groups=a-extra")
    assert _load(dyck / "run_spec.json")["groups"] == ["dyck_language", "extra", "a"]
    result = helm_run(
        "--conf-paths",
        str(conf),
        "--models-to-run",
        "simple/model1",
        "--groups-to-run",
        "dyck_language",
        "--suite",
        "c3",
        "-m",
        "3",
    )
    assert sorted(os.listdir(tmp_path / "benchmark_output" / "runs" / "c3")) == [
        "dyck_language_np=2:model=simple_model1,groups=a-extra"
    ]


def test_train_trials_are_aggregated(helm_run, tmp_path: Path) -> None:
    result = helm_run("-r", PATTERN_MATCH, "--suite", "t", "-m", "4", "--num-train-trials", "3")
    assert result.returncode == 0, result.stderr
    run_dir = _run_dir(tmp_path, "t", PATTERN_MATCH_DIR)
    states = _load(run_dir / "scenario_state.json")["request_states"]
    assert [s["train_trial_index"] for s in states] == [0] * 4 + [1] * 4 + [2] * 4
    assert len({s["request"]["prompt"] for s in states}) == 12  # other examples in each trial
    stat = next(
        s
        for s in _load(run_dir / "stats.json")
        if s["name"] == {"name": "num_prompt_tokens", "split": "test"}
        or s["name"] == {"name": "num_prompt_tokens", "split": "valid"}
    )
    assert stat["count"] == 3


def test_user_data_example_runs(helm_run, tmp_path: Path) -> None:
    repo = Path(__file__).resolve().parents[2]
    for name in ("capitals.jsonl", "arithmetic.csv"):
        path = repo / "examples" / "user_data" / name
        result = helm_run("-r", f"user_data:path={path},model=simple/model1", "--suite", "u", "-m", "10")
        assert result.returncode == 0, result.stderr
    runs = os.listdir(tmp_path / "benchmark_output" / "runs" / "u")
    assert len(runs) == 2
    mc = next(r for r in runs if "capitals" in r)
    state = _load(_run_dir(tmp_path, "u", mc) / "scenario_state.json")["request_states"][0]
    assert state["output_mapping"] and "\nA. " in state["request"]["prompt"]


def test_an_entry_given_twice_runs_once(helm_run, tmp_path: Path) -> None:
    """HELM's own conf files repeat a few entries: the same run is made once, not written twice."""
    conf = tmp_path / "twice.conf"
    conf.write_text(f'entries: [{{description: "{PATTERN_MATCH}", priority: 1}}]\n')
    r = helm_run("-c", str(conf), "-r", PATTERN_MATCH, "--suite", "twice", "-m", "5")
    assert r.returncode == 0, r.stderr
    assert f"Run {PATTERN_MATCH_DIR} is made twice; running it once" in r.stderr
    assert "prod_env/cache/simple.sqlite: 5 queries, 5 computes" in r.stderr
    assert os.listdir(tmp_path / "benchmark_output" / "runs" / "twice") == [PATTERN_MATCH_DIR]
