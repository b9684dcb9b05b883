"""Fairness perturbations: dialect (SAE → AAVE), gender terms and pronouns, person names."""

from __future__ import annotations

import re
from dataclasses import replace
from random import Random
from typing import Any

from helm_lite.augmentations.base import Perturbation, TextPerturbation, match_case
from helm_lite.scenarios.base import Input, Instance, Output, Reference


class DialectPerturbation(TextPerturbation):
    """Each mapped word (between non-word, non-hyphen characters) becomes, with probability `prob`,
    one of its target-dialect forms."""

    name = "dialect"
    fairness = True
    should_perturb_references = True

    def __init__(
        self,
        prob: float,
        source_class: str,
        target_class: str,
        mapping: dict[str, list[str]],
        mapping_path: str,
    ) -> None:
        self.prob = prob
        self.source_class = source_class.upper()
        self.target_class = target_class.upper()
        self.mapping_path = mapping_path
        self._mapping = mapping
        words = "|".join(re.escape(w) for w in mapping)
        self._pattern = re.compile(f"[^\\w-]({words})[^\\w-]", flags=re.IGNORECASE)

    def extras(self) -> dict[str, Any]:
        return {
            "prob": self.prob,
            "source_class": self.source_class,
            "target_class": self.target_class,
            "mapping_file_path": self.mapping_path,
        }

    def perturb(self, text: str, rng: Random) -> str:
        def substitute(m: re.Match[str]) -> str:
            whole, word = m.group(0), m.group(1)
            if rng.uniform(0, 1) < self.prob:
                other = match_case(word, rng.choice(self._mapping[word.lower()]))
                whole = whole.replace(word, other)
            return whole

        return self._pattern.sub(substitute, text)


GENDERS = ("neutral", "female", "male")

# (neutral, female, male) terms: Garg et al. (2018), Bolukbasi et al. (2016) and HELM's additions.
GENDER_TERMS: list[tuple[str, str, str]] = [
    ("child", "daughter", "son"), ("children", "daughters", "sons"), ("parent", "mother", "father"),
    ("parents", "mothers", "fathers"), ("kiddo", "girl", "boy"), ("kiddos", "girls", "boys"),
    ("person", "woman", "man"), ("people", "women", "men"), ("sibling", "sister", "brother"),
    ("siblings", "sisters", "brothers"), ("nibling", "niece", "nephew"),
    ("niblings", "nieces", "nephews"), ("monarch", "queen", "king"), ("monarchs", "queens", "kings"),
    ("server", "waitress", "waiter"), ("servers", "waitresses", "waiters"), ("parent", "mom", "dad"),
    ("parents", "moms", "dads"), ("stepchild", "stepdaughter", "stepson"),
    ("stepchildren", "stepdaughters", "stepsons"), ("stepparent", "stepmother", "stepfather"),
    ("stepparents", "stepmothers", "stepfathers"), ("stepparent", "stepmom", "stepdad"),
    ("stepparents", "stepmoms", "stepdads"), ("grandchild", "granddaughter", "grandson"),
    ("grandchildren", "granddaughters", "grandsons"), ("grandparent", "grandmother", "grandfather"),
    ("grandparents", "grandmothers", "grandfather"), ("grandparent", "grandma", "granddad"),
    ("grandparents", "grandmas", "granddads"), ("human", "female", "male"),
    ("humans", "females", "males"),
]  # fmt: skip

# (neutral, female, male) pronouns, Lauscher et al. (2022). Overlaps ("her" for "him" and "his")
# are resolved by list order, as HELM does (no part-of-speech tagging).
GENDER_PRONOUNS: list[tuple[str, str, str]] = [
    ("they", "she", "he"),
    ("them", "her", "him"),
    ("their", "her", "his"),
    ("theirs", "hers", "his"),
    ("themselves", "herself", "himself"),
]


class GenderPerturbation(TextPerturbation):
    """Each source-gender word (between non-word characters) becomes its target-gender counterpart with
    probability `prob`; one pass per word pair, in list order."""

    name = "gender"
    fairness = True
    should_perturb_references = True

    def __init__(
        self, mode: str, prob: float, source_class: str, target_class: str, bidirectional: bool = False
    ) -> None:
        lists = {"terms": GENDER_TERMS, "pronouns": GENDER_PRONOUNS}
        if mode not in lists:
            raise ValueError(f"gender perturbation mode must be one of {', '.join(lists)}, not {mode!r}")
        self.mode, self.prob, self.bidirectional = mode, prob, bidirectional
        self.source_class, self.target_class = source_class.lower(), target_class.lower()
        src, tgt = GENDERS.index(self.source_class), GENDERS.index(self.target_class)
        self._pairs = [(m[src], m[tgt]) for m in lists[mode]]
        if bidirectional:
            self._pairs += [(m[tgt], m[src]) for m in lists[mode]]

    def extras(self) -> dict[str, Any]:
        return {
            "mode": self.mode,
            "prob": self.prob,
            "source_class": self.source_class,
            "target_class": self.target_class,
            "bidirectional": self.bidirectional,
        }

    def perturb(self, text: str, rng: Random) -> str:
        for word, other in self._pairs:

            def substitute(m: re.Match[str], other: str = other) -> str:
                whole, found = m.group(0), m.group(1)
                if rng.uniform(0, 1) < self.prob:
                    whole = whole.replace(found, match_case(found, other))
                return whole

            text = re.sub(f"[^\\w]({word})[^\\w]", substitute, text, flags=re.IGNORECASE)
        return text


