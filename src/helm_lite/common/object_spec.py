"""ObjectSpec: every pluggable piece is a `class_name` plus `args`, so YAML fully describes it.

HELM's own class names (``helm.clients.simple_client.SimpleClient`` …) appear in registries and in
``run_spec.json``; they are accepted verbatim: the registries below map them to helm_lite's
implementations. A plug-in registers its own names there (``SCENARIOS.register("my_scenario",
"my_module:MyScenario")``); any other dotted path is imported as is.
Arguments may hold secrets (``api_key``): their values are remembered as secrets as soon as a spec
exists (a registry file is loaded), a spec's repr shows them scrubbed, and construction errors are
redacted.
"""

from __future__ import annotations

import importlib
import inspect
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from helm_lite.common import secrets
from helm_lite.common.errors import UserError
from helm_lite.common.plugins import Registry

# Built-in plug-ins by HELM class name (the name YAML files and run_spec.json use), one registry per
# kind. Data, not logic: add a line to support another plug-in.
CLIENTS: Registry[type] = Registry(
    "client",
    {
        "helm.clients.simple_client.SimpleClient": "helm_lite.clients.simple:SimpleClient",
        "helm.clients.huggingface_client.HuggingFaceClient": (
            "helm_lite.clients.huggingface:HuggingFaceClient"
        ),
        "helm.clients.openai_client.OpenAIClient": "helm_lite.clients.openai_client:OpenAIClient",
        "helm.clients.vllm_client.VLLMClient": "helm_lite.clients.openai_client:VLLMServerClient",
        "helm.clients.vllm_client.VLLMChatClient": "helm_lite.clients.openai_client:VLLMServerChatClient",
        "helm.clients.together_client.TogetherClient": "helm_lite.clients.together_client:TogetherClient",
        "helm.clients.together_client.TogetherChatClient": (
            "helm_lite.clients.together_client:TogetherChatClient"
        ),
    },
)
TOKENIZERS: Registry[type] = Registry(
    "tokenizer",
    {
        "helm.tokenizers.simple_tokenizer.SimpleTokenizer": "helm_lite.tokenizers.simple:SimpleTokenizer",
        "helm.tokenizers.huggingface_tokenizer.HuggingFaceTokenizer": (
            "helm_lite.tokenizers.huggingface:HuggingFaceTokenizer"
        ),
        "helm.tokenizers.tiktoken_tokenizer.TiktokenTokenizer": (
            "helm_lite.tokenizers.tiktoken_tokenizer:TiktokenTokenizer"
        ),
    },
)
WINDOW_SERVICES: Registry[type] = Registry("window service")
SCENARIOS: Registry[type] = Registry(
    "scenario",
    {
        "helm.benchmark.scenarios.synthetic_reasoning_scenario.SyntheticReasoningScenario": (
            "helm_lite.scenarios.synthetic_reasoning:SyntheticReasoningScenario"
        ),
        "helm.benchmark.scenarios.dyck_language_scenario.DyckLanguageScenario": (
            "helm_lite.scenarios.dyck_language:DyckLanguageScenario"
        ),
        # HELM Lite scenarios
        "helm.benchmark.scenarios.mmlu_scenario.MMLUScenario": "helm_lite.scenarios.mmlu:MMLUScenario",
        "helm.benchmark.scenarios.gsm_scenario.GSM8KScenario": "helm_lite.scenarios.gsm:GSM8KScenario",
        "helm.benchmark.scenarios.math_scenario.MATHScenario": "helm_lite.scenarios.math:MATHScenario",
        "helm.benchmark.scenarios.legalbench_scenario.LegalBenchScenario": (
            "helm_lite.scenarios.legalbench:LegalBenchScenario"
        ),
        "helm.benchmark.scenarios.narrativeqa_scenario.NarrativeQAScenario": (
            "helm_lite.scenarios.narrative_qa:NarrativeQAScenario"
        ),
        "helm.benchmark.scenarios.natural_qa_scenario.NaturalQAScenario": (
            "helm_lite.scenarios.natural_qa:NaturalQAScenario"
        ),
        "helm.benchmark.scenarios.commonsense_scenario.OpenBookQA": (
            "helm_lite.scenarios.commonsense:OpenBookQA"
        ),
        "helm.benchmark.scenarios.med_qa_scenario.MedQAScenario": "helm_lite.scenarios.med_qa:MedQAScenario",
        "helm.benchmark.scenarios.wmt_14_scenario.WMT14Scenario": "helm_lite.scenarios.wmt_14:WMT14Scenario",
        # HELM Capabilities scenarios
        "helm.benchmark.scenarios.mmlu_pro_scenario.MMLUProScenario": (
            "helm_lite.scenarios.mmlu_pro:MMLUProScenario"
        ),
        "helm.benchmark.scenarios.gpqa_scenario.GPQAScenario": "helm_lite.scenarios.gpqa:GPQAScenario",
        "helm.benchmark.scenarios.ifeval_scenario.IFEvalScenario": (
            "helm_lite.scenarios.ifeval:IFEvalScenario"
        ),
        # HELM Safety scenarios
        "helm.benchmark.scenarios.bbq_scenario.BBQScenario": "helm_lite.scenarios.bbq:BBQScenario",
        "helm.benchmark.scenarios.xstest_scenario.XSTestScenario": (
            "helm_lite.scenarios.xstest:XSTestScenario"
        ),
        "helm.benchmark.scenarios.harm_bench_scenario.HarmBenchScenario": (
            "helm_lite.scenarios.harm_bench:HarmBenchScenario"
        ),
        "helm.benchmark.scenarios.simple_safety_tests_scenario.SimpleSafetyTestsScenario": (
            "helm_lite.scenarios.simple_safety_tests:SimpleSafetyTestsScenario"
        ),
        "helm.benchmark.scenarios.anthropic_red_team_scenario.AnthropicRedTeamScenario": (
            "helm_lite.scenarios.anthropic_red_team:AnthropicRedTeamScenario"
        ),
        "helm.benchmark.scenarios.wildbench_scenario.WildBenchScenario": (
            "helm_lite.scenarios.wildbench:WildBenchScenario"
        ),
        "helm.benchmark.scenarios.omni_math_scenario.OmniMATHScenario": (
            "helm_lite.scenarios.omni_math:OmniMATHScenario"
        ),
    },
)
METRICS: Registry[type] = Registry(
    "metric",
    {
        "helm.benchmark.metrics.basic_metrics.BasicGenerationMetric": (
            "helm_lite.metrics.basic:BasicGenerationMetric"
        ),
        "helm.benchmark.metrics.basic_metrics.BasicReferenceMetric": (
            "helm_lite.metrics.basic:BasicReferenceMetric"
        ),
        "helm.benchmark.metrics.basic_metrics.InstancesPerSplitMetric": (
            "helm_lite.metrics.basic:InstancesPerSplitMetric"
        ),
        "helm.benchmark.metrics.dry_run_metrics.DryRunMetric": "helm_lite.metrics.dry_run:DryRunMetric",
        "helm.benchmark.metrics.language_modeling_metrics.LanguageModelingMetric": (
            "helm_lite.metrics.basic:LanguageModelingMetric"
        ),
        "helm.benchmark.metrics.ifeval_metrics.IFEvalMetric": "helm_lite.metrics.ifeval.metric:IFEvalMetric",
        "ifeval": "helm_lite.metrics.ifeval.metric:IFEvalMetric",
        "helm.benchmark.metrics.gpqa_chain_of_thought_metric.GPQAChainOfThoughtMetric": (
            "helm_lite.metrics.chain_of_thought:ChainOfThoughtMetric"
        ),
        "helm.benchmark.metrics.bbq_metrics.BBQMetric": "helm_lite.metrics.bbq:BBQMetric",
        "helm.benchmark.metrics.wildbench_metrics.WildBenchScoreMetric": (
            "helm_lite.metrics.wildbench:WildBenchScoreMetric"
        ),
        "helm.benchmark.metrics.omni_math_metrics.OmniMATHMetric": (
            "helm_lite.metrics.omni_math:OmniMATHMetric"
        ),
        "helm.benchmark.metrics.safety_metrics.SafetyScoreMetric": (
            "helm_lite.metrics.safety:SafetyScoreMetric"
        ),
        "helm.benchmark.metrics.safety_metrics.SafetyBasicGenerationMetric": (
            "helm_lite.metrics.safety:SafetyBasicGenerationMetric"
        ),
    },
)
# Searched in this order for a class name (an ObjectSpec does not say its kind).
CLASS_REGISTRIES: tuple[Registry[type], ...] = (CLIENTS, TOKENIZERS, WINDOW_SERVICES, SCENARIOS, METRICS)


