"""WildBench's checklist judge: the score prompt (v2) and the parsing of the judge's JSON verdict.

The judge sees the conversation so far, the last user turn, the model's answer and the task's
checklist, and rates the answer from 1 to 10. HELM asks GPT-4o (`gpt`) at temperature 0 for at most
2,000 tokens, and stores, per judge, its strengths, weaknesses and score (``None`` when its answer
cannot be parsed or the request failed). An empty answer is not judged: it scores 1, as in
WildBench's own evaluation.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from helm_lite.judges.templates import template

TEMPLATE_FILE = "wildbench_score_v2.md"
JUDGE_MAX_TOKENS = 2000
EMPTY_OUTPUT_ANNOTATION: dict[str, Any] = {"prompt_text": None, "empty_output_score": 1.0}

# The three fields of the verdict, in order; the score may be quoted ("8") or bare (8).
_VERDICT = re.compile(
    r'"strengths"\s*:\s*"(.*?)"\s*,\s*"weaknesses"\s*:\s*"(.*?)"\s*,\s*"score"\s*:\s*(".*?"|\d+)', re.DOTALL
)


@dataclass(frozen=True)
class WildBenchVerdict:
    strengths: str | None = None
    weaknesses: str | None = None
    score: float | None = None


def build_prompt(messages: Sequence[Mapping[str, str]], checklist: Sequence[str], model_output: str) -> str:
    """The judge's prompt: earlier turns as ``USER: …`` / ``ASSISTANT: …`` blocks, the last turn as
    the query, the answer, and the checklist as ``- item`` lines (placeholders filled in that order,
    each in the text the previous ones produced)."""
    history = "\n\n".join(
        ("USER: " if turn["role"] == "user" else "ASSISTANT: ") + turn["content"] for turn in messages[:-1]
    )
    return (
        template(TEMPLATE_FILE)
        .replace("{$history}", history)
        .replace("{$user_query}", messages[-1]["content"])
        .replace("{$model_output}", model_output)
        .replace("{$checklist}", "\n".join(f"- {item}" for item in checklist))
    )


def parse_verdict(text: str) -> WildBenchVerdict:
    """The judge's strengths, weaknesses and score; fields it did not give are ``None``."""
    found = _VERDICT.search(text)
    if found is None:
        return WildBenchVerdict()
    score_text = found[3].strip().strip('"')
    try:
        score: float | None = float(score_text)
    except ValueError:
        score = None
    return WildBenchVerdict(found[1].strip(), found[2].strip(), score)
