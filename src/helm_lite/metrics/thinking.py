"""Separating a reasoning model's thinking section from its answer before scoring.

Reasoning models (DeepSeek-R1, Qwen3, …) write `<think>…</think>` before the answer. Scored as is,
the thinking text would decide `exact_match`, `final_number_exact_match` and the like, so a
deployment can name its markers (`thinking: {start: "<think>", end: "</think>"}` in
`model_deployments.yaml`) and only the answer is scored. The stored completion is left untouched:
`scenario_state.json` keeps the full text and the token counts include the thinking tokens.
"""

from __future__ import annotations

from collections.abc import Mapping

DEFAULT_START = "<think>"
DEFAULT_END = "</think>"


def strip_thinking(text: str, start: str, end: str) -> tuple[str, str | None]:
    """Split `text` into `(answer, thinking)`; `thinking` is None when there is no thinking section.

    * `end` present: the answer is the text after its last occurrence (a model may mention the
      marker while thinking; Qwen's own recipe also splits at the last one); the thinking is what
      lies between the first `start` before it (or the beginning of the text) and that `end`.
    * only `start` present: the model ran out of tokens while thinking, so the answer is `""`.
    * neither: `text` is all answer.

    An empty `start` means "the output always begins inside the thinking section" (chat templates
    that put `<think>` in the prompt): then an output without `end` is all thinking.
    """
    cut = text.rfind(end) if end else -1
    if cut >= 0:
        opening = text.find(start, 0, cut) if start else -1
        thinking_from = opening + len(start) if opening >= 0 else 0
        return text[cut + len(end) :], text[thinking_from:cut]
    opening = text.find(start)
    if opening >= 0:
        return "", text[opening + len(start) :]
    return text, None


def thinking_markers(config: Mapping[str, str] | None) -> tuple[str, str] | None:
    """`(start, end)` from a deployment's `thinking` mapping, defaulting to `<think>`/`</think>`.

    Raises ValueError for unknown keys or an empty `end`, which would silently disable stripping.
    """
    if config is None:
        return None
    unknown = set(config) - {"start", "end"}
    if unknown:
        raise ValueError(f"thinking: unknown key(s) {sorted(unknown)} (expected 'start' and 'end')")
    start, end = config.get("start", DEFAULT_START), config.get("end", DEFAULT_END)
    if not end:
        raise ValueError("thinking: 'end' must be a non-empty marker")
    return start, end
