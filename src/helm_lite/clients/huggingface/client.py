"""Local HuggingFace models (CPU or CUDA): requests, cache keys, chat formatting, the engine.

With the `fast` engine (the default), requests that share decoding settings are batched with left
padding (HELM sends one request per `generate` call), up to `max_batch_size` requests and
`max_batch_tokens` padded positions, and greedy decoding is real greedy (argmax, in `greedy`, where
finished rows leave the batch). The `reference` engine is plain transformers, one prompt per call
(`reference`); it also runs when the installed transformers is not a tested one (`compat`).
Sampling is seeded per request, so it is reproducible and independent of batch composition and
engine. Stop sequences end a row's generation and the text is then cut at the first stop, as HELM
does. With `echo_prompt` the prompt's tokens and their log probabilities come first (the
multiple-choice-separate and language-modelling adapters need them).
"""

from __future__ import annotations

import functools
from collections.abc import Hashable
from typing import TYPE_CHECKING, Any

from helm_lite.chat.formatter import ChatFormatter
from helm_lite.clients.answers import Answer
from helm_lite.clients.base import Client
from helm_lite.clients.huggingface import compat
from helm_lite.clients.huggingface.engines import ENGINES, Engine
from helm_lite.clients.huggingface.loading import load_model, pick_device, pick_dtype
from helm_lite.clients.huggingface.settings import HuggingFaceRawRequest, HuggingFaceSettings
from helm_lite.clients.rendering import PromptRenderer
from helm_lite.clients.seeds import request_seed
from helm_lite.clients.settings import settings_from_args, where
from helm_lite.common.cache import SqliteCache
from helm_lite.common.errors import UserError
from helm_lite.common.request import Request

if TYPE_CHECKING:
    from helm_lite.models.identity import ModelIdentity
    from helm_lite.registry.schema import ModelDeployment


