"""Which runs execute, in what order, and how many at once.

`Runner.run_all` prepares every run first (bad arguments stop before any run starts), skips complete
runs with `--skip-completed-runs`, and runs the rest one after another, or, when the executor keeps
several runs in flight, in a thread pool grouped by deployment. Then only the request phases overlap:
adaptation, metrics and writing hold one lock, and `RequestTurns` lets a run ask for a request only
after earlier runs sharing it have answered (so every answer is computed once and cached).
"""

from __future__ import annotations

import logging
import os
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from contextlib import AbstractContextManager, nullcontext

from helm_lite.common.cache import CacheDamagedError
from helm_lite.common.errors import RunFailedError, UserError
from helm_lite.executors.base import Executor
from helm_lite.executors.local import LocalExecutor
from helm_lite.executors.turns import RequestTurns
from helm_lite.run_directory import check_run, settle_leftovers
from helm_lite.run_specs.run_spec import RunSpec
from helm_lite.runner.config import RunnerConfig
from helm_lite.runner.pipeline import AdaptedRun, RunPipeline
from helm_lite.runner.progress import ProgressBars
from helm_lite.scenarios.base import Scenario
from helm_lite.services import Services

logger = logging.getLogger(__name__)


class Runner:
    def __init__(self, config: RunnerConfig, services: Services, executor: Executor | None = None) -> None:
        self.config = config
        self.services = services
        self.executor = executor if executor is not None else LocalExecutor()
        self.suite_dir = os.path.join(config.output_path, "runs", config.suite)
        self.pipeline = RunPipeline(config, services)
        # With several runs in flight, only their request phases overlap: adaptation, metrics and
        # writing hold this lock (tokenizers and metrics are not meant to be shared across threads).
        self._driver_lock = threading.RLock()
        self._bars = ProgressBars(config.show_progress)
        self._turns: RequestTurns | None = None  # request phases in run order, when there are several
        self._verified: dict[str, bool] = {}  # run name -> complete by its record (skip-completed-runs)

    def prepare(self, run_spec: RunSpec) -> Scenario:
        """Build the scenario, adapter and metrics once, so bad arguments fail before any run starts."""
        return self.pipeline.prepare(run_spec)

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
        if not self.config.dry_run:
            from helm_lite.presentation.run_summary import print_run_summary

            names = [rs.name for rs in run_specs if rs.name not in failed]
            print_run_summary(self.config.output_path, self.config.suite, self.services.registry, names)
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
        try:
            with self._bars.shared():
                try:
                    futures = {
                        rs.name: pool.submit(self._run_and_report, rs, scenarios[rs.name]) for rs in ordered
                    }
                    for rs in ordered:
                        ok[rs.name] = futures[rs.name].result()
                except BaseException:
                    pool.shutdown(wait=False, cancel_futures=True)
                    self._turns.abort()  # runs waiting for a cancelled run's turn give up
                    self.executor.close()  # in-flight requests stop; their runs fail quickly
                    raise
                finally:
                    pool.shutdown(wait=True)
        finally:
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
            verified = check.verified
            if not verified and os.path.isdir(run_dir):
                logger.info("Redoing run %s: %s", run_spec.name, check.reason)
            elif verified and run_spec.annotators and not self._same_judges(run_spec, run_dir):
                # The judge is not in the run's name, but its scores are the judge's.
                logger.info("Redoing run %s: it was judged by other deployments", run_spec.name)
                verified = False
            self._verified[run_spec.name] = verified
        return verified

    def _same_judges(self, run_spec: RunSpec, run_dir: str) -> bool:
        from helm_lite.annotation.stage import judges_record
        from helm_lite.run_directory import read_run_info

        try:
            info = read_run_info(run_dir)
        except ValueError:
            return False
        recorded = info.get("judges") if isinstance(info, dict) else None
        return bool(recorded == judges_record(run_spec, self.config.judges))

    def run_one(self, run_spec: RunSpec, scenario: Scenario | None = None) -> None:
        if self._skipped(run_spec):
            logger.info("Skipping run %s: it is already complete", run_spec.name)
            return
        started = time.time()
        with self._driver_lock:
            run = self.pipeline.adapt(run_spec, scenario or self.prepare(run_spec))
        if not self.config.dry_run:
            run = self._answer(run)
        with self._driver_lock:
            self.pipeline.finish(run, self.suite_dir, started)
        self._verified.pop(run_spec.name, None)

    def _answer(self, run: AdaptedRun) -> AdaptedRun:
        """The run's request phase, after earlier runs in flight that share a request (if any)."""
        name = run.run_spec.name
        turn: AbstractContextManager[object] = nullcontext()
        if self._turns is not None:
            engine = self.services.engine(run.run_spec.adapter_spec.model_deployment)
            turn = self._turns.turn(name, engine.cache_keys(s.request for s in run.states))
        with self._bars.for_run(name, len(run.states)) as progress, turn:
            return self.pipeline.answer(run, self.executor, progress)
