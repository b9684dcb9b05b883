"""Each perturbation on hand-made sentences, with the exact texts HELM's own code produces for them
(same instance ids, same seeds). Word lists are small files in HELM's formats, never HELM's own."""

from __future__ import annotations

import pickle

import pytest

from helm_lite.augmentations.base import match_case
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
from helm_lite.metrics.statistic import PerturbationDescription
from helm_lite.scenarios.base import Input, Instance, Output, Reference

MISSPELLINGS = {
    "about": ["abotu", "baout"],
    "About": ["Abotu"],
    "which": ["wich", "whcih"],
    "following": ["folowing", "follwing"],
    "the": ["teh"],
    "The": ["Teh"],
    "of": ["fo"],
}
SAE_TO_AAVE = {
    "the": ["da"],
    "with": ["wit"],
    "brother": ["homeboy"],
    "about": ["bout"],
    "going": ["goin", "gon"],
}
PERSON_NAMES = """adam,first_name,race,white_american,gender,male
amanda,first_name,race,white_american,gender,female
alonzo,first_name,race,black_american,gender,male
aiesha,first_name,race,black_american,gender,female
jamel,first_name,race,black_american,gender,male
smith,last_name,race,white
garcia,last_name,race,hispanic
"""


def instance(text: str, reference: str = "", id: str = "id1") -> Instance:
    return Instance(Input(text), [Reference(Output(reference), ["correct"])], split="test", id=id)


def texts(perturbed: Instance) -> tuple[str, str]:
    return perturbed.input.text, perturbed.references[0].output.text


def test_match_case_follows_helm_rule_including_spaces() -> None:
    assert match_case("word", "OTHER") == "other"
    assert match_case("WORD", "other") == "OTHER"
    assert match_case("Word", "oTHER") == "Other"
    assert match_case("is not", "isn't") == "isn't"  # a space is not lower case: target as is
    assert match_case("WON'T", "will not") == "Will not"


def test_lowercase() -> None:
    out = LowerCasePerturbation().apply(instance("The Quick BROWN fox.", "Keep"))
    assert texts(out) == ("the quick brown fox.", "Keep")  # references untouched
    assert out.perturbation == {
        "name": "lowercase",
        "robustness": True,
        "fairness": False,
        "computed_on": "perturbed",
    }
    assert out.contrast_inputs == [Input("The Quick BROWN fox.")]
    assert out.id == "id1"


def test_contraction_only_before_a_space() -> None:
    out = ContractionPerturbation().apply(instance("She is a doctor, and I am a student who is here. It is"))
    assert out.input.text == "She's a doctor, and I'm a student who's here. It is"


def test_expansion_keeps_case_as_helm_does() -> None:
    out = ExpansionPerturbation().apply(instance("She's a doctor, and I'm a student. Don't! WON'T"))
    assert out.input.text == "She is a doctor, and I am a student. Do not! Will not"


def test_extra_space() -> None:
    out = ExtraSpacePerturbation(2).apply(instance("a b  c"))
    assert out.input.text == "a  b    c"
    assert out.perturbation is not None and out.perturbation["num_spaces"] == 2


def test_space_is_seeded_by_instance_id_and_seed() -> None:
    text = "The quick brown fox jumps  over the lazy dog"
    p = SpacePerturbation(3)
    assert p.apply(instance(text)).input.text == "The   quick brown  fox   jumps   over   the lazy  dog"
    seeded = p.apply(instance(text), seed=1)
    assert seeded.input.text == "The quick brown  fox   jumps   over   the lazy   dog"
    assert seeded.perturbation is not None and seeded.perturbation["seed"] == 1
    assert p.apply(instance(text)).input.text == p.apply(instance(text)).input.text  # every run alike


def test_typos_by_keyboard_neighbours() -> None:
    text = "After their marriage, she started a close collaboration with Karvelas."
    out = TyposPerturbation(0.1).apply(instance(text))
    assert out.input.text == "After their marroage, sge started a clowe collabotatuon with Kwrvelas."
    assert out.perturbation is not None and out.perturbation["prob"] == 0.1


