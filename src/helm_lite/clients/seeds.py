"""The per-request sampling seed of the local engines (HuggingFace, vLLM).

A seed derived from the cache key makes a sampled answer reproducible, independent of which other
requests share its batch, and different for each HELM trial (the key holds ``random``).
"""

from __future__ import annotations

import hashlib
from collections.abc import Collection, Mapping


def request_seed(raw_request: Mapping[str, object], ignore: Collection[str] = ()) -> int:
    """A 32-bit seed from the raw request's fields, leaving out `ignore` (fields that must not change
    the draw, such as an engine that samples the same way as another)."""
    keyed = sorted((k, v) for k, v in raw_request.items() if k not in ignore)
    digest = hashlib.sha256(repr(keyed).encode()).digest()
    return int.from_bytes(digest[:4], "little")
