"""The default executor: this process computes the missing answers (what helm-run always did)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from helm_lite.common.request import Request, RequestResult
from helm_lite.engine.request_engine import Progress
from helm_lite.executors.base import Executor

if TYPE_CHECKING:
    from helm_lite.services import Services


class LocalExecutor(Executor):
    def execute(
        self,
        services: Services,
        deployment_name: str,
        requests: list[Request],
        num_threads: int,
        progress: Progress | None = None,
    ) -> list[RequestResult]:
        return services.engine(deployment_name).run(requests, num_threads=num_threads, progress=progress)
