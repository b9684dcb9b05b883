"""`IFEvalMetric`: HELM's IFEval score, the fraction of an instance's instructions its answer follows.

HELM records one stat per instance, `ifeval_strict_accuracy` (strict evaluation, the instance's
instructions followed over its instructions), whose run-level value is the mean over instances.
The IFEval paper reports four other numbers; `reference_stats=True` adds them (names of our own):
`ifeval_loose_accuracy` (the same fraction, loosely), `ifeval_{strict,loose}_prompt_accuracy` (1 if
every instruction is followed) and `ifeval_{strict,loose}_instruction_accuracy`, which holds one
value per instruction so that its run-level mean counts every instruction of the run once.
"""

from __future__ import annotations

from typing import Any

from helm_lite.adaptation.adapter_spec import AdapterSpec
from helm_lite.adaptation.request_state import RequestState
from helm_lite.common.errors import UserError
from helm_lite.metrics.base import Metric, MetricService
from helm_lite.metrics.ifeval.evaluation import Followed, build_instructions, evaluate
from helm_lite.metrics.statistic import MetricName, Stat
from helm_lite.metrics.thinking import strip_thinking


class IFEvalMetric(Metric):
    """Scores instances whose `extra_data` holds `instruction_ids` and `instruction_kwargs`."""

    def __init__(self, reference_stats: bool = False) -> None:
        self.reference_stats = reference_stats

    def __repr__(self) -> str:
        return f"IFEvalMetric(reference_stats={self.reference_stats})"

    def evaluate_generation(
        self, adapter_spec: AdapterSpec, request_state: RequestState, metric_service: MetricService
    ) -> list[Stat]:
        instance = request_state.instance
        extra: dict[str, Any] = instance.extra_data or {}
        if "instruction_ids" not in extra or "instruction_kwargs" not in extra:
            raise UserError(f"IFEvalMetric: instance {instance.id} has no instruction_ids/instruction_kwargs")
        if not extra["instruction_ids"]:
            raise UserError(f"IFEvalMetric: instance {instance.id} has no instructions")
        try:
            instructions = build_instructions(extra["instruction_ids"], extra["instruction_kwargs"])
        except (UserError, ValueError) as e:
            raise UserError(f"IFEvalMetric: instance {instance.id}: {e}") from None
        result = request_state.result
        if result is None or len(result.completions) != 1:
            raise ValueError(f"IFEvalMetric: instance {instance.id} needs exactly one completion")
        text = result.completions[0].text
        if metric_service.thinking is not None:
            text = strip_thinking(text, *metric_service.thinking)[0]
        followed = evaluate(instructions, text.strip())
        stats = [Stat(MetricName("ifeval_strict_accuracy")).add(followed.strict_fraction)]
        if self.reference_stats:
            stats.extend(_reference_stats(followed))
        return stats


def _reference_stats(followed: Followed) -> list[Stat]:
    stats = [
        Stat(MetricName("ifeval_loose_accuracy")).add(followed.loose_fraction),
        Stat(MetricName("ifeval_strict_prompt_accuracy")).add(all(followed.strict)),
        Stat(MetricName("ifeval_loose_prompt_accuracy")).add(all(followed.loose)),
    ]
    for mode, values in (("strict", followed.strict), ("loose", followed.loose)):
        stat = Stat(MetricName(f"ifeval_{mode}_instruction_accuracy"))
        for value in values:
            stat.add(value)
        stats.append(stat)
    return stats
