"""The MATH "partial train split" warning comes once per helm-run, not once per subject and level."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from data_mirror import MIRROR


@pytest.mark.skipif(not MIRROR.is_dir(), reason="shared data mirror not present")
def test_partial_train_split_warning_is_printed_once(tmp_path: Path) -> None:
    subjects = ("algebra", "geometry", "number_theory")
    entries = [
        f"math:subject={s},level={level},use_chain_of_thought=True,model=simple/model1"
        for s in subjects
        for level in (1, 2)
    ]
    proc = subprocess.run(
        [sys.executable, "-m", "helm_lite.cli.run", "--no-progress", "-r", *entries, "-m", "1"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "HELM_LITE_DATA_MIRROR": str(MIRROR)},
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr.count("Wrote benchmark_output/runs/default/math:") == 6
    assert proc.stderr.count("a partial train split") == 1
