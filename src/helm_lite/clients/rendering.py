"""The prompt-rendering stage every text client shares: chat format and stop sequences.

A deployment may wrap prompts in a chat format (``prompt_format`` or ``chat_template``) and add its
own ``stop_sequences``. `PromptRenderer` is built once per client from the deployment and turns each
request into a `RenderedPrompt`, which is what the client puts in its raw request (the cache key), so
a change of format or stops never reuses stale answers. The formatter is built on first need, since it
may load a tokenizer: runs made only of scoring requests never do.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from helm_lite.chat.formatter import ChatFormatter, merge_stop_sequences
from helm_lite.common.request import Request

if TYPE_CHECKING:
    from helm_lite.registry.schema import ModelDeployment

T = TypeVar("T")


class Once(Generic[T]):
    """A value built by its first `get`, exactly once even when threads race."""

    def __init__(self, build: Callable[[], T]) -> None:
        self._build: Callable[[], T] | None = build
        self._value: Any = None
        self._lock = threading.Lock()

    def get(self) -> T:
        with self._lock:
            if self._build is not None:
                self._value, self._build = self._build(), None
            value: T = self._value
            return value


@dataclass(frozen=True)
class RenderedPrompt:
    """What a model is asked: the prompt text, or the request's own conversation for a chat API,
    and the stops (the request's first, then the deployment's)."""

    text: str
    stop_sequences: list[str]
    messages: list[dict[str, str]] | None = None

    @property
    def conversation(self) -> list[dict[str, str]]:
        """The messages for a chat API: the request's own, else the prompt as one user message."""
        return self.messages or [{"role": "user", "content": self.text}]


def _no_formatter() -> ChatFormatter | None:
    return None


@dataclass(frozen=True)
class PromptRenderer:
    """A deployment's chat format and extra stops, applied the same way by every client."""

    extra_stops: tuple[str, ...] = ()
    formatter: Once[ChatFormatter | None] = field(default_factory=lambda: Once(_no_formatter))

    @classmethod
    def for_deployment(
        cls,
        deployment: ModelDeployment | None,
        build_formatter: Callable[[], ChatFormatter | None] = _no_formatter,
    ) -> PromptRenderer:
        """`build_formatter` runs at the first request that needs the format (never for scoring)."""
        stops = tuple(deployment.stop_sequences) if deployment is not None else ()
        return cls(extra_stops=stops, formatter=Once(build_formatter))

    def format(self, prompt: str) -> str:
        """`prompt` in the deployment's chat format (unchanged without one)."""
        formatter = self.formatter.get()
        return formatter.format_prompt(prompt) if formatter is not None else prompt

    def render(self, request: Request) -> RenderedPrompt:
        # Scoring requests (echo) measure the text itself, so they are never chat-formatted. A
        # conversation (chat adapters: WildBench) is rendered whole by the deployment's chat format,
        # so local engines see every turn; chat APIs send `messages` themselves.
        formatter = None if request.echo_prompt else self.formatter.get()
        if formatter is None:
            text = request.prompt
        elif request.messages:
            text = formatter.format_messages(list(request.messages))
        else:
            text = formatter.format_prompt(request.prompt)
        stops = merge_stop_sequences(list(request.stop_sequences), list(self.extra_stops))
        return RenderedPrompt(text, stops, request.messages)