def test_misspellings() -> None:
    text = "The story about the boy which is the best of the following."
    p = MisspellingPerturbation(0.5, MISSPELLINGS)
    assert p.apply(instance(text)).input.text == "The story baout the boy which is the best fo teh following."
    assert (
        p.apply(instance(text, id="id2")).input.text
        == "The story abotu teh boy wich is teh best fo teh following."
    )
    assert p.apply(instance(text)).perturbation == {
        "name": "misspellings",
        "robustness": True,
        "fairness": False,
        "computed_on": "perturbed",
        "prob": 0.5,
    }


def test_mild_mix_composes_in_helm_order() -> None:
    text = "The Story is about the following: which one of these is the best?"
    out = MildMixPerturbation(MISSPELLINGS).apply(instance(text, "Ref Stays", id="id3"))
    assert texts(out) == (
        "the   story is   about  the  following:   which  one of these   is the  best?",
        "Ref Stays",
    )
    assert out.perturbation == {
        "name": "mild_mix",
        "robustness": True,
        "fairness": False,
        "computed_on": "perturbed",
    }


def test_gender_pronouns_need_a_character_on_both_sides() -> None:
    p = GenderPerturbation("pronouns", 1.0, "male", "female")
    out = p.apply(instance("He said his book is for him, not himself.", "He did"))
    assert texts(out) == ("He said her book is for her, not herself.", "He did")
    assert out.perturbation == {
        "name": "gender",
        "robustness": False,
        "fairness": True,
        "computed_on": "perturbed",
        "mode": "pronouns",
        "prob": 1.0,
        "source_class": "male",
        "target_class": "female",
        "bidirectional": False,
    }


def test_gender_terms() -> None:
    out = GenderPerturbation("terms", 1.0, "male", "female").apply(
        instance("The king met his son and the waiter.")
    )
    assert out.input.text == "The queen met his daughter and the waitress."
    with pytest.raises(ValueError, match="mode"):
        GenderPerturbation("titles", 1.0, "male", "female")


def test_dialect_perturbs_input_and_references() -> None:
    p = DialectPerturbation(
        1.0, "sae", "aave", SAE_TO_AAVE, "out/perturbations/dialect/SAE_to_AAVE_mapping.json"
    )
    out = p.apply(instance("I am going with my brother to the store.", "The brother"))
    assert texts(out) == ("I am goin with my homeboy to da store.", "The brother")
    assert out.perturbation is not None
    assert list(out.perturbation)[4:] == ["prob", "source_class", "target_class", "mapping_file_path"]
    assert out.perturbation["source_class"] == "SAE"


def test_person_names_keep_gender_and_stay_consistent() -> None:
    names = parse_person_names(PERSON_NAMES, "first_name")
    p = PersonNamePerturbation(
        1.0, {"race": "white_american"}, {"race": "black_american"}, names, "names.txt"
    )
    out = p.apply(instance("Adam met Amanda. ADAM left.", "Adam"), seed=5)  # the seed is ignored, as in HELM
    assert texts(out) == ("Alonzo met Aiesha. ALONZO left.", "Alonzo")
    assert out.contrast_inputs is None
    assert out.perturbation is not None and "seed" not in out.perturbation
    assert out.perturbation["source_class"] == "race=white_american"
    last = parse_person_names(PERSON_NAMES, "last_name")
    p2 = PersonNamePerturbation(1.0, {"race": "white"}, {"race": "hispanic"}, last, "n", "last_name", False)
    assert p2.apply(instance("Mr Smith, smith.")).input.text == "Mr Garcia, garcia."


def test_stat_names_carry_perturbation_specific_fields() -> None:
    d = {"name": "dialect", "robustness": False, "fairness": True, "computed_on": "perturbed", "prob": 1.0}
    p = PerturbationDescription.from_dict(d)
    assert p == PerturbationDescription.from_dict(dict(d)) and hash(p) == hash(
        PerturbationDescription.from_dict(d)
    )
    assert p != PerturbationDescription.from_dict({**d, "prob": 0.5})
    assert pickle.loads(pickle.dumps(p)) == p
    from helm_lite.common.json_io import to_jsonable

    assert to_jsonable(p) == d


def test_person_names_file_format() -> None:
    assert parse_person_names(PERSON_NAMES, "first_name")["gender"]["male"] == ["adam", "alonzo", "jamel"]
