"""Metric interface and HELM's generic evaluation loop (trials → instances → stats → aggregates).

A metric subclass only scores one instance (`evaluate_generation`, or `evaluate_references` for
one-request-per-reference methods); this module does the rest exactly as HELM does: contexts
(split, sub-split, perturbation) on stat names, per-trial aggregation, derived stats, worst-case
robustness/fairness copies, and the per-trial mean merged over trials.
"""

from __future__ import annotations

import gc
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, replace
from typing import Any

from helm_lite.adaptation.adapter_spec import AdapterSpec
from helm_lite.adaptation.request_state import RequestState, ScenarioState
from helm_lite.metrics.statistic import (
    PERTURBATION_ORIGINAL,
    PERTURBATION_WORST,
    MetricName,
    PerturbationDescription,
    Stat,
    merge_stat,
    merge_stats_deferred,
    refresh_all,
)
from helm_lite.scenarios.base import Instance

# (split, sub_split, perturbation): the part of a MetricName that comes from the instance.
Context = tuple[str | None, str | None, PerturbationDescription | None]
_StateKey = tuple[int, int]  # (train_trial_index, id(instance))


@dataclass(frozen=True)
class MetricService:
    """What metrics need from outside: the deployment's window-service token count and, for
    reasoning models, the (start, end) markers of the thinking section to strip before scoring."""

    count_tokens: Callable[[str], int]
    deployment_name: str = ""
    thinking: tuple[str, str] | None = None


@dataclass(frozen=True)
class PerInstanceStats:
    """One row of `per_instance_stats.json` (key order is HELM's)."""

    instance_id: str
    perturbation: dict[str, Any] | None
    train_trial_index: int
    stats: list[Stat]


@dataclass(frozen=True)
class MetricResult:
    aggregated_stats: list[Stat]
    per_instance_stats: list[PerInstanceStats]


def context_of(instance: Instance) -> Context:
    p = instance.perturbation
    return (instance.split, instance.sub_split, None if p is None else PerturbationDescription.from_dict(p))


def context_of_name(name: MetricName) -> Context:
    return (name.split, name.sub_split, name.perturbation)


def with_context(name: MetricName, context: Context) -> MetricName:
    split, sub_split, perturbation = context
    return MetricName(name.name, split, sub_split, perturbation)


def add_context(stat: Stat, context: Context) -> Stat:
    """A copy of `stat` whose name carries `context` (HELM's `add_context`)."""
    return stat.copy(with_context(stat.name, context))


def unique_stat_by_name(stats: Sequence[Stat] | Any, name: str) -> Stat | None:
    """The only stat called `name` (ignoring context), None if absent; two of them is an error."""
    found = [s for s in stats if s.name.name == name]
    if len(found) > 1:
        raise ValueError(f"expected one stat named {name!r}, found {len(found)}")
    return found[0] if found else None


def instances_in_order(request_states: Sequence[RequestState]) -> list[Instance]:
    """Distinct instances (by identity, as in HELM) in order of first appearance."""
    seen: set[int] = set()
    out: list[Instance] = []
    for rs in request_states:
        key = id(rs.instance)
        if key not in seen:
            seen.add(key)
            out.append(rs.instance)
    return out


@contextmanager
def paused_gc() -> Iterator[None]:
    """Pause the cyclic garbage collector while scoring.

    Scoring allocates hundreds of thousands of small acyclic objects (stats), which makes the
    collector run over and over for nothing: about a quarter of the time for 10,000 instances.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


class MetricInterface(ABC):
    """Anything the runner can evaluate: scenario state in, aggregated + per-instance stats out."""

    @abstractmethod
    def evaluate(self, scenario_state: ScenarioState, metric_service: MetricService) -> MetricResult:
        """Compute this metric's stats for a whole run."""


class _ContextNamer:
    """Caches contextualised names: thousands of instances share a handful of distinct names."""

    def __init__(self) -> None:
        self._cache: dict[tuple[str, Context], MetricName] = {}

    def __call__(self, name: MetricName, context: Context) -> MetricName:
        key = (name.name, context)
        out = self._cache.get(key)
        if out is None:
            out = self._cache[key] = with_context(name, context)
        return out


