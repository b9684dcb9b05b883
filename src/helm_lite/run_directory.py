"""The run directory, `<output>/runs/<suite>/<run>/`: its files, how it is written, when it is complete.

It holds HELM's five files plus `run_info.json`. A run is written whole into a hidden sibling
(`.<run>.tmp-<pid>-<token>/`) and moved into place in one step (`common/atomic_folder`), so the run's
path holds the previous complete run or the new one, never a mix. `run_info.json` is written last and
carries the completion record: the size and sha256 of each of the five files (`outputs`). HELM's
tools ignore it; HELM's own runs, which have none, are read as they are.

The completeness rule that helm-run, helm-summarize and helm-server share:

* incomplete: one of the five files is missing;
* damaged: the record cannot be read, or a file's size (or, when asked, its sha256) is not the one
  recorded: truncated, replaced or half copied;
* complete: otherwise. `recorded` says whether a record vouches for it; `--skip-completed-runs` skips
  only recorded runs whose hashes match, and redoes the others (HELM's, an older helm_lite's, or one
  left by a rewrite that was killed before this layout existed).

Readers check sizes (a few `stat` calls) and parse what they read anyway; hashes are checked before
a run is skipped, where reading the files once is cheap next to redoing the run.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from helm_lite.common.atomic_folder import replace_folder, settle_aside
from helm_lite.common.json_io import dump
from helm_lite.common.temporaries import TMP, remove, remove_leftovers, stem, temporary_name

HELM_FILES = (
    "run_spec.json",
    "scenario.json",
    "scenario_state.json",
    "stats.json",
    "per_instance_stats.json",
)
RUN_INFO_FILE = "run_info.json"
RUN_FILES = (*HELM_FILES, RUN_INFO_FILE)
RECORD_FIELD = "outputs"  # in run_info.json: {file: {"bytes": n, "sha256": hex}} for the five files
# Folders that helm-summarize (or HELM) writes next to the runs; never runs themselves.
NOT_RUNS = frozenset({"eval_cache", "groups", "plots", "releases"})

COMPLETE, INCOMPLETE, DAMAGED = "complete", "incomplete", "damaged"
NO_RECORD = "no completion record in run_info.json (written by HELM, by an older helm_lite, or interrupted)"


# -- listing ---------------------------------------------------------------------------------------
def looks_like_run(path: str, name: str) -> bool:
    """A folder named like a run (every run name has a ':') or holding any run file."""
    return ":" in name or any(os.path.exists(os.path.join(path, f)) for f in RUN_FILES)


def run_names(suite_dir: str) -> list[str]:
    """The suite's run folders, sorted: no hidden names (temporaries), no summary folders."""
    try:
        entries = sorted(os.listdir(suite_dir))
    except OSError:
        return []
    names = []
    for name in entries:
        path = os.path.join(suite_dir, name)
        if name.startswith(".") or name in NOT_RUNS or not os.path.isdir(path):
            continue
        if looks_like_run(path, name):
            names.append(name)
    return names


# -- checking --------------------------------------------------------------------------------------
@dataclass(frozen=True)
class FileRecord:
    bytes: int
    sha256: str


@dataclass(frozen=True)
class RunCheck:
    status: str  # COMPLETE, INCOMPLETE or DAMAGED
    problems: tuple[str, ...] = ()
    recorded: bool = False  # a completion record vouches for the five files

    @property
    def complete(self) -> bool:
        return self.status == COMPLETE

    @property
    def verified(self) -> bool:
        """Complete by its own record: what `--skip-completed-runs` needs to skip a run."""
        return self.complete and self.recorded

    @property
    def reason(self) -> str:
        return "; ".join(self.problems) if self.problems else "" if self.recorded else NO_RECORD


def read_run_info(run_dir: str) -> Any:
    """The parsed run_info.json, None when there is none; ValueError when it is not JSON."""
    try:
        with open(os.path.join(run_dir, RUN_INFO_FILE), encoding="utf-8") as f:
            return json.load(f)
    except FileNotFoundError:
        return None
    except json.JSONDecodeError as e:
        raise ValueError(f"{RUN_INFO_FILE} is not valid JSON ({e.msg} at line {e.lineno})") from None
    except (UnicodeDecodeError, OSError) as e:
        raise ValueError(f"{RUN_INFO_FILE} cannot be read ({e})") from None


