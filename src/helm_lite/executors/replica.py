"""One engine replica: a copy of a deployment's provider, with no cache, answering planned batches.

It lives in a Ray actor (see `ray_executor`), possibly on another node, so it never opens a cache
file: answers go back to the driver, which stores them. Nothing here imports Ray.
"""

from __future__ import annotations

import logging
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from helm_lite.clients.provider import Provider, RawRequest
from helm_lite.common.cache import CacheManager
from helm_lite.common.credentials import Credentials
from helm_lite.engine.dispatch import Outcome, try_compute
from helm_lite.registry.loader import Registry
from helm_lite.registry.schema import ModelDeployment, TokenizerConfig

__all__ = ["Outcome", "Replica", "ReplicaSpec"]


@dataclass(frozen=True)
class ReplicaSpec:
    """Everything a replica needs to build its client (plain data, so Ray can ship it to any node)."""

    deployment: ModelDeployment
    tokenizer_config: TokenizerConfig | None
    credentials: Credentials


class Replica:
    """Builds the provider exactly as the driver does (same injected arguments), but cache-less."""

    def __init__(self, spec: ReplicaSpec) -> None:
        from helm_lite.common import secrets
        from helm_lite.services import Services

        d, tc = spec.deployment, spec.tokenizer_config
        # This process logs on its own (Ray forwards its output to the driver's console): the same
        # redaction as the CLI's, fed with this deployment's secret-named arguments and credentials.
        secrets.remember_args(d.client_spec.args)
        secrets.remember(*spec.credentials.secrets())
        if not logging.getLogger().handlers:
            logging.basicConfig(level=logging.INFO, format="%(levelname)s %(message)s")
        secrets.install()
        registry = Registry({}, {d.name: d}, {tc.name: tc} if tc is not None else {})
        services = Services(registry, CacheManager("", disabled=True), spec.credentials)
        self.provider: Provider = services.client(d.name)

    def compute(self, batches: list[list[RawRequest]], num_threads: int) -> list[Outcome]:
        """Outcomes of `batches`, in order; batches of a remote provider run in `num_threads` threads."""
        provider, caps = self.provider, self.provider.capabilities
        if num_threads <= 1 or len(batches) <= 1:
            return [try_compute(provider, batch, caps) for batch in batches]
        with ThreadPoolExecutor(max_workers=min(num_threads, len(batches))) as pool:
            return list(pool.map(lambda batch: try_compute(provider, batch, caps), batches))
