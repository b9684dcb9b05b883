"""RequestState / ScenarioState: what the adapter built and what the model answered, per request."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

from helm_lite.adaptation.adapter_spec import AdapterSpec
from helm_lite.common.request import Request, RequestResult
from helm_lite.scenarios.base import Instance


@dataclass(frozen=True)
class RequestState:
    """Key order matches HELM's `scenario_state.json`."""

    instance: Instance
    reference_index: int | None
    request_mode: str | None
    train_trial_index: int
    output_mapping: dict[str, str] | None
    request: Request
    result: RequestResult | None
    num_train_instances: int
    prompt_truncated: bool
    num_conditioning_tokens: int = 0
    annotations: dict[str, Any] | None = None

    def with_result(self, result: RequestResult) -> RequestState:
        return replace(self, result=result)


@dataclass(frozen=True)
class ScenarioState:
    adapter_spec: AdapterSpec
    request_states: list[RequestState] = field(default_factory=list)
