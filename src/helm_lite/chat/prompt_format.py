"""Aviary/RayLLM-style prompt formats: how a list of chat messages becomes one prompt string.

A deployment that serves a chat model through a plain completion interface (llama.cpp, a raw HF
model without a chat template, ...) needs the conversation rendered with the model's own markers.
RayLLM's model registry describes that with five templates and three flags; the same YAML block
(``prompt_format:``) works here unchanged. The rendering follows RayLLM's ``generate_prompt``:

* at most one system message, wherever it is, is moved to the front; without one the
  ``default_system_message`` is used;
* an empty system message is left out unless ``add_system_tags_even_if_message_is_empty``;
* with ``system_in_user`` the formatted system message fills the ``{system}`` slot of the FIRST user
  message instead of standing on its own (later user messages get an empty slot);
* with ``strip_whitespace`` every message's content is stripped before formatting;
* the formatted messages are concatenated and ``trailing_assistant`` is appended.

One deliberate difference: RayLLM inserts the system tags into the user message even for an
explicitly empty system message when ``system_in_user``; here the "empty is left out" rule applies
in both layouts, and the system content is stripped like every other message.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields
from typing import Any

from helm_lite.common.errors import UserError

ROLES = ("system", "user", "assistant")


@dataclass(frozen=True)
class PromptFormat:
    """Templates use ``{instruction}`` for the message text and (user only) ``{system}``."""

    system: str = "{instruction}"
    user: str = "{instruction}"
    assistant: str = "{instruction}"
    trailing_assistant: str = ""
    default_system_message: str = ""
    system_in_user: bool = False
    add_system_tags_even_if_message_is_empty: bool = False
    strip_whitespace: bool = True

    def __post_init__(self) -> None:
        for name in ("system", "user", "assistant", "trailing_assistant", "default_system_message"):
            if not isinstance(getattr(self, name), str):
                raise UserError(f"prompt_format.{name} must be a string")
        for name in ("system_in_user", "add_system_tags_even_if_message_is_empty", "strip_whitespace"):
            if not isinstance(getattr(self, name), bool):
                raise UserError(f"prompt_format.{name} must be true or false")
        for name in ("system", "user", "assistant"):
            template = getattr(self, name)
            if "{instruction}" not in template:
                raise UserError(f"prompt_format.{name} must contain '{{instruction}}', got {template!r}")
        if self.system_in_user and "{system}" not in self.user:
            raise UserError("prompt_format.user must contain '{system}' when system_in_user is true")
        # Catch stray braces now rather than on the first request (templates use str.format, as in
        # RayLLM, so a literal brace is written "{{" or "}}").
        for name in ("system", "user", "assistant"):
            try:
                getattr(self, name).format(instruction="", system="")
            except (KeyError, IndexError, ValueError) as e:
                raise UserError(f"prompt_format.{name} is not a valid template ({e!r})") from e

    @classmethod
    def from_dict(cls, d: Mapping[str, Any], where: str) -> PromptFormat:
        """Build from a registry YAML block; `where` names the file/entry for error messages."""
        if not isinstance(d, Mapping):
            raise UserError(f"{where}: prompt_format must be a mapping, got {type(d).__name__}")
        known = {f.name for f in fields(cls)}
        unknown = sorted(str(k) for k in d if k not in known)
        if unknown:
            raise UserError(
                f"{where}: unknown prompt_format field(s) {', '.join(unknown)} "
                f"(known: {', '.join(sorted(known))})"
            )
        try:
            return cls(**{str(k): v for k, v in d.items()})
        except UserError as e:
            raise UserError(f"{where}: {e}") from e

    def render(self, messages: list[dict[str, str]]) -> str:
        """The prompt for `messages` (dicts with ``role`` and ``content``), ready for completion."""
        system_content: str | None = None
        conversation: list[tuple[str, str]] = []
        for i, message in enumerate(messages):
            role, content = message.get("role"), message.get("content")
            if role not in ROLES:
                raise UserError(f"chat message {i}: role must be one of {', '.join(ROLES)}, got {role!r}")
            if not isinstance(content, str):
                raise UserError(f"chat message {i}: content must be a string")
            if role == "system":
                if system_content is not None:
                    raise UserError("only one system message can be given")
                system_content = content
            else:
                conversation.append((role, content))

        if system_content is None:
            system_content = self.default_system_message
        system_content = self._clean(system_content)
        system_text = (
            self.system.format(instruction=system_content)
            if system_content or self.add_system_tags_even_if_message_is_empty
            else ""
        )

        parts: list[str] = []
        if not self.system_in_user:
            parts.append(system_text)
        pending_system = system_text  # consumed by the first user message when system_in_user
        for role, content in conversation:
            content = self._clean(content)
            if role == "user":
                if self.system_in_user:
                    parts.append(self.user.format(instruction=content, system=pending_system))
                    pending_system = ""
                else:
                    parts.append(self.user.format(instruction=content, system=""))
            else:
                parts.append(self.assistant.format(instruction=content, system=""))
        parts.append(self.trailing_assistant)
        return "".join(parts)

    def _clean(self, content: str) -> str:
        return content.strip() if self.strip_whitespace else content