class HuggingFaceClient(Client[HuggingFaceRawRequest]):
    """A local HuggingFace model; `client_spec.args` are `HuggingFaceSettings`' fields."""

    settings_class = HuggingFaceSettings

    def __init__(
        self,
        pretrained_model_name_or_path: str,
        cache: SqliteCache | None = None,
        deployment: ModelDeployment | None = None,
        **args: object,
    ) -> None:
        super().__init__(cache)
        label = where(deployment, type(self).__name__)
        settings = settings_from_args(
            HuggingFaceSettings,
            {"pretrained_model_name_or_path": pretrained_model_name_or_path, **args},
            label,
        )
        if settings.engine not in ENGINES:
            raise UserError(
                f"{label}: client_spec.args.engine: unknown engine {settings.engine!r} "
                f"(one of {', '.join(ENGINES)})"
            )
        self.settings = settings
        self.deployment = deployment
        self.max_batch_size = settings.max_batch_size
        self.renderer = PromptRenderer.for_deployment(deployment, self._make_formatter)

    # --- settings run_info.json records (`runner.provenance.CLIENT_SETTINGS`) -------------------
    @property
    def dtype_name(self) -> str:
        return self.settings.dtype

    @property
    def device_name(self) -> str:
        return self.settings.device

    @property
    def max_batch_tokens(self) -> int:
        return self.settings.max_batch_tokens

    # --- loading ------------------------------------------------------------------------------
    @functools.cached_property
    def model_identity(self) -> ModelIdentity:
        """What the model is (hub commit or file fingerprint; `models.identity`), once per client."""
        from helm_lite.models.identity import model_identity

        return model_identity(self.path, self.settings.revision)

    @functools.cached_property
    def path(self) -> str:
        """Resolved once: a bundled name is checked (manifest and file sizes) only on first use."""
        from helm_lite.models.bundled import resolve_model_path

        return resolve_model_path(self.settings.pretrained_model_name_or_path)

    @property
    def tokenizer(self) -> Any:
        from helm_lite.tokenizers.huggingface import load_hf_tokenizer

        s = self.settings
        return load_hf_tokenizer(self.path, trust_remote_code=s.trust_remote_code, revision=s.revision)

    @property
    def text_tokenizer(self) -> Any:
        """For chat templates: transformers-free where possible, so cached runs never import it."""
        from helm_lite.tokenizers.huggingface import load_text_tokenizer

        s = self.settings
        return load_text_tokenizer(self.path, trust_remote_code=s.trust_remote_code, revision=s.revision)

    @property
    def device(self) -> str:
        return pick_device(self.settings.device)

    @property
    def model(self) -> Any:
        device = self.device
        s = self.settings
        dtype = pick_dtype(s.dtype, device)
        return load_model(self.path, device, dtype, s.trust_remote_code, s.revision, self.engine)

    @functools.cached_property
    def engine_name(self) -> str:
        """The engine that answers: the one asked for, or `reference` when the installed transformers
        is outside the tested range (package metadata only, so cached runs never import it)."""
        if self.settings.engine != "fast":
            return self.settings.engine
        reason = compat.untested_version(compat.installed_version())
        if reason is not None:
            compat.warn_fallback(reason)
            return "reference"
        return "fast"

    @functools.cached_property
    def engine(self) -> Engine:
        """`engine_name`'s engine, or the reference one when transformers lacks an internal the fast
        engine needs (checked once, when a model is about to be loaded)."""
        name = self.engine_name
        if name == "fast" and (missing := compat.missing_internals()):
            compat.warn_fallback(f"transformers {compat.installed_version()} lacks {', '.join(missing)}")
            name = "reference"
        return ENGINES[name]

    def _make_formatter(self) -> ChatFormatter | None:
        """The deployment's chat format, else the tokenizer's template (as HELM does by default)."""
        from helm_lite.chat.formatter import TokenizerTemplateFormatter, make_chat_formatter

        formatter: ChatFormatter | None = None
        if self.deployment is not None:
            formatter = make_chat_formatter(self.deployment, lambda: self.text_tokenizer)
        apply_chat_template = self.settings.apply_chat_template
        if formatter is None and apply_chat_template is not False:
            has_template = getattr(self.text_tokenizer, "chat_template", None) is not None
            if apply_chat_template or has_template:
                formatter = TokenizerTemplateFormatter(self.text_tokenizer)
        return formatter

    # --- Client contract -------------------------------------------------------------------------
    def raw_request(self, request: Request) -> HuggingFaceRawRequest:
        rendered = self.renderer.render(request)
        raw: HuggingFaceRawRequest = {
            "model": self.settings.pretrained_model_name_or_path,
            "dtype": self.settings.dtype,
            "prompt": rendered.text,
            "temperature": request.temperature,
            "num_return_sequences": request.num_completions,
            "max_new_tokens": request.max_tokens,
            "top_p": request.top_p,
            "echo_prompt": request.echo_prompt,
            "top_k_per_token": request.top_k_per_token,
            "stop_sequences": rendered.stop_sequences,
        }
        if request.random is not None:
            raw["random"] = request.random
        raw["identity"] = self.model_identity.identity
        # Both engines give the same greedy answers, so the default leaves the key as it always was;
        # answers of the reference engine are kept apart all the same.
        if self.engine_name != "fast":
            raw["engine"] = self.engine_name
        return raw

    def batch_key(self, raw_request: HuggingFaceRawRequest) -> Hashable:
        r = raw_request
        sampling = r["temperature"] > 0
        # Sampled requests run alone: each gets its own seed, so results do not depend on batching.
        return (
            r["max_new_tokens"],
            r["num_return_sequences"],
            r["echo_prompt"],
            tuple(r["stop_sequences"]),
            r["top_p"],
            r["temperature"],
            id(r) if sampling else None,
        )

    def batch_sort_key(self, raw_request: HuggingFaceRawRequest) -> int:
        return len(raw_request["prompt"])

    def compute(self, raw_request: HuggingFaceRawRequest) -> Answer:
        return self.compute_batch([raw_request])[0]

    def compute_batch(self, raw_requests: list[HuggingFaceRawRequest]) -> list[Answer]:
        import torch

        from helm_lite.clients.huggingface.decoding import Decoding
        from helm_lite.clients.huggingface.generation import generate_batch

        with torch.inference_mode():
            first = raw_requests[0]
            # The engine is left out: both engines draw the same samples for a request; so is the
            # model's identity, so that a retrained model draws as its predecessor did.
            seed = request_seed(first, ignore=("engine", "identity")) if first["temperature"] > 0 else None
            decoding = Decoding(
                max_new_tokens=first["max_new_tokens"],
                num_return_sequences=first["num_return_sequences"],
                temperature=first["temperature"],
                top_p=first["top_p"],
                stop_sequences=tuple(first["stop_sequences"]),
                echo_prompt=first["echo_prompt"],
                seed=seed,
            )
            completions = generate_batch(
                self.model,
                self.text_tokenizer,
                self.device,
                [r["prompt"] for r in raw_requests],
                decoding,
                engine=self.engine,
                max_batch_tokens=self.settings.max_batch_tokens,
                generate_tokenizer=lambda: self.tokenizer,
            )
        return [{"completions": c} for c in completions]
