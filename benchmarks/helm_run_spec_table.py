"""Write the table of HELM's run specs by support status into docs/migrating-from-helm.md.

    .venv/bin/python benchmarks/helm_run_spec_table.py [--run-entries DIR] [--check]

Counts the entries of HELM's `run_entries*.conf` files (default: ../shared/data/helm_formats/
run_entries) per run-spec name and marks each name implemented or not, as `helm-run` decides it.
`--check` only compares and exits 1 when the page is out of date.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from helm_lite.run_entries.helm_support import read_entries, replace_table, support_table

REPO = Path(__file__).resolve().parent.parent
PAGE = REPO / "docs" / "migrating-from-helm.md"
DEFAULT_DIR = REPO.parent / "shared" / "data" / "helm_formats" / "run_entries"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--run-entries", type=Path, default=DEFAULT_DIR, metavar="DIR")
    parser.add_argument("--check", action="store_true", help="exit 1 if the page is out of date")
    args = parser.parse_args()
    paths = sorted(args.run_entries.glob("run_entries*.conf"))
    if not paths:
        print(f"no run_entries*.conf files in {args.run_entries}", file=sys.stderr)
        return 2
    page = PAGE.read_text(encoding="utf-8")
    updated = replace_table(page, support_table(read_entries(paths)))
    if args.check:
        return 0 if updated == page else 1
    PAGE.write_text(updated, encoding="utf-8")
    print(f"wrote the table for {len(paths)} files into {PAGE}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
