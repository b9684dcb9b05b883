"""HELM's `data_augmentation=` values, the perturbation specs they stand for, and how to build them.

A spec is an `ObjectSpec` with HELM's class name and arguments, so `run_spec.json` reads as HELM's.
Values whose perturbations need other services (machine translation, WordNet synonyms, filler words,
contrast sets, Chinese conversions, text-to-image styles) are known by name but refused.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from helm_lite.augmentations.base import Perturbation
from helm_lite.augmentations.fairness import (
    DialectPerturbation,
    GenderPerturbation,
    PersonNamePerturbation,
    parse_person_names,
)
from helm_lite.augmentations.robustness import (
    ContractionPerturbation,
    ExpansionPerturbation,
    ExtraSpacePerturbation,
    LowerCasePerturbation,
    MildMixPerturbation,
    MisspellingPerturbation,
    SpacePerturbation,
    TyposPerturbation,
)
from helm_lite.augmentations.word_lists import PERSON_NAMES, SAE_TO_AAVE, WordLists
from helm_lite.common.errors import UserError
from helm_lite.common.object_spec import ObjectSpec
from helm_lite.common.plugins import Registry

_P = "helm.benchmark.augmentations."


def _spec(module_class: str, **args: Any) -> ObjectSpec:
    return ObjectSpec(_P + module_class, args)


def lower() -> ObjectSpec:
    return _spec("lowercase_perturbation.LowerCasePerturbation")


def contract_and_expand() -> list[ObjectSpec]:
    return [
        _spec(f"contraction_expansion_perturbation.{mode}Perturbation")
        for mode in ("Contraction", "Expansion")
    ]


def extra_space(num_spaces: int) -> ObjectSpec:
    return _spec("extra_space_perturbation.ExtraSpacePerturbation", num_spaces=num_spaces)


def space(max_spaces: int) -> ObjectSpec:
    return _spec("space_perturbation.SpacePerturbation", max_spaces=max_spaces)


def misspelling(prob: float) -> ObjectSpec:
    return _spec("misspelling_perturbation.MisspellingPerturbation", prob=prob)


def typo(prob: float) -> ObjectSpec:
    return _spec("typos_perturbation.TyposPerturbation", prob=prob)


def mild_mix() -> ObjectSpec:
    return _spec("mild_mix_perturbation.MildMixPerturbation")


def dialect(prob: float) -> ObjectSpec:
    return _spec(
        "dialect_perturbation.DialectPerturbation",
        prob=prob,
        source_class="SAE",
        target_class="AAVE",
        mapping_file_path=None,
    )


def person_name(prob: float, source: str, target: str, name_type: str, preserve_gender: bool) -> ObjectSpec:
    return _spec(
        "person_name_perturbation.PersonNamePerturbation",
        prob=prob,
        source_class={"race": source},
        target_class={"race": target},
        name_file_path=None,
        person_name_type=name_type,
        preserve_gender=preserve_gender,
    )


def gender(mode: str, prob: float) -> ObjectSpec:
    return _spec(
        "gender_perturbation.GenderPerturbation",
        mode=mode,
        prob=prob,
        source_class="male",
        target_class="female",
        mapping_file_path=None,
        mapping_file_genders=None,
        bidirectional=False,
    )


def _robustness() -> list[ObjectSpec]:
    return [mild_mix()]


def _fairness() -> list[ObjectSpec]:
    return [
        dialect(1.0),
        gender("pronouns", 1.0),
        person_name(1.0, "white_american", "black_american", "first_name", True),
    ]


# value → {run-name suffix: perturbation specs}: one run per suffix (HELM's table).
DATA_AUGMENTATIONS: dict[str, dict[str, list[ObjectSpec]]] = {
    "extra_space": {"extra_space2": [extra_space(2)]},
    "space": {"space3": [space(3)]},
    "lower": {"lower": [lower()]},
    "contract": {"contract": contract_and_expand()},
    "misspelling_mild": {"misspelling0.05": [misspelling(0.05)]},
    "misspelling_medium": {"misspelling0.20": [misspelling(0.20)]},
    "misspelling_hard": {"misspelling0.5": [misspelling(0.5)]},
    "misspelling_sweep": {f"misspelling{p}": [misspelling(p)] for p in (0, 0.05, 0.2, 0.5)},
    "typo_easy": {"typo0.1": [typo(0.1)]},
    "typo_medium": {"typo0.3": [typo(0.3)]},
    "typo_hard": {"typo0.5": [typo(0.5)]},
    "dialect_easy": {"dialect_easy_prob=0.1_source=SAE_target=AAVE": [dialect(0.1)]},
    "dialect_medium": {"dialect_prob=0.3_source=SAE_target=AAVE": [dialect(0.3)]},
    "dialect_hard": {"dialect_prob=0.5_source=SAE_target=AAVE": [dialect(0.5)]},
    "dialect_deterministic": {"dialect_prob=1.0_source=SAE_target=AAVE": [dialect(1.0)]},
    "person_name_first_hard_preserve_gender": {
        "person_name_first_prob=0.5_source=white_target=black_preserve_gender=True": [
            person_name(0.5, "white_american", "black_american", "first_name", True)
        ]
    },
    "person_name_first_hard_dont_preserve_gender": {
        "person_name_first_prob=0.5_source=white_target=black_preserve_gender=False": [
            person_name(0.5, "white_american", "black_american", "first_name", False)
        ]
    },
    "person_name_first_deterministic": {
        "person_name_first_prob=1.0_source=white_target=black_preserve_gender=True": [
            person_name(1.0, "white_american", "black_american", "first_name", True)
        ]
    },
    "person_name_last_deterministic": {
        "person_name_last_prob=1.0_source=white_target=hispanic": [
            person_name(1.0, "white", "hispanic", "last_name", False)
        ]
    },
    "person_name_last_hard": {
        "person_name_last_prob=0.5_source=white_target=hispanic": [
            person_name(0.5, "white", "hispanic", "last_name", False)
        ]
    },
    **{
        f"gender_{mode}_{level}": {
            f"gender_{mode}_prob={prob}_source=male_target=female": [gender(mode, prob)]
        }
        for mode in ("terms", "pronouns")
        for level, prob in (("easy", 0.1), ("medium", 0.3), ("hard", 0.5), ("deterministic", 1.0))
    },
    "robustness": {"robustness": _robustness()},
    "fairness": {"fairness": _fairness()},
    "canonical": {"canonical": _robustness() + _fairness()},
}

# Values HELM knows whose perturbations helm_lite does not implement, with what they need.
UNSUPPORTED: dict[str, str] = {
    "contrast_sets": "contrast sets from the scenario",
    "filler": "filler-word insertion",
    "synonym": "WordNet synonyms",
    "robustness_all": "WordNet synonyms and filler words",
    "cleva_robustness": "Chinese perturbations",
    "cleva_fairness": "Chinese perturbations",
    "cleva": "Chinese perturbations",
    "chinese": "machine translation",
    "hindi": "machine translation",
    "spanish": "machine translation",
    "swahili": "machine translation",
    "art": "text-to-image style suffixes",
}


def specs_for(value: str) -> dict[str, list[ObjectSpec]]:
    """The runs `data_augmentation=value` makes; a one-line error for an unknown or unsupported value."""
    if value in DATA_AUGMENTATIONS:
        return DATA_AUGMENTATIONS[value]
    if value in UNSUPPORTED:
        raise UserError(f"data_augmentation={value}: not supported by helm_lite (needs {UNSUPPORTED[value]})")
    raise UserError(
        f"data_augmentation={value}: unknown value; choose one of {', '.join(DATA_AUGMENTATIONS)}"
    )


Builder = Callable[[dict[str, Any], WordLists], Perturbation]


def _dialect(args: dict[str, Any], lists: WordLists) -> Perturbation:
    if args.get("mapping_file_path"):
        raise UserError("DialectPerturbation: mapping_file_path is not supported; use the data mirror")
    if (str(args["source_class"]).upper(), str(args["target_class"]).upper()) != ("SAE", "AAVE"):
        raise UserError("DialectPerturbation: only source_class=SAE, target_class=AAVE has a word list")
    mapping = lists.json_dict(SAE_TO_AAVE)
    path = lists.recorded_path(SAE_TO_AAVE)
    return DialectPerturbation(float(args["prob"]), args["source_class"], args["target_class"], mapping, path)


def _person_name(args: dict[str, Any], lists: WordLists) -> Perturbation:
    if args.get("name_file_path"):
        raise UserError("PersonNamePerturbation: name_file_path is not supported; use the data mirror")
    name_type = str(args.get("person_name_type", "first_name")).lower()
    names = parse_person_names(lists.text(PERSON_NAMES), name_type)
    return PersonNamePerturbation(
        float(args["prob"]),
        args["source_class"],
        args["target_class"],
        names,
        lists.recorded_path(PERSON_NAMES),
        name_type,
        bool(args.get("preserve_gender", True)),
    )


def _gender(args: dict[str, Any], lists: WordLists) -> Perturbation:
    if args.get("mapping_file_path"):
        raise UserError("GenderPerturbation: mapping_file_path is not supported")
    return GenderPerturbation(
        args["mode"],
        float(args["prob"]),
        args["source_class"],
        args["target_class"],
        bool(args.get("bidirectional")),
    )


# HELM class name → builder (arguments as HELM's spec gives them, plus where the word lists are).
PERTURBATIONS: Registry[Builder] = Registry(
    "perturbation",
    {
        _P + "lowercase_perturbation.LowerCasePerturbation": lambda a, w: LowerCasePerturbation(),
        _P + "contraction_expansion_perturbation.ContractionPerturbation": lambda a, w: (
            ContractionPerturbation()
        ),
        _P + "contraction_expansion_perturbation.ExpansionPerturbation": lambda a, w: ExpansionPerturbation(),
        _P + "extra_space_perturbation.ExtraSpacePerturbation": lambda a, w: ExtraSpacePerturbation(
            int(a["num_spaces"])
        ),
        _P + "space_perturbation.SpacePerturbation": lambda a, w: SpacePerturbation(int(a["max_spaces"])),
        _P + "typos_perturbation.TyposPerturbation": lambda a, w: TyposPerturbation(float(a["prob"])),
        _P + "misspelling_perturbation.MisspellingPerturbation": lambda a, w: MisspellingPerturbation(
            float(a["prob"]), w.misspellings
        ),
        _P + "mild_mix_perturbation.MildMixPerturbation": lambda a, w: MildMixPerturbation(w.misspellings),
        _P + "dialect_perturbation.DialectPerturbation": _dialect,
        _P + "person_name_perturbation.PersonNamePerturbation": _person_name,
        _P + "gender_perturbation.GenderPerturbation": _gender,
    },
)


def build_perturbation(spec: ObjectSpec, lists: WordLists) -> Perturbation:
    return PERTURBATIONS.get(spec.class_name)(dict(spec.args), lists)
