"""Which of HELM's run specs helm_lite implements, counted over HELM's run-entry files.

`docs/migrating-from-helm.md` carries the table this makes (written by
`benchmarks/helm_run_spec_table.py`); a test regenerates it from HELM's files and compares, so the
page cannot drift from what `helm-run` does.
"""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass

from helm_lite.run_entries.conf import RunEntry, read_conf_file
from helm_lite.run_entries.description import parse_description
from helm_lite.run_specs.helm_names import HELM_RUN_SPEC_NAMES
from helm_lite.run_specs.registry import RUN_SPECS

TABLE_START = "<!-- run-spec-support:start (benchmarks/helm_run_spec_table.py writes this table) -->"
TABLE_END = "<!-- run-spec-support:end -->"


@dataclass(frozen=True)
class Support:
    name: str
    implemented: bool
    entries: int  # entries naming it in the files counted


def read_entries(conf_paths: Iterable[str | os.PathLike[str]]) -> list[list[RunEntry]]:
    """The entries of each file, in order."""
    return [read_conf_file(path) for path in conf_paths]


def run_spec_support(files: list[list[RunEntry]]) -> list[Support]:
    """Every HELM run-spec name (and any other name the files use), implemented ones first."""
    counts = Counter(parse_description(entry.description).name for entries in files for entry in entries)
    names = HELM_RUN_SPEC_NAMES | set(counts)
    rows = [Support(n, n in RUN_SPECS, counts[n]) for n in names]
    return sorted(rows, key=lambda s: (not s.implemented, s.name))


def support_table(files: list[list[RunEntry]]) -> str:
    """The Markdown block (markers included) for the migration page; `files` as `read_entries` gives."""
    rows = run_spec_support(files)
    done = [r for r in rows if r.implemented]
    total = sum(r.entries for r in rows)
    covered = sum(r.entries for r in done)
    lines = [
        TABLE_START,
        "",
        f"{len(done)} of {len(rows)} run-spec names implemented; they cover {covered} of the {total} "
        f"entries in HELM's {len(files)} `run_entries*.conf` files.",
        "",
        "| run spec | status | entries |",
        "|---|---|---:|",
    ]
    lines += [
        f"| `{r.name}` | {'implemented' if r.implemented else 'not implemented'} | {r.entries} |"
        for r in rows
    ]
    lines += ["", TABLE_END]
    return "\n".join(lines)


def replace_table(page: str, table: str) -> str:
    """`page` with the block between the markers replaced by `table` (appended when there is none)."""
    start, end = page.find(TABLE_START), page.find(TABLE_END)
    if start < 0 or end < 0:
        return page.rstrip("\n") + "\n\n" + table + "\n"
    return page[:start] + table + page[end + len(TABLE_END) :]
