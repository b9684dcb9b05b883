"""Prompt assembly (instructions, example blocks, eval block) and fitting it into the context window."""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, replace

from helm_lite.adaptation.adapter_spec import AdapterSpec
from helm_lite.window.service import WindowService

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Prompt:
    """The pieces of a prompt; `text` joins them exactly as HELM does."""

    global_prefix: str
    global_suffix: str
    instructions: str
    train_blocks: tuple[str, ...]
    eval_block: str
    instance_prefix: str
    substitutions: tuple[tuple[str, str], ...] = ()
    truncated_text: str | None = None

    @property
    def num_train_instances(self) -> int:
        return len(self.train_blocks)

    @property
    def text(self) -> str:
        if self.truncated_text:
            return self.truncated_text
        blocks = ([self.instructions] if self.instructions else []) + [*self.train_blocks, self.eval_block]
        text = self.instance_prefix.join(blocks)
        if self.global_prefix:
            text = self.global_prefix + text
        if self.global_suffix:
            text = text + self.global_suffix
        for source, target in self.substitutions:
            text = re.sub(source, target, text)
        return text


def make_prompt(spec: AdapterSpec, train_blocks: list[str], eval_block: str) -> Prompt:
    return Prompt(
        global_prefix=spec.global_prefix,
        global_suffix=spec.global_suffix,
        instructions=spec.instructions,
        train_blocks=tuple(train_blocks),
        eval_block=eval_block,
        instance_prefix=spec.instance_prefix,
        substitutions=tuple((s.source, s.target) for s in spec.substitutions),
    )


def make_fit(prompt: Prompt, window: WindowService, max_tokens: int) -> Prompt:
    """Drop in-context examples from the end until the prompt fits; then cut it from the right."""
    original = prompt.num_train_instances
    while prompt.num_train_instances > 0:
        if window.fits_within_context_window(prompt.text, max_tokens):
            removed = original - prompt.num_train_instances
            if removed:
                logger.debug("Removed %d in-context examples to fit the context window", removed)
            return prompt
        prompt = replace(prompt, train_blocks=prompt.train_blocks[:-1])
    text = prompt.text
    truncated = window.truncate_from_right(text, max_tokens)
    if len(truncated) < len(text):
        prompt = replace(prompt, truncated_text=truncated)
    return prompt
