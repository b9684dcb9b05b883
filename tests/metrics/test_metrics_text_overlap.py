"""rouge_l / bleu_1 / bleu_4 on hand-computed examples, and NLTK tokenisation without any download."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

pytest.importorskip("nltk")
pytest.importorskip("rouge_score")

from helm_lite.metrics.scoring import SCORERS  # noqa: E402
from helm_lite.metrics.text_overlap import NLTK_DATA_DIR, bleu_1, bleu_4, rouge_l, word_tokenizer  # noqa: E402

FLOAT_MIN = sys.float_info.min


def test_registered() -> None:
    assert SCORERS["rouge_l"] is rouge_l
    assert SCORERS["bleu_1"] is bleu_1
    assert SCORERS["bleu_4"] is bleu_4


def test_rouge_l_lcs_f_measure() -> None:
    # LCS "the cat on the mat" = 5 tokens; P = 5/5, R = 5/6, F = 2PR/(P+R) = 10/11.
    assert rouge_l("the cat sat on the mat", "the cat on the mat") == pytest.approx(10 / 11, abs=1e-15)
    # LCS "a c" = 2 of 3 tokens each: F = 2/3.
    assert rouge_l("a b c", "a x c") == pytest.approx(2 / 3, abs=1e-15)


def test_rouge_l_tokenizer_and_stemmer() -> None:
    assert rouge_l("Hello, World!", "hello world") == 1.0  # lower-cased, punctuation dropped
    assert rouge_l("running dogs", "run dog") == 1.0  # Porter stems of tokens longer than 3 characters
    assert rouge_l("abc", "xyz") == 0.0
    assert rouge_l("abc", "") == 0.0
    assert rouge_l("abc", None) == 0.0


def test_bleu_1_clipped_unigram_precision() -> None:
    # "the" appears twice in the reference, so 2 of the 7 predicted tokens count; no brevity penalty.
    assert bleu_1("the cat is on the mat", "the the the the the the the") == pytest.approx(2 / 7, abs=1e-15)
    assert bleu_1("the cat", "the cat") == 1.0
    # Brevity penalty exp(1 - 4/2) with unigram precision 1.
    assert bleu_1("a b c d", "a b") == pytest.approx(0.36787944117144233, abs=1e-15)


def test_bleu_no_match_is_int_zero() -> None:
    for score in (bleu_1("the cat", "a dog"), bleu_4("the cat sat on the mat", "a dog"), bleu_4("x", "")):
        assert score == 0 and type(score) is int
    assert bleu_1("the cat", None) == 0 and bleu_4("the cat", None) == 0


def test_bleu_4_without_4gram_match_is_tiny_but_positive() -> None:
    # One unigram match, no 4-gram: NLTK replaces the zero precision by the smallest float, times the
    # brevity penalty exp(1 - 6/2).
    score = bleu_4("the cat sat on the mat", "the dog")
    assert 0 < score < FLOAT_MIN
    assert score == pytest.approx(0.1353352832366127 * FLOAT_MIN, rel=1e-9)
    assert bleu_4("the cat sat on the mat", "the cat sat on the mat") == 1.0


def test_bleu_uses_punkt_sentence_splitting() -> None:
    # Sentence splitting separates the inner "." ("left." would stay one token without it).
    assert word_tokenizer()("He left. She stayed.") == ["He", "left", ".", "She", "stayed", "."]
    assert bleu_4("He left. She stayed.", "He left . She stayed .") == 1.0
    # The abbreviation table keeps "Mr." whole (no sentence break after it).
    assert word_tokenizer()("Mr. Smith paid $3.50 for it.") == [
        "Mr.",
        "Smith",
        "paid",
        "$",
        "3.50",
        "for",
        "it",
        ".",
    ]


def test_bundled_punkt_tab_files() -> None:
    english = NLTK_DATA_DIR / "tokenizers" / "punkt_tab" / "english"
    names = sorted(p.name for p in english.iterdir())
    assert names == ["abbrev_types.txt", "collocations.tab", "ortho_context.tab", "sent_starters.txt"]
    assert len((english / "abbrev_types.txt").read_text(encoding="utf-8").split("\n")) == 156


_OFFLINE_SCRIPT = textwrap.dedent(
    """
    import json, sys
    import helm_lite.metrics
    assert not any(m.startswith(("nltk", "rouge_score")) for m in sys.modules), "imported eagerly"
    import nltk
    from helm_lite.metrics.text_overlap import NLTK_DATA_DIR, bleu_4, word_tokenizer
    searched = list(nltk.data.path)
    if sys.argv[1] == "only-bundled":
        nltk.data.path[:] = []  # nothing but the folder helm_lite adds
    tokens = word_tokenizer()("Dr. Watson left. He came back.")
    found = str(nltk.data.find("tokenizers/punkt_tab/english/"))
    print(json.dumps({"tokens": tokens, "bleu": bleu_4("He left. She stayed.", "He left . She stayed ."),
                      "searched": searched, "found": found, "bundled": str(NLTK_DATA_DIR)}))
    """
)


@pytest.mark.parametrize("mode", ["default-path", "only-bundled"])
def test_tokenizes_offline_with_empty_nltk_data(tmp_path: Path, mode: str) -> None:
    empty = tmp_path / "empty_nltk_data"
    empty.mkdir()
    env = {k: v for k, v in os.environ.items() if k != "NLTK_DATA"}
    env.update(NLTK_DATA=str(empty), HOME=str(tmp_path), APPDATA=str(tmp_path))
    proc = subprocess.run(
        [sys.executable, "-c", _OFFLINE_SCRIPT, mode],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        cwd=tmp_path,
    )
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout)
    assert out["tokens"] == ["Dr.", "Watson", "left", ".", "He", "came", "back", "."]
    assert out["bleu"] == 1.0
    assert str(empty) in out["searched"]
    if mode == "only-bundled":
        assert out["found"].startswith(out["bundled"])
