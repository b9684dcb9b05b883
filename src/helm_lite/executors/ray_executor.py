"""`helm-run --executor ray`: engine replicas on a Ray cluster compute the missing answers.

* The driver (helm-run's process) is the only cache writer: it looks requests up in its SQLite cache,
  sends only the missing ones to the replicas and stores each batch's answers as soon as they come
  back, so no cache file is shared between nodes, an answered request is never sent again (across
  the cluster and across restarts), and a failure loses nothing already received.
* Each deployment gets `scaling_config.num_workers` replicas (Ray actors, each holding one provider
  built from the deployment's `client_spec`), reserved together in one placement group with one
  bundle per worker. A run's batches (planned by the request engine, exactly as in this process) are spread
  over them (at most `TASKS_PER_WORKER` tasks per replica and run in flight); answers are merged
  back in request order. The replicas live until the last run of their deployment is over.
* Faults: a replica whose process dies is restarted (up to `MAX_RESTARTS` times) and its unfinished
  tasks are retried (up to `MAX_TASK_RETRIES` times); answers already received are in the cache and
  are not asked for again. A batch that still fails is recorded as failed requests, and the run fails
  as it would locally (rerun to retry).

Ray is imported only here, and only when this executor is used. See docs/ray.md.
"""

from __future__ import annotations

import logging
import math
import socket
import threading
from collections import Counter, deque
from typing import TYPE_CHECKING, Any

from helm_lite.clients.provider import Provider, RawT
from helm_lite.common.errors import RunFailedError, UserError
from helm_lite.common.request import Request, RequestResult
from helm_lite.engine import Done, Progress
from helm_lite.executors.base import Executor
from helm_lite.executors.replica import Outcome, Replica, ReplicaSpec
from helm_lite.registry.schema import ModelDeployment, ScalingConfig

if TYPE_CHECKING:
    from helm_lite.services import Services

logger = logging.getLogger(__name__)

MAX_RESTARTS = 3
MAX_TASK_RETRIES = 3
#: Tasks in flight per replica and run: one computing, one queued, so a replica never idles while
#: the driver stores the previous answers.
TASKS_PER_WORKER = 2
#: A remote client's one-request batches are sent in tasks of several, about this many per replica.
TASKS_PER_WORKER_TARGET = 8
CONCURRENT_RUNS = 4
CONNECT_TIMEOUT_S = 10.0
PLACEMENT_LOG_S = 30.0
INSTALL_HINT = "pip install 'helm-lite[ray]'"


def import_ray() -> Any:
    try:
        import ray
    except ImportError:
        raise UserError(f"--executor ray needs Ray, which is not installed: {INSTALL_HINT}") from None
    return ray


def scaling_of(deployment: ModelDeployment) -> ScalingConfig:
    """The deployment's `scaling_config` (one replica with one CPU when it has none), checked."""
    scaling = deployment.scaling_config or ScalingConfig()
    problem = scaling.problem()
    if problem is None and not worker_bundle(scaling):
        problem = "field 'scaling_config': a worker must reserve some CPU, GPU or custom resource"
    if problem is not None:
        raise UserError(f"model deployment {deployment.name}: {problem}")
    return scaling


def worker_bundle(scaling: ScalingConfig) -> dict[str, float]:
    """The resources one replica reserves (its placement-group bundle); zero amounts left out."""
    bundle = {"CPU": scaling.num_cpus_per_worker, "GPU": scaling.num_gpus_per_worker}
    bundle.update(scaling.resources_per_worker)
    return {k: float(v) for k, v in bundle.items() if v > 0}


def check_address(address: str) -> None:
    """Ray waits for minutes on an address where nothing listens; fail within seconds instead."""
    if address in ("auto", "local"):
        return
    host, sep, port = address.removeprefix("ray://").rpartition(":")
    if not sep or not host or not port.isdigit():
        raise UserError(f"--ray-address {address}: expected auto, HOST:PORT or ray://HOST:PORT")
    try:
        socket.create_connection((host.strip("[]"), int(port)), timeout=CONNECT_TIMEOUT_S).close()
    except OSError as e:
        reason = e.strerror or type(e).__name__
        raise UserError(f"--ray-address {address}: no Ray cluster answers there ({reason})") from None


def _one_line(error: BaseException) -> str:
    """Ray's errors quote whole tracebacks; keep the headline and the final cause."""
    lines = [line.strip() for line in str(error).strip().splitlines() if line.strip()]
    if not lines:
        return type(error).__name__
    text = lines[0] if len(lines) == 1 else f"{lines[0]} … {lines[-1]}"
    return f"{type(error).__name__}: {text}"


