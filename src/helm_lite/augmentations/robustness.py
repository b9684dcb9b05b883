"""Robustness perturbations: case, contractions, spacing, typos and common misspellings."""

from __future__ import annotations

import re
from random import Random
from typing import Any

from helm_lite.augmentations.base import TextPerturbation, match_case

# Contractions and their expansions (the list HELM uses, from NL-Augmenter).
CONTRACTIONS: dict[str, str] = {
    "ain't": "is not", "aren't": "are not", "can't": "cannot", "can't've": "cannot have",
    "could've": "could have", "couldn't": "could not", "didn't": "did not", "doesn't": "does not",
    "don't": "do not", "hadn't": "had not", "hasn't": "has not", "haven't": "have not",
    "he'd": "he would", "he'd've": "he would have", "he'll": "he will", "he's": "he is",
    "how'd": "how did", "how'd'y": "how do you", "how'll": "how will", "how's": "how is",
    "I'd": "I would", "I'll": "I will", "I'm": "I am", "I've": "I have",
    "i'd": "i would", "i'll": "i will", "i'm": "i am", "i've": "i have",
    "isn't": "is not", "it'd": "it would", "it'll": "it will", "it's": "it is", "ma'am": "madam",
    "might've": "might have", "mightn't": "might not", "must've": "must have", "mustn't": "must not",
    "needn't": "need not", "oughtn't": "ought not", "shan't": "shall not", "she'd": "she would",
    "she'll": "she will", "she's": "she is", "should've": "should have", "shouldn't": "should not",
    "that'd": "that would", "that's": "that is", "there'd": "there would", "there's": "there is",
    "they'd": "they would", "they'll": "they will", "they're": "they are", "they've": "they have",
    "wasn't": "was not", "we'd": "we would", "we'll": "we will", "we're": "we are",
    "we've": "we have", "weren't": "were not", "what're": "what are", "what's": "what is",
    "when's": "when is", "where'd": "where did", "where's": "where is", "where've": "where have",
    "who'll": "who will", "who's": "who is", "who've": "who have", "why's": "why is",
    "won't": "will not", "would've": "would have", "wouldn't": "would not", "you'd": "you would",
    "you'd've": "you would have", "you'll": "you will", "you're": "you are", "you've": "you have",
}  # fmt: skip

# Each letter's neighbours on a QWERTY keyboard (distance 1, the letter itself excluded).
KEYBOARD_NEIGHBOURS: dict[str, str] = {
    "q": "was", "w": "qesad", "e": "wsdfr", "r": "edfgt", "t": "rfghy", "y": "tghju", "u": "yhjki",
    "i": "ujklo", "o": "iklp", "p": "ol", "a": "qwsz", "s": "weadzx", "d": "erfcxs", "f": "rtgvcd",
    "g": "tyhbvf", "h": "yujnbg", "j": "uikmnh", "k": "iolmj", "l": "opk", "z": "asx", "x": "sdcz",
    "c": "dfvx", "v": "fgbc", "b": "ghnv", "n": "hjmb", "m": "jkn",
}  # fmt: skip


class LowerCasePerturbation(TextPerturbation):
    name = "lowercase"
    robustness = True

    def perturb(self, text: str, rng: Random) -> str:
        return text.lower()


class ContractionPerturbation(TextPerturbation):
    """Contracts expansions followed by a space ("she is a" → "she's a"); a sentence's end is kept."""

    name = "contraction"
    robustness = True

    def __init__(self) -> None:
        # Several contractions share an expansion; the last one listed wins, at the first one's place.
        self._reverse = {expanded: short for short, expanded in CONTRACTIONS.items()}
        alternatives = "|".join(self._reverse)
        self._pattern = re.compile(rf"\b({alternatives})\b ", flags=re.IGNORECASE | re.DOTALL)

    def perturb(self, text: str, rng: Random) -> str:
        def contract(m: re.Match[str]) -> str:
            found = m.group(1)
            short = self._reverse.get(found, self._reverse.get(found.lower(), found))
            return match_case(found, short) + " "

        return self._pattern.sub(contract, text)


