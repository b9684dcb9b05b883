"""NaN stat removal before output, and the dry-run cost metric."""

from __future__ import annotations

import logging

import pytest

from helm_lite.adaptation.adapter_spec import AdapterSpec
from helm_lite.adaptation.request_state import RequestState, ScenarioState
from helm_lite.common.request import Request
from helm_lite.metrics.base import MetricService, PerInstanceStats
from helm_lite.metrics.dry_run import DryRunMetric
from helm_lite.metrics.stat_output import remove_nan_per_instance_stats, remove_nan_stats
from helm_lite.metrics.statistic import MetricName, Stat
from helm_lite.scenarios.base import Input, Instance

SERVICE = MetricService(count_tokens=lambda text: len(text.split()))


def test_remove_nan_stats_warns(caplog: pytest.LogCaptureFixture) -> None:
    good, empty = Stat(MetricName("a")).add(1.0), Stat(MetricName("b"))
    bad = Stat(MetricName("ece_10_bin", split="test")).add(float("nan"))
    with caplog.at_level(logging.WARNING):
        assert remove_nan_stats([good, bad, empty]) == [good, empty]
    assert "Removing stat ece_10_bin because its value is NaN" in caplog.text


def test_remove_nan_per_instance_stats_keeps_rows() -> None:
    bad = Stat(MetricName("x")).add(float("nan"))
    good = Stat(MetricName("x")).add(1)
    rows = [PerInstanceStats("id0", None, 0, [bad]), PerInstanceStats("id1", None, 0, [good])]
    cleaned = remove_nan_per_instance_stats(rows)
    assert [len(r.stats) for r in cleaned] == [0, 1] and [r.instance_id for r in cleaned] == ["id0", "id1"]


def _state(inst: Instance, deployment: str, trial: int = 0, echo: bool = False) -> RequestState:
    request = Request(
        model_deployment=deployment, prompt="one two three", num_completions=2, max_tokens=5, echo_prompt=echo
    )
    return RequestState(inst, None, None, trial, None, request, None, 0, False)


def test_dry_run_metric_sums_without_context() -> None:
    i0 = Instance(Input("x"), [], split="test", id="id0")
    i1 = Instance(Input("y"), [], split="valid", id="id1")
    states = [_state(i0, "openai/a"), _state(i1, "openai/a", echo=True), _state(i1, "huggingface/b", 1)]
    result = DryRunMetric().evaluate(ScenarioState(AdapterSpec(), states), SERVICE)
    totals = {s.name: s for s in result.aggregated_stats}
    assert [n.name for n in totals] == [
        "estimated_num_tokens_cost",
        "num_completions",
        "max_num_completion_tokens",
        "num_prompt_tokens",
        "num_requests",
    ]
    assert all(n.split is None for n in totals)
    assert totals[MetricName("estimated_num_tokens_cost")].sum == (3 + 10) + (3 + 10 + 3) + 0
    assert totals[MetricName("max_num_completion_tokens")].sum == 30
    assert totals[MetricName("num_prompt_tokens")].sum == 9
    req = totals[MetricName("num_requests")]
    assert (req.count, req.sum) == (1, 3)
    assert [(r.instance_id, r.train_trial_index) for r in result.per_instance_stats] == [
        ("id0", 0),
        ("id1", 0),
        ("id1", 1),
    ]
