"""Which model and deployment a run uses, by HELM's rules: wildcards, `x/y/z` names, pair checks.

Error texts are HELM's verbatim (users grep for them); unknown names get a "did you mean" suffix.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable, Sequence
from dataclasses import replace

from helm_lite.common.errors import UserError
from helm_lite.registry.loader import Registry, suggest
from helm_lite.registry.schema import (
    ABLATION_MODEL_TAG,
    AUDIO_LANGUAGE_MODEL_TAG,
    CODE_MODEL_TAG,
    DEPRECATED_MODEL_TAG,
    FULL_FUNCTIONALITY_TEXT_MODEL_TAG,
    INSTRUCTION_FOLLOWING_MODEL_TAG,
    LIMITED_FUNCTIONALITY_TEXT_MODEL_TAG,
    TEXT_MODEL_TAG,
    TEXT_TO_IMAGE_MODEL_TAG,
    UNSUPPORTED_MODEL_TAG,
    VISION_LANGUAGE_MODEL_TAG,
)
from helm_lite.run_entries.description import parse_description

logger = logging.getLogger(__name__)

# `model=<family>` → models carrying any of these tags (in this order: `text_code` is text ⧺ code).
_TAG_FAMILIES: dict[str, tuple[str, ...]] = {
    "full_functionality_text": (FULL_FUNCTIONALITY_TEXT_MODEL_TAG,),
    "text_code": (TEXT_MODEL_TAG, CODE_MODEL_TAG),
    "text": (TEXT_MODEL_TAG,),
    "code": (CODE_MODEL_TAG,),
    "instruction_following": (INSTRUCTION_FOLLOWING_MODEL_TAG,),
    "limited_functionality_text": (LIMITED_FUNCTIONALITY_TEXT_MODEL_TAG,),
    "text_to_image": (TEXT_TO_IMAGE_MODEL_TAG,),
    "vlm": (VISION_LANGUAGE_MODEL_TAG,),
    "audiolm": (AUDIO_LANGUAGE_MODEL_TAG,),
}
# Historical fixed lists HELM still accepts as `model=` values (data, kept for old conf files).
_FIXED_FAMILIES: dict[str, tuple[str, ...]] = {
    "summarization_zs": (
        "openai/davinci",
        "openai/curie",
        "openai/text-davinci-002",
        "openai/text-curie-001",
    ),
    "biomedical": ("openai/text-davinci-003",),
    "interactive_qa": (
        "openai/text-davinci-001",
        "openai/davinci",
        "ai21/j1-jumbo",
        "openai/text-babbage-001",
    ),
    "opinions_qa_openai": (
        "openai/ada",
        "openai/davinci",
        "openai/text-ada-001",
        "openai/text-davinci-001",
        "openai/text-davinci-002",
        "openai/text-davinci-003",
    ),
    "opinions_qa_ai21": ("ai21/j1-grande", "ai21/j1-jumbo", "ai21/j1-grande-v2-beta"),
}
_BASE_FAMILIES = ("all", *_TAG_FAMILIES, *_FIXED_FAMILIES)
# Every base family also has an ablation subset: `ablation` (of all) and `ablation_<family>`.
WILDCARDS: frozenset[str] = frozenset(
    [*_BASE_FAMILIES, "ablation", *(f"ablation_{f}" for f in _BASE_FAMILIES if f != "all")]
)

_MULTI_MODEL_PATTERN = re.compile(
    r"\bmodel=(?:all|text_code|text|code|instruction_following|full_functionality_text|limited_functionality_text)\b"
)
_ANY_MODEL_PATTERN = re.compile(r"\bmodel=\b")


def expand_model_value(registry: Registry, value: str) -> list[str]:
    """Models a `model=` value stands for: a wildcard's members (minus deprecated/unsupported), else [value].

    Order is registration order (HELM's ablation sets have no stable order); duplicates are dropped.
    """
    if value not in WILDCARDS:
        return [value]
    ablation = value == "ablation" or value.startswith("ablation_")
    family = value
    if ablation:
        family = "all" if value == "ablation" else value.removeprefix("ablation_")
    if family == "all":
        models = registry.all_models()
    elif family in _TAG_FAMILIES:
        models = [m for tag in _TAG_FAMILIES[family] for m in registry.models_with_tag(tag)]
    else:
        models = list(_FIXED_FAMILIES[family])
    excluded = set(registry.models_with_tag(DEPRECATED_MODEL_TAG)) | set(
        registry.models_with_tag(UNSUPPORTED_MODEL_TAG)
    )
    if ablation:
        kept = set(registry.models_with_tag(ABLATION_MODEL_TAG))
        models = [m for m in models if m in kept]
    return list(dict.fromkeys(m for m in models if m not in excluded))


def split_model_value(value: str) -> tuple[str, str | None]:
    """`a/b` → (`a/b`, None); `host/org/name` → (`org/name`, `host/org/name`): the model is the last
    two parts, and a longer name also selects itself as the deployment."""
    parts = value.split("/")
    model = "/".join(parts[-2:])
    return model, (value if len(parts) > 2 else None)


def resolve_model_and_deployment(registry: Registry, model: str, deployment: str) -> tuple[str, str]:
    """Fill in whichever of model / deployment is empty and check that they belong together."""
    if not model and not deployment:
        raise UserError("At least one of model_deployment and model must be specified")
    if not model:
        model = registry.get_deployment(deployment).model_name or deployment
    if not deployment:
        default = registry.default_deployment_for(model)
        if default is None:
            raise UserError(
                f"Unknown model or no default model deployment found for model {model}"
                + suggest(model, registry.all_models())
            )
        deployment = default
    if registry.get_model(model) is None:
        logger.warning(
            "Could not find model metadata for model %s in any model_metadata.yaml configuration file; "
            "falling back to default model metadata%s",
            model,
            suggest(model, registry.all_models()),  # a made-up deployment (openai/…) may hide a typo
        )
    served_by = registry.get_deployment(deployment)
    served = served_by.model_name
    if served != model:
        raise UserError(
            f"Invalid RunSpec: selected model deployment '{deployment}'for model '{model}' "
            f"but the model deployment is for a different model '{served}'"
        )
    tokenizer = served_by.tokenizer_name
    if tokenizer and not registry.has_tokenizer_config(tokenizer):
        raise UserError(
            f"model deployment {deployment}: tokenizer {tokenizer} not found in any tokenizer_configs.yaml"
            + suggest(tokenizer, registry.all_tokenizer_configs())
        )
    return model, deployment


def infer_models_from_deployments(
    descriptions: list[str], registry: Registry, models_to_run: Sequence[str] | None
) -> list[str]:
    """helm_lite extension: `model_deployment=D` without `model=` means the model D serves.

    HELM rejects such an entry unless --models-to-run names the model; a deployment serves exactly
    one model, so helm_lite fills in `model=` (just before `model_deployment=`, so the run name
    reads as if the user had written it) and logs that it did. With --models-to-run, HELM's rules
    apply unchanged.
    """
    if models_to_run:
        return descriptions
    out = []
    for text in descriptions:
        parsed = parse_description(text)
        deployment = parsed.get("model_deployment")
        if deployment is None or parsed.get("model") is not None:
            out.append(text)
            continue
        if not registry.has_deployment(str(deployment)):
            raise UserError(
                f"Model deployment {deployment} not found"
                + suggest(str(deployment), registry.all_deployments())
            )
        model = registry.get_deployment(str(deployment)).model_name
        args = []
        for key, value in parsed.args:
            if key == "model_deployment":
                args.append(("model", model))
            args.append((key, value))
        inferred = str(replace(parsed, args=tuple(args)))
        logger.info("%s: model=%s (the model deployment %s serves)", text, model, deployment)
        out.append(inferred)
    return out


def check_models_to_run_needed(descriptions: Iterable[str], models_to_run: Sequence[str] | None) -> None:
    """HELM's start-up checks: without --models-to-run, every run must name its model explicitly."""
    descriptions = list(descriptions)
    for text in descriptions:
        parsed = parse_description(text)
        for key in ("model", "model_deployment"):
            if parsed.get(key) == "":
                raise UserError(f"run entry {text!r}: {key}= needs a value")
    if models_to_run:
        return
    if any(_MULTI_MODEL_PATTERN.search(d) for d in descriptions):
        raise UserError(
            "--models-to-run must be set (because the `model=` run expander expands to multiple models)"
        )
    if not any(_ANY_MODEL_PATTERN.search(d) for d in descriptions):
        raise UserError("--models-to-run must be set (because the `model=` run expander is omitted)")


def validate_models_to_run(registry: Registry, models_to_run: Iterable[str]) -> None:
    """Each --models-to-run value must be a known model or a registered deployment name."""
    for name in models_to_run:
        if registry.get_model(name) is None and not registry.has_deployment(name):
            known = registry.all_models() + registry.all_deployments()
            raise UserError(f"Unknown model '{name}' passed to --models-to-run{suggest(name, known)}")