class ExpansionPerturbation(TextPerturbation):
    """Expands every contraction ("she's" → "she is")."""

    name = "expansion"
    robustness = True

    def __init__(self) -> None:
        alternatives = "|".join(CONTRACTIONS)
        self._pattern = re.compile(rf"\b({alternatives})\b", flags=re.IGNORECASE | re.DOTALL)

    def perturb(self, text: str, rng: Random) -> str:
        def expand(m: re.Match[str]) -> str:
            found = m.group(0)
            return match_case(found, CONTRACTIONS.get(found, CONTRACTIONS.get(found.lower(), found)))

        return self._pattern.sub(expand, text)


class ExtraSpacePerturbation(TextPerturbation):
    """Every space becomes `num_spaces` spaces."""

    name = "extra_space"
    robustness = True

    def __init__(self, num_spaces: int) -> None:
        self.num_spaces = num_spaces

    def extras(self) -> dict[str, Any]:
        return {"num_spaces": self.num_spaces}

    def perturb(self, text: str, rng: Random) -> str:
        return text.replace(" ", " " * self.num_spaces)


class SpacePerturbation(TextPerturbation):
    """Every run of spaces becomes 1 to `max_spaces` spaces (drawn per run)."""

    name = "space"
    robustness = True

    def __init__(self, max_spaces: int) -> None:
        self.max_spaces = max_spaces

    def extras(self) -> dict[str, Any]:
        return {"max_spaces": self.max_spaces}

    def perturb(self, text: str, rng: Random) -> str:
        return re.sub(r" +", lambda _: " " * rng.randint(1, self.max_spaces), text)


class TyposPerturbation(TextPerturbation):
    """Each letter becomes, with probability `prob`, a neighbouring key (case kept)."""

    name = "typos"
    robustness = True

    def __init__(self, prob: float) -> None:
        self.prob = prob
        self._choices = {k: list(v) for k, v in KEYBOARD_NEIGHBOURS.items()}

    def extras(self) -> dict[str, Any]:
        return {"prob": self.prob}

    def perturb(self, text: str, rng: Random) -> str:
        out = []
        for letter in text:
            lower = letter.lower()
            new = lower
            choices = self._choices.get(lower)
            if choices is not None and rng.random() < self.prob:
                new = rng.choice(choices)
            out.append(new if lower == letter else new.upper())
        return "".join(out)


class MisspellingPerturbation(TextPerturbation):
    """Each word with a known common misspelling becomes one of them with probability `prob`."""

    name = "misspellings"
    robustness = True

    def __init__(self, prob: float, misspellings: dict[str, list[str]]) -> None:
        self.prob = prob
        self._misspellings = misspellings
        self._pattern = re.compile(r"\b({})\b".format("|".join(misspellings)))

    def extras(self) -> dict[str, Any]:
        return {"prob": self.prob}

    def perturb(self, text: str, rng: Random) -> str:
        def misspell(m: re.Match[str]) -> str:
            word = m.group(1)
            if rng.random() < self.prob:
                return match_case(word, str(rng.choice(self._misspellings[word])))
            return word

        return self._pattern.sub(misspell, text)


class MildMixPerturbation(TextPerturbation):
    """HELM's canonical robustness perturbation: lower case, contractions, 10% misspellings, 1-3 spaces,
    in that order, all drawing from the instance's one generator."""

    name = "mild_mix"
    robustness = True

    def __init__(self, misspellings: dict[str, list[str]]) -> None:
        self._steps: list[TextPerturbation] = [
            LowerCasePerturbation(),
            ContractionPerturbation(),
            MisspellingPerturbation(0.1, misspellings),
            SpacePerturbation(3),
        ]

    def perturb(self, text: str, rng: Random) -> str:
        for step in self._steps:
            text = step.perturb(text, rng)
        return text
