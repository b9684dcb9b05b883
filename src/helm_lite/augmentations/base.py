"""Perturbation: one way to rewrite an instance, seeded per instance so every run rewrites it alike."""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import replace
from random import Random
from typing import Any, ClassVar

from helm_lite.scenarios.base import Input, Instance, Output, Reference


def match_case(source: str, target: str) -> str:
    """`target` in the case of `source`: all lower, all upper, or capitalised; else unchanged.

    Every character counts, so a source with a space or apostrophe is "all lower" only if those
    characters were lower case too, which they never are: such a target is returned as is (HELM's rule).
    """
    if all(ch.islower() for ch in source):
        return target.lower()
    if all(ch.isupper() for ch in source):
        return target.upper()
    if source and source[0].isupper():
        return target.capitalize()
    return target


class Perturbation(ABC):
    """Rewrites an instance; its `description` is recorded on the instance and in stat names."""

    name: ClassVar[str]
    robustness: ClassVar[bool] = False
    fairness: ClassVar[bool] = False
    should_perturb_references: ClassVar[bool] = False

    def extras(self) -> dict[str, Any]:
        """Perturbation-specific description fields, in HELM's order."""
        return {}

    def description(self, seed: int | None = None) -> dict[str, Any]:
        d: dict[str, Any] = {
            "name": self.name,
            "robustness": self.robustness,
            "fairness": self.fairness,
            "computed_on": "perturbed",
        }
        if seed is not None:
            d["seed"] = seed
        d.update(self.extras())
        return d

    @staticmethod
    def rng(instance: Instance, seed: int | None = None) -> Random:
        """The instance's generator: seeded by its id (prefixed by `seed` when given), as HELM seeds it."""
        if instance.id is None:
            raise ValueError("perturbations need instance ids")
        return Random(instance.id if seed is None else str(seed) + instance.id)

    @abstractmethod
    def apply(self, instance: Instance, seed: int | None = None) -> Instance:
        """The perturbed copy of `instance` (same id)."""


class TextPerturbation(Perturbation):
    """Rewrites the input text (and the references' texts when `should_perturb_references`)."""

    @abstractmethod
    def perturb(self, text: str, rng: Random) -> str:
        """The rewritten text; every random draw comes from `rng`."""

    def apply(self, instance: Instance, seed: int | None = None) -> Instance:
        rng = self.rng(instance, seed)
        references = instance.references
        if self.should_perturb_references:  # references first: they draw from `rng` before the input
            references = [
                Reference(Output(self.perturb(r.output.text, rng)), r.tags) for r in instance.references
            ]
        return replace(
            instance,
            input=Input(self.perturb(instance.input.text, rng)),
            references=references,
            perturbation=self.description(seed),
            contrast_inputs=[instance.input],
        )
