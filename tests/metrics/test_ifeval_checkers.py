"""IFEval's 25 instruction checks: a following and a breaking response per instruction id, with the
arguments of real rows of IFEval's `input_data.jsonl`, and every row of that file builds its checks."""

from __future__ import annotations

import importlib.util
import json
from typing import Any

import pytest
from data_mirror import MIRROR  # $HELM_LITE_DATA_MIRROR, else ../shared/data/scenarios

from helm_lite.common.errors import UserError
from helm_lite.metrics.ifeval import INSTRUCTIONS, build_instruction, follows

DATA = MIRROR / "ifeval" / "data" / "input_data.jsonl"
HAS_LANGDETECT = importlib.util.find_spec("langdetect") is not None
needs_langdetect = pytest.mark.skipif(
    not HAS_LANGDETECT, reason="langdetect (capabilities extra) not installed"
)

REPEAT = (
    "Write an email to my boss telling him that I am quitting. "
    "The email must contain a title wrapped in double angular brackets, i.e. <<title>>."
)
ENGLISH = "the weather is lovely today and we are going for a long walk in the park with the dog"

# (instruction id, kwargs of a real row, a response that follows it, one that does not)
CASES: list[tuple[str, dict[str, Any], str, str]] = [
    (
        "keywords:existence",
        {"keywords": ["correlated", "experiencing"]},
        "People EXPERIENCING stress report correlated symptoms.",
        "People experiencing stress report symptoms.",
    ),
    (
        "keywords:frequency",
        {"relation": "at least", "keyword": "story", "frequency": 2},
        "A story within a Story.",
        "A story within a tale.",
    ),
    (
        "keywords:frequency",
        {"relation": "less than", "keyword": "flesh", "frequency": 3},
        "Flesh and flesh.",
        "flesh, flesh and FLESH.",
    ),
    (
        "keywords:forbidden_words",
        {"forbidden_words": ["rock"]},
        "Rocky hills and rocks.",
        "We like Rock music.",
    ),
    (
        "keywords:letter_frequency",
        {"let_relation": "at least", "letter": "l", "let_frequency": 4},
        "Lily lulls all",
        "Lily sleeps",
    ),
    (
        "keywords:letter_frequency",
        {"let_relation": "at least", "letter": "#", "let_frequency": 4},
        "#a #b #c #d",
        "#a #b #c",
    ),
    (
        "length_constraints:number_sentences",
        {"relation": "less than", "num_sentences": 6},
        "Dr. Smith came home. He was tired. He slept.",
        "One. Two. Three. Four. Five. Six.",
    ),
    (
        "length_constraints:number_paragraphs",
        {"num_paragraphs": 2},
        "First part.\n***\nSecond part.\n***\n",
        "First part.\n***\n***\nSecond part.",
    ),
    (
        "length_constraints:number_words",
        {"relation": "at least", "num_words": 5},
        "don't count me out",
        "count me out",
    ),
    (
        "length_constraints:nth_paragraph_first_word",
        {"first_word": "weekend", "num_paragraphs": 2, "nth_paragraph": 1},
        '"Weekend," she said.\n\nThen we left.',
        "Saturday came.\n\nThen we left.",
    ),
    (
        "detectable_content:number_placeholders",
        {"num_placeholders": 2},
        "Dear [name], see you at [address].",
        "Dear [name], see you soon.",
    ),
    (
        "detectable_content:postscript",
        {"postscript_marker": "P.S."},
        "Bye.\np. s. bring snacks",
        "Bye.\nPS bring snacks",
    ),
    (
        "detectable_content:postscript",
        {"postscript_marker": "P.P.S"},
        "Bye.\nP.P.S. one more thing",
        "Bye.\nP.S. one more thing",
    ),
    (
        "detectable_format:number_bullet_lists",
        {"num_bullets": 3},
        "Intro\n* one\n- two\n  * three\n**bold line**",
        "* one\n* two",
    ),
    ("detectable_format:constrained_response", {}, "Well. My answer is maybe.", "My answer is probably."),
    (
        "detectable_format:number_highlighted_sections",
        {"num_highlights": 3},
        "*one* and **two** and *three*",
        "*one* and ** ** and *two*",
    ),
    (
        "detectable_format:multiple_sections",
        {"section_spliter": "PARAGRAPH", "num_sections": 2},
        "PARAGRAPH 1\nhello\nPARAGRAPH 2\nworld",
        "PARAGRAPH 1\nhello world",
    ),
    ("detectable_format:json_format", {}, '```json\n{"a": [1, 2]}\n```', 'Here it is: {"a": 1}'),
    ("detectable_format:title", {}, "<<Poem of joy>>\nLa la la", "<<   >>\n<<split\ntitle>>"),
    ("combination:two_responses", {}, "First answer.\n******\nSecond answer.", "Same.\n******\nSame."),
    (
        "combination:repeat_prompt",
        {"prompt_to_repeat": REPEAT},
        REPEAT.upper() + "\n\nDear boss, ...",
        "Sure! " + REPEAT,
    ),
    (
        "startend:end_checker",
        {"end_phrase": "Can I get my money back for the classes I missed?"},
        'So: "can i get my money back for the classes I missed?"',
        "Can I get my money back for the classes I missed? Thanks",
    ),
    ("startend:quotation", {}, '  "All of it."  ', '"Almost all" of it.'),
    (
        "change_case:capital_word_frequency",
        {"capital_relation": "less than", "capital_frequency": 3},
        "THE cat SAT down.",
        "THE CAT SAT down.",
    ),
    ("punctuation:no_comma", {}, "No commas here.", "Well, one."),
]
# Detected with langdetect: skipped only where it is not installed.
LANGUAGE_CASES: list[tuple[str, dict[str, Any], str, str]] = [
    (
        "language:response_language",
        {"language": "fr"},
        "Bonjour, je voudrais un café et un croissant, s'il vous plaît.",
        ENGLISH,
    ),
    (
        "change_case:english_capital",
        {},
        ENGLISH.upper(),
        "Das Wetter ist heute sehr schön und wir gehen spazieren.".upper(),
    ),
    ("change_case:english_capital", {}, ENGLISH.upper(), ENGLISH.upper() + " ok"),
    ("change_case:english_lowercase", {}, ENGLISH, "The " + ENGLISH),
]


