r"""MATH answer equivalence (`math_equiv`, `math_equiv_chain_of_thought`), as HELM scores MATH.

HELM uses the canonicalisation of Hendrycks et al.'s MATH repository: a fixed sequence of string
rewrites (units, `\frac12`, `\sqrt3`, `0.5`, `a/b`, …) and then plain string equality. It is
reproduced step for step, including its quirks (a rewrite that fails falls back to comparing the raw
strings), because any "improvement" would change leaderboard numbers.
"""

from __future__ import annotations

import logging

logger = logging.getLogger(__name__)

_BOXED = "\\boxed{"


def last_boxed(text: str) -> str | None:
    r"""The last `\boxed{…}` (else `\fbox{…}`) group of `text`, braces balanced, or None."""
    start = text.rfind("\\boxed")
    if start < 0:
        start = text.rfind("\\fbox")
        if start < 0:
            return None
    depth = 0
    for i in range(start, len(text)):
        char = text[i]
        if char == "{":
            depth += 1
        elif char == "}":
            depth -= 1
            if depth == 0:
                return text[start : i + 1]
    return None


def boxed_answer(text: str | None) -> str | None:
    r"""The content of the last `\boxed{…}` of a solution; None without one (an `\fbox` gives None)."""
    if text is None:
        return None
    group = last_boxed(text)
    if group is None or not group.startswith(_BOXED) or not group.endswith("}"):
        return None
    return group[len(_BOXED) : -1]


def _fix_fracs(text: str) -> str:
    r"""`\frac12` → `\frac{1}{2}`, `\frac1{72}` → `\frac{1}{72}`; unchanged if a chunk is too short."""
    head, *chunks = text.split("\\frac")
    out = [head]
    for chunk in chunks:
        out.append("\\frac")
        if chunk[0] == "{":  # an empty chunk (`\frac` at the end) raises, as in HELM
            out.append(chunk)
            continue
        if len(chunk) < 2:
            return text
        a, b, rest = chunk[0], chunk[1], chunk[2:]
        out.append(f"{{{a}}}{{{b}}}{rest}" if b != "{" else f"{{{a}}}{b}{rest}")
    return "".join(out)


def _fix_a_slash_b(text: str) -> str:
    r"""`3/4` → `\frac{3}{4}` when both sides are integers written canonically."""
    parts = text.split("/")
    if len(parts) != 2:
        return text
    try:
        a, b = int(parts[0]), int(parts[1])
    except ValueError:
        return text
    if text != f"{a}/{b}":
        return text
    return f"\\frac{{{a}}}{{{b}}}"


def _remove_right_units(text: str) -> str:
    r"""Drop a trailing `\text{ units}`; more than one such group raises (caught by `is_equiv`)."""
    if "\\text{ " not in text:
        return text
    parts = text.split("\\text{ ")
    if len(parts) != 2:
        raise ValueError(f"expected one '\\text{{ ' unit group in {text!r}")
    return parts[0]


def _fix_sqrt(text: str) -> str:
    r"""`\sqrt3` → `\sqrt{3}` (one character is wrapped); `\sqrt` at the very end raises."""
    if "\\sqrt" not in text:
        return text
    head, *chunks = text.split("\\sqrt")
    out = [head]
    for chunk in chunks:
        if chunk[0] != "{":
            out.append(f"\\sqrt{{{chunk[0]}}}{chunk[1:]}")
        else:
            out.append(f"\\sqrt{chunk}")
    return "".join(out)


def canonical_math(text: str) -> str:
    """Canonical form of a MATH answer (HELM's `_strip_string`, step for step).

    May raise on malformed input; `is_equiv` then falls back to comparing the raw strings.
    """
    text = text.replace("\n", "")
    text = text.replace("\\!", "")
    text = text.replace("\\\\", "\\")
    text = text.replace("tfrac", "frac").replace("dfrac", "frac")
    text = text.replace("\\left", "").replace("\\right", "")
    text = text.replace("^{\\circ}", "").replace("^\\circ", "")
    text = text.replace("\\$", "")
    text = _remove_right_units(text)
    text = text.replace("\\%", "")
    text = text.replace(" .", " 0.").replace("{.", "{0.")
    if not text:
        return text
    if text[0] == ".":
        text = "0" + text
    sides = text.split("=")
    if len(sides) == 2 and len(sides[0]) <= 2:  # "x = 3" → " 3"
        text = sides[1]
    text = _fix_sqrt(text)
    text = text.replace(" ", "")
    text = _fix_fracs(text)
    if text == "0.5":
        text = "\\frac{1}{2}"
    return _fix_a_slash_b(text)


def is_equiv(gold: str | None, pred: str | None) -> float:
    """1.0 if both answers have the same canonical form (or both are missing), else 0.0."""
    if gold is None and pred is None:
        logger.debug("math_equiv: both answers are None (HELM counts that as equivalent)")
        return 1.0
    if gold is None or pred is None:
        return 0.0
    try:
        return float(canonical_math(gold) == canonical_math(pred))
    except Exception:  # HELM's fallback: any failing rewrite means a plain comparison
        return float(gold == pred)


def math_equiv(gold: str, pred: str | None) -> float:
    """`is_equiv(gold, pred)`; a missing prediction (None) scores 0.0."""
    if pred is None:
        return 0.0
    return is_equiv(gold, pred)


def math_equiv_chain_of_thought(gold: str, pred: str | None) -> float:
    r"""`is_equiv` of the last `\boxed{…}` answers; neither having one counts as equivalent (HELM)."""
    if pred is None:
        return 0.0
    return is_equiv(boxed_answer(gold), boxed_answer(pred))
