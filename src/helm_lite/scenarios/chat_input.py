"""An input that is a conversation (HELM's `Input.messages`), for scenarios whose prompts are chats.

It extends `Input` rather than changing it, so the results of text scenarios keep their exact shape:
`scenario_state.json` shows ``"text": ""`` followed by ``"messages"``, as HELM writes such inputs.
"""

from __future__ import annotations

from dataclasses import dataclass

from helm_lite.scenarios.base import Input


@dataclass(frozen=True)
class ChatInput(Input):
    messages: list[dict[str, str]] | None = None


def messages_of(value: Input) -> list[dict[str, str]] | None:
    """The conversation of an input, or None for a plain text input."""
    return value.messages if isinstance(value, ChatInput) else None