class PerInstanceMetric(MetricInterface):
    """HELM's per-instance evaluation loop; subclasses implement `evaluate_instance`."""

    # True: an instance's states are those with reference_index 0..len(references)-1;
    # False: the single state with reference_index None.
    uses_reference_states: bool = False

    @abstractmethod
    def evaluate_instance(
        self, adapter_spec: AdapterSpec, request_states: list[RequestState], metric_service: MetricService
    ) -> list[Stat]:
        """Stats (without context) for one instance, given its non-empty list of request states.

        The returned stats must be fresh objects: the loop renames them in place.
        """

    def derive_stats(self, stats: dict[MetricName, Stat]) -> list[Stat]:
        """Stats derived from one context's trial-level aggregates (e.g. perplexity)."""
        return []

    def derive_per_instance_stats(self, per_instance_stats: dict[Instance, list[Stat]]) -> list[Stat]:
        """Stats derived from one context's per-instance stats (e.g. calibration)."""
        return []

    def _index_states(self, request_states: Sequence[RequestState]) -> dict[_StateKey, list[RequestState]]:
        """(trial, id(instance)) → the request states this metric evaluates, in adapter order."""
        index: dict[_StateKey, list[RequestState]] = {}
        if not self.uses_reference_states:
            for rs in request_states:
                if rs.reference_index is None:
                    index.setdefault((rs.train_trial_index, id(rs.instance)), []).append(rs)
            return index
        by_reference: dict[_StateKey, dict[int, list[RequestState]]] = {}
        for rs in request_states:
            ri = rs.reference_index
            if ri is not None and 0 <= ri < len(rs.instance.references):
                key = (rs.train_trial_index, id(rs.instance))
                by_reference.setdefault(key, {}).setdefault(ri, []).append(rs)
        for key, groups in by_reference.items():
            index[key] = [rs for ri in sorted(groups) for rs in groups[ri]]
        return index

    def evaluate(self, scenario_state: ScenarioState, metric_service: MetricService) -> MetricResult:
        with paused_gc():
            return self._evaluate(scenario_state, metric_service)

    def _evaluate(self, scenario_state: ScenarioState, metric_service: MetricService) -> MetricResult:
        adapter_spec = scenario_state.adapter_spec
        instances = instances_in_order(scenario_state.request_states)
        index = self._index_states(scenario_state.request_states)
        namer = _ContextNamer()
        global_stats: dict[MetricName, Stat] = {}
        rows: list[PerInstanceStats] = []

        for trial in range(adapter_spec.num_train_trials):
            results: list[tuple[Instance, list[Stat]]] = []
            for instance in instances:
                states = index.get((trial, id(instance)))
                stats = self.evaluate_instance(adapter_spec, states, metric_service) if states else []
                if stats:
                    if instance.id is None:
                        raise ValueError("instance without an id; give instances ids before evaluating")
                    context = context_of(instance)
                    for stat in stats:
                        stat.name = namer(stat.name, context)
                    rows.append(PerInstanceStats(instance.id, instance.perturbation, trial, stats))
                results.append((instance, stats))

            trial_stats = self._aggregate_trial(results)
            for stat in trial_stats.values():
                merge_stat(global_stats, stat.take_mean())

        return MetricResult(list(global_stats.values()), rows)

    def _aggregate_trial(self, results: list[tuple[Instance, list[Stat]]]) -> dict[MetricName, Stat]:
        trial_stats: dict[MetricName, Stat] = {}
        touched: set[MetricName] = set()
        for _, stats in results:
            merge_stats_deferred(trial_stats, stats, touched)
        refresh_all(trial_stats, touched)

        by_context: dict[Context, dict[MetricName, Stat]] = {}
        for name, stat in trial_stats.items():
            by_context.setdefault(context_of_name(name), {})[name] = stat
        for context, group in by_context.items():
            for stat in self.derive_stats(group):
                merge_stat(trial_stats, add_context(stat, context))

        by_instance_context: dict[Context, dict[Instance, list[Stat]]] = {}
        for instance, stats in results:
            if stats:
                by_instance_context.setdefault(context_of(instance), {})[instance] = stats
        for context, per_instance in by_instance_context.items():
            for stat in self.derive_per_instance_stats(per_instance):
                merge_stat(trial_stats, add_context(stat, context))

        for stat in compute_worst_case_stats(results):
            merge_stat(trial_stats, stat)
        return trial_stats


class Metric(PerInstanceMetric):
    """A metric scoring the single generation request of each instance."""

    def evaluate_instance(
        self, adapter_spec: AdapterSpec, request_states: list[RequestState], metric_service: MetricService
    ) -> list[Stat]:
        if len(request_states) != 1:
            iid, n = request_states[0].instance.id, len(request_states)
            raise ValueError(f"instance {iid}: expected one request state per trial, got {n}")
        return self.evaluate_generation(adapter_spec, request_states[0], metric_service)

    @abstractmethod
    def evaluate_generation(
        self, adapter_spec: AdapterSpec, request_state: RequestState, metric_service: MetricService
    ) -> list[Stat]:
        """Stats for one instance's generation request (fresh Stat objects, names without context)."""


