"""HELM's 70 run-entry files: every entry parses; entries naming HELM run specs helm_lite does not
implement are skipped with one line per name, so the rest of a HELM conf file runs. The support table
in docs/migrating-from-helm.md is checked against the same files (parsed once per module: ~5 s)."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest

from helm_lite.common.errors import UserError
from helm_lite.registry.loader import load_registry
from helm_lite.run_entries.conf import RunEntry, read_conf_file
from helm_lite.run_entries.construct import (
    Selection,
    construct_run_specs,
    construct_run_specs_for,
    is_unimplemented,
)
from helm_lite.run_entries.description import parse_description
from helm_lite.run_entries.helm_support import (
    TABLE_END,
    TABLE_START,
    read_entries,
    run_spec_support,
    support_table,
)
from helm_lite.run_specs.helm_names import HELM_RUN_SPEC_NAMES
from helm_lite.run_specs.registry import RUN_SPECS

REPO = Path(__file__).resolve().parents[2]
PAGE = REPO / "docs" / "migrating-from-helm.md"
HELM_RUN_ENTRIES = REPO.parent / "shared" / "data" / "helm_formats" / "run_entries"
CONF_FILES = sorted(HELM_RUN_ENTRIES.glob("run_entries*.conf"))

if not CONF_FILES:
    if os.environ.get("CI"):
        raise RuntimeError(f"HELM's run-entry files are missing from {HELM_RUN_ENTRIES}")
    pytest.skip(f"HELM's run-entry files are not at {HELM_RUN_ENTRIES}", allow_module_level=True)


@pytest.fixture(scope="module")
def files() -> list[list[RunEntry]]:
    """Every file parsed (none may fail), once."""
    return read_entries(CONF_FILES)


@pytest.mark.slow  # all 4,297 entries of HELM's 70 files (~15 s)
def test_every_entry_of_the_70_files_resolves_or_is_reported(
    files: list[list[RunEntry]], tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    assert len(CONF_FILES) == 70
    entries = [entry for file_entries in files for entry in file_entries]
    assert len(entries) == 4297
    names = Counter(parse_description(e.description).name for e in entries)
    known = {n: c for n, c in names.items() if n in RUN_SPECS}
    for name in known:
        assert callable(RUN_SPECS.get(name))
    # The entries helm_lite lacks go through the real construction step: nothing is raised, no run
    # is made, and each name is reported once with its count.
    missing = [e for e in entries if is_unimplemented(parse_description(e.description).name)]
    selection = Selection(models_to_run=["simple/model1"])
    with caplog.at_level(logging.WARNING, logger="helm_lite.run_entries.construct"):
        assert construct_run_specs(missing, load_registry(tmp_path), selection) == []
    reported = {r.getMessage() for r in caplog.records}
    expected = {n: c for n, c in names.items() if n not in RUN_SPECS}
    for name, count in expected.items():
        assert f"not implemented in helm_lite: {name} ({count} {'entry' if count == 1 else 'entries'})" in (
            reported
        )
    assert len(reported) == len(expected)
    assert sum(known.values()) + sum(expected.values()) == len(entries)
    assert {"mmlu", "gsm", "natural_qa", "synthetic_reasoning"} <= set(known)


@pytest.mark.slow  # parses HELM's 70 files (~12 s)
def test_the_migration_page_holds_the_table_the_code_makes(files: list[list[RunEntry]]) -> None:
    page = PAGE.read_text(encoding="utf-8")
    assert page.count(TABLE_START) == 1 and page.count(TABLE_END) == 1
    assert support_table(files) in page, "run: .venv/bin/python benchmarks/helm_run_spec_table.py"
    rows = run_spec_support(files)
    assert sum(r.entries for r in rows) == 4297
    for row in rows:
        # Every name the files use is implemented or one of HELM's own run-spec names (a name in
        # neither would be a typo in the files or a gap in helm_names.py) …
        assert row.name in RUN_SPECS or row.name in HELM_RUN_SPEC_NAMES, row.name
        # … and the table's column agrees with what the run-entry loader skips.
        assert row.implemented != is_unimplemented(row.name), row.name


def test_a_conf_file_mixing_known_and_unknown_entries_runs_the_known_ones(tmp_path: Path) -> None:
    conf = tmp_path / "mixed.conf"
    conf.write_text(
        "entries: [\n"
        '  {description: "imdb:model=text", priority: 1}\n'
        '  {description: "synthetic_reasoning:mode=pattern_match,model=text", priority: 1}\n'
        '  {description: "boolq:model=text", priority: 1}\n'
        '  {description: "imdb:model=text,data_augmentation=canonical", priority: 1}\n'
        '  {description: "dyck_language:num_parenthesis_pairs=2,model=text", priority: 1}\n'
        "]\n"
    )

    def helm_run(*extra: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "helm_lite.cli.run", "--no-progress", "-c", str(conf)]
            + ["--models-to-run", "simple/model1", "-m", "2", "--suite", "mixed", *extra],
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=120,
        )

    stopped = helm_run("--exit-on-error")
    assert stopped.returncode == 2
    assert stopped.stderr.strip() == (
        "helm-run: error: run entry 'imdb:model=text': Unknown run spec name: imdb "
        "(a HELM run spec that helm_lite does not implement)"
    )
    assert not (tmp_path / "benchmark_output" / "runs" / "mixed").exists()

    proc = helm_run()
    assert proc.returncode == 0, proc.stderr
    runs = sorted(p.name for p in (tmp_path / "benchmark_output" / "runs" / "mixed").iterdir())
    assert runs == [
        "dyck_language_np=2:model=simple_model1",
        "synthetic_reasoning:mode=pattern_match,model=simple_model1",
    ]
    lines = [line.split(" ", 2)[2] for line in proc.stderr.splitlines() if " WARNING " in line]
    assert lines == [
        "not implemented in helm_lite: boolq (1 entry)",
        "not implemented in helm_lite: imdb (2 entries)",
    ]


def test_a_name_nobody_defines_is_still_an_error_with_the_closest_name(tmp_path: Path) -> None:
    with pytest.raises(UserError, match=r"Unknown run spec name: synthetic_reasonin \(did you mean"):
        construct_run_specs(
            [RunEntry("synthetic_reasonin:mode=induction,model=simple/model1")],
            load_registry(tmp_path),
            Selection(),
        )


def test_a_key_repeated_with_the_same_value_means_it_once() -> None:
    """HELM's `run_entries_extra.conf` has `gsm:model=text_code,stop=none,stop=none`."""
    assert parse_description("gsm:stop=none,stop=none").args == (("stop", "none"),)
    with pytest.raises(UserError, match="key 'stop' is given twice"):
        parse_description("gsm:stop=none,stop=hash")


