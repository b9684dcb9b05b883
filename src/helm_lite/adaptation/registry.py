"""Adaptation method name → adapter class (a registry, so a new method is one new line)."""

from __future__ import annotations

from helm_lite.adaptation.adapter import Adapter
from helm_lite.adaptation.adapter_spec import AdapterSpec
from helm_lite.common.object_spec import build
from helm_lite.common.plugins import Registry
from helm_lite.window.service import WindowService

ADAPTERS: Registry[type[Adapter]] = Registry(
    "adaptation method",
    {
        "generation": "helm_lite.adaptation.generation:GenerationAdapter",
        "multiple_choice_joint": "helm_lite.adaptation.multiple_choice_joint:MultipleChoiceJointAdapter",
        "multiple_choice_joint_chain_of_thought": (
            "helm_lite.adaptation.multiple_choice_joint_cot:MultipleChoiceJointChainOfThoughtAdapter"
        ),
        "multiple_choice_separate_original": (
            "helm_lite.adaptation.multiple_choice_separate:MultipleChoiceSeparateAdapter"
        ),
        "multiple_choice_separate_calibrated": (
            "helm_lite.adaptation.multiple_choice_separate:MultipleChoiceSeparateCalibratedAdapter"
        ),
        "language_modeling": "helm_lite.adaptation.language_modeling:LanguageModelingAdapter",
        "chat": "helm_lite.adaptation.chat:ChatAdapter",
    },
    unknown=lambda name, known: f"Invalid adaptation method: {name}",
)


def make_adapter(spec: AdapterSpec, window_service: WindowService) -> Adapter:
    cls = ADAPTERS.get(spec.method)
    adapter: Adapter = build(cls, {}, cls.__qualname__, adapter_spec=spec, window_service=window_service)
    return adapter
