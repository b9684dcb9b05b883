"""The 25 IFEval instruction checks, one small class per instruction id, registered by that id.

Each class is a frozen dataclass whose fields are the instruction's arguments, named as in IFEval's
data rows (`kwargs`), so a row builds its checks with `build_instruction(id, kwargs)`. `check`
answers one question: does this response follow the instruction? The rules (what counts as a word,
a paragraph, a highlight, a bullet …) are IFEval's, including its quirks, because published IFEval
scores depend on them: keywords and section markers are regular expressions, a "paragraph" is
delimited by `***` for one check and by a blank line for another, and a response whose language
cannot be detected counts as following a language instruction.
"""

from __future__ import annotations

import dataclasses
import json
import re
import typing
from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, ClassVar, TypeVar

from helm_lite.common.errors import UserError
from helm_lite.common.plugins import Registry
from helm_lite.metrics.ifeval.text import count_sentences, count_words, detect_language, tokenize

LESS_THAN = "less than"
AT_LEAST = "at least"


class Instruction(ABC):
    """One verifiable instruction of a prompt."""

    instruction_id: ClassVar[str]

    @abstractmethod
    def check(self, response: str) -> bool:
        """True if `response` follows the instruction (may raise `re.error` for a bad pattern)."""


INSTRUCTIONS: Registry[type[Instruction]] = Registry("IFEval instruction")


_I = TypeVar("_I", bound=type[Instruction])


def instruction(instruction_id: str) -> Callable[[_I], _I]:
    """Class decorator: register an `Instruction` under its IFEval id."""

    def register(cls: _I) -> _I:
        cls.instruction_id = instruction_id
        INSTRUCTIONS.register(instruction_id, cls)
        return cls

    return register


def build_instruction(instruction_id: str, kwargs: Mapping[str, Any]) -> Instruction:
    """The check for one instruction of a row; `None` values (rows that list every possible argument)
    are ignored. An unknown id, an unknown or missing argument, or a value of the wrong type is a
    `UserError` naming the instruction id."""
    cls = INSTRUCTIONS.get(instruction_id)
    given = {k: v for k, v in kwargs.items() if v is not None}
    hints = typing.get_type_hints(cls)
    names = [f.name for f in dataclasses.fields(cls)]  # type: ignore[arg-type]
    where = f"IFEval instruction {instruction_id!r}"
    expected = f"expected: {', '.join(names)}" if names else "it takes none"
    unknown = sorted(set(given) - set(names))
    if unknown:
        raise UserError(f"{where}: unknown argument(s) {', '.join(unknown)} ({expected})")
    missing = [n for n in names if n not in given]
    if missing:
        raise UserError(f"{where}: missing argument(s) {', '.join(missing)}")
    values = {name: _convert(where, name, hints[name], given[name]) for name in names}
    try:
        return cls(**values)
    except ValueError as e:
        raise UserError(f"{where}: {e}") from None


def _convert(where: str, name: str, hint: Any, value: Any) -> Any:
    if hint is int and isinstance(value, int) and not isinstance(value, bool):
        return value
    if hint is str and isinstance(value, str):
        return value
    is_strings = isinstance(value, (list, tuple)) and all(isinstance(v, str) for v in value)
    if typing.get_origin(hint) is tuple and is_strings:
        return tuple(value)
    wanted = {int: "an integer", str: "a string"}.get(hint, "a list of strings")
    raise UserError(f"{where}: argument {name} must be {wanted}, not {value!r}")


def _relation(value: str) -> str:
    if value not in (LESS_THAN, AT_LEAST):
        raise ValueError(f"relation must be {LESS_THAN!r} or {AT_LEAST!r}, not {value!r}")
    return value


def _compare(count: int, relation: str, threshold: int) -> bool:
    return count < threshold if relation == LESS_THAN else count >= threshold


# keywords:


@instruction("keywords:existence")
@dataclass(frozen=True)
class KeywordsExist(Instruction):
    """Every keyword appears (a case-insensitive regular-expression search, so "art" is in "party")."""

    keywords: tuple[str, ...]

    def check(self, response: str) -> bool:
        return all(re.search(k, response, flags=re.IGNORECASE) for k in self.keywords)


@instruction("keywords:frequency")
@dataclass(frozen=True)
class KeywordFrequency(Instruction):
    """The keyword's case-insensitive (substring) matches number less than / at least `frequency`."""

    keyword: str
    frequency: int
    relation: str

    def __post_init__(self) -> None:
        _relation(self.relation)

    def check(self, response: str) -> bool:
        found = len(re.findall(self.keyword.strip(), response, flags=re.IGNORECASE))
        return _compare(found, self.relation, self.frequency)


@instruction("keywords:forbidden_words")
@dataclass(frozen=True)
class ForbiddenWords(Instruction):
    """None of the words appears as a whole word, in any case."""

    forbidden_words: tuple[str, ...]

    def check(self, response: str) -> bool:
        return not any(re.search(rf"\b{w}\b", response, flags=re.IGNORECASE) for w in self.forbidden_words)


