"""HELM Capabilities' judges: `WildBenchAnnotator` (checklist score, 1-10) and `OmniMATHAnnotator`
(answer equivalence), with HELM's prompts, judge (GPT-4o) and token limits.

The prompts and the reading of the judges' answers are `helm_lite.judges.wildbench` and
`helm_lite.judges.omni_math`; an empty answer is sent to no judge and gets HELM's fixed annotation
(WildBench score 1, Omni-MATH not equivalent). An answer whose verdict cannot be read is a failed
judge (``<label>_error``), so its stat is missing rather than guessed.
"""

from __future__ import annotations

from typing import Any, ClassVar

from helm_lite.adaptation.request_state import RequestState
from helm_lite.annotation.base import GPT_JUDGE, Annotator, Judge, JudgeAnswerError, clip, judged_answer
from helm_lite.judges import omni_math, wildbench
from helm_lite.scenarios.chat_input import messages_of


class WildBenchAnnotator(Annotator):
    name = "wildbench"
    default_judges: ClassVar[tuple[Judge, ...]] = (GPT_JUDGE,)
    fields: ClassVar[tuple[str, ...]] = ("strengths", "weaknesses", "score")
    max_tokens: ClassVar[int] = wildbench.JUDGE_MAX_TOKENS

    def judge_prompt(self, state: RequestState) -> str | None:
        answer = judged_answer(state)
        if not answer.strip():
            return None
        messages = messages_of(state.instance.input)
        if not messages:
            raise ValueError(f"instance {state.instance.id}: WildBench needs the conversation")
        checklist = (state.instance.extra_data or {}).get("checklist", [])
        return wildbench.build_prompt(messages, checklist, answer)

    def parse(self, text: str) -> dict[str, Any]:
        verdict = wildbench.parse_verdict(text)
        if verdict.score is None:
            raise JudgeAnswerError(f"no verdict with a numeric score in {clip(text)!r}")
        return {"strengths": verdict.strengths, "weaknesses": verdict.weaknesses, "score": verdict.score}

    def unjudged(self, state: RequestState) -> dict[str, Any]:
        return dict(wildbench.EMPTY_OUTPUT_ANNOTATION)


class OmniMATHAnnotator(Annotator):
    name = "omni_math"
    default_judges: ClassVar[tuple[Judge, ...]] = (GPT_JUDGE,)
    fields: ClassVar[tuple[str, ...]] = ("student_final_answer", "justification", "equivalence_judgement")
    max_tokens: ClassVar[int] = omni_math.JUDGE_MAX_TOKENS

    def judge_prompt(self, state: RequestState) -> str | None:
        answer = judged_answer(state)
        if not answer.strip():
            return None
        references = state.instance.references
        if not references:
            raise ValueError(f"instance {state.instance.id}: Omni-MATH needs the reference answer")
        return omni_math.build_prompt(state.instance.input.text, references[0].output.text, answer)

    def parse(self, text: str) -> dict[str, Any]:
        verdict = omni_math.parse_verdict(text)
        if verdict.equivalence_judgement is None:
            raise JudgeAnswerError(f"no TRUE/FALSE '## Equivalence Judgement' in {clip(text)!r}")
        return {
            "student_final_answer": verdict.student_final_answer,
            "justification": verdict.justification,
            "equivalence_judgement": verdict.equivalence_judgement,
        }

    def unjudged(self, state: RequestState) -> dict[str, Any]:
        return dict(omni_math.EMPTY_OUTPUT_ANNOTATION)
