"""Local HuggingFace models: the client and its two engines (`fast`, `reference`)."""

from helm_lite.clients.huggingface.client import HuggingFaceClient
from helm_lite.clients.huggingface.loading import pick_device, pick_dtype

__all__ = ["HuggingFaceClient", "pick_device", "pick_dtype"]
