"""The judges' prompt templates, shipped as files so that their bytes (trailing spaces included) stay
exactly those the benchmarks' authors wrote."""

from __future__ import annotations

import functools
from importlib.resources import files


@functools.cache
def template(name: str) -> str:
    """The text of `templates/<name>`, read once per process."""
    return files("helm_lite.judges").joinpath("templates").joinpath(name).read_text(encoding="utf-8")