def _id(case: tuple[str, dict[str, Any], str, str]) -> str:
    return case[0]


@pytest.mark.parametrize("case", CASES, ids=_id)
def test_follows_and_breaks(case: tuple[str, dict[str, Any], str, str]) -> None:
    instruction_id, kwargs, good, bad = case
    check = build_instruction(instruction_id, kwargs)
    assert follows(check, good)
    assert not follows(check, bad)


@needs_langdetect
@pytest.mark.parametrize("case", LANGUAGE_CASES, ids=_id)
def test_language_checks(case: tuple[str, dict[str, Any], str, str]) -> None:
    instruction_id, kwargs, good, bad = case
    check = build_instruction(instruction_id, kwargs)
    assert follows(check, good)
    assert not follows(check, bad)


@needs_langdetect
def test_undetectable_language_counts_as_followed() -> None:
    assert follows(build_instruction("language:response_language", {"language": "ja"}), "12345 !!!")


def test_every_instruction_id_has_a_case() -> None:
    assert len(INSTRUCTIONS.names()) == 25
    covered = {c[0] for c in CASES + LANGUAGE_CASES}
    assert covered == set(INSTRUCTIONS.names())


def test_blank_response_follows_nothing() -> None:
    assert not follows(build_instruction("punctuation:no_comma", {}), " \n ")


def test_invalid_keyword_pattern_is_not_followed() -> None:
    assert not follows(build_instruction("keywords:existence", {"keywords": ["(unclosed"]}), "(unclosed")


@pytest.mark.parametrize(
    ("instruction_id", "kwargs", "message"),
    [
        ("punctuation:no_comma", {"num_words": 3}, "'punctuation:no_comma': unknown argument(s) num_words"),
        (
            "length_constraints:number_words",
            {"num_words": 3, "relation": "at least", "sentences": 1},
            "unknown argument(s) sentences (expected: num_words, relation)",
        ),
        ("length_constraints:number_words", {"num_words": 3}, "missing argument(s) relation"),
        (
            "length_constraints:number_words",
            {"num_words": "3", "relation": "at least"},
            "argument num_words must be an integer",
        ),
        ("length_constraints:number_words", {"num_words": 3, "relation": "more than"}, "relation must be"),
        ("keywords:existence", {"keywords": "word"}, "keywords must be a list of strings"),
        ("punctuation:no_commas", {}, "did you mean 'punctuation:no_comma'"),
    ],
)
def test_bad_arguments_name_the_instruction(
    instruction_id: str, kwargs: dict[str, Any], message: str
) -> None:
    with pytest.raises(UserError) as info:
        build_instruction(instruction_id, kwargs)
    assert message in str(info.value)
    assert instruction_id in str(info.value)


def test_none_arguments_are_ignored() -> None:
    """Rows that list every argument of every instruction, unused ones as null, build the same check."""
    check = build_instruction("punctuation:no_comma", {"num_words": None, "relation": None})
    assert follows(check, "fine") and not follows(check, "a, b")


@pytest.mark.skipif(not DATA.is_file(), reason="shared IFEval data not present")
def test_every_row_of_the_real_data_builds_its_checks() -> None:
    rows = [json.loads(line) for line in DATA.read_text(encoding="utf-8").splitlines() if line.strip()]
    assert len(rows) == 541
    ids = {i for row in rows for i in row["instruction_id_list"]}
    assert ids == set(INSTRUCTIONS.names())
    for row in rows:
        for instruction_id, kwargs in zip(row["instruction_id_list"], row["kwargs"], strict=True):
            check = build_instruction(instruction_id, kwargs)
            assert check.instruction_id == instruction_id
