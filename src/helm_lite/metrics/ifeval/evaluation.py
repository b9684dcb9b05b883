"""Strict and loose IFEval evaluation of one response against a prompt's instructions.

Strict: the response as given must follow the instruction. Loose: it is enough that one of eight
variants does: the response, and the response without its first line, without its last line or
without both (each stripped), each of these four also with every `*` removed. Loose forgives a
preamble ("Sure, here is …"), a closing remark and markdown emphasis. A blank response (or variant)
follows nothing. Prompt level asks whether all of a prompt's instructions are followed, instruction
level counts them one by one.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from helm_lite.metrics.ifeval.checkers import Instruction, build_instruction


@dataclass(frozen=True)
class Followed:
    """Which instructions of one prompt a response follows, strictly and loosely (same order).

    Loose evaluation tries seven more variants of the response for every instruction it fails
    strictly (language detection included), so it is done only when asked for: HELM's stat is strict."""

    instructions: Sequence[Instruction]
    response: str
    strict: tuple[bool, ...]

    @functools.cached_property
    def loose(self) -> tuple[bool, ...]:
        others = loose_variants(self.response)[1:]  # the first variant is the response itself
        pairs = zip(self.instructions, self.strict, strict=True)
        return tuple(s or any(follows(i, v) for v in others) for i, s in pairs)

    @property
    def strict_fraction(self) -> float:
        return sum(self.strict) / len(self.strict)

    @property
    def loose_fraction(self) -> float:
        return sum(self.loose) / len(self.loose)


def build_instructions(
    instruction_ids: Sequence[str], kwargs: Sequence[Mapping[str, Any]]
) -> list[Instruction]:
    """The checks of one row (`instruction_id_list` and its parallel `kwargs`)."""
    if len(instruction_ids) != len(kwargs):
        raise ValueError(f"{len(instruction_ids)} instruction ids but {len(kwargs)} kwargs")
    return [build_instruction(i, k) for i, k in zip(instruction_ids, kwargs, strict=True)]


def follows(instruction: Instruction, response: str) -> bool:
    """Whether `response` follows `instruction`; blank responses and invalid patterns (a keyword that
    is not a valid regular expression) do not."""
    if not response.strip():
        return False
    try:
        return instruction.check(response)
    except re.error:
        return False


def loose_variants(response: str) -> list[str]:
    """The eight texts loose evaluation tries, in IFEval's order."""
    lines = response.split("\n")
    trimmed = ["\n".join(lines[1:]).strip(), "\n".join(lines[:-1]).strip(), "\n".join(lines[1:-1]).strip()]
    return [response, response.replace("*", ""), *trimmed, *(t.replace("*", "") for t in trimmed)]


def evaluate(instructions: Sequence[Instruction], response: str) -> Followed:
    """Strict results of `response` for each instruction (loose ones computed on first use)."""
    return Followed(instructions, response, tuple(follows(i, response) for i in instructions))
