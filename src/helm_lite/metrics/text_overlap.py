"""Text-overlap scores `rouge_l`, `bleu_1` and `bleu_4`, computed exactly as HELM computes them.

HELM calls `rouge_score` (0.1.2) and NLTK (3.9+) directly, so we do too: re-implementing them would
drift in tokenisation and stemming details. Both libraries are imported on first use only (they are
in the `lite` extra), so importing `helm_lite.metrics` stays cheap and works without them.

NLTK's `word_tokenize` splits sentences with the Punkt model `punkt_tab`, which NLTK normally
downloads at run time. helm_lite ships its English tables under `nltk_data/` next to this module
(Apache 2.0, see `nltk_data/README.md`) and appends that folder to `nltk.data.path`, so tokenisation
works offline and matches HELM's; a `punkt_tab` the user installed still takes precedence.
"""

from __future__ import annotations

import functools
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

NLTK_DATA_DIR = Path(__file__).resolve().parent / "nltk_data"


@functools.cache
def word_tokenizer() -> Callable[[str], list[str]]:
    """NLTK's `word_tokenize`, with helm_lite's bundled `punkt_tab` on NLTK's search path."""
    try:
        import nltk
        from nltk.tokenize import word_tokenize
    except ImportError as e:  # pragma: no cover - depends on the installed extras
        raise ImportError("bleu_1/bleu_4 need NLTK: pip install 'helm-lite[lite]'") from e
    path = str(NLTK_DATA_DIR)
    if path not in nltk.data.path:
        nltk.data.path.append(path)
    tokenize: Callable[[str], list[str]] = word_tokenize
    return tokenize


@functools.cache
def _rouge_scorer(rouge_type: str) -> Any:
    try:
        from rouge_score import rouge_scorer
    except ImportError as e:  # pragma: no cover - depends on the installed extras
        raise ImportError("rouge_l needs rouge-score: pip install 'helm-lite[lite]'") from e
    return rouge_scorer.RougeScorer([rouge_type], use_stemmer=True)


def rouge_l(gold: str, pred: str | None) -> float:
    """ROUGE-L F-measure (longest common subsequence of lower-cased, Porter-stemmed tokens)."""
    if pred is None:
        return 0.0
    return float(_rouge_scorer("rougeL").score(gold, pred)["rougeL"].fmeasure)


def _bleu(gold: str, pred: str, weights: tuple[float, ...]) -> float:
    from nltk.translate.bleu_score import sentence_bleu

    tokenize = word_tokenizer()
    with warnings.catch_warnings():
        # Unsmoothed BLEU warns on every zero n-gram precision; the value is what HELM records anyway.
        warnings.simplefilter("ignore", UserWarning)
        score: float = sentence_bleu([tokenize(gold)], tokenize(pred), weights=weights)
    return score


def bleu_1(gold: str, pred: str | None) -> float:
    """Sentence BLEU on unigrams, no smoothing; exactly 0 (int) when no token matches."""
    if pred is None:
        return 0
    return _bleu(gold, pred, (1, 0, 0, 0))


def bleu_4(gold: str, pred: str | None) -> float:
    """Sentence BLEU on 4-grams only, no smoothing (HELM's weights (0, 0, 0, 1)).

    NLTK replaces a zero 4-gram precision by the smallest positive float, so a prediction with no
    matching 4-gram but some matching token scores about 2.2e-308 (times the brevity penalty), and
    one without any matching token scores exactly 0.
    """
    if pred is None:
        return 0
    return _bleu(gold, pred, (0, 0, 0, 1))
