"""`ANNOTATORS`: annotator classes by name, HELM's class names as aliases, imported on first use."""

from __future__ import annotations

from helm_lite.common.plugins import Registry

_HELM = "helm.benchmark.annotation."
_SAFETY = "helm_lite.annotation.safety:"

_BUILT_IN = {
    "harm_bench": _SAFETY + "HarmBenchAnnotator",
    "xstest": _SAFETY + "XSTestAnnotator",
    "simple_safety_tests": _SAFETY + "SimpleSafetyTestsAnnotator",
    "anthropic_red_team": _SAFETY + "AnthropicRedTeamAnnotator",
    "wildbench": "helm_lite.annotation.capabilities:WildBenchAnnotator",
    "omni_math": "helm_lite.annotation.capabilities:OmniMATHAnnotator",
}
_HELM_NAMES = {
    "harm_bench_annotator.HarmBenchAnnotator": "harm_bench",
    "xstest_annotator.XSTestAnnotator": "xstest",
    "simple_safety_tests_annotator.SimpleSafetyTestsAnnotator": "simple_safety_tests",
    "anthropic_red_team_annotator.AnthropicRedTeamAnnotator": "anthropic_red_team",
    "wildbench_annotator.WildBenchAnnotator": "wildbench",
    "omni_math_annotator.OmniMATHAnnotator": "omni_math",
}

#: Annotator classes (`annotation.base.Annotator` subclasses) by short name or HELM class name. A
#: plug-in registers its own with ``ANNOTATORS.register("name", "module:Class")``.
ANNOTATORS: Registry[type] = Registry(
    "annotator",
    {**_BUILT_IN, **{_HELM + helm: _BUILT_IN[short] for helm, short in _HELM_NAMES.items()}},
)
