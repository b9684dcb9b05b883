"""Hugging Face tokenizers (``helm.tokenizers.huggingface_tokenizer.HuggingFaceTokenizer`` in HELM).

transformers is imported only when a tokenizer is first used, so registries that merely mention a
Hugging Face tokenizer cost nothing. A loaded tokenizer is shared process-wide (`load_hf_tokenizer`),
so the window service and a local Hugging Face client holding the same model use one object.

Loading never needs the network when it cannot have it: a local folder, or any path while
``HF_HUB_OFFLINE`` is set, is loaded with ``local_files_only=True``; a hub id is tried from the local
Hugging Face cache first and downloaded only if that fails (HELM's order).
"""

from __future__ import annotations

import os
import threading
from typing import Any

from helm_lite.common.errors import UserError
from helm_lite.tokenizers.base import Tokenizer

# HELM (tokenizers/huggingface_tokenizer.py): these convert each token with
# `convert_tokens_to_string`; all others return raw token strings plus `_cleanup_token`.
_CONVERT_TOKENS_TO_STRING_NAMES = ("bigscience/bloom", "Writer/palmyra-base", "facebook/opt-66b")
# HELM (tokenizers/tokenizer.py, cleanup_str): legacy names whose "▁" marks a space.
_SENTENCEPIECE_SPACE_NAMES = (
    "TsinghuaKEG/ice",
    "bigscience/T0pp",
    "google/t5-11b",
    "google/flan-t5-xxl",
    "google/ul2",
    "Yandex/yalm",
    "ai21/j1",
    "together",
)

_TRUE = {"1", "true", "yes", "on"}

_load_lock = threading.Lock()
_loaded: dict[tuple[str, str | None, bool], Any] = {}
_use_locks: dict[int, threading.Lock] = {}


def hf_offline() -> bool:
    """Whether the Hugging Face hub must not be contacted (``HF_HUB_OFFLINE``/``TRANSFORMERS_OFFLINE``)."""
    return any(
        os.environ.get(v, "").strip().lower() in _TRUE for v in ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE")
    )


def resolve_path(name_or_path: str) -> str:
    """Maps helm_lite's bundled model names to their local folders; other strings are unchanged."""
    try:
        from helm_lite.models.bundled import resolve_model_path
    except ModuleNotFoundError as e:  # the bundled-model module is optional
        if e.name not in ("helm_lite.models", "helm_lite.models.bundled"):
            raise
        return name_or_path
    return resolve_model_path(name_or_path)


def _looks_local(path: str) -> bool:
    return os.path.isdir(path) or path.startswith(("/", "./", "../", "~"))


def _first_line(e: BaseException) -> str:
    text = str(e).strip() or type(e).__name__
    return text.splitlines()[0]


def load_hf_tokenizer(
    pretrained_model_name_or_path: str,
    revision: str | None = None,
    use_fast: bool = True,
    trust_remote_code: bool = False,
) -> Any:
    """The process-wide ``transformers`` tokenizer for a model path or hub id (loaded on first call).

    Raises `UserError` naming the path when it cannot be loaded (missing folder, unknown id offline).
    """
    path = resolve_path(pretrained_model_name_or_path)
    key = (path, revision, use_fast)
    with _load_lock:
        if key not in _loaded:
            tokenizer = _load(path, revision=revision, use_fast=use_fast, trust_remote_code=trust_remote_code)
            _loaded[key] = tokenizer
            _use_locks.setdefault(id(tokenizer), threading.Lock())
        return _loaded[key]


def load_text_tokenizer(
    pretrained_model_name_or_path: str,
    revision: str | None = None,
    use_fast: bool = True,
    trust_remote_code: bool = False,
) -> Any:
    """A tokenizer for text work only (encode, decode, chat templates): transformers-free when the
    model folder allows it (`LightHFTokenizer`), else the same object as `load_hf_tokenizer`.

    Generation needs the transformers tokenizer (e.g. for stop strings); counting tokens and rendering
    chat templates on a cached run do not, and skipping the transformers import saves seconds.
    """
    path = resolve_path(pretrained_model_name_or_path)
    if use_fast and revision is None and not trust_remote_code and os.path.isdir(os.path.expanduser(path)):
        key = (path, "light", True)
        with _load_lock:
            if key not in _loaded:
                from helm_lite.tokenizers.light_hf import LightHFTokenizer

                light = LightHFTokenizer.load(path)
                if light is not None:
                    _loaded[key] = light
                    _use_locks.setdefault(id(light), threading.Lock())
            if key in _loaded:
                return _loaded[key]
    return load_hf_tokenizer(path, revision=revision, use_fast=use_fast, trust_remote_code=trust_remote_code)