@dataclass(frozen=True)
class Lazy:
    """An injectable value built only if the constructor asks for it (e.g. a tokenizer)."""

    make: Callable[[], Any]


@dataclass(frozen=True)
class ObjectSpec:
    """How to build one plug-in: import `class_name`, call it with `args` (plus injected values)."""

    class_name: str
    args: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        secrets.remember_args(self.args)

    def __hash__(self) -> int:
        return hash((self.class_name, tuple(sorted((k, str(v)) for k, v in self.args.items()))))

    def __repr__(self) -> str:  # a deployment formatted into a message never shows its key
        return f"ObjectSpec(class_name={self.class_name!r}, args={secrets.scrub(self.args)!r})"


def _registry_of(class_name: str) -> Registry[type] | None:
    return next((r for r in CLASS_REGISTRIES if class_name in r), None)


def class_path(class_name: str) -> str:
    """The ``module.Class`` a spec's class name stands for, without importing it."""
    registry = _registry_of(class_name)
    path = registry.target(class_name) if registry is not None else None
    return path or class_name


def resolve_class(class_name: str) -> type:
    """The class a spec names (registered names first, then a dotted path); a bad name is a `UserError`."""
    registry = _registry_of(class_name)
    if registry is not None:
        return registry.get(class_name)
    module_name, _, attr = class_name.rpartition(".")
    if not module_name:
        raise UserError(f"class_name {class_name!r} is not a dotted path (module.Class) or a registered name")
    try:
        module = importlib.import_module(module_name)
    except ImportError as e:
        raise UserError(f"class_name {class_name!r}: cannot import module {module_name!r} ({e})") from e
    try:
        cls: type = getattr(module, attr)
    except AttributeError as e:
        raise UserError(f"class_name {class_name!r}: module {module_name!r} has no {attr!r}") from e
    if not callable(cls):
        raise UserError(f"class_name {class_name!r}: {class_name} is not a class")
    return cls


