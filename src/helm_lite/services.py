"""Builds (once per process) the providers, request engines, tokenizers and window services a
deployment names."""

from __future__ import annotations

import threading

from helm_lite.clients.provider import Provider
from helm_lite.common.cache import CacheManager
from helm_lite.common.credentials import Credentials
from helm_lite.common.errors import UserError
from helm_lite.common.object_spec import Lazy, ObjectSpec, create_object
from helm_lite.engine.request_engine import RequestEngine
from helm_lite.registry.loader import Registry
from helm_lite.registry.schema import ModelDeployment
from helm_lite.tokenizers.base import Tokenizer
from helm_lite.window.service import NoTokenizerWindowService, WindowService


class Services:
    def __init__(
        self, registry: Registry, cache_manager: CacheManager, credentials: Credentials | None = None
    ) -> None:
        self.registry = registry
        self.caches = cache_manager
        self.credentials = credentials if credentials is not None else Credentials()
        self._clients: dict[str, Provider] = {}
        self._engines: dict[str, RequestEngine] = {}
        self._tokenizers: dict[str, Tokenizer] = {}
        self._windows: dict[str, WindowService] = {}
        self._lock = threading.RLock()

    def tokenizer(self, name: str) -> Tokenizer:
        with self._lock:
            if name not in self._tokenizers:
                config = self.registry.get_tokenizer_config(name)
                if config is None:
                    raise UserError(f"Tokenizer {name} not found in any tokenizer_configs.yaml")
                self._tokenizers[name] = create_object(config.tokenizer_spec, tokenizer_name=name)
            return self._tokenizers[name]

    def client(self, deployment_name: str) -> Provider:
        """The deployment's provider, built once (`build_client`) with its cache shard."""
        with self._lock:
            if deployment_name not in self._clients:
                d = self.registry.get_deployment(deployment_name)
                self._clients[deployment_name] = self.build_client(d)
            return self._clients[deployment_name]

    def build_client(
        self, deployment: ModelDeployment, spec: ObjectSpec | None = None, *, cached: bool = True
    ) -> Provider:
        """A new provider for `deployment`, built from `spec` (default: its `client_spec`); constructor
        parameters named `cache`, `tokenizer`, `credentials`, … are injected. `cached`: whether a
        `cache` parameter gets the deployment's cache shard (else None). Not remembered: `client`
        remembers the providers it builds."""
        d = deployment
        spec = spec if spec is not None else d.client_spec
        tokenizer_name = d.tokenizer_name
        client = create_object(
            spec,
            # Opened only once the client class is known to take it: bad input writes no file.
            cache=Lazy(lambda: self.caches.for_shard(d.host_organization)) if cached else None,
            model_name=d.model_name,
            deployment=d,
            tokenizer_name=tokenizer_name,
            tokenizer=Lazy(lambda: self.tokenizer(tokenizer_name) if tokenizer_name else None),
            credentials=self.credentials,  # only clients that name the parameter get it
        )
        if not isinstance(client, Provider):
            raise UserError(f"model deployment {d.name}: {spec.class_name} is not a client")
        return client

    def engine(self, deployment_name: str) -> RequestEngine:
        """The request engine of the deployment: its provider and its cache shard."""
        with self._lock:
            engine = self._engines.get(deployment_name)
            if engine is None:
                provider = self.client(deployment_name)
                shard = self.registry.get_deployment(deployment_name).host_organization
                engine = self._engines[deployment_name] = RequestEngine(
                    provider, self.caches.for_shard(shard)
                )
            return engine

    def window_service(self, deployment_name: str) -> WindowService:
        with self._lock:
            if deployment_name not in self._windows:
                self._windows[deployment_name] = self._make_window_service(deployment_name)
            return self._windows[deployment_name]

    def _make_window_service(self, deployment_name: str) -> WindowService:
        d = self.registry.get_deployment(deployment_name)
        config = self.registry.get_tokenizer_config(d.tokenizer_name) if d.tokenizer_name else None
        eot = config.end_of_text_token if config else None
        prefix = config.prefix_token if config else None
        limits = dict(
            max_sequence_length=d.max_sequence_length,
            max_request_length=d.max_request_length,
            max_sequence_and_generated_tokens_length=d.max_sequence_and_generated_tokens_length,
            end_of_text_token=eot,
            prefix_token=prefix,
        )
        if d.window_service_spec is not None:
            tokenizer_name = d.tokenizer_name
            window: WindowService = create_object(
                d.window_service_spec,
                tokenizer=Lazy(lambda: self.tokenizer(tokenizer_name) if tokenizer_name else None),
                tokenizer_name=tokenizer_name,
                **limits,
            )
            return window
        if d.tokenizer_name is None:  # nothing to count tokens with: everything fits
            return NoTokenizerWindowService()
        return WindowService(self.tokenizer(d.tokenizer_name), **limits)  # type: ignore[arg-type]
