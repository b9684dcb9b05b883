"""What a local model *is*, as opposed to what it is called: the key that pins cached answers to it.

A model loaded from the HuggingFace hub cache is its hub revision (the commit hash that
``snapshots/<sha>`` and ``refs/<branch>`` name). Any other folder is a fingerprint: sha256 over the
names, sizes and sha256 of its configuration, tokenizer, chat-template and weight files. So a
checkpoint retrained in place gets a new identity, and answers cached for the old weights are no
longer found.

Hashing gigabytes on every run would cost seconds, so a folder's fingerprint is remembered beside it
(``.helm_lite_identity.json``, or, when the folder is not writable, under
``$XDG_CACHE_HOME/helm_lite/identity/``) together with each file's size and modification time: an
unchanged folder costs one ``stat`` per file, and only files whose size or time changed are hashed
again.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from helm_lite.common.data_reads import sha256_of
from helm_lite.models.bundled import user_cache_dir

logger = logging.getLogger(__name__)

REMEMBERED = ".helm_lite_identity.json"
FORMAT = 1

CONFIG_FILES = frozenset({"config.json", "generation_config.json"})
#: The files that decide how text becomes tokens and how a conversation becomes a prompt.
TOKENIZER_FILES = frozenset(
    {
        "tokenizer.json",
        "tokenizer_config.json",
        "special_tokens_map.json",
        "added_tokens.json",
        "vocab.json",
        "vocab.txt",
        "merges.txt",
        "tokenizer.model",
        "spiece.model",
        "chat_template.jinja",
        "chat_template.json",
    }
)
WEIGHT_SUFFIXES = (".safetensors", ".bin", ".pt", ".pth", ".gguf", ".h5", ".msgpack", ".ckpt")
_SHA = re.compile(r"^[0-9a-f]{40}$")


@dataclass(frozen=True)
class ModelIdentity:
    """`identity`: ``hub:<repo>@<commit>`` or ``sha256:<hex>`` of the files; `tokenizer`: sha256 of the
    tokenizer and chat-template files alone (None when there are none to read)."""

    identity: str
    tokenizer: str | None = None


def model_identity(name_or_path: str, revision: str | None = None) -> ModelIdentity:
    """The identity of the model at `name_or_path` (a folder, or a hub id with optional `revision`)."""
    folder = Path(name_or_path)
    if folder.is_dir():
        return folder_identity(folder)
    return hub_identity(name_or_path, revision)


# -- hub models -------------------------------------------------------------------------------------
def hub_cache_dir() -> Path:
    explicit = os.environ.get("HF_HUB_CACHE") or os.environ.get("HUGGINGFACE_HUB_CACHE")
    if explicit:
        return Path(explicit)
    home = os.environ.get("HF_HOME")
    if home:
        return Path(home) / "hub"
    return user_cache_dir() / "huggingface" / "hub"


def hub_identity(repo: str, revision: str | None = None) -> ModelIdentity:
    """The commit the local hub cache resolves `revision` (default ``main``) to; else, without a
    network call, the revision as given (``unresolved`` when none): the answers are then keyed by name
    until the model is downloaded."""
    root = hub_cache_dir() / f"models--{repo.replace('/', '--')}"
    commit = _cached_commit(root, revision or "main")
    if commit is None:
        return ModelIdentity(f"hub:{repo}@{revision or 'unresolved'}")
    snapshot = root / "snapshots" / commit
    tokenizer = _digest(_hash_files(snapshot, [n for n in _listing(snapshot) if n in TOKENIZER_FILES]))
    return ModelIdentity(f"hub:{repo}@{commit}", tokenizer)


def _cached_commit(root: Path, revision: str) -> str | None:
    if _SHA.match(revision) and (root / "snapshots" / revision).is_dir():
        return revision
    try:
        commit = (root / "refs" / revision).read_text().strip()
    except OSError:
        return None
    return commit if _SHA.match(commit) and (root / "snapshots" / commit).is_dir() else None


# -- local folders ----------------------------------------------------------------------------------
def is_identity_file(name: str) -> bool:
    base = os.path.basename(name)
    return (
        base in CONFIG_FILES
        or base in TOKENIZER_FILES
        or base.endswith(WEIGHT_SUFFIXES)
        or base.endswith(".index.json")  # which shard holds which weight
    )


def _listing(folder: Path) -> list[str]:
    """The folder's identity files, relative and sorted (hidden files and folders are skipped)."""
    out = []
    for dirpath, dirnames, filenames in os.walk(folder):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
        rel = os.path.relpath(dirpath, folder)
        for name in filenames:
            if not name.startswith(".") and is_identity_file(name):
                out.append(name if rel == "." else os.path.join(rel, name))
    return sorted(out)


def _signature(folder: Path, names: list[str]) -> dict[str, list[int]]:
    """Each file's [size, mtime in ns]: what must be unchanged for a remembered hash to be reused."""
    sig = {}
    for name in names:
        st = os.stat(folder / name)
        sig[name] = [st.st_size, st.st_mtime_ns]
    return sig


def _hash_files(folder: Path, names: list[str]) -> dict[str, list[Any]]:
    return {n: [os.stat(folder / n).st_size, sha256_of(folder / n)] for n in names}


def _digest(files: dict[str, list[Any]]) -> str | None:
    if not files:
        return None
    digest = hashlib.sha256()
    for name in sorted(files):
        size, sha = files[name]
        digest.update(f"{name}\0{size}\0{sha}\n".encode())
    return digest.hexdigest()


def remembered_paths(folder: Path) -> tuple[Path, Path]:
    """Beside the model, then in the user's cache (for folders this user cannot write)."""
    key = hashlib.sha256(str(folder.resolve()).encode()).hexdigest()[:32]
    return folder / REMEMBERED, user_cache_dir() / "helm_lite" / "identity" / f"{key}.json"


def _read_remembered(paths: tuple[Path, Path]) -> dict[str, Any]:
    for path in paths:
        try:
            data = json.loads(path.read_text())
        except (OSError, ValueError):
            continue
        if isinstance(data, dict) and data.get("format") == FORMAT and isinstance(data.get("files"), dict):
            return data
    return {}


def _remember(paths: tuple[Path, Path], data: dict[str, Any]) -> None:
    text = json.dumps(data, indent=1, sort_keys=True)
    for path in paths:
        tmp = path.with_name(f".{path.name}.part-{os.getpid()}")
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp.write_text(text)
            os.replace(tmp, path)
            return
        except OSError:
            tmp.unlink(missing_ok=True)
    logger.warning("Could not remember the fingerprint of %s; it will be computed again", paths[0].parent)


def folder_identity(folder: Path) -> ModelIdentity:
    """The fingerprint of a model folder, reusing each file's remembered hash while its size and
    modification time are unchanged."""
    names = _listing(folder)
    signature = _signature(folder, names)
    paths = remembered_paths(folder)
    remembered = _read_remembered(paths)
    old_sig, old_files = remembered.get("signature", {}), remembered.get("files", {})
    if remembered and old_sig == signature:
        files = old_files
    else:
        stale = [n for n in names if old_sig.get(n) != signature[n] or n not in old_files]
        files = {n: old_files[n] for n in names if n not in stale}
        files.update(_hash_files(folder, stale))
        _remember(paths, {"format": FORMAT, "signature": signature, "files": files})
    identity = _digest(files)
    tokenizer = _digest({n: v for n, v in files.items() if os.path.basename(n) in TOKENIZER_FILES})
    return ModelIdentity(f"sha256:{identity or hashlib.sha256(b'').hexdigest()}", tokenizer)
