"""Requests to models and their results, with HELM's field names and JSON key order."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Request:
    """One call to a model. Field order is HELM's JSON key order."""

    model_deployment: str = ""
    model: str = ""
    embedding: bool = False
    prompt: str = ""
    temperature: float = 1.0
    num_completions: int = 1
    top_k_per_token: int = 1
    max_tokens: int = 100
    stop_sequences: list[str] = field(default_factory=list)
    echo_prompt: bool = False
    top_p: float = 1
    presence_penalty: float = 0
    frequency_penalty: float = 0
    random: str | None = None
    messages: list[dict[str, str]] | None = None

    @property
    def model_host(self) -> str:
        return self.model_deployment.split("/")[0]

    @property
    def model_engine(self) -> str:
        parts = self.model.split("/")
        return parts[1] if len(parts) > 1 else parts[0]


@dataclass(frozen=True)
class Token:
    text: str
    logprob: float


@dataclass(frozen=True)
class GeneratedOutput:
    """One completion (HELM called it `Sequence`)."""

    text: str
    logprob: float
    tokens: list[Token]
    finish_reason: dict[str, Any] | None = None


Sequence = GeneratedOutput


@dataclass(frozen=True)
class ErrorFlags:
    is_retriable: bool | None = None
    is_fatal: bool | None = None


@dataclass(frozen=True)
class RequestResult:
    """What a client returns; `cached` says whether the answer came from the request cache."""

    success: bool
    embedding: list[float]
    completions: list[GeneratedOutput]
    cached: bool
    request_time: float | None = None
    request_datetime: int | None = None
    error: str | None = None
    error_flags: ErrorFlags | None = None
    batch_size: int | None = None
    batch_request_time: float | None = None
