"""Executors: where a run's model requests are computed (this process, or a Ray cluster)."""

from __future__ import annotations

from helm_lite.executors.base import Executor
from helm_lite.executors.local import LocalExecutor

EXECUTORS = ("local", "ray")


def make_executor(name: str, ray_address: str | None = None) -> Executor:
    """The executor `helm-run --executor NAME` names; Ray is imported only when it is used."""
    if name == "local":
        return LocalExecutor()
    if name == "ray":
        from helm_lite.executors.ray_executor import RayExecutor

        return RayExecutor(address=ray_address)
    raise ValueError(f"unknown executor {name!r} (expected one of {', '.join(EXECUTORS)})")


__all__ = ["EXECUTORS", "Executor", "LocalExecutor", "make_executor"]
