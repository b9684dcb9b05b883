"""Chat formatting: RayLLM-style prompt formats and Hugging Face chat templates."""

from helm_lite.chat.formatter import (
    ChatFormatter,
    PromptFormatFormatter,
    TokenizerTemplateFormatter,
    make_chat_formatter,
    merge_stop_sequences,
)
from helm_lite.chat.prompt_format import PromptFormat

__all__ = [
    "ChatFormatter",
    "PromptFormat",
    "PromptFormatFormatter",
    "TokenizerTemplateFormatter",
    "make_chat_formatter",
    "merge_stop_sequences",
]
