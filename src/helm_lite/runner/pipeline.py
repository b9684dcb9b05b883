"""One run, stage by stage: scenario → downsample → adapter → requests → judges → metrics → files.

Each stage is a plain call; which runs go when, in what order and how many at once is the
scheduler's business (`runner/scheduler.py`), so nothing here locks, waits or draws progress bars.
Tokenizers and metrics are not meant to be shared across threads: the scheduler calls `adapt` and
`finish` one run at a time.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np

from helm_lite.adaptation.registry import make_adapter
from helm_lite.adaptation.request_state import RequestState, ScenarioState
from helm_lite.annotation.stage import annotate, check_judges, judges_record
from helm_lite.common import data_reads
from helm_lite.common.data import DataSource
from helm_lite.common.errors import RunFailedError
from helm_lite.common.object_spec import ObjectSpec, create_object
from helm_lite.engine.request_engine import Progress
from helm_lite.executors.base import Executor
from helm_lite.metrics.base import MetricService
from helm_lite.metrics.stat_output import remove_nan_per_instance_stats, remove_nan_stats
from helm_lite.metrics.thinking import thinking_markers
from helm_lite.run_directory import write_run
from helm_lite.run_specs.run_spec import RunSpec
from helm_lite.runner.config import RunnerConfig
from helm_lite.runner.provenance import RunRecipe, run_info
from helm_lite.scenarios.base import EVAL_SPLITS, TRAIN_SPLIT, Instance, Scenario, with_ids
from helm_lite.services import Services

logger = logging.getLogger(__name__)

_DRY_RUN_METRIC = ObjectSpec("helm.benchmark.metrics.dry_run_metrics.DryRunMetric")


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


@dataclass(frozen=True)
class AdaptedRun:
    """A run whose requests are built and not yet answered."""

    run_spec: RunSpec
    scenario: Scenario
    states: list[RequestState]
    window: Any  # the deployment's window service: token counts for the metrics
    data_files: Mapping[str, Path] = field(default_factory=dict)  # scenario data read: name → path


class RunPipeline:
    """The stages of one run for a given invocation's settings and services."""

    def __init__(self, config: RunnerConfig, services: Services) -> None:
        self.config = config
        self.services = services

    def prepare(self, run_spec: RunSpec) -> Scenario:
        """Build the scenario, adapter and metrics once, so bad arguments fail before any run starts."""
        data_source = DataSource.from_settings(self.config.output_path, self.config.data_mirror)
        scenario: Scenario = create_object(run_spec.scenario_spec, data_source=data_source)
        for spec in self.metric_specs(run_spec):
            create_object(spec)
        deployment = self.services.registry.get_deployment(run_spec.adapter_spec.model_deployment)
        thinking_markers(deployment.thinking)  # a bad `thinking:` setting stops before any run
        if not self.config.dry_run:  # e.g. a missing API key stops here, before any run starts
            self.services.client(deployment.name)
        check_judges(run_spec, self.config.judges, self.services, build_clients=not self.config.dry_run)
        return scenario

    def metric_specs(self, run_spec: RunSpec) -> list[ObjectSpec]:
        return [_DRY_RUN_METRIC] if self.config.dry_run else list(run_spec.metric_specs)

    def adapt(self, run_spec: RunSpec, scenario: Scenario) -> AdaptedRun:
        """Instances (downsampled as HELM does) turned into request states by the run's adapter."""
        adapter_spec = run_spec.adapter_spec
        data_dir = os.path.join(self.config.output_path, "scenarios", scenario.name)
        os.makedirs(data_dir, exist_ok=True)
        with data_reads.recording() as data_files:
            instances = with_ids(scenario.get_instances(data_dir))
        instances = downsample(
            instances, adapter_spec.max_eval_instances, adapter_spec.eval_splits or list(EVAL_SPLITS)
        )
        if run_spec.data_augmenter_spec.perturbation_specs:
            instances = self._augment(run_spec, instances)
        window = self.services.window_service(adapter_spec.model_deployment)
        states = make_adapter(adapter_spec, window).adapt(instances)
        logger.info("%s: %d instances, %d requests", run_spec.name, len(instances), len(states))
        return AdaptedRun(run_spec, scenario, states, window, data_files)

    def _augment(self, run_spec: RunSpec, instances: list[Instance]) -> list[Instance]:
        """Perturbed copies of the instances (`data_augmentation=`), as HELM's preprocessor makes them."""
        from helm_lite.augmentations.augmenter import augment
        from helm_lite.augmentations.word_lists import WordLists

        lists = WordLists(self.config.output_path, self.config.data_mirror)
        return augment(instances, run_spec.data_augmenter_spec, lists)

    def answer(self, run: AdaptedRun, executor: Executor, progress: Progress | None) -> AdaptedRun:
        """The run with every request answered; any failed request fails the run."""
        deployment_name = run.run_spec.adapter_spec.model_deployment
        results = executor.execute(
            self.services,
            deployment_name,
            [s.request for s in run.states],
            num_threads=self.config.num_threads,
            progress=progress,
        )
        failures = [r for r in results if not r.success]
        if failures:
            raise RunFailedError(
                f"{len(failures)} of {len(results)} requests to {deployment_name} failed "
                f"(first error: {failures[0].error}); answers received so far are cached, rerun to retry"
            )
        states = [replace(s, result=r) for s, r in zip(run.states, results, strict=True)]
        # The judges (if any) see the answers before the metrics do; see helm_lite.annotation.
        states = annotate(
            run.run_spec, states, self.config.judges, self.services, executor, self.config.num_threads
        )
        return replace(run, states=states)

    def finish(self, run: AdaptedRun, suite_dir: str, started: float) -> str:
        """Metrics, then the run's files written whole into `suite_dir`; returns the run's folder."""
        run_spec = run.run_spec
        adapter_spec = run_spec.adapter_spec
        deployment = self.services.registry.get_deployment(adapter_spec.model_deployment)
        scenario_state = ScenarioState(adapter_spec=adapter_spec, request_states=run.states)
        metric_service = MetricService(
            count_tokens=run.window.get_num_tokens,
            deployment_name=adapter_spec.model_deployment,
            thinking=thinking_markers(deployment.thinking),
        )
        stats: list[Any] = []
        per_instance: list[Any] = []
        seen: set[Any] = set()
        for spec in self.metric_specs(run_spec):
            result = create_object(spec).evaluate(scenario_state, metric_service)
            for stat in result.aggregated_stats:
                if stat.name in seen:
                    logger.warning("duplicate metric name %s", stat.name)
                seen.add(stat.name)
            stats.extend(result.aggregated_stats)
            per_instance.extend(result.per_instance_stats)

        files = {
            "run_spec.json": run_spec,
            "scenario.json": run.scenario.metadata(),
            "scenario_state.json": scenario_state,
            "stats.json": remove_nan_stats(stats),
            "per_instance_stats.json": remove_nan_per_instance_stats(per_instance),
        }
        client = None if self.config.dry_run else self.services.client(deployment.name)
        info = run_info(deployment, started, recipe=RunRecipe(run_spec, client, run.data_files))
        if run_spec.annotators:  # which deployment judged is part of what the scores mean
            info["judges"] = judges_record(run_spec, self.config.judges)
        run_dir = write_run(suite_dir, run_spec.name, files, info)
        logger.info("Wrote %s", run_dir)
        return run_dir
