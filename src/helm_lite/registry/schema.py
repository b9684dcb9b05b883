"""Registry entries: what a model is, where it is served, and how its tokenizer is built.

Field names are HELM's so that HELM's `model_metadata.yaml`, `model_deployments.yaml` and
`tokenizer_configs.yaml` load unchanged; a few optional fields are helm_lite extensions.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from typing import Any

from helm_lite.common.object_spec import ObjectSpec

# Capability tags (HELM's spelling). Wildcards such as `model=text` select models by these.
TEXT_MODEL_TAG = "TEXT_MODEL_TAG"
CODE_MODEL_TAG = "CODE_MODEL_TAG"
INSTRUCTION_FOLLOWING_MODEL_TAG = "INSTRUCTION_FOLLOWING_MODEL_TAG"
FULL_FUNCTIONALITY_TEXT_MODEL_TAG = "FULL_FUNCTIONALITY_TEXT_MODEL_TAG"
LIMITED_FUNCTIONALITY_TEXT_MODEL_TAG = "LIMITED_FUNCTIONALITY_TEXT_MODEL_TAG"
ABLATION_MODEL_TAG = "ABLATION_MODEL_TAG"
VISION_LANGUAGE_MODEL_TAG = "VISION_LANGUAGE_MODEL_TAG"
TEXT_TO_IMAGE_MODEL_TAG = "TEXT_TO_IMAGE_MODEL_TAG"
AUDIO_LANGUAGE_MODEL_TAG = "AUDIO_LANGUAGE_MODEL_TAG"
DEPRECATED_MODEL_TAG = "DEPRECATED_MODEL_TAG"
UNSUPPORTED_MODEL_TAG = "UNSUPPORTED_MODEL_TAG"


@dataclass(frozen=True)
class ModelMetadata:
    """What a model is (`<creator_organization>/<engine>`), independent of who serves it."""

    name: str
    creator_organization_name: str
    display_name: str
    description: str
    access: str
    release_date: datetime.date | None = None
    tags: list[str] = field(default_factory=list)
    num_parameters: int | None = None
    # Filled by the loader from the deployments that serve this model (registration order).
    deployment_names: list[str] = field(default_factory=list)

    @property
    def creator_organization(self) -> str:
        return self.name.split("/")[0]

    @property
    def engine(self) -> str:
        return self.name.split("/")[1]


def placeholder_metadata(model_name: str) -> ModelMetadata:
    """HELM's stand-in for a model that has deployments (or runs) but no metadata entry."""
    return ModelMetadata(
        name=model_name,
        creator_organization_name="Unknown",
        display_name=model_name,
        description=model_name,
        access="open",
        release_date=datetime.date.today(),
        tags=[TEXT_MODEL_TAG, FULL_FUNCTIONALITY_TEXT_MODEL_TAG],
    )


# A server listening on every interface is reached through the loopback one.
_LOOPBACK_FOR_WILDCARD = {"0.0.0.0": "127.0.0.1", "::": "::1", "": "127.0.0.1"}


@dataclass(frozen=True)
class ServeConfig:
    """How `helm-serve` exposes a vLLM deployment over HTTP (helm_lite extension, `serve:`).

    The engine settings stay in the deployment's `client_spec.args`; this block adds only what a
    server needs beyond them. From it the registry derives an OpenAI-compatible deployment
    (`client_deployment`) that talks to the running server, so runs can use either route. API keys
    never go here (see `helm-serve --api-key-env`).
    """

    host: str = "127.0.0.1"
    port: int = 8000
    served_model_name: str | None = None  # None: the deployment's model_name
    cuda_visible_devices: str | None = None  # e.g. "0,1"; None: inherit the environment's
    extra_args: list[str] = field(default_factory=list)  # passed verbatim to the server
    client_deployment: str | None = None  # None: "vllm/x" -> "vllm-server/x"

    @property
    def base_url(self) -> str:
        """The server's OpenAI-compatible root, as clients on this machine reach it."""
        host = _LOOPBACK_FOR_WILDCARD.get(self.host, self.host)
        host = f"[{host}]" if ":" in host else host
        return f"http://{host}:{self.port}/v1"


PLACEMENT_STRATEGIES = ("PACK", "SPREAD", "STRICT_PACK", "STRICT_SPREAD")


@dataclass(frozen=True)
class ModelPrice:
    """A deployment's list price (helm_lite extension, `price:`), used by `helm-run --dry-run` to
    estimate what a run would cost. Prices are per million tokens, as providers publish them."""

    input_per_million_tokens: float
    output_per_million_tokens: float
    currency: str = "USD"

    def problem(self) -> str | None:
        """What is wrong with the values (the types are checked by the loader), phrased for a user."""
        for name in ("input_per_million_tokens", "output_per_million_tokens"):
            if getattr(self, name) < 0:
                return f"field 'price.{name}': must not be negative, got {getattr(self, name)}"
        if not self.currency.strip():
            return "field 'price.currency': must not be empty"
        return None

    def cost(self, prompt_tokens: int, completion_tokens: int) -> float:
        return (
            prompt_tokens * self.input_per_million_tokens + completion_tokens * self.output_per_million_tokens
        ) / 1_000_000


