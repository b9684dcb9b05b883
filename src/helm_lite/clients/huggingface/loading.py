"""Device and dtype choice, and one loaded model per (path, device, dtype, engine) per process."""

from __future__ import annotations

import logging
import threading
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from helm_lite.clients.huggingface.engines import Engine

logger = logging.getLogger(__name__)

_MODELS: dict[tuple[str, str, str, str], Any] = {}
_MODELS_LOCK = threading.Lock()


def pick_device(device: str) -> str:
    """`auto` → CUDA when present, else CPU."""
    if device != "auto":
        return device
    import torch

    return "cuda" if torch.cuda.is_available() else "cpu"


def pick_dtype(dtype: str, device: str) -> Any:
    """`auto` → bfloat16 on a GPU that supports it, float32 on CPU (bfloat16 is ~4x slower there)."""
    import torch

    if dtype == "auto":
        if device.startswith("cuda") and torch.cuda.is_bf16_supported():
            return torch.bfloat16
        return torch.float16 if device.startswith("cuda") else torch.float32
    name = dtype.removeprefix("torch.")
    value = getattr(torch, name, None)
    if not isinstance(value, torch.dtype):
        raise ValueError(f"unknown dtype {dtype!r}")
    return value


def load_model(
    path: str, device: str, dtype: Any, trust_remote_code: bool, revision: str | None, engine: Engine
) -> Any:
    """The model as `engine` loads it (engines may load it differently, e.g. their attention),
    in evaluation mode on `device`; loaded once per process."""
    key = (path, device, str(dtype), engine.name)
    with _MODELS_LOCK:
        if key not in _MODELS:
            from transformers.utils import logging as hf_logging

            hf_logging.disable_progress_bar()  # loading takes seconds; our log line says what happens
            logger.info("Loading %s on %s (%s, engine=%s)", path, device, dtype, engine.name)
            kwargs = dict(dtype=dtype, trust_remote_code=trust_remote_code, revision=revision)
            model = engine.load(kwargs, path, device)
            model.to(device)
            _MODELS[key] = model.eval()
        return _MODELS[key]