def hf_tokenizer_lock(hf_tokenizer: Any) -> threading.Lock:
    """A lock to hold while using a shared tokenizer: Rust tokenizers refuse concurrent mutation."""
    with _load_lock:
        return _use_locks.setdefault(id(hf_tokenizer), threading.Lock())


def _load(path: str, revision: str | None, use_fast: bool, trust_remote_code: bool) -> Any:
    try:
        from transformers import AutoTokenizer
    except ImportError as e:
        raise UserError(
            f"Hugging Face tokenizer {path!r} needs the transformers package (pip install transformers)"
        ) from e
    local = _looks_local(path)
    if local and not os.path.isdir(os.path.expanduser(path)):
        raise UserError(f"Hugging Face tokenizer {path!r}: no such directory")
    kwargs: dict[str, Any] = {"use_fast": use_fast, "trust_remote_code": trust_remote_code}
    if revision is not None:
        kwargs["revision"] = revision
    target = os.path.expanduser(path) if local else path
    try:
        # Local files first (a folder, or the hub cache), as HELM does.
        return AutoTokenizer.from_pretrained(target, local_files_only=True, **kwargs)
    except Exception as e:  # transformers raises OSError, ValueError, EnvironmentError, ...
        if local or hf_offline():
            where = "offline (HF_HUB_OFFLINE is set)" if not local else "from the local folder"
            raise UserError(
                f"Hugging Face tokenizer {path!r} cannot be loaded {where}: {_first_line(e)}"
            ) from e
    try:
        return AutoTokenizer.from_pretrained(target, **kwargs)
    except Exception as e:
        raise UserError(f"Hugging Face tokenizer {path!r} cannot be loaded: {_first_line(e)}") from e


class HuggingFaceTokenizer(Tokenizer):
    """A ``transformers`` tokenizer; token strings follow HELM's per-name rules.

    HELM lets tokenizer configs omit ``pretrained_model_name_or_path`` (the tokenizer name is then
    the hub id), so it is optional here too.
    """

    def __init__(
        self,
        pretrained_model_name_or_path: str | None = None,
        tokenizer_name: str = "",
        use_fast: bool = True,
        trust_remote_code: bool = False,
        revision: str | None = None,
    ) -> None:
        path = pretrained_model_name_or_path or tokenizer_name
        if not path:
            raise UserError("HuggingFaceTokenizer needs pretrained_model_name_or_path or a tokenizer name")
        self.pretrained_model_name_or_path = path
        self.tokenizer_name = tokenizer_name or path
        self.use_fast = use_fast
        self.trust_remote_code = trust_remote_code
        self.revision = revision
        self._hf: Any = None

    @property
    def hf_tokenizer(self) -> Any:
        """The underlying tokenizer (loaded on first use), e.g. for chat templates: a transformers one,
        or its transformers-free equivalent where `load_text_tokenizer` can build one."""
        if self._hf is None:
            self._hf = load_text_tokenizer(
                self.pretrained_model_name_or_path,
                revision=self.revision,
                use_fast=self.use_fast,
                trust_remote_code=self.trust_remote_code,
            )
        return self._hf

    @property
    def lock(self) -> threading.Lock:
        return hf_tokenizer_lock(self.hf_tokenizer)

    def encode(self, text: str) -> list[int]:
        tok = self.hf_tokenizer
        with self.lock:
            return list(tok.encode(text, add_special_tokens=False))

    def decode(self, tokens: list[int]) -> str:
        tok = self.hf_tokenizer
        with self.lock:
            text: str = tok.decode(tokens, clean_up_tokenization_spaces=False)
        return text

    def tokenize(self, text: str) -> list[str]:
        tok = self.hf_tokenizer
        name = self.tokenizer_name
        with self.lock:
            raw = tok.tokenize(text)
            if "gpt" in name or name in _CONVERT_TOKENS_TO_STRING_NAMES:
                return [tok.convert_tokens_to_string([t]) for t in raw]
        strings = [t.decode(errors="ignore") if isinstance(t, bytes) else t for t in raw]
        return [_cleanup_token(t, name) for t in strings]


def _cleanup_token(token: str, tokenizer_name: str) -> str:
    """HELM's space-marker clean-up (``cleanup_str``), keyed on the tokenizer *name*."""
    if tokenizer_name in _SENTENCEPIECE_SPACE_NAMES:
        return token.replace("▁", " ")
    if tokenizer_name.startswith("huggingface") or tokenizer_name.endswith("gpt2"):
        return token.replace("Ġ", " ")
    return token
