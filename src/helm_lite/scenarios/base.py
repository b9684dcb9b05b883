"""Scenario data model: instances with inputs, references and splits (HELM's shapes)."""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from typing import Any, ClassVar

TRAIN_SPLIT = "train"
VALID_SPLIT = "valid"
TEST_SPLIT = "test"
EVAL_SPLITS = (VALID_SPLIT, TEST_SPLIT)
CORRECT_TAG = "correct"


@dataclass(frozen=True)
class Input:
    text: str = ""


@dataclass(frozen=True)
class Output:
    text: str = ""


@dataclass(frozen=True)
class Reference:
    output: Output
    tags: list[str]

    @property
    def is_correct(self) -> bool:
        return CORRECT_TAG in self.tags


@dataclass(frozen=True, eq=False)
class Instance:
    """One example. Identity-hashed as in HELM: two equal instances stay distinct."""

    input: Input
    references: list[Reference]
    split: str | None = None
    sub_split: str | None = None
    id: str | None = None
    perturbation: dict[str, Any] | None = None
    # A perturbed copy's unperturbed input (set by text perturbations, as in HELM).
    contrast_inputs: list[Input] | None = None
    extra_data: dict[str, Any] | None = None

    @property
    def first_correct_reference(self) -> Reference | None:
        return next((r for r in self.references if r.is_correct), None)

    @property
    def all_correct_references(self) -> list[Reference]:
        return [r for r in self.references if r.is_correct]


@dataclass(frozen=True)
class ScenarioMetadata:
    """What `scenario.json` says about a scenario."""

    name: str
    description: str
    tags: list[str] = field(default_factory=list)
    definition_path: str = ""


class Scenario(ABC):
    """Produces instances. `name`, `description`, `tags` and `definition_file` feed `scenario.json`."""

    name: ClassVar[str]
    description: ClassVar[str]
    tags: ClassVar[list[str]] = []
    # File name of the equivalent HELM module, for `definition_path` in scenario.json.
    definition_file: ClassVar[str] = ""

    @abstractmethod
    def get_instances(self, output_path: str) -> list[Instance]:
        """Return all instances; `output_path` is this scenario's download/cache directory."""

    def metadata(self) -> ScenarioMetadata:
        path = "https://github.com/stanford-crfm/helm/blob/main/src/helm/benchmark/scenarios/"
        return ScenarioMetadata(
            name=self.name,
            description=self.description,
            tags=list(self.tags),
            definition_path=path + self.definition_file if self.definition_file else "",
        )


def with_ids(instances: list[Instance]) -> list[Instance]:
    """Name instances `id0, id1, …` in order when the scenario gave none (HELM's runner does this)."""
    from dataclasses import replace

    if all(i.id is not None for i in instances):
        return instances
    return [replace(inst, id=f"id{n}") for n, inst in enumerate(instances)]
