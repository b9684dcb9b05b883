"""Reading the judges' verdicts that an annotator stored in `request_state.annotations[<annotator>]`.

A judged metric averages the values of the annotation keys with a given suffix (one per judge,
``None`` for a judge that failed). Where nothing can be read (the run had no annotation stage, or
every judge failed) the instance's stat is left out with one warning per reason and run, instead of
stopping the run: its other stats are still written.
"""

from __future__ import annotations

import logging
from typing import Any

from helm_lite.adaptation.request_state import RequestState

logger = logging.getLogger(__name__)


class JudgeVerdicts:
    """The verdicts `annotator` stored under keys ending in `suffix`, for the stat `stat_name`."""

    def __init__(self, annotator: str, suffix: str, stat_name: str) -> None:
        self.annotator = annotator
        self.suffix = suffix
        self.stat_name = stat_name
        self._warned: set[str] = set()

    def values(self, request_state: RequestState) -> list[Any]:
        """The judges' non-missing values; empty (after a warning) when there are none."""
        instance = request_state.instance.id
        annotation = (request_state.annotations or {}).get(self.annotator)
        if annotation is None:
            self._missing(f"no {self.annotator} annotation (the run has no annotation stage)", instance)
            return []
        if not isinstance(annotation, dict):
            self._missing(f"the {self.annotator} annotation {annotation!r} is not a mapping", instance)
            return []
        values = [v for k, v in annotation.items() if k.endswith(self.suffix) and v is not None]
        if not values:
            self._missing("every judge failed", instance)
        return values

    def _missing(self, reason: str, instance: str | None) -> None:
        if reason not in self._warned:
            self._warned.add(reason)
            logger.warning("%s is missing (first instance: %s): %s", self.stat_name, instance, reason)
