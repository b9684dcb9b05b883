"""Deployments (and tokenizer configs) made up on demand from a name, as HELM's generators make them.

HELM answers `get_model_deployment("openai/some-model")` for a name no YAML defines by handing it to
the generator registered for the name's first part ("openai", "together", "huggingface" …). A model
that has metadata but no deployment therefore still gets a default deployment named like the model.
helm_lite keeps the same rule, so a run entry resolves to the deployment HELM would use: these
functions build the same entries, with HELM's client class names (which `common/object_spec.py`
maps to helm_lite's clients where helm_lite has one; a client it lacks fails with one line when
used). A plug-in adds a prefix with `DEPLOYMENT_GENERATORS.register("myhost", function)`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from helm_lite.common.object_spec import ObjectSpec
from helm_lite.common.plugins import Registry
from helm_lite.registry.schema import ModelDeployment, TokenizerConfig

DeploymentGenerator = Callable[[str], ModelDeployment]
TokenizerGenerator = Callable[[str], TokenizerConfig]


def _model_of(name: str) -> str:
    """A generated deployment serves the model named by the last two parts of its name."""
    return "/".join(name.split("/")[-2:])


def _simple(class_name: str, args: Callable[[str], dict[str, Any]] | None = None) -> DeploymentGenerator:
    def generate(name: str) -> ModelDeployment:
        return ModelDeployment(
            name=name,
            model_name=_model_of(name),
            client_spec=ObjectSpec(class_name, args(name) if args else {}),
        )

    return generate


def _google_args(name: str) -> dict[str, Any]:
    parts = name.split("/")
    return {"genai_model": parts[-1] if parts[-2] == "google" else _model_of(name)}


def _gemini_args(name: str) -> dict[str, Any]:
    parts = name.split("/")
    if len(parts) < 3 or parts[-2] != "google":
        raise ValueError("Model name must be in the format gemini/google/model")
    return {"genai_model": parts[-1], "genai_use_vertexai": False}


def _vertexai_args(name: str) -> dict[str, Any]:
    parts = name.split("/")
    if len(parts) < 3:
        raise ValueError("Model name must be in the format vertexai/publisher/model")
    return {
        "genai_model": parts[-1] if parts[-2] == "google" else _model_of(name),
        "genai_use_vertexai": True,
    }


def huggingface_pair(name: str, *, what: str) -> tuple[ModelDeployment, TokenizerConfig]:
    """`huggingface/ORG/NAME` → the deployment of the Hub model ORG/NAME on the HuggingFace client and
    its tokenizer config (named like the deployment), from one reading of the model's files.

    `Registry` calls this once per name and keeps both halves (the default generators below each
    keep one half, for a caller that asks a generator directly)."""
    from helm_lite.registry.huggingface import huggingface_entries

    path = "/".join(name.split("/")[1:])
    return huggingface_entries(name, _model_of(name), path, what=what)


def huggingface_deployment(name: str) -> ModelDeployment:
    """`huggingface/ORG/NAME` → the Hub model ORG/NAME on the HuggingFace client (files read on demand)."""
    return huggingface_pair(name, what=f"model deployment {name}")[0]


def huggingface_tokenizer(name: str) -> TokenizerConfig:
    return huggingface_pair(name, what=f"tokenizer {name}")[1]


_GENAI = "helm.clients.google_genai_client.GoogleGenAIClient"
DEPLOYMENT_GENERATORS: Registry[DeploymentGenerator] = Registry(
    "model deployment generator",
    {
        "anthropic": _simple("helm.clients.anthropic_client.AnthropicMessagesClient"),
        "cohere": _simple("helm.clients.cohere_client.CohereChatClient"),
        "google": _simple(_GENAI, _google_args),
        "gemini": _simple(_GENAI, _gemini_args),
        "vertexai": _simple(_GENAI, _vertexai_args),
        "huggingface": huggingface_deployment,
        "litellm": _simple(
            "helm.clients.litellm_client.LiteLLMCompletionClient",
            lambda name: {"litellm_model": "/".join(name.split("/")[1:])},
        ),
        "mistralai": _simple("helm.clients.mistral_client.MistralAIClient"),
        "openai": _simple("helm.clients.openai_responses_client.OpenAIResponseClient"),
        "openrouter": _simple(
            "helm.clients.openrouter_client.OpenRouterClient",
            lambda name: {"openrouter_model_name": _model_of(name)},
        ),
        "together": _simple("helm.clients.together_client.TogetherChatClient"),
        "writer": _simple("helm.clients.writer_client.WriterClient"),
        "xai": _simple("helm.clients.grok_client.GrokChatClient"),
    },
)
TOKENIZER_GENERATORS: Registry[TokenizerGenerator] = Registry(
    "tokenizer config generator", {"huggingface": huggingface_tokenizer}
)


def generator_for(registry: Registry[Any], name: str) -> Any | None:
    """The generator for `name`'s first part, if `name` has at least two parts and one is registered."""
    prefix, sep, rest = name.partition("/")
    if not sep or not rest or prefix not in registry:
        return None
    return registry.get(prefix)
