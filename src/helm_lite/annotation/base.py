"""The annotation contract: an `Annotator` turns a run's answered request states into judge prompts,
and the judges' answers into each state's annotation.

An annotator never calls a model itself. It says what to ask (`judge_prompt`), whom by default
(`default_judges`), and how to read an answer (`parse`); the annotation stage (`annotation/stage.py`)
sends every judge request of a run through the judge deployment's request engine in one call, so
judges are cached, deduplicated and batched like any model request, and a fully cached rerun asks no
judge anything. Which deployment plays each judge is decided per run (`--judge-deployment`,
`judges.yaml`), so an annotator only names its judges' roles (``gpt``, ``llama``) and HELM's defaults.

A judge that fails (request error, unparseable answer) never raises out of the stage: its parsed
fields are ``None`` and ``<label>_error`` says why, so metrics can mark the judged stat missing while
the model's answers are kept.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

from helm_lite.adaptation.request_state import RequestState


@dataclass(frozen=True)
class Judge:
    """One judging role and the deployment that plays it.

    `label` names the annotation keys (``<label>_score``) and hence the stats
    (``safety_<label>_score``), so it stays the same whichever deployment answers.
    """

    label: str
    deployment: str


@dataclass(frozen=True)
class JudgeReply:
    """What one judge said about one request state: its raw text, or why there is none."""

    judge: Judge
    text: str | None  # None when the judge request failed
    error: str | None = None  # the failed request's one-line error


class JudgeAnswerError(ValueError):
    """A judge's answer that `Annotator.parse` cannot read; its message is the reason recorded."""


GPT_JUDGE = Judge("gpt", "openai/gpt-4o-2024-05-13")  # HELM's GPT-4o judge, shared by its annotators


def judged_answer(state: RequestState) -> str:
    """The model's one answer, which the judges read; a state without exactly one is a bug upstream."""
    result = state.result
    if result is None or len(result.completions) != 1:
        raise ValueError(f"instance {state.instance.id}: a judged request needs exactly one answer")
    return result.completions[0].text


def clip(text: str, limit: int = 80) -> str:
    """`text` cut to `limit` characters for an error message."""
    return text if len(text) <= limit else text[:limit] + "…"


class Annotator(ABC):
    """A model-judged annotation of each request state, keyed by `name` in `RequestState.annotations`.

    Subclasses set `name` (HELM's annotator name), `default_judges` (HELM's judges), `fields` (what
    `parse` returns, recorded as ``None`` for a failed judge) and the judge request's `max_tokens`.
    """

    name: ClassVar[str]
    default_judges: ClassVar[tuple[Judge, ...]]
    fields: ClassVar[tuple[str, ...]] = ("score",)
    max_tokens: ClassVar[int] = 256

    @abstractmethod
    def judge_prompt(self, state: RequestState) -> str | None:
        """The prompt every judge gets for this state; None to ask no judge (see `unjudged`)."""

    @abstractmethod
    def parse(self, text: str) -> dict[str, Any]:
        """The judge's answer as `fields` (e.g. ``{"score": 1.0, "reasoning": "…"}``).

        Raise `JudgeAnswerError` (one line) for an answer that does not say what was asked.
        """

    def unjudged(self, state: RequestState) -> dict[str, Any]:
        """The annotation of a state `judge_prompt` declined to send to any judge."""
        return {"prompt_text": None}

    def annotate(self, state: RequestState, prompt: str, replies: Sequence[JudgeReply]) -> dict[str, Any]:
        """The state's annotation from its judges' replies (one per judge, in judge order).

        HELM's model-as-judge layout: ``prompt_text`` and, per judge, its parsed fields as
        ``<label>_<field>``; helm_lite adds ``<label>_judge`` (the deployment), ``<label>_response_text``
        (the raw answer) and, for a failed judge, ``<label>_error`` with every field ``None``.
        """
        annotation: dict[str, Any] = {"prompt_text": prompt}
        for reply in replies:
            label = reply.judge.label
            annotation[f"{label}_judge"] = reply.judge.deployment
            parsed, error = self._read(reply)
            for key in self.fields:
                annotation[f"{label}_{key}"] = parsed.get(key)
            for key, value in parsed.items():
                annotation.setdefault(f"{label}_{key}", value)
            annotation[f"{label}_response_text"] = reply.text
            if error is not None:
                annotation[f"{label}_error"] = error
        return annotation

    def _read(self, reply: JudgeReply) -> tuple[dict[str, Any], str | None]:
        if reply.text is None:
            return {}, f"judge request failed: {reply.error or 'no answer'}"
        try:
            return self.parse(reply.text), None
        except JudgeAnswerError as e:
            return {}, f"unparseable judge answer: {e}"
