"""Reference-based scoring functions `score(gold, pred)`, registered by HELM metric name.

Each returns what HELM's function returns, type included (int 0/1 for the exact-match family, so
per-instance sums stay ints in `per_instance_stats.json`). A `pred` of `None` (an MC-joint answer
letter with no mapping) scores 0 everywhere. To plug in a new score, register it in `SCORERS`.

MATH equivalence lives in `math_equiv`, ROUGE/BLEU in `text_overlap` (their libraries, from the
`lite` extra, are imported on first use only).
"""

from __future__ import annotations

import re
import string
from collections.abc import Callable

from helm_lite.common.plugins import Registry

Scorer = Callable[[str, "str | None"], float]

_PUNCTUATION_TABLE = str.maketrans("", "", string.punctuation)
_ARTICLES = re.compile(r"\b(a|an|the)\b")
# The unescaped `.` (any character) is HELM's: "1 2" is read as one number.
_FINAL_NUMBER = re.compile(r"-?[\d,]+(?:.\d+)?")


def normalize_text(text: str, should_remove_articles: bool = True) -> str:
    """Lower-case, drop ASCII punctuation, blank out whole-word a/an/the, collapse whitespace."""
    normalized = text.lower().translate(_PUNCTUATION_TABLE)
    if should_remove_articles:
        normalized = _ARTICLES.sub(" ", normalized)
    return " ".join(normalized.split())


def exact_match(gold: str, pred: str | None) -> float:
    if not pred:
        return 0
    return 1 if gold.strip() == pred.strip() else 0


def quasi_exact_match(gold: str, pred: str | None) -> float:
    if not pred:
        return 0
    return 1 if normalize_text(gold) == normalize_text(pred) else 0


def quasi_leave_articles_exact_match(gold: str, pred: str | None) -> float:
    if not pred:
        return 0
    same = normalize_text(gold, should_remove_articles=False) == normalize_text(pred, False)
    return 1 if same else 0


def prefix_exact_match(gold: str, pred: str | None) -> float:
    """Useful zero-shot, where models keep talking after the answer ("Yes, Elmendorf ...")."""
    if not pred:
        return 0
    return 1 if pred.strip().startswith(gold.strip()) else 0


def quasi_prefix_exact_match(gold: str, pred: str | None) -> float:
    if not pred:
        return 0
    return 1 if normalize_text(pred).startswith(normalize_text(gold)) else 0


def f1_score(gold: str, pred: str | None) -> float:
    """Bag-of-words F1 over normalised word sets, computed in HELM/NLTK's exact operation order."""
    if pred is None:
        return 0.0
    gold_words = set(normalize_text(gold).split())
    pred_words = set(normalize_text(pred).split())
    if not gold_words or not pred_words:
        return 0.0
    common = len(gold_words & pred_words)
    if common == 0:
        return 0
    precision = common / len(pred_words)
    recall = common / len(gold_words)
    return 1.0 / (0.5 / precision + 0.5 / recall)


def exact_match_indicator(gold: str, pred: str | None, indicator: str = " ") -> float:
    """Exact match of the text after the last `indicator`, so a preceding rationale is allowed."""
    if pred is None:
        return 0
    return exact_match(gold.split(indicator)[-1].strip(), pred.split(indicator)[-1].strip())


def _final_number(text: str) -> str:
    matches = _FINAL_NUMBER.findall(text)
    return matches[-1].replace(",", "") if matches else ""


def final_number_exact_match(gold: str, pred: str | None) -> float:
    """Exact match of the last number in each text (commas removed), e.g. GSM8K answers."""
    if pred is None:
        return 0
    return exact_match(_final_number(gold), _final_number(pred))


SCORERS: Registry[Scorer] = Registry(
    "metric name",
    {
        "exact_match": exact_match,
        "quasi_exact_match": quasi_exact_match,
        "quasi_leave_articles_exact_match": quasi_leave_articles_exact_match,
        "prefix_exact_match": prefix_exact_match,
        "quasi_prefix_exact_match": quasi_prefix_exact_match,
        "f1_score": f1_score,
        "exact_match_indicator": exact_match_indicator,
        "final_number_exact_match": final_number_exact_match,
        "rouge_l": "helm_lite.metrics.text_overlap:rouge_l",
        "bleu_1": "helm_lite.metrics.text_overlap:bleu_1",
        "bleu_4": "helm_lite.metrics.text_overlap:bleu_4",
        "math_equiv": "helm_lite.metrics.math_equiv:math_equiv",
        "math_equiv_chain_of_thought": "helm_lite.metrics.math_equiv:math_equiv_chain_of_thought",
    },
    unknown=lambda name, known: f"unknown metric name {name!r} (known: {', '.join(known)})",
)


def get_scorer(name: str) -> Scorer:
    """The scorer registered under `name`; an `UnknownNameError` (a `KeyError`) naming the known ones."""
    return SCORERS.get(name)
