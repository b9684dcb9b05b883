"""WildBench's scores (HELM's `WildBenchScoreMetric`): the judges' mean rating from 1 to 10 as
`wildbench_score`, and `wildbench_score_rescaled = (score - 1) / 9`, from 0 to 1."""

from __future__ import annotations

from helm_lite.adaptation.adapter_spec import AdapterSpec
from helm_lite.adaptation.request_state import RequestState
from helm_lite.metrics.base import Metric, MetricService
from helm_lite.metrics.judge_annotations import JudgeVerdicts
from helm_lite.metrics.statistic import MetricName, Stat


class WildBenchScoreMetric(Metric):
    def __init__(self) -> None:
        self._verdicts = JudgeVerdicts("wildbench", "_score", "wildbench_score")

    def __repr__(self) -> str:
        return "WildBenchScoreMetric()"

    def evaluate_generation(
        self, adapter_spec: AdapterSpec, request_state: RequestState, metric_service: MetricService
    ) -> list[Stat]:
        scores = [float(v) for v in self._verdicts.values(request_state)]
        if not scores:
            return []
        score = sum(scores) / len(scores)
        return [
            Stat(MetricName("wildbench_score")).add(score),
            Stat(MetricName("wildbench_score_rescaled")).add((score - 1) / 9),
        ]
