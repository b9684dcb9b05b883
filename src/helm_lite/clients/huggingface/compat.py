"""Whether the installed transformers is one the fast engine is tested with.

The fast engine reaches into transformers: its cache layers (`cache_utils.DynamicLayer`,
`DynamicCache.layers`), the attention and mask registries, SDPA's attention function, the
`logits_to_keep` forward argument and the import check of scikit-learn. Those are not public API and
change between minor releases, so outside the tested range (or when one of them is missing) the
client runs the reference engine instead, with one warning line naming the version.

`HELM_LITE_TRANSFORMERS_VERSION` makes the check see another version (the tests use it to exercise
the fallback with the real library installed); nothing else reads it.
"""

from __future__ import annotations

import functools
import importlib
import importlib.metadata
import importlib.util
import logging
import os
import re

logger = logging.getLogger(__name__)

VERSION_ENV = "HELM_LITE_TRANSFORMERS_VERSION"
# [lowest, first untested) as (major, minor); pyproject.toml pins the same range.
TESTED_RANGE = ((5, 0), (5, 20))

# module → names the fast engine uses from it
_INTERNALS: dict[str, tuple[str, ...]] = {
    "transformers": ("AttentionInterface", "DynamicCache", "GenerationConfig"),
    "transformers.cache_utils": ("DynamicLayer",),
    "transformers.masking_utils": ("AttentionMaskInterface", "sdpa_mask"),
    "transformers.integrations.sdpa_attention": ("sdpa_attention_forward",),
    "transformers.utils.import_utils": ("is_sklearn_available",),
}
_NOT_IMPORTED = ("transformers.generation.candidate_generator",)  # importing it pulls scikit-learn in


def installed_version() -> str | None:
    """transformers' version as installed (or as `HELM_LITE_TRANSFORMERS_VERSION` says); None when
    it is not installed. Reads package metadata only: transformers is not imported."""
    override = os.environ.get(VERSION_ENV)
    if override:
        return override
    try:
        return importlib.metadata.version("transformers")
    except importlib.metadata.PackageNotFoundError:
        return None


def tested_range() -> str:
    (lo_major, lo_minor), (hi_major, hi_minor) = TESTED_RANGE
    return f">={lo_major}.{lo_minor},<{hi_major}.{hi_minor}"


def untested_version(version: str | None) -> str | None:
    """Why the fast engine cannot be trusted with transformers `version` (None: it is tested, or
    transformers is not installed, where answers can only come from the cache and keep their keys)."""
    if version is None:
        return None
    match = re.match(r"(\d+)\.(\d+)", version)
    if match is None:
        return f"transformers version {version!r} cannot be read"
    release = (int(match[1]), int(match[2]))
    if TESTED_RANGE[0] <= release < TESTED_RANGE[1]:
        return None
    return f"transformers {version} is outside the tested range {tested_range()}"


def missing_internals() -> list[str]:
    """The transformers internals the fast engine needs that this installation lacks (imports
    transformers: call it only when a model is about to be loaded)."""
    missing = []
    for module_name, names in _INTERNALS.items():
        try:
            module = importlib.import_module(module_name)
        except ImportError:
            missing.append(module_name)
            continue
        missing += [f"{module_name}.{n}" for n in names if not hasattr(module, n)]
    return missing + [m for m in _NOT_IMPORTED if importlib.util.find_spec(m) is None]


@functools.cache
def warn_fallback(reason: str) -> None:
    """One warning line per reason and process."""
    logger.warning("%s: the HuggingFace client uses engine=reference (plain transformers)", reason)
