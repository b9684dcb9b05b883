"""The run directory on real files: whole-folder writes, the completion record, the completeness rule,
and the removal of what dead writers leave behind."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from helm_lite.common.atomic_file import atomic_open
from helm_lite.common.atomic_folder import replace_folder
from helm_lite.common.json_io import dumps
from helm_lite.common.temporaries import stem
from helm_lite.run_directory import (
    HELM_FILES,
    NO_RECORD,
    RUN_INFO_FILE,
    check_run,
    run_names,
    settle_leftovers,
    write_run,
)

NAME = "synthetic_reasoning:mode=pattern_match,model=simple_model1"


def _files(n: int) -> dict[str, object]:
    """Five HELM files whose sizes depend on `n`, like a run with `n` instances."""
    return {
        "run_spec.json": {"name": NAME, "adapter_spec": {"model": "simple/model1"}},
        "scenario.json": {"name": "synthetic_reasoning"},
        "scenario_state.json": {"request_states": [{"instance": {"id": f"id{i}"}} for i in range(n)]},
        "stats.json": [{"name": {"name": "num_instances", "split": "test"}, "count": 1, "mean": float(n)}],
        "per_instance_stats.json": [{"instance_id": f"id{i}", "stats": []} for i in range(n)],
    }


def _reaped_pid() -> int:
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


def _hidden(directory: Path) -> list[str]:
    return sorted(n for n in os.listdir(directory) if n.startswith("."))


def test_write_run_writes_five_files_byte_identical_plus_a_completion_record(tmp_path: Path) -> None:
    files = _files(3)
    run_dir = Path(write_run(str(tmp_path), NAME, files, {"helm_lite_version": "x"}))
    assert run_dir == tmp_path / NAME
    assert sorted(os.listdir(run_dir)) == sorted([*HELM_FILES, RUN_INFO_FILE])
    for name, data in files.items():
        assert (run_dir / name).read_text() == dumps(data) == json.dumps(data, indent=2)
    info = json.loads((run_dir / RUN_INFO_FILE).read_text())
    assert list(info) == ["helm_lite_version", "outputs"]
    assert info["outputs"]["stats.json"]["bytes"] == (run_dir / "stats.json").stat().st_size
    check = check_run(str(run_dir), hashes=True)
    assert check.status == "complete" and check.verified and check.problems == ()
    assert _hidden(tmp_path) == []


def test_a_rewrite_replaces_the_whole_folder(tmp_path: Path) -> None:
    write_run(str(tmp_path), NAME, _files(5), {})
    (tmp_path / NAME / "display_predictions.json").write_text("[]")  # derived from the old run
    write_run(str(tmp_path), NAME, _files(2), {})
    run_dir = tmp_path / NAME
    assert sorted(os.listdir(run_dir)) == sorted([*HELM_FILES, RUN_INFO_FILE])
    assert len(json.loads((run_dir / "per_instance_stats.json").read_text())) == 2
    assert check_run(str(run_dir), hashes=True).verified
    assert _hidden(tmp_path) == []


def test_the_two_rename_fallback_also_replaces_and_leaves_nothing(tmp_path: Path) -> None:
    """Where the file system cannot swap two folders in one step, the old one is renamed aside."""
    old = tmp_path / "run"
    new = tmp_path / ".run.tmp-1-abcd"
    for folder, text in ((old, "old"), (new, "new")):
        folder.mkdir()
        (folder / "f").write_text(text)
    replace_folder(str(new), str(old), swap=lambda a, b: False)
    assert (old / "f").read_text() == "new"
    assert os.listdir(tmp_path) == ["run"]


def test_a_run_left_aside_by_a_crash_is_put_back_or_removed(tmp_path: Path) -> None:
    """A crash between the fallback's two renames: the run's path is missing, the old run is aside."""
    write_run(str(tmp_path), NAME, _files(4), {})
    pid = _reaped_pid()
    aside = tmp_path / f".{NAME}.old-{pid}-0a1b2c3d"
    os.rename(tmp_path / NAME, aside)
    settle_leftovers(str(tmp_path))
    assert _hidden(tmp_path) == [] and check_run(str(tmp_path / NAME), hashes=True).verified

    # The new run made it in before the crash: the old one aside is removed.
    write_run(str(tmp_path), "other:x=1", _files(1), {})
    os.rename(tmp_path / "other:x=1", aside)
    settle_leftovers(str(tmp_path))
    assert _hidden(tmp_path) == [] and not (tmp_path / "other:x=1").exists()
    assert len(json.loads((tmp_path / NAME / "per_instance_stats.json").read_text())) == 4


def test_a_long_run_name_gets_a_short_temporary_and_is_still_restored(tmp_path: Path) -> None:
    name = "mmlu:subject=" + "x" * 225 + ",model=m"  # 241 bytes: no room for a temporary's suffix
    files = _files(1)
    files["run_spec.json"] = {"name": name}
    write_run(str(tmp_path), name, files, {})
    assert stem(name) != name and len(stem(name)) <= 223
    aside = tmp_path / f".{stem(name)}.old-{_reaped_pid()}-0a1b2c3d"
    os.rename(tmp_path / name, aside)
    settle_leftovers(str(tmp_path))
    assert os.listdir(tmp_path) == [name]


def test_completeness_rule(tmp_path: Path) -> None:
    run_dir = Path(write_run(str(tmp_path), NAME, _files(6), {}))
    stats = run_dir / "stats.json"
    text = stats.read_text()

    stats.write_text(text[:40])  # truncated
    check = check_run(str(run_dir))
    assert check.status == "damaged"
    assert (
        check.reason == f"stats.json has 40 bytes, not the {len(text)} written (truncated or changed since)"
    )

    stats.write_text(text.replace("6.0", "7.0"))  # same size, other content: only the hashes tell
    assert check_run(str(run_dir)).verified
    hashed = check_run(str(run_dir), hashes=True)
    assert hashed.status == "damaged" and "sha256" in hashed.reason
    stats.write_text(text)

    info = json.loads((run_dir / RUN_INFO_FILE).read_text())
    del info["outputs"]  # an older helm_lite's run: readable, but not vouched for
    (run_dir / RUN_INFO_FILE).write_text(json.dumps(info))
    check = check_run(str(run_dir), hashes=True)
    assert check.complete and not check.verified and check.reason == NO_RECORD
    (run_dir / RUN_INFO_FILE).unlink()  # a run written by HELM
    assert check_run(str(run_dir)).complete and not check_run(str(run_dir)).verified

    (run_dir / RUN_INFO_FILE).write_text('{"outputs": ')
    assert check_run(str(run_dir)).status == "damaged"
    assert "run_info.json is not valid JSON" in check_run(str(run_dir)).reason
    (run_dir / RUN_INFO_FILE).write_text('{"outputs": {"stats.json": 3}}')
    assert "malformed completion record" in check_run(str(run_dir)).reason

    (run_dir / "scenario_state.json").unlink()
    check = check_run(str(run_dir))
    assert check.status == "incomplete" and check.reason == "scenario_state.json missing (incomplete run)"


def test_run_names_skip_hidden_and_summary_folders(tmp_path: Path) -> None:
    for name in (NAME, f".{NAME}.tmp-1-abcd", "groups", "plots", "notes", "custom"):
        (tmp_path / name).mkdir()
    (tmp_path / "custom" / "run_spec.json").write_text("{}")
    (tmp_path / "leaderboard.csv").write_text("")
    assert run_names(str(tmp_path)) == ["custom", NAME]


def test_dead_writers_temporaries_are_removed_at_the_next_write(tmp_path: Path) -> None:
    dead = _reaped_pid()
    live = os.getppid()  # pytest's parent: alive for the whole test
    leftovers = [f".stats.json.part-{dead}-abcd1234", ".stats.json.part-k3j2h1g0"]  # + a pid-less one
    # A live writer's, a recent pid-less one, and hidden names that are no temporary of ours.
    kept = [
        f".stats.json.part-{live}-abcd1234",
        ".runs.json.part-a1b2c3d4",
        ".notes",
        f".x.old-{dead}-backup",
    ]
    for name in leftovers + kept:
        (tmp_path / name).write_text("half")
    (tmp_path / f".{NAME}.tmp-{dead}-00ff00ff").mkdir()
    (tmp_path / f".{NAME}.tmp-{dead}-00ff00ff" / "stats.json").write_text("[")
    stale = time.time() - 2 * 24 * 3600  # an older version's temporary, untouched for two days
    os.utime(tmp_path / ".stats.json.part-k3j2h1g0", (stale, stale))

    with atomic_open(tmp_path / "stats.json") as f:
        f.write("[]")
    assert _hidden(tmp_path) == sorted(kept)
    assert (tmp_path / "stats.json").read_text() == "[]"


@pytest.mark.parametrize("kind", ["part", "tmp"])
def test_a_temporary_of_a_live_writer_is_never_touched(tmp_path: Path, kind: str) -> None:
    with subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"]) as writer:
        try:
            name = f".{NAME}.{kind}-{writer.pid}-abcdabcd"
            (tmp_path / name).mkdir()
            write_run(str(tmp_path), NAME, _files(1), {})
            assert _hidden(tmp_path) == [name]
        finally:
            writer.kill()
    writer.wait()
    write_run(str(tmp_path), NAME, _files(1), {})
    assert _hidden(tmp_path) == []
