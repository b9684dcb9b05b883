"""Omni-MATH's accuracy (HELM's `OmniMATHMetric`): the fraction of judges that found the answer
equivalent to the reference, as `omni_math_accuracy`."""

from __future__ import annotations

from helm_lite.adaptation.adapter_spec import AdapterSpec
from helm_lite.adaptation.request_state import RequestState
from helm_lite.metrics.base import Metric, MetricService
from helm_lite.metrics.judge_annotations import JudgeVerdicts
from helm_lite.metrics.statistic import MetricName, Stat


class OmniMATHMetric(Metric):
    def __init__(self) -> None:
        self._verdicts = JudgeVerdicts("omni_math", "_equivalence_judgement", "omni_math_accuracy")

    def __repr__(self) -> str:
        return "OmniMATHMetric()"

    def evaluate_generation(
        self, adapter_spec: AdapterSpec, request_state: RequestState, metric_service: MetricService
    ) -> list[Stat]:
        verdicts = [int(v) for v in self._verdicts.values(request_state)]
        if not verdicts:
            return []
        return [Stat(MetricName("omni_math_accuracy")).add(sum(verdicts) / len(verdicts))]
