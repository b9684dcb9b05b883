"""The executor interface the runner uses to answer a run's requests.

The runner prepares every run, adapts it and computes its metrics in this process; an executor
decides only where the model calls happen. The cache stays with the runner's process in every case:
an executor runs the deployment's `RequestEngine` (which looks up and stores answers in the runner's
process), supplying a `Dispatcher` for the missing ones.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import TYPE_CHECKING

from helm_lite.common.request import Request, RequestResult
from helm_lite.engine.request_engine import Progress

if TYPE_CHECKING:
    from helm_lite.services import Services


class Executor(ABC):
    #: How many runs the runner keeps in flight at once. Above 1, only the request phases overlap
    #: (adaptation and metrics still run one at a time in the runner's process).
    concurrent_runs: int = 1

    def start(self, services: Services, deployments: list[str]) -> None:  # noqa: B027 - optional hook
        """Called once before any run, with the deployment of every run about to execute (in run
        order, repeated per run): check settings and connect, so a bad setting fails before any run."""

    @abstractmethod
    def execute(
        self,
        services: Services,
        deployment_name: str,
        requests: list[Request],
        num_threads: int,
        progress: Progress | None = None,
    ) -> list[RequestResult]:
        """Results for `requests`, in order; failed requests are failed results, not exceptions."""

    def run_finished(self, deployment_name: str) -> None:  # noqa: B027 - optional hook
        """A run of `deployment_name` is over (done, failed or skipped): its engines may be released."""

    def close(self) -> None:  # noqa: B027 - optional hook
        """Release everything the executor holds (engines, cluster connections)."""
