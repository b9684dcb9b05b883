"""Adaptation method name → adapter class (a table, so a new method is one new line)."""

from __future__ import annotations

from helm_lite.adaptation.adapter import Adapter
from helm_lite.adaptation.adapter_spec import AdapterSpec
from helm_lite.common.errors import UserError
from helm_lite.common.object_spec import ObjectSpec, create_object
from helm_lite.window.service import WindowService

ADAPTERS: dict[str, str] = {
    "generation": "helm_lite.adaptation.generation.GenerationAdapter",
    "multiple_choice_joint": "helm_lite.adaptation.multiple_choice_joint.MultipleChoiceJointAdapter",
    "multiple_choice_separate_original": (
        "helm_lite.adaptation.multiple_choice_separate.MultipleChoiceSeparateAdapter"
    ),
    "multiple_choice_separate_calibrated": (
        "helm_lite.adaptation.multiple_choice_separate.MultipleChoiceSeparateCalibratedAdapter"
    ),
    "language_modeling": "helm_lite.adaptation.language_modeling.LanguageModelingAdapter",
}


def make_adapter(spec: AdapterSpec, window_service: WindowService) -> Adapter:
    class_name = ADAPTERS.get(spec.method)
    if class_name is None:
        raise UserError(f"Invalid adaptation method: {spec.method}")
    adapter: Adapter = create_object(ObjectSpec(class_name), adapter_spec=spec, window_service=window_service)
    return adapter
