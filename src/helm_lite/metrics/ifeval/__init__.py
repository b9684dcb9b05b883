"""IFEval (instruction following): the 25 verifiable instruction checks, strict and loose evaluation,
and HELM's `IFEvalMetric`. See docs/capabilities.md."""

from helm_lite.metrics.ifeval.checkers import INSTRUCTIONS, Instruction, build_instruction
from helm_lite.metrics.ifeval.evaluation import (
    Followed,
    build_instructions,
    evaluate,
    follows,
    loose_variants,
)

__all__ = [
    "INSTRUCTIONS",
    "Followed",
    "Instruction",
    "build_instruction",
    "build_instructions",
    "evaluate",
    "follows",
    "loose_variants",
]