@instruction("keywords:letter_frequency")
@dataclass(frozen=True)
class LetterFrequency(Instruction):
    """The letter (either case) occurs less than / at least `let_frequency` times.

    Two rows name a symbol ("#", "!") rather than a letter; it is counted as given, where IFEval's own
    code would silently check a randomly chosen letter instead.
    """

    letter: str
    let_frequency: int
    let_relation: str

    def __post_init__(self) -> None:
        _relation(self.let_relation)
        if len(self.letter.strip()) != 1:
            raise ValueError(f"letter must be one character, not {self.letter!r}")

    def check(self, response: str) -> bool:
        found = response.lower().count(self.letter.strip().lower())
        return _compare(found, self.let_relation, self.let_frequency)


# language:


@instruction("language:response_language")
@dataclass(frozen=True)
class ResponseLanguage(Instruction):
    """langdetect finds the language `language` (ISO 639-1); undetectable text passes."""

    language: str

    def check(self, response: str) -> bool:
        detected = detect_language(response)
        return detected is None or detected == self.language


# length_constraints:


@instruction("length_constraints:number_sentences")
@dataclass(frozen=True)
class NumberOfSentences(Instruction):
    """Punkt sentences number less than / at least `num_sentences`."""

    num_sentences: int
    relation: str

    def __post_init__(self) -> None:
        _relation(self.relation)

    def check(self, response: str) -> bool:
        return _compare(count_sentences(response), self.relation, self.num_sentences)


@instruction("length_constraints:number_paragraphs")
@dataclass(frozen=True)
class NumberOfParagraphs(Instruction):
    """Exactly `num_paragraphs` non-empty parts between `***` dividers; an empty part between two
    dividers fails (one before the first or after the last divider is ignored)."""

    num_paragraphs: int

    def check(self, response: str) -> bool:
        parts = re.split(r"\s?\*\*\*\s?", response)
        inner = parts[1:-1]
        if any(not p.strip() for p in inner):
            return False
        return sum(1 for p in parts if p.strip()) == self.num_paragraphs


@instruction("length_constraints:number_words")
@dataclass(frozen=True)
class NumberOfWords(Instruction):
    """Words (runs of `\\w`) number less than / at least `num_words`."""

    num_words: int
    relation: str

    def __post_init__(self) -> None:
        _relation(self.relation)

    def check(self, response: str) -> bool:
        return _compare(count_words(response), self.relation, self.num_words)


@instruction("length_constraints:nth_paragraph_first_word")
@dataclass(frozen=True)
class NthParagraphFirstWord(Instruction):
    """Exactly `num_paragraphs` non-empty paragraphs separated by blank lines ("\\n\\n"), and paragraph
    `nth_paragraph` (counted in the split, empty ones included) starts with `first_word`, compared
    in lower case up to the first punctuation mark, leading quotes dropped."""

    num_paragraphs: int
    nth_paragraph: int
    first_word: str

    def __post_init__(self) -> None:
        if not 1 <= self.nth_paragraph <= self.num_paragraphs:
            raise ValueError(f"nth_paragraph must be between 1 and num_paragraphs, not {self.nth_paragraph}")

    def check(self, response: str) -> bool:
        paragraphs = response.split("\n\n")
        count = sum(1 for p in paragraphs if p.strip())
        if self.nth_paragraph > count:
            return False
        paragraph = paragraphs[self.nth_paragraph - 1].strip()
        if not paragraph:
            return False
        word = paragraph.split()[0].lstrip("'").lstrip('"')
        first = re.split(r"""[.,?!'"]""", word, maxsplit=1)[0].lower()
        return count == self.num_paragraphs and first == self.first_word.lower()


# detectable_content:


@instruction("detectable_content:number_placeholders")
@dataclass(frozen=True)
class NumberOfPlaceholders(Instruction):
    """At least `num_placeholders` bracketed placeholders such as `[address]`."""

    num_placeholders: int

    def check(self, response: str) -> bool:
        return len(re.findall(r"\[.*?\]", response)) >= self.num_placeholders


@instruction("detectable_content:postscript")
@dataclass(frozen=True)
class Postscript(Instruction):
    """A line containing the marker, in any case ("P.S." also as "p. s.", "P.P.S" as "p. p. s")."""

    postscript_marker: str

    def check(self, response: str) -> bool:
        marker = self.postscript_marker.strip()
        if marker == "P.P.S":
            pattern = r"\s*p\.\s?p\.\s?s.*$"
        elif marker == "P.S.":
            pattern = r"\s*p\.\s?s\..*$"
        else:
            pattern = r"\s*" + marker.lower() + r".*$"
        return bool(re.findall(pattern, response.lower(), flags=re.MULTILINE))


# detectable_format:


@instruction("detectable_format:number_bullet_lists")
@dataclass(frozen=True)
class NumberOfBullets(Instruction):
    """Exactly `num_bullets` lines starting with `* ` (not `**`) or `-`."""

    num_bullets: int

    def check(self, response: str) -> bool:
        stars = re.findall(r"^\s*\*[^\*].*$", response, flags=re.MULTILINE)
        dashes = re.findall(r"^\s*-.*$", response, flags=re.MULTILINE)
        return len(stars) + len(dashes) == self.num_bullets