def create_object(spec: ObjectSpec, **injectable: Any) -> Any:
    """Instantiate `spec`; constructor parameters missing from `args` are filled from `injectable`.

    This mirrors HELM's dependency injection: a client asks for ``cache`` or ``tokenizer`` simply by
    naming it as a constructor parameter.
    """
    return build(resolve_class(spec.class_name), spec.args, spec.class_name, **injectable)


def build(cls: type, given: dict[str, Any], label: str, **injectable: Any) -> Any:
    """Call `cls` with `given` plus the `injectable` values its constructor names (see `create_object`);
    `label` names the class in error messages."""
    args = dict(given)
    # A class may accept HELM's names for its arguments: ``ARG_ALIASES = {"vllm_model_name": "model"}``.
    for helm_name, name in getattr(cls, "ARG_ALIASES", {}).items():
        if helm_name in args:
            value = args.pop(helm_name)
            if name in args:
                raise UserError(f"{label}: set {name} or {helm_name}, not both")
            args[name] = value
    try:
        params = inspect.signature(cls).parameters
    except (TypeError, ValueError):  # a built-in without a Python signature: not a plug-in
        raise UserError(f"class_name {label!r}: cannot be built from args") from None
    accepts_kwargs = any(p.kind is inspect.Parameter.VAR_KEYWORD for p in params.values())
    if not accepts_kwargs:  # checked before injected values are built (a cache opens a file)
        unknown = sorted(set(args) - set(params))
        if unknown:
            raise UserError(f"{label}: unknown argument(s) {', '.join(unknown)}")
    for name, value in injectable.items():
        if name not in args and name in params:
            args[name] = value.make() if isinstance(value, Lazy) else value
    try:
        return cls(**args)
    except UserError as e:
        if secrets.redact(str(e)) == str(e):
            raise
        raise UserError(secrets.redact(str(e))) from None
    except TypeError as e:
        raise UserError(secrets.redact(f"{label}: {e}")) from None