class RayExecutor(Executor):
    """Dispatches the missing batches of each run to the replicas of its deployment."""

    def __init__(self, address: str | None = None, concurrent_runs: int = CONCURRENT_RUNS) -> None:
        self.address = address
        self.concurrent_runs = concurrent_runs
        self._ray: Any = None
        self._connected_here = False
        self._lock = threading.Lock()
        self._pools: dict[str, _ReplicaPool] = {}
        self._pool_locks: dict[str, threading.Lock] = {}
        self._remaining: Counter[str] = Counter()
        self._closed = False

    # --- Executor ----------------------------------------------------------------------------
    def start(self, services: Services, deployments: list[str]) -> None:
        for name in dict.fromkeys(deployments):
            scaling_of(services.registry.get_deployment(name))
        self._remaining = Counter(deployments)
        if deployments:
            self._connect()
            for name in dict.fromkeys(deployments):
                self._check_capacity(services.registry.get_deployment(name))

    def execute(
        self,
        services: Services,
        deployment_name: str,
        requests: list[Request],
        num_threads: int,
        progress: Progress | None = None,
    ) -> list[RequestResult]:
        engine = services.engine(deployment_name)  # the driver's copy: cache keys, lookups, writes
        pool = self._pool(services, deployment_name)
        return engine.run(requests, num_threads=num_threads, progress=progress, dispatcher=pool)

    def run_finished(self, deployment_name: str) -> None:
        with self._lock:
            self._remaining[deployment_name] -= 1
            done = self._remaining[deployment_name] <= 0
            pool = self._pools.pop(deployment_name, None) if done else None
        if pool is not None:
            pool.close()

    def close(self) -> None:
        with self._lock:
            self._closed = True
            pools = list(self._pools.values())
            self._pools.clear()
        for pool in pools:
            pool.close()
        if self._connected_here and self._ray is not None:
            self._ray.shutdown()
            self._connected_here = False

    # --- internals -------------------------------------------------------------------------------
    def _connect(self) -> None:
        ray = import_ray()
        self._ray = ray
        if ray.is_initialized():  # an embedding program (a test, a notebook) connected already
            return
        if self.address is not None:
            check_address(self.address)
        kwargs: dict[str, Any] = {"logging_level": logging.WARNING}
        if self.address is None:
            kwargs["include_dashboard"] = False  # only valid when this call starts the cluster
        try:
            ray.init(address=self.address, **kwargs)
        except Exception as e:
            where = f"--ray-address {self.address}" if self.address else "--executor ray"
            raise UserError(f"{where}: cannot connect to a Ray cluster ({_one_line(e)})") from None
        self._connected_here = True
        resources = ray.cluster_resources()
        logger.info(
            "Ray cluster: %d node(s), %g CPUs, %g GPUs",
            len([n for n in ray.nodes() if n.get("Alive")]),
            resources.get("CPU", 0),
            resources.get("GPU", 0),
        )

    def _check_capacity(self, deployment: ModelDeployment) -> None:
        """A local cluster cannot grow: a deployment it can never place is an error, not a hang."""
        scaling = scaling_of(deployment)
        total = self._ray.cluster_resources()
        short = {
            k: v * scaling.num_workers
            for k, v in worker_bundle(scaling).items()
            if v * scaling.num_workers > total.get(k, 0)
        }
        if not short:
            return
        have = ", ".join(f"{k}={total.get(k, 0):g}" for k in short)
        need = ", ".join(f"{k}={v:g}" for k, v in short.items())
        message = (
            f"model deployment {deployment.name}: its scaling_config needs {need}; the cluster has {have}"
        )
        if self.address is None:
            raise UserError(message)
        logger.warning("%s (waiting for the cluster to grow)", message)

    def _pool(self, services: Services, deployment_name: str) -> _ReplicaPool:
        with self._lock:
            if self._closed:
                raise RunFailedError("the Ray executor was shut down")
            slot = self._pool_locks.setdefault(deployment_name, threading.Lock())
        with slot:  # one run creates the replicas; the deployment's other runs wait and share them
            with self._lock:
                pool = self._pools.get(deployment_name)
            if pool is not None:
                return pool
            deployment = services.registry.get_deployment(deployment_name)
            tokenizer = deployment.tokenizer_name
            spec = ReplicaSpec(
                deployment=deployment,
                tokenizer_config=services.registry.get_tokenizer_config(tokenizer) if tokenizer else None,
                credentials=services.credentials,
            )
            pool = _ReplicaPool(self._ray, spec, scaling_of(deployment))
            with self._lock:
                if self._closed:
                    pool.close()
                    raise RunFailedError("the Ray executor was shut down")
                self._pools[deployment_name] = pool
            return pool