@instruction("detectable_format:constrained_response")
@dataclass(frozen=True)
class ConstrainedResponse(Instruction):
    """Contains "My answer is yes.", "My answer is no." or "My answer is maybe."."""

    OPTIONS: ClassVar[tuple[str, ...]] = ("My answer is yes.", "My answer is no.", "My answer is maybe.")

    def check(self, response: str) -> bool:
        return any(option in response for option in self.OPTIONS)


@instruction("detectable_format:number_highlighted_sections")
@dataclass(frozen=True)
class NumberOfHighlights(Instruction):
    """At least `num_highlights` non-blank highlights on one line, `*like this*` or `**like this**`."""

    num_highlights: int

    def check(self, response: str) -> bool:
        single = [h for h in re.findall(r"\*[^\n\*]*\*", response) if h.strip("*").strip()]
        double = [h for h in re.findall(r"\*\*[^\n\*]*\*\*", response) if h[2:-2].strip()]
        return len(single) + len(double) >= self.num_highlights


@instruction("detectable_format:multiple_sections")
@dataclass(frozen=True)
class MultipleSections(Instruction):
    """At least `num_sections` occurrences of the splitter followed by a number ("SECTION 1")."""

    section_spliter: str
    num_sections: int

    def check(self, response: str) -> bool:
        pattern = r"\s?" + self.section_spliter.strip() + r"\s?\d+\s?"
        return len(re.split(pattern, response)) - 1 >= self.num_sections


@instruction("detectable_format:json_format")
@dataclass(frozen=True)
class JsonFormat(Instruction):
    """The whole response parses as JSON, optionally inside a ``` / ```json fence."""

    def check(self, response: str) -> bool:
        text = response.strip()
        for fence in ("```json", "```Json", "```JSON", "```"):
            text = text.removeprefix(fence)
        text = text.removesuffix("```").strip()
        try:
            json.loads(text)
        except ValueError:
            return False
        return True


@instruction("detectable_format:title")
@dataclass(frozen=True)
class Title(Instruction):
    """A non-blank title in double angular brackets on one line, such as `<<poem of joy>>`."""

    def check(self, response: str) -> bool:
        return any(t.lstrip("<").rstrip(">").strip() for t in re.findall(r"<<[^\n]+>>", response))


# combination:


@instruction("combination:two_responses")
@dataclass(frozen=True)
class TwoResponses(Instruction):
    """Two different non-empty responses separated by `******` (and nothing empty between dividers)."""

    def check(self, response: str) -> bool:
        parts = response.split("******")
        if any(not p.strip() for p in parts[1:-1]):
            return False
        answers = [p for p in parts if p.strip()]
        return len(answers) == 2 and answers[0].strip() != answers[1].strip()


@instruction("combination:repeat_prompt")
@dataclass(frozen=True)
class RepeatPrompt(Instruction):
    """The response starts with the request, repeated word for word (case ignored)."""

    prompt_to_repeat: str

    def check(self, response: str) -> bool:
        return response.strip().lower().startswith(self.prompt_to_repeat.strip().lower())


# startend:


@instruction("startend:end_checker")
@dataclass(frozen=True)
class EndPhrase(Instruction):
    """The response ends with the phrase (case ignored; a closing double quote is allowed after it)."""

    end_phrase: str

    def check(self, response: str) -> bool:
        return response.strip().strip('"').lower().endswith(self.end_phrase.strip().lower())


@instruction("startend:quotation")
@dataclass(frozen=True)
class Quotation(Instruction):
    """The whole response is wrapped in double quotation marks."""

    def check(self, response: str) -> bool:
        text = response.strip()
        return len(text) > 1 and text[0] == '"' and text[-1] == '"'


# change_case:


@instruction("change_case:capital_word_frequency")
@dataclass(frozen=True)
class CapitalWordFrequency(Instruction):
    """NLTK tokens in all capitals number less than / at least `capital_frequency`."""

    capital_frequency: int
    capital_relation: str

    def __post_init__(self) -> None:
        _relation(self.capital_relation)

    def check(self, response: str) -> bool:
        capitals = sum(1 for token in tokenize(response) if token.isupper())
        return _compare(capitals, self.capital_relation, self.capital_frequency)


@instruction("change_case:english_capital")
@dataclass(frozen=True)
class EnglishCapital(Instruction):
    """All cased letters are capitals and the text is English (undetectable language passes)."""

    def check(self, response: str) -> bool:
        if not response.isupper():
            return False
        return detect_language(response) in (None, "en")


@instruction("change_case:english_lowercase")
@dataclass(frozen=True)
class EnglishLowercase(Instruction):
    """All cased letters are lower case and the text is English (undetectable language passes)."""

    def check(self, response: str) -> bool:
        if not response.islower():
            return False
        return detect_language(response) in (None, "en")


# punctuation:


@instruction("punctuation:no_comma")
@dataclass(frozen=True)
class NoComma(Instruction):
    """No comma (",") anywhere."""

    def check(self, response: str) -> bool:
        return "," not in response
