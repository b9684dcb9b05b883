"""Omni-MATH's equivalence judge: the zero-shot grading prompt and the parsing of its Markdown report.

The judge compares the student's boxed answer with the reference answer and writes a report with the
sections ``## Student Final Answer``, ``## Justification`` and ``## Equivalence Judgement`` (TRUE or
FALSE). HELM asks GPT-4o (`gpt`) at temperature 0 for at most 4,096 tokens and stores, per judge, the
three parts (``None`` where a section is missing, the verdict is neither TRUE nor FALSE, or the
request failed). An empty answer is not judged: it counts as not equivalent.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from helm_lite.judges.templates import template

TEMPLATE_FILE = "omni_math_zero_shot.txt"
JUDGE_MAX_TOKENS = 4096
EMPTY_OUTPUT_ANNOTATION: dict[str, Any] = {"prompt_text": None, "empty_output_equivalence_judgement": False}
_REPORT_END = "=== report over ==="


@dataclass(frozen=True)
class OmniMathVerdict:
    student_final_answer: str | None = None
    justification: str | None = None
    equivalence_judgement: bool | None = None


def build_prompt(problem: str, reference_answer: str, solution: str) -> str:
    """The grading prompt (placeholders filled in order, each in the text the previous ones produced)."""
    return (
        template(TEMPLATE_FILE)
        .replace("{{Problem}}", problem)
        .replace("{{Reference Answer}}", reference_answer)
        .replace("{{Solution}}", solution)
    )


def report_sections(report: str) -> dict[str, str]:
    """Sections of a ``## Title`` report: the Justification whole, any other section its first line
    (the Omni-MATH authors' grading script reads reports this way)."""
    sections: dict[str, str] = {}
    for part in report.split("## ")[1:]:
        lines = part.strip().split("\n")
        title = lines[0].strip()
        if title == "Justification":
            sections[title] = "\n".join(lines[1:]).strip()
        else:
            sections[title] = lines[1].strip() if len(lines) > 1 else ""
    return sections


def parse_verdict(report: str) -> OmniMathVerdict:
    sections = report_sections(report)
    justification = sections.get("Justification")
    if justification is not None:
        justification = justification.strip().removesuffix(_REPORT_END).strip()
    judgement = {"TRUE": True, "FALSE": False}.get(sections.get("Equivalence Judgement", "").strip().upper())
    return OmniMathVerdict(sections.get("Student Final Answer"), justification, judgement)