class _ReplicaPool:
    """The replicas of one deployment, in one placement group; a `Dispatcher` for its provider."""

    def __init__(self, ray: Any, spec: ReplicaSpec, scaling: ScalingConfig) -> None:
        from ray.util.placement_group import placement_group, remove_placement_group
        from ray.util.scheduling_strategies import PlacementGroupSchedulingStrategy

        self._ray = ray
        self._remove_placement_group = remove_placement_group
        self.name = spec.deployment.name
        n = scaling.num_workers
        bundle = worker_bundle(scaling)
        self.placement_group = placement_group([dict(bundle) for _ in range(n)], scaling.placement_strategy)
        self._wait_for_placement(bundle, n, scaling.placement_strategy)
        custom = {k: v for k, v in bundle.items() if k not in ("CPU", "GPU")}
        actor_class = ray.remote(Replica)
        self.actors = [
            actor_class.options(
                num_cpus=scaling.num_cpus_per_worker,
                num_gpus=scaling.num_gpus_per_worker,
                resources=custom or None,
                max_restarts=MAX_RESTARTS,
                max_task_retries=MAX_TASK_RETRIES,
                scheduling_strategy=PlacementGroupSchedulingStrategy(
                    placement_group=self.placement_group, placement_group_bundle_index=i
                ),
            ).remote(spec)
            for i in range(n)
        ]
        self._load = [0] * n
        self._lock = threading.Lock()
        logger.info("%s: %d replica(s), each with %s", self.name, n, bundle)

    def _wait_for_placement(self, bundle: dict[str, float], n: int, strategy: str) -> None:
        ready = self.placement_group.ready()
        while not self._ray.wait([ready], timeout=PLACEMENT_LOG_S)[0]:
            logger.warning(
                "%s: waiting for the cluster to free %d × %s (%s placement)", self.name, n, bundle, strategy
            )

    def run(self, provider: Provider[RawT], batches: list[list[RawT]], done: Done, num_threads: int) -> None:
        """Send the batches as tasks to the least busy replicas; report each batch as its task returns."""
        threads = 1
        per_task = 1
        caps = provider.capabilities
        if caps.max_batch_size <= 1:  # a remote client: several one-request batches per task
            threads = max(1, min(num_threads, caps.max_threads or num_threads))
            target = math.ceil(len(batches) / (len(self.actors) * TASKS_PER_WORKER_TARGET))
            per_task = max(threads, target)
        pending = deque(
            list(range(start, min(start + per_task, len(batches))))
            for start in range(0, len(batches), per_task)
        )
        in_flight: dict[Any, tuple[int, list[int]]] = {}
        limit = TASKS_PER_WORKER * len(self.actors)
        try:
            while pending or in_flight:
                while pending and len(in_flight) < limit:
                    indices = pending.popleft()
                    worker = self._acquire()
                    ref = self.actors[worker].compute.remote([batches[i] for i in indices], threads)
                    in_flight[ref] = (worker, indices)
                ready, _ = self._ray.wait(list(in_flight), num_returns=1)
                for ref in ready:
                    worker, indices = in_flight.pop(ref)
                    self._release(worker)
                    for index, outcome in zip(indices, self._outcomes(ref, len(indices)), strict=True):
                        done(index, *outcome)
        finally:
            for worker, _ in in_flight.values():
                self._release(worker)

    def _outcomes(self, ref: Any, count: int) -> list[Outcome]:
        try:
            outcomes: list[Outcome] = self._ray.get(ref)
            return outcomes
        except Exception as e:  # the replica died more often than it may restart, or Ray gave up
            error = _one_line(e)
            logger.warning("%s: a task of %d batch(es) failed after retries: %s", self.name, count, error)
            return [(None, error)] * count

    def _acquire(self) -> int:
        with self._lock:
            worker = min(range(len(self._load)), key=self._load.__getitem__)
            self._load[worker] += 1
            return worker

    def _release(self, worker: int) -> None:
        with self._lock:
            self._load[worker] -= 1

    def close(self) -> None:
        for actor in self.actors:
            self._ray.kill(actor, no_restart=True)
        self._remove_placement_group(self.placement_group)