NameLists = dict[str, dict[str, list[str]]]  # category → value → names (lower case), in file order


def parse_person_names(text: str, name_type: str) -> NameLists:
    """Read HELM's `person_names.txt` lines `<name>,<first_name|last_name>[,<category>,<value>]*`."""
    lists: NameLists = {}
    for line in text.splitlines():
        if not line:
            continue
        name, kind, *pairs = line.split(",")
        if kind != name_type:
            continue
        for i in range(len(pairs) // 2):
            lists.setdefault(pairs[2 * i], {}).setdefault(pairs[2 * i + 1], []).append(name.strip().lower())
    return lists


_GENDERS = ("female", "male", "neutral")


class PersonNamePerturbation(Perturbation):
    """Each source-class name becomes, with probability `prob`, a target-class name (of the same gender
    when `preserve_gender`); a name is replaced the same way in the input and every reference."""

    name = "person_name"
    fairness = True
    should_perturb_references = True

    def __init__(
        self,
        prob: float,
        source_class: dict[str, str],
        target_class: dict[str, str],
        names: NameLists,
        names_path: str,
        person_name_type: str = "first_name",
        preserve_gender: bool = True,
    ) -> None:
        self.prob = prob
        self.source_class = {k.lower(): v.lower() for k, v in source_class.items()}
        self.target_class = {k.lower(): v.lower() for k, v in target_class.items()}
        self.names_path = names_path
        self.person_name_type = person_name_type.lower()
        self.preserve_gender = preserve_gender
        self._names = names
        self._source = self._select(self.source_class)
        self._source_set = set(self._source)
        self._target = self._select(self.target_class)
        if preserve_gender and not names.get("gender"):
            raise ValueError("preserve_gender needs names with a gender category")
        # A name's gender is the first of these genders whose list holds it; each gender's targets
        # keep the order of `_target` (so the random choices match HELM's).
        by_gender = names.get("gender", {})
        self._gender_of: dict[str, str] = {}
        self._target_by_gender: dict[str, list[str]] = {}
        for gender in _GENDERS:
            gendered = by_gender.get(gender, [])
            for name in gendered:
                self._gender_of.setdefault(name, gender)
            gendered_set = set(gendered)
            self._target_by_gender[gender] = [n for n in self._target if n in gendered_set]

    def _select(self, wanted: dict[str, str]) -> list[str]:
        """Names in every wanted category, in the order of the first category's list."""
        lists = []
        for category, value in wanted.items():
            names = self._names.get(category, {}).get(value)
            if not names:
                raise ValueError(f"person_name: no {self.person_name_type} with {category}={value}")
            lists.append(names)
        selected = lists[0]
        for other in lists[1:]:
            other_set = set(other)
            selected = [n for n in selected if n in other_set]
        return selected

    def extras(self) -> dict[str, Any]:
        return {
            "prob": self.prob,
            "source_class": ",".join(f"{k}={v}" for k, v in self.source_class.items()),
            "target_class": ",".join(f"{k}={v}" for k, v in self.target_class.items()),
            "name_file_path": self.names_path,
            "person_name_type": self.person_name_type,
            "preserve_gender": self.preserve_gender,
        }

    def _substitute(self, token: str, rng: Random) -> str | None:
        options = self._target
        if self.preserve_gender:
            gender = self._gender_of.get(token.lower())
            if gender is not None:
                options = self._target_by_gender[gender]
                if not options:
                    return None
        return rng.choice(options)

    def _perturb(self, text: str, rng: Random, chosen: dict[str, str], skipped: set[str]) -> str:
        out = []
        for token in re.split(r"([^\w])", text):
            lower = token.lower()
            if lower not in chosen and lower not in skipped and lower in self._source_set:
                if rng.uniform(0, 1) < self.prob:
                    name = self._substitute(token, rng)
                    if name:
                        chosen[lower] = name
                else:
                    skipped.add(lower)
            if lower in chosen:
                token = match_case(token, chosen[lower])
            out.append(token)
        return "".join(out)

    def apply(self, instance: Instance, seed: int | None = None) -> Instance:
        # Seeded by the id alone, whatever `seed` is, and the description carries no seed (HELM's rule).
        rng = self.rng(instance)
        chosen: dict[str, str] = {}
        skipped: set[str] = set()
        references = [
            Reference(Output(self._perturb(r.output.text, rng, chosen, skipped)), r.tags)
            for r in instance.references
        ]
        return replace(
            instance,
            input=Input(self._perturb(instance.input.text, rng, chosen, skipped)),
            references=references,
            perturbation=self.description(),
        )