@dataclass(frozen=True)
class ScalingConfig:
    """Engine replicas on a Ray cluster (helm_lite extension, `scaling_config:`, named as RayLLM names it).

    Used only by `helm-run --executor ray`: `num_workers` actors each hold one copy of the client
    (one engine replica) and the resources below; the requests of a run are spread over them. One
    placement-group bundle per worker, placed with `placement_strategy`, so a replica that needs four
    GPUs lands on a node that has four free.
    """

    num_workers: int = 1
    num_gpus_per_worker: float = 0
    num_cpus_per_worker: float = 1
    resources_per_worker: dict[str, float] = field(default_factory=dict)  # custom Ray resources
    placement_strategy: str = "PACK"  # PACK, SPREAD, STRICT_PACK or STRICT_SPREAD

    def problem(self) -> str | None:
        """What is wrong with the values (the types are checked by the loader), phrased for a user."""
        if self.num_workers < 1:
            return f"field 'scaling_config.num_workers': must be at least 1, got {self.num_workers}"
        for name in ("num_gpus_per_worker", "num_cpus_per_worker"):
            if getattr(self, name) < 0:
                return f"field 'scaling_config.{name}': must not be negative, got {getattr(self, name)}"
        for key, value in self.resources_per_worker.items():
            if value < 0:
                return f"field 'scaling_config.resources_per_worker.{key}': must not be negative, got {value}"
        if self.placement_strategy not in PLACEMENT_STRATEGIES:
            expected = ", ".join(PLACEMENT_STRATEGIES)
            return (
                f"field 'scaling_config.placement_strategy': expected one of {expected}, "
                f"got '{self.placement_strategy}'"
            )
        return None


def served_deployment_name(deployment_name: str) -> str:
    """The default name of the served twin of a deployment: "-server" after its first path part."""
    host, _, rest = deployment_name.partition("/")
    return f"{host}-server/{rest}"


@dataclass(frozen=True)
class ModelDeployment:
    """Where and how a model is served (`<host_organization>/<engine>`); the host keys the cache."""

    name: str
    client_spec: ObjectSpec
    model_name: str | None = None  # None means "same as `name`"; set in __post_init__
    tokenizer_name: str | None = None
    window_service_spec: ObjectSpec | None = None
    max_sequence_length: int | None = None
    max_request_length: int | None = None
    max_sequence_and_generated_tokens_length: int | None = None
    deprecated: bool = False
    # helm_lite extensions (absent from HELM files, so always optional):
    prompt_format: dict[str, Any] | None = None  # Aviary/RayLLM-style chat prompt format
    chat_template: str | None = None  # chat template; interpreted by the chat formatting stage
    stop_sequences: list[str] = field(default_factory=list)  # merged with each request's stops
    # Reasoning models: markers of the thinking section, e.g. {start: "<think>", end: "</think>"}
    # (either key may be omitted; those are the defaults). Only the text after `end` is scored, and
    # an unfinished section (no `end`) scores as an empty answer; see helm_lite.metrics.thinking.
    thinking: dict[str, str] | None = None
    serve: ServeConfig | None = None  # `helm-serve` settings; see ServeConfig
    scaling_config: ScalingConfig | None = None  # Ray replicas and resources; see ScalingConfig
    price: ModelPrice | None = None  # list price, for --dry-run's cost estimate; see ModelPrice

    def __post_init__(self) -> None:
        if self.model_name is None:
            object.__setattr__(self, "model_name", self.name)

    @property
    def host_organization(self) -> str:
        return self.name.split("/")[0]

    @property
    def client_deployment_name(self) -> str | None:
        """Name of the deployment that reaches this one through `helm-serve`, if it has `serve:`."""
        if self.serve is None:
            return None
        return self.serve.client_deployment or served_deployment_name(self.name)

    @property
    def served_model_name(self) -> str | None:
        """The model name the server answers to (`--served-model-name`), if it has `serve:`."""
        if self.serve is None:
            return None
        return self.serve.served_model_name or self.model_name

    @property
    def engine(self) -> str:
        # For 3-part names (huggingface/Qwen/Qwen2.5-7B) HELM's "engine" is the middle part.
        return self.name.split("/")[1]


@dataclass(frozen=True)
class TokenizerConfig:
    """How to build a tokenizer and which special tokens it uses (absent tokens count as "")."""

    name: str
    tokenizer_spec: ObjectSpec
    end_of_text_token: str | None = None
    prefix_token: str | None = None

    @property
    def organization(self) -> str:
        """The tokenizer's cache shard."""
        return self.name.split("/")[0]