def parse_record(run_info: Any) -> dict[str, FileRecord] | None:
    """The completion record in parsed run_info.json data, None without one; ValueError if malformed."""
    outputs = run_info.get(RECORD_FIELD) if isinstance(run_info, dict) else None
    if outputs is None:
        return None
    record = {}
    for name in HELM_FILES:
        entry = outputs.get(name) if isinstance(outputs, dict) else None
        size = entry.get("bytes") if isinstance(entry, dict) else None
        digest = entry.get("sha256") if isinstance(entry, dict) else None
        if type(size) is not int or not isinstance(digest, str):
            raise ValueError(f"{RUN_INFO_FILE} has a malformed completion record (entry for {name})")
        record[name] = FileRecord(size, digest)
    return record


def check_run(
    run_dir: str, *, hashes: bool = False, load_run_info: Callable[[], Any] | None = None
) -> RunCheck:
    """Apply the completeness rule to `run_dir`; `load_run_info` lets a caller read run_info.json
    through its own cache (None for a missing file, ValueError for a bad one)."""
    missing = [f for f in HELM_FILES if not os.path.isfile(os.path.join(run_dir, f))]
    if missing:
        return RunCheck(INCOMPLETE, (f"{', '.join(missing)} missing (incomplete run)",))
    try:
        run_info = load_run_info() if load_run_info is not None else read_run_info(run_dir)
        record = parse_record(run_info)
    except ValueError as e:
        return RunCheck(DAMAGED, (str(e),))
    if record is None:
        return RunCheck(COMPLETE)
    problems = [
        problem
        for name, expected in record.items()
        if (problem := _file_problem(os.path.join(run_dir, name), expected, hashes)) is not None
    ]
    return RunCheck(DAMAGED if problems else COMPLETE, tuple(problems), recorded=True)


def _file_problem(path: str, expected: FileRecord, hashes: bool) -> str | None:
    name = os.path.basename(path)
    try:
        size = os.stat(path).st_size
        if size != expected.bytes:
            return f"{name} has {size} bytes, not the {expected.bytes} written (truncated or changed since)"
        if hashes and _sha256(path) != expected.sha256:
            return f"{name} is not what was written (its sha256 differs from the record)"
    except OSError as e:
        return f"{name} cannot be read ({e.strerror})"
    return None


def _sha256(path: str) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


# -- writing ---------------------------------------------------------------------------------------
def write_run(suite_dir: str, name: str, files: Mapping[str, Any], run_info: Mapping[str, Any]) -> str:
    """Write a whole run (`files`: each of HELM's five names → its data) and move it into place.

    `run_info` is written last, with the completion record added. Returns the run's path.
    """
    if set(files) != set(HELM_FILES):
        raise ValueError(f"a run is written with exactly {', '.join(HELM_FILES)}")
    os.makedirs(suite_dir, exist_ok=True)
    settle_leftovers(suite_dir)
    target = os.path.join(suite_dir, name)
    tmp = _make_temporary_folder(suite_dir, name)
    try:
        record = {f: _write_json(os.path.join(tmp, f), files[f]) for f in HELM_FILES}
        outputs = {f: {"bytes": r.bytes, "sha256": r.sha256} for f, r in record.items()}
        _write_json(os.path.join(tmp, RUN_INFO_FILE), {**run_info, RECORD_FIELD: outputs})
        replace_folder(tmp, target)
    except BaseException:
        remove(tmp)
        raise
    return target


def _make_temporary_folder(suite_dir: str, name: str) -> str:
    while True:
        path = os.path.join(suite_dir, temporary_name(name, TMP))
        try:
            os.mkdir(path)  # 0777 less the umask, like any folder the user makes
            return path
        except FileExistsError:
            continue


def _write_json(path: str, obj: Any) -> FileRecord:
    """HELM-JSON of `obj` into a new file, hashed on the way out (no second read)."""
    digest = hashlib.sha256()
    size = 0
    with open(path, "wb") as f:
        out = f.write
        update = digest.update

        def write(text: str) -> None:
            nonlocal size
            data = text.encode()
            out(data)
            update(data)
            size += len(data)

        dump(obj, write)
    return FileRecord(size, digest.hexdigest())


def settle_leftovers(suite_dir: str) -> None:
    """Remove what dead writers left in the suite folder; put back a run a crash left set aside."""
    for aside in remove_leftovers(suite_dir):
        settle_aside(aside.path, os.path.join(suite_dir, _aside_name(aside.path, aside.stem)), _whole)


def _aside_name(path: str, aside_stem: str) -> str:
    """The run a set-aside folder belongs to: its stem, or the run spec's name when the stem is a
    shortened long name."""
    try:
        with open(os.path.join(path, "run_spec.json"), encoding="utf-8") as f:
            name = json.load(f).get("name")
    except (OSError, ValueError, AttributeError):
        return aside_stem
    return name if isinstance(name, str) and name != aside_stem and stem(name) == aside_stem else aside_stem


def _whole(path: str) -> bool:
    return check_run(path).complete
