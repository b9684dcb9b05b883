"""Chat formatting stage: turns an adapter's plain prompt into what a chat model expects.

HELM's adapters produce one prompt string. A chat model served through a completion interface must
see that string wrapped in its conversation markers; a deployment says how, with either
``prompt_format:`` (RayLLM-style templates, see `prompt_format.py`) or ``chat_template: tokenizer``
(the Jinja chat template shipped with the model's Hugging Face tokenizer). Clients build the
formatter once, inside their `helm_lite.clients.rendering.PromptRenderer`, which formats each request's
prompt; the formatted text is what enters the cache key, so changing the format never reuses stale
answers.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable
from typing import Any

from helm_lite.chat.prompt_format import PromptFormat
from helm_lite.common.errors import UserError
from helm_lite.registry.schema import ModelDeployment

#: The only `chat_template` value understood so far: use the HF tokenizer's own template.
TOKENIZER_CHAT_TEMPLATE = "tokenizer"


class ChatFormatter(ABC):
    """Renders a conversation (or a plain prompt, as one user message) into the model's prompt."""

    @abstractmethod
    def format_messages(self, messages: list[dict[str, str]]) -> str:
        """The prompt for `messages`, ending where the assistant's answer starts."""

    def format_prompt(self, prompt: str) -> str:
        return self.format_messages([{"role": "user", "content": prompt}])


class PromptFormatFormatter(ChatFormatter):
    def __init__(self, prompt_format: PromptFormat) -> None:
        self.prompt_format = prompt_format

    def format_messages(self, messages: list[dict[str, str]]) -> str:
        return self.prompt_format.render(messages)


class TokenizerTemplateFormatter(ChatFormatter):
    """Uses ``apply_chat_template`` of a Hugging Face tokenizer, with the generation prompt added."""

    def __init__(self, hf_tokenizer: Any, name: str = "") -> None:
        if not getattr(hf_tokenizer, "chat_template", None):
            what = name or getattr(hf_tokenizer, "name_or_path", "") or "the tokenizer"
            raise UserError(f"chat_template: tokenizer is set, but {what} has no chat template")
        self.hf_tokenizer = hf_tokenizer

    def format_messages(self, messages: list[dict[str, str]]) -> str:
        text = self.hf_tokenizer.apply_chat_template(messages, tokenize=False, add_generation_prompt=True)
        if not isinstance(text, str):  # some versions return a list when given a batch
            raise TypeError(f"apply_chat_template returned {type(text).__name__}, expected str")
        return text


def make_chat_formatter(
    deployment: ModelDeployment, load_hf_tokenizer: Callable[[], Any]
) -> ChatFormatter | None:
    """The formatter a deployment asks for, or None for plain completion (no chat formatting).

    `load_hf_tokenizer` is only called for ``chat_template: tokenizer``, so deployments that do not
    need a Hugging Face tokenizer never import transformers.
    """
    where = f"model deployment {deployment.name}"
    if deployment.prompt_format is not None and deployment.chat_template is not None:
        raise UserError(f"{where}: set either prompt_format or chat_template, not both")
    if deployment.prompt_format is not None:
        return PromptFormatFormatter(PromptFormat.from_dict(deployment.prompt_format, where))
    if deployment.chat_template is not None:
        if deployment.chat_template != TOKENIZER_CHAT_TEMPLATE:
            raise UserError(
                f"{where}: chat_template must be {TOKENIZER_CHAT_TEMPLATE!r} "
                f"(use the tokenizer's template), got {deployment.chat_template!r}"
            )
        return TokenizerTemplateFormatter(load_hf_tokenizer(), name=deployment.tokenizer_name or "")
    return None


def merge_stop_sequences(request_stops: list[str], deployment_stops: list[str]) -> list[str]:
    """The request's stops, then the deployment's, without duplicates (first occurrence kept).

    Order matters: HELM's post-hoc truncation tries stops in order, so the request's own come first.
    """
    return list(dict.fromkeys([*request_stops, *deployment_stops]))
