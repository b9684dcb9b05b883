"""The OpenAI-style clients' settings: a deployment's ``client_spec.args``, one dataclass per client."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class OpenAICompatibleSettings:
    """``client_spec.args`` of `OpenAICompatibleClient` (and, with their extras, its subclasses')."""

    base_url: str | None = None  # ending in /v1; default: `<host>BaseUrl` in credentials, or the API's own
    model: str | None = None  # the served model's id; default: from the deployment's model name
    api: str | None = None  # "completions" or "chat"; default: per client and model
    api_key: str | None = field(default=None, repr=False)  # default: credentials or environment
    timeout_s: float = 120.0
    retry: Mapping[str, Any] | None = None  # see `RetryPolicy.from_args`
    # Ask for log probabilities; None: as HELM does (completions and Together: yes; OpenAI chat: no),
    # so the cache key is HELM's.
    logprobs: bool | None = None

    @property
    def want_logprobs(self) -> bool | None:
        return self.logprobs


@dataclass(frozen=True)
class OpenAISettings(OpenAICompatibleSettings):
    """``client_spec.args`` of `OpenAIClient`."""

    org_id: str | None = None  # default: `<host>OrgId` in credentials


@dataclass(frozen=True)
class TogetherSettings(OpenAICompatibleSettings):
    """``client_spec.args`` of `TogetherClient`; HELM's ``disable_logprobs`` is accepted."""

    disable_logprobs: bool | None = None

    @property
    def want_logprobs(self) -> bool | None:
        return False if self.disable_logprobs else self.logprobs