def test_prompt_entries_of_helm_extra_conf_set_helms_prefixes(tmp_path: Path) -> None:
    entries = [
        e
        for e in read_conf_file(HELM_RUN_ENTRIES / "run_entries_extra.conf")
        if ",prompt=" in e.description and e.description.startswith("natural_qa:")
    ]
    assert len(entries) == 3
    specs = construct_run_specs(entries, load_registry(tmp_path), Selection(models_to_run=["simple/model1"]))
    by_name = {s.name: s.adapter_spec for s in specs}
    base = "natural_qa:mode=openbook_longans,model=simple_model1"
    assert sorted(by_name) == [
        f"{base},prompt=i_o,groups=ablation_prompts",
        f"{base},prompt=input_output,groups=ablation_prompts",
        f"{base},prompt=input_output_html,groups=ablation_prompts",
    ]
    io = by_name[f"{base},prompt=i_o,groups=ablation_prompts"]
    assert (io.input_prefix, io.output_prefix) == ("I: ", "O: ")
    html = by_name[f"{base},prompt=input_output_html,groups=ablation_prompts"]
    assert (html.input_prefix, html.input_suffix) == ("<input>", "</input>\n")
    assert (html.output_prefix, html.output_suffix) == ("<output>", "</output>\n")


def test_prompt_needs_one_of_helms_names(tmp_path: Path) -> None:
    with pytest.raises(UserError, match="prompt=nope: must be one of human_assistant, "):
        construct_run_specs_for(
            parse_description("natural_qa:mode=closedbook,model=simple/model1,prompt=nope"),
            load_registry(tmp_path),
            "natural_qa:mode=closedbook,model=simple/model1,prompt=nope",
        )


@pytest.mark.slow  # all 4,297 entries of HELM's 70 files (~15 s)
def test_each_of_the_70_files_makes_its_runs_without_stopping(
    files: list[list[RunEntry]], tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """A whole HELM conf file constructs: its known entries become runs, and entries of a dataset
    helm_lite lacks (`commonsense:dataset=hellaswag`) are counted like unimplemented run specs."""
    registry = load_registry(tmp_path)
    made = 0
    with caplog.at_level(logging.WARNING, logger="helm_lite.run_entries.construct"):
        for entries in files:
            made += len(construct_run_specs(entries, registry, Selection(models_to_run=["simple/model1"])))
    assert made > 900
    reported = [r.getMessage() for r in caplog.records]
    hellaswag = [m for m in reported if "commonsense:dataset=hellaswag" in m]
    assert hellaswag and all(m.startswith("not implemented in helm_lite: ") for m in hellaswag)
    with pytest.raises(UserError, match=r"run entry '.*dataset=hellaswag.*': not implemented in helm_lite"):
        construct_run_specs(
            [RunEntry("commonsense:dataset=hellaswag,method=multiple_choice_joint,model=simple/model1")],
            registry,
            Selection(stop_on_unimplemented=True),
        )
