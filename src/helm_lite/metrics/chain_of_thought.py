"""`chain_of_thought_correctness`: HELM's score for GPQA and MMLU-Pro answers given after reasoning.

The chosen letter is taken from the answer text by HELM's four patterns, tried in order (the second
one matches the literal text ``[aA]nswer:`` because HELM escapes its brackets; kept for identical
scores), and compared with the letter of the first correct option. For reasoning models the
deployment's thinking section is removed first, as `BasicGenerationMetric` does.
"""

from __future__ import annotations

import re

from helm_lite.adaptation.adapter_spec import AdapterSpec
from helm_lite.adaptation.request_state import RequestState
from helm_lite.metrics.base import Metric, MetricService
from helm_lite.metrics.statistic import MetricName, Stat
from helm_lite.metrics.thinking import strip_thinking

_PATTERNS = tuple(
    re.compile(p)
    for p in (
        r"answer is \(?([A-J])\)?",
        r"\.*\[aA\]nswer:\s*\(?([A-J])\)?",
        r"correct answer is [^A-Za-z]*([A-J])",
        r"correct answer is [^A-Z]*([A-J])",
    )
)


def extract_answer(text: str) -> str | None:
    """The option letter (A-J) the text gives as its answer, or None."""
    for pattern in _PATTERNS:
        match = pattern.search(text)
        if match:
            return match.group(1)
    return None


class ChainOfThoughtMetric(Metric):
    """HELM's `GPQAChainOfThoughtMetric` (used by both GPQA and MMLU-Pro)."""

    def __repr__(self) -> str:
        return "ChainOfThoughtMetric()"

    def evaluate_generation(
        self, adapter_spec: AdapterSpec, request_state: RequestState, metric_service: MetricService
    ) -> list[Stat]:
        instance = request_state.instance
        result = request_state.result
        if result is None or not result.completions:
            raise ValueError(f"chain_of_thought_correctness: instance {instance.id} has no completion")
        text = result.completions[0].text
        if metric_service.thinking is not None:
            text = strip_thinking(text, *metric_service.thinking)[0]
        correct = next((chr(65 + i) for i, r in enumerate(instance.references) if r.is_correct), None)
        if correct is None:
            raise ValueError(f"chain_of_thought_correctness: instance {instance.id} has no correct answer")
        return [
            Stat(MetricName("chain_of_thought_correctness")).add(1 if extract_answer(text) == correct else 0)
        ]
