"""DryRunMetric: what a run would cost, computed from the requests alone (no model answers).

Per request state (not per instance, and without split context) it records the estimated token
cost, completions, maximum completion tokens and prompt tokens; aggregates are plain sums plus
`num_requests`, as in HELM's `--dry-run`.
"""

from __future__ import annotations

from collections.abc import Callable

from helm_lite.adaptation.request_state import ScenarioState
from helm_lite.common.request import Request
from helm_lite.metrics.base import MetricInterface, MetricResult, MetricService, PerInstanceStats
from helm_lite.metrics.statistic import MetricName, Stat, merge_stat

# Token-cost estimators keyed by the deployment's host organisation; others are free (0).
TokenCostEstimator = Callable[[Request, int], int]  # (request, num_prompt_tokens) -> tokens


def _openai_cost(request: Request, num_prompt_tokens: int) -> int:
    # The prompt is billed too, and a second time when it is echoed back.
    total = num_prompt_tokens + request.num_completions * request.max_tokens
    return total + num_prompt_tokens if request.echo_prompt else total


def _completion_only_cost(request: Request, num_prompt_tokens: int) -> int:
    return request.num_completions * request.max_tokens


def _gooseai_cost(request: Request, num_prompt_tokens: int) -> int:
    # GooseAI's base price includes the first 25 tokens.
    total = request.num_completions * request.max_tokens
    if request.echo_prompt:
        total += num_prompt_tokens
    return max(total - 25, 0)


TOKEN_COST_ESTIMATORS: dict[str, TokenCostEstimator] = {
    "openai": _openai_cost,
    "ai21": _completion_only_cost,
    "cohere": _completion_only_cost,
    "gooseai": _gooseai_cost,
}


def estimate_tokens(request: Request, num_prompt_tokens: int) -> int:
    estimator = TOKEN_COST_ESTIMATORS.get(request.model_host)
    return 0 if estimator is None else estimator(request, num_prompt_tokens)


_COST = MetricName("estimated_num_tokens_cost")
_NUM_COMPLETIONS = MetricName("num_completions")
_MAX_COMPLETION_TOKENS = MetricName("max_num_completion_tokens")
_NUM_PROMPT_TOKENS = MetricName("num_prompt_tokens")


class DryRunMetric(MetricInterface):
    """Sums of per-request cost estimates; the only metric of a `--dry-run`."""

    def __repr__(self) -> str:
        return "DryRunMetric"

    def evaluate(self, scenario_state: ScenarioState, metric_service: MetricService) -> MetricResult:
        rows: list[PerInstanceStats] = []
        totals: dict[MetricName, Stat] = {}
        for rs in scenario_state.request_states:
            request = rs.request
            num_prompt_tokens = metric_service.count_tokens(request.prompt)
            max_completion_tokens = request.num_completions * request.max_tokens
            stats = [
                Stat(_COST).add(estimate_tokens(request, num_prompt_tokens)),
                Stat(_NUM_COMPLETIONS).add(request.num_completions),
                Stat(_MAX_COMPLETION_TOKENS).add(max_completion_tokens),
                Stat(_NUM_PROMPT_TOKENS).add(num_prompt_tokens),
            ]
            for stat in stats:
                merge_stat(totals, stat)
            inst = rs.instance
            rows.append(PerInstanceStats(str(inst.id), inst.perturbation, rs.train_trial_index, stats))
        merge_stat(totals, Stat(MetricName("num_requests")).add(len(scenario_state.request_states)))
        return MetricResult(list(totals.values()), rows)
