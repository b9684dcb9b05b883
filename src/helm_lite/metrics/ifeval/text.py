"""Text measurements the IFEval checks share: words, sentences, tokens and the response's language.

Words are runs of `\\w` characters; sentences come from NLTK's English Punkt model and tokens from
NLTK's `word_tokenize` (both with the `punkt_tab` tables shipped in `metrics/nltk_data`, so nothing is
downloaded); the language comes from `langdetect`. NLTK and langdetect are optional dependencies
(the `capabilities` extra) imported on first use.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable

from helm_lite.metrics.text_overlap import word_tokenizer

_WORD = re.compile(r"\w+")


def count_words(text: str) -> int:
    """Runs of word characters (letters, digits, underscore): "don't" is two words, "3.5" two."""
    return len(_WORD.findall(text))


@functools.cache
def _sentence_splitter() -> Callable[[str], list[str]]:
    word_tokenizer()  # puts the bundled punkt_tab on NLTK's search path
    from nltk.tokenize import sent_tokenize

    return functools.partial(sent_tokenize, language="english")


def count_sentences(text: str) -> int:
    """Sentences found by NLTK's English Punkt model (abbreviations such as "Dr." do not end one)."""
    return len(_sentence_splitter()(text))


def tokenize(text: str) -> list[str]:
    """NLTK's `word_tokenize` (punctuation split off, "don't" → "do", "n't")."""
    return word_tokenizer()(text)


@functools.cache
def _language_detector() -> Callable[[str], str | None]:
    try:
        import langdetect
    except ImportError as e:  # pragma: no cover - depends on the installed extras
        raise ImportError("IFEval needs langdetect: pip install 'helm-lite[capabilities]'") from e
    # langdetect samples at random; a fixed seed makes a response's language the same on every run.
    langdetect.DetectorFactory.seed = 0

    def detect(text: str) -> str | None:
        try:
            language: str = langdetect.detect(text)
        except langdetect.LangDetectException:  # no letters to judge by (digits, symbols only)
            return None
        return language

    return detect


def detect_language(text: str) -> str | None:
    """The ISO 639-1 code langdetect finds for `text` ("en", "fr", "zh-cn" …); None if it cannot tell."""
    return _language_detector()(text)
