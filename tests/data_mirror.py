"""Where the tests find the real scenario data: `$HELM_LITE_DATA_MIRROR` first (as helm-run does),
else the shared mirror next to the repository (`../shared/data/scenarios`).

A plain module, not a fixture, because test modules decide at import time whether to skip."""

from __future__ import annotations

import os
from pathlib import Path

DEFAULT_MIRROR = Path(__file__).resolve().parent.parent.parent / "shared" / "data" / "scenarios"


def data_mirror() -> Path:
    configured = os.environ.get("HELM_LITE_DATA_MIRROR")
    return Path(configured) if configured else DEFAULT_MIRROR


MIRROR = data_mirror()