class ReferenceMetric(PerInstanceMetric):
    """A metric scoring the per-reference requests of each instance (multiple_choice_separate_*)."""

    uses_reference_states = True

    def evaluate_instance(
        self, adapter_spec: AdapterSpec, request_states: list[RequestState], metric_service: MetricService
    ) -> list[Stat]:
        return self.evaluate_references(adapter_spec, request_states, metric_service)

    @abstractmethod
    def evaluate_references(
        self, adapter_spec: AdapterSpec, request_states: list[RequestState], metric_service: MetricService
    ) -> list[Stat]:
        """Stats for one instance from its reference requests (ordered by reference index)."""


# Worst-case ("robustness"/"fairness") stats, as HELM computes them.

_ROBUSTNESS = PerturbationDescription(name="robustness", robustness=True)
_FAIRNESS = PerturbationDescription(name="fairness", fairness=True)
_ROBUSTNESS_WORST = replace(_ROBUSTNESS, computed_on=PERTURBATION_WORST)
_FAIRNESS_WORST = replace(_FAIRNESS, computed_on=PERTURBATION_WORST)


def compute_worst_case_stats(results: list[tuple[Instance, list[Stat]]]) -> list[Stat]:
    """Per instance and metric, the worst value over the original and its perturbations, aggregated.

    Without any perturbed instance every stat simply gets a robustness-worst and a fairness-worst
    copy of its per-instance minimum; that common case takes a fast path with the same result.
    """
    ids = [inst.id for inst, stats in results if stats]
    perturbed = any(s.name.perturbation is not None for _, stats in results for s in stats)
    if not perturbed and len(set(ids)) == len(ids):
        return _worst_case_unperturbed(results)
    return _worst_case_general(results)


def _worst_case_unperturbed(results: list[tuple[Instance, list[Stat]]]) -> list[Stat]:
    # Each stat's worst value is its own minimum. Accumulators are found by stat name; the first
    # time a name is seen its robustness then fairness accumulators are appended (HELM's order).
    derived: list[Stat] = []
    accumulators: dict[MetricName, tuple[Stat, Stat]] = {}
    for _, stats in results:
        for stat in stats:
            if stat.count <= 0:
                continue
            pair = accumulators.get(stat.name)
            if pair is None:
                pair = accumulators[stat.name] = (
                    Stat(replace(stat.name, perturbation=_ROBUSTNESS_WORST)),
                    Stat(replace(stat.name, perturbation=_FAIRNESS_WORST)),
                )
                derived.extend(pair)
            pair[0]._accumulate(stat.min)
            pair[1]._accumulate(stat.min)
    for acc in derived:
        acc._refresh()
    return derived


def _worst_case_general(results: list[tuple[Instance, list[Stat]]]) -> list[Stat]:
    groups: dict[tuple[MetricName, str | None], list[Stat]] = {}
    for instance, stats in results:
        for stat in stats:
            groups.setdefault((replace(stat.name, perturbation=None), instance.id), []).append(stat)

    derived: dict[MetricName, Stat] = {}
    for (base_name, instance_id), stats in groups.items():
        original: Stat | None = None
        robustness = Stat(replace(base_name, perturbation=_ROBUSTNESS))
        fairness = Stat(replace(base_name, perturbation=_FAIRNESS))
        individual: dict[PerturbationDescription, Stat] = {}
        for stat in stats:
            p = stat.name.perturbation
            if p is None:
                if original is not None:
                    raise ValueError(f"instance {instance_id}: two unperturbed stats named {base_name}")
                original = stat
                continue
            if p.robustness:
                robustness.merge(stat)
            if p.fairness:
                fairness.merge(stat)
            if p in individual:
                raise ValueError(f"instance {instance_id}: perturbation {p} seen twice for {base_name}")
            individual[p] = stat.copy()

        for candidate in (robustness, fairness, *individual.values()):
            p = candidate.name.perturbation
            assert p is not None
            if original is not None:
                candidate.merge(original)
                if p.name not in ("robustness", "fairness"):
                    before = replace(p, computed_on=PERTURBATION_ORIGINAL)
                    merge_stat(derived, Stat(replace(candidate.name, perturbation=before)).merge(original))
            if candidate.count > 0:
                worst = replace(candidate.name, perturbation=replace(p, computed_on=PERTURBATION_WORST))
                merge_stat(derived, Stat(worst).add(candidate.min))
    return list(derived.values())
