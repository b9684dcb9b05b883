"""Executors: where a run's model requests are computed (this process, or a Ray cluster)."""

from __future__ import annotations

from helm_lite.common.object_spec import build
from helm_lite.common.plugins import Registry
from helm_lite.executors.base import Executor
from helm_lite.executors.local import LocalExecutor

# `helm-run --executor NAME`; Ray is imported only when it is used.
EXECUTORS: Registry[type[Executor]] = Registry(
    "executor",
    {
        "local": "helm_lite.executors.local:LocalExecutor",
        "ray": "helm_lite.executors.ray_executor:RayExecutor",
    },
)


def make_executor(name: str, ray_address: str | None = None) -> Executor:
    """The executor `helm-run --executor NAME` names; one whose constructor takes `address` gets
    `--ray-address`."""
    executor: Executor = build(EXECUTORS.get(name), {}, name, address=ray_address)
    return executor


__all__ = ["EXECUTORS", "Executor", "LocalExecutor", "make_executor"]
