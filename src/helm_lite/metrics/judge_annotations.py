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
    """The verdicts `annotator` stored under keys ending in `suffix`, for the stat `stat_name`.

    `annotator=None` reads the request state's only annotation, whatever its name (HELM's safety
    metric reads the one annotator each safety run has)."""

    def __init__(self, annotator: str | None, suffix: str, stat_name: str) -> None:
        self.annotator = annotator
        self.suffix = suffix
        self.stat_name = stat_name
        self._warned: set[str] = set()

    def values(self, request_state: RequestState) -> list[Any]:
        """The judges' non-missing values; empty (after a warning) when there are none."""
        annotation = self.annotation(request_state)
        if annotation is None:
            return []
        values = [v for k, v in annotation.items() if k.endswith(self.suffix) and v is not None]
        if not values:
            self.missing("every judge failed", request_state)
        return values

    def annotation(self, request_state: RequestState) -> dict[str, Any] | None:
        """The annotation to read; None (after a warning) when there is no usable one."""
        annotations = request_state.annotations or {}
        if self.annotator is None:
            if not annotations:
                reason = "no judge annotated the responses (the run has no annotation stage)"
                self.missing(reason, request_state)
                return None
            if len(annotations) != 1:
                self.missing(f"expected one annotator, got {sorted(annotations)}", request_state)
                return None
            name, annotation = next(iter(annotations.items()))
        else:
            name, annotation = self.annotator, annotations.get(self.annotator)
            if annotation is None:
                self.missing(f"no {name} annotation (the run has no annotation stage)", request_state)
                return None
        if not isinstance(annotation, dict):
            self.missing(f"the {name} annotation {annotation!r} is not a mapping", request_state)
            return None
        return annotation

    def missing(self, reason: str, request_state: RequestState) -> None:
        """One warning per distinct reason and run: thousands of instances share one cause."""
        self._missing(reason, request_state.instance.id)

    def _missing(self, reason: str, instance: str | None) -> None:
        if reason not in self._warned:
            self._warned.add(reason)
            logger.warning("%s is missing (first instance: %s): %s", self.stat_name, instance, reason)
