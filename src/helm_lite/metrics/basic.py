"""HELM's basic metrics: general/efficiency stats, reference scores, language-modelling stats,
perplexity and calibration (`BasicGenerationMetric`), per-reference scoring for
multiple_choice_separate_* (`BasicReferenceMetric`), instance counts (`InstancesPerSplitMetric`) and
per-window scoring for the language_modeling method (`LanguageModelingMetric`).

Emission order and value types follow HELM's basic metrics so `stats.json` and
`per_instance_stats.json` match it key for key. The calibration stats live in `metrics/calibration.py`.
"""

from __future__ import annotations

import logging
import math
import re
from dataclasses import dataclass

import numpy as np

from helm_lite.adaptation.adapter_spec import AdapterSpec
from helm_lite.adaptation.request_state import RequestState, ScenarioState
from helm_lite.common.request import GeneratedOutput, Token
from helm_lite.metrics.base import (
    Context,
    Metric,
    MetricInterface,
    MetricResult,
    MetricService,
    PerInstanceStats,
    ReferenceMetric,
    add_context,
    context_of,
    context_of_name,
    paused_gc,
    unique_stat_by_name,
)
from helm_lite.metrics.calibration import compute_calibration_stats
from helm_lite.metrics.scoring import Scorer, get_scorer
from helm_lite.metrics.statistic import MetricName, Stat, merge_stat
from helm_lite.metrics.thinking import strip_thinking
from helm_lite.scenarios.base import Instance

logger = logging.getLogger(__name__)

# HELM ships training CO2/energy tables for ~14 legacy deployments; none is a Lite target, so the
# stats are emitted empty (count 0) unless a deployment is added here (deployment name → value).
TRAINING_CO2_COST: dict[str, float] = {}
TRAINING_ENERGY_COST: dict[str, float] = {}

FINISH_REASONS = ("length", "stop", "endoftext", "unknown")

# Names are shared constants: the evaluation loop swaps in contextualised names anyway.
_N = MetricName
NUM_REFERENCES = _N("num_references")
NUM_TRAIN_TRIALS = _N("num_train_trials")
NUM_PROMPT_TOKENS = _N("num_prompt_tokens")
NUM_COMPLETION_TOKENS = _N("num_completion_tokens")
NUM_OUTPUT_TOKENS = _N("num_output_tokens")
TRAINING_CO2 = _N("training_co2_cost")
TRAINING_ENERGY = _N("training_energy_cost")
INFERENCE_RUNTIME = _N("inference_runtime")
BATCH_SIZE = _N("batch_size")
INFERENCE_DENOISED_RUNTIME = _N("inference_denoised_runtime")
FINISH_REASON_STATS = tuple((r, _N(f"finish_reason_{r}")) for r in FINISH_REASONS)
NUM_TRAIN_INSTANCES = _N("num_train_instances")
PROMPT_TRUNCATED = _N("prompt_truncated")
MAX_PROB = _N("max_prob")
LOGPROB = _N("logprob")
NUM_PERPLEXITY_TOKENS = _N("num_perplexity_tokens")
NUM_BYTES = _N("num_bytes")


def _stat(name: MetricName, value: float | bool | None) -> Stat:
    return Stat(name).add(value)


def _completions(request_state: RequestState) -> list[GeneratedOutput]:
    """The completions to score; a missing or failed result counts as no completion at all."""
    result = request_state.result
    if result is None or not result.success:
        return []
    return result.completions


def request_state_stats(
    adapter_spec: AdapterSpec, request_state: RequestState, metric_service: MetricService
) -> list[Stat]:
    """General stats shared by generation and reference metrics in HELM's order."""
    request = request_state.request
    result = request_state.result
    completions = _completions(request_state)

    num_prompt_tokens = metric_service.count_tokens(request.prompt)
    num_completion_tokens = sum(len(c.tokens) for c in completions)
    num_output_tokens = num_completion_tokens
    if request.echo_prompt:
        if num_prompt_tokens <= num_output_tokens:
            num_output_tokens -= num_prompt_tokens
        else:
            logger.warning(
                "num_prompt_tokens (%d) > num_output_tokens (%d) for prompt: %s",
                num_prompt_tokens,
                num_output_tokens,
                request.prompt,
            )
            num_output_tokens = 0

    runtime: float | None = None
    batch_size: int | None = None
    if result is not None:
        if result.request_time is not None:
            runtime, batch_size = result.request_time, 1
        if result.batch_request_time is not None and result.batch_size is not None:
            runtime, batch_size = result.batch_request_time, result.batch_size
    # HELM's denoised runtime also comes from legacy tables; for batched results it is runtime/batch.
    denoised = None
    if runtime is not None and result is not None and result.batch_size is not None:
        denoised = runtime / result.batch_size

    stats = [
        _stat(NUM_REFERENCES, len(request_state.instance.references)),
        _stat(NUM_TRAIN_TRIALS, adapter_spec.num_train_trials),
        _stat(NUM_PROMPT_TOKENS, num_prompt_tokens),
        _stat(NUM_COMPLETION_TOKENS, num_completion_tokens),
        _stat(NUM_OUTPUT_TOKENS, num_output_tokens),
        _stat(TRAINING_CO2, TRAINING_CO2_COST.get(request.model_deployment)),
        _stat(TRAINING_ENERGY, TRAINING_ENERGY_COST.get(request.model_deployment)),
    ]
    if runtime is not None:
        stats.append(_stat(INFERENCE_RUNTIME, runtime))
    if batch_size is not None:
        stats.append(_stat(BATCH_SIZE, batch_size))
    if denoised is not None:
        stats.append(_stat(INFERENCE_DENOISED_RUNTIME, denoised))

    finish = completions[0].finish_reason if completions else None
    reason = finish.get("reason") if finish is not None else None
    if reason not in FINISH_REASONS:
        reason = "unknown"
    stats.extend(_stat(name, int(reason == r)) for r, name in FINISH_REASON_STATS)

    stats.append(_stat(NUM_TRAIN_INSTANCES, request_state.num_train_instances))
    stats.append(_stat(PROMPT_TRUNCATED, request_state.prompt_truncated))
    return stats


def apply_output_mapping(pred: str, request_state: RequestState, pattern: str | None) -> str | None:
    """Map an MC-joint answer (e.g. "B") to its reference text; unmapped answers become None."""
    assert request_state.output_mapping is not None
    if pattern:
        # First match: its group 1 when the pattern has groups, else the whole match; no match: "".
        match = re.search(pattern, pred)
        pred = "" if match is None else match.group(1) if match.re.groups else match.group(0)
    return request_state.output_mapping.get(pred)


# (scorer, stat name, `name@k` stat name or None when num_outputs == 1)
ScorePlan = list[tuple[Scorer, MetricName, MetricName | None]]


def score_plan(names: list[str], num_outputs: int) -> ScorePlan:
    """Resolve score names once per run (unknown names fail here, naming the known ones)."""
    return [
        (get_scorer(n), MetricName(n), MetricName(f"{n}@{num_outputs}") if num_outputs != 1 else None)
        for n in names
    ]


def reference_stats(
    plan: ScorePlan,
    adapter_spec: AdapterSpec,
    request_state: RequestState,
    thinking: tuple[str, str] | None = None,
) -> list[Stat]:
    """`max_prob` and, per score, max over gold references of score(gold, best prediction) (+ `@k`).

    With `thinking` markers, each prediction is the answer after the model's thinking section.
    """
    golds = [r.output.text for r in request_state.instance.references if r.is_correct]
    if not golds:
        raise ValueError(f"instance {request_state.instance.id} has references but no correct one")

    completions = sorted(_completions(request_state), key=lambda c: -c.logprob)  # stable, as HELM
    if thinking is not None:
        texts = [strip_thinking(c.text, *thinking)[0].strip() for c in completions]
    else:
        texts = [c.text.strip() for c in completions]
    preds: list[str | None]
    if request_state.output_mapping is not None:
        pattern = adapter_spec.output_mapping_pattern
        preds = [apply_output_mapping(t, request_state, pattern) for t in texts]
    else:
        preds = list(texts)
    if not preds:
        preds = [None]  # no completion: every score is 0

    max_prob = float(np.exp(completions[0].logprob)) if completions else 0.0
    stats = [_stat(MAX_PROB, max_prob)]
    best = preds[0]
    for score, name, name_at_k in plan:
        stats.append(_stat(name, max(score(g, best) for g in golds)))
        if name_at_k is not None:
            stats.append(_stat(name_at_k, max(score(g, p) for g in golds for p in preds)))
    return stats


def num_bytes(tokens: list[Token]) -> int:
    """UTF-8 byte length of token texts; a `bytes:\\xe2\\x80` token counts its `\\x` escapes."""
    total = 0
    for token in tokens:
        if token.text.startswith("bytes:"):
            total += token.text.count("\\x")
        else:
            total += len(token.text.encode("utf-8"))
    return total


def language_modeling_stats(request_state: RequestState) -> list[Stat]:
    """`logprob`, `num_perplexity_tokens`, `num_bytes` of the first completion after the conditioning."""
    completions = _completions(request_state)
    tokens: list[Token] = completions[0].tokens if completions else []
    n_cond = request_state.num_conditioning_tokens
    # A leading empty token (AI21-style chunking artefact) is not part of the text.
    if n_cond > 0 and tokens and tokens[0].text == "":
        tokens = tokens[1:]
    pred_tokens = tokens[n_cond:]
    return [
        _stat(LOGPROB, sum(t.logprob for t in pred_tokens)),
        _stat(NUM_PERPLEXITY_TOKENS, len(pred_tokens)),
        _stat(NUM_BYTES, num_bytes(pred_tokens)),
    ]


def compute_perplexity_stats(stats: dict[MetricName, Stat]) -> list[Stat]:
    """perplexity / bits_per_byte / logprob_per_byte from one context's trial-level sums."""
    values = list(stats.values())
    logprob = unique_stat_by_name(values, "logprob")
    if logprob is None:
        return []
    num_tokens = unique_stat_by_name(values, "num_perplexity_tokens")
    n_bytes = unique_stat_by_name(values, "num_bytes")
    derived: list[Stat] = []
    if num_tokens is not None and num_tokens.sum > 0:
        try:
            perplexity = math.e ** (-logprob.sum / num_tokens.sum)
        except OverflowError:
            perplexity = math.inf
        derived.append(_stat(MetricName("perplexity"), perplexity))
    if n_bytes is not None and n_bytes.sum > 0:
        derived.append(_stat(MetricName("bits_per_byte"), -logprob.sum / n_bytes.sum / math.log(2)))
        derived.append(_stat(MetricName("logprob_per_byte"), logprob.sum / n_bytes.sum))
    return derived


class BasicGenerationMetric(Metric):
    """General, reference-score and language-modelling stats for one-request-per-instance methods.

    `names` are scorers from `helm_lite.metrics.scoring.SCORERS` (e.g. "exact_match").
    """

    def __init__(self, names: list[str]) -> None:
        self.names: list[str] = list(names)
        self._plans: dict[int, ScorePlan] = {}  # by num_outputs; resolved lazily so plug-ins can register

    def __repr__(self) -> str:
        return f"BasicMetric({','.join(self.names)})"

    def evaluate_generation(
        self, adapter_spec: AdapterSpec, request_state: RequestState, metric_service: MetricService
    ) -> list[Stat]:
        stats = request_state_stats(adapter_spec, request_state, metric_service)
        if request_state.instance.references:
            k = adapter_spec.num_outputs
            plan = self._plans.get(k)
            if plan is None:
                plan = self._plans[k] = score_plan(self.names, k)
            stats.extend(reference_stats(plan, adapter_spec, request_state, metric_service.thinking))
        stats.extend(language_modeling_stats(request_state))
        return stats

    def derive_stats(self, stats: dict[MetricName, Stat]) -> list[Stat]:
        return compute_perplexity_stats(stats)

    def derive_per_instance_stats(self, per_instance_stats: dict[Instance, list[Stat]]) -> list[Stat]:
        return compute_calibration_stats(per_instance_stats)


@dataclass(frozen=True)
class _ReferenceScore:
    logprob: float
    num_tokens: int
    answered: bool = True  # False: the request failed, so this reference can never be chosen

    def original_score(self) -> float:
        return self.logprob / self.num_tokens if self.answered else -math.inf


def _calibrated_score(original: _ReferenceScore, calibration: _ReferenceScore) -> float:
    if not (original.answered and calibration.answered):
        return -math.inf
    return original.logprob - calibration.logprob


class BasicReferenceMetric(ReferenceMetric):
    """Scores multiple_choice_separate_* runs: one request per reference, pick the likeliest.

    Produces nothing for other methods (they have no per-reference request states).
    """

    def __repr__(self) -> str:
        return "BasicReferenceMetric"

    def evaluate_references(
        self, adapter_spec: AdapterSpec, request_states: list[RequestState], metric_service: MetricService
    ) -> list[Stat]:
        references = request_states[0].instance.references
        answers = [i for i, r in enumerate(references) if r.is_correct]

        scores: dict[tuple[int, str | None], _ReferenceScore] = {}
        for rs in request_states:
            assert rs.reference_index is not None
            scores[(rs.reference_index, rs.request_mode)] = self._reference_logprob(rs, metric_service)

        method = adapter_spec.method
        if method in ("multiple_choice_separate_original", "ranking_binary"):
            reference_scores = [scores[(i, "original")].original_score() for i in range(len(references))]
        elif method == "multiple_choice_separate_calibrated":
            reference_scores = [
                _calibrated_score(scores[(i, "original")], scores[(i, "calibration")])
                for i in range(len(references))
            ]
        else:
            raise ValueError(f"BasicReferenceMetric: unsupported adapter method {method!r}")

        general: dict[MetricName, Stat] = {}
        for rs in request_states:
            for stat in request_state_stats(adapter_spec, rs, metric_service):
                merge_stat(general, stat)
        stats = list(general.values())

        values = np.array(reference_scores, dtype=np.float64)
        shifted = np.exp(values - np.max(values))
        max_prob = np.max(shifted / np.sum(shifted))
        argmax = np.flatnonzero(values >= np.max(values))
        predicted_index = int(argmax[0]) if len(argmax) else 0
        exact = len(set(answers).intersection(int(i) for i in argmax)) / len(argmax) if len(argmax) else 0.0
        stats.append(_stat(MAX_PROB, float(max_prob)))
        stats.append(_stat(MetricName("exact_match"), exact))
        stats.append(_stat(MetricName("predicted_index"), predicted_index))
        return stats

    @staticmethod
    def _reference_logprob(rs: RequestState, metric_service: MetricService) -> _ReferenceScore:
        """Logprob of the reference's tokens at the end of the echoed prompt."""
        assert rs.reference_index is not None
        reference = rs.instance.references[rs.reference_index].output.text
        num_tokens = metric_service.count_tokens(f" {reference}")
        completions = _completions(rs)
        if not completions:
            return _ReferenceScore(-math.inf, num_tokens, answered=False)
        tail = completions[0].tokens[-num_tokens:]  # HELM's slice: 0 tokens means the whole sequence
        return _ReferenceScore(sum(t.logprob for t in tail), num_tokens)


class InstancesPerSplitMetric(MetricInterface):
    """`num_instances` per context: distinct instances per trial, averaged over trials."""

    def evaluate(self, scenario_state: ScenarioState, metric_service: MetricService) -> MetricResult:
        global_stats: dict[MetricName, Stat] = {}
        name = MetricName("num_instances")
        for trial in range(scenario_state.adapter_spec.num_train_trials):
            per_context: dict[Context, dict[int, None]] = {}
            for rs in scenario_state.request_states:
                if rs.train_trial_index == trial:
                    per_context.setdefault(context_of(rs.instance), {})[id(rs.instance)] = None
            trial_stats: dict[MetricName, Stat] = {}
            for context, instance_ids in per_context.items():
                merge_stat(trial_stats, add_context(_stat(name, len(instance_ids)), context))
            for stat in trial_stats.values():
                merge_stat(global_stats, stat.take_mean())
        return MetricResult(list(global_stats.values()), [])


class LanguageModelingMetric(MetricInterface):
    """HELM's metric for `language_modeling` runs: perplexity and bits per byte over all windows.

    A long text is several window requests for one instance, which the per-instance loop (one
    request per instance) cannot take; so, as in HELM, every request is scored on its own (one
    per-instance row each), summed over the run, and `num_instances` counts distinct instance ids.
    No worst-case copies and no calibration: HELM computes neither for language modelling.
    """

    def __init__(self, names: list[str]) -> None:
        self.names: list[str] = list(names)  # kept for run_spec.json; HELM ignores them too

    def __repr__(self) -> str:
        return f"LanguageModelingMetric({','.join(self.names)})"

    def evaluate(self, scenario_state: ScenarioState, metric_service: MetricService) -> MetricResult:
        with paused_gc():
            return self._evaluate(scenario_state, metric_service)

    def _evaluate(self, scenario_state: ScenarioState, metric_service: MetricService) -> MetricResult:
        adapter_spec = scenario_state.adapter_spec
        trial_stats: dict[MetricName, Stat] = {}
        rows: list[PerInstanceStats] = []
        ids_per_context: dict[Context, set[str]] = {}
        for rs in scenario_state.request_states:
            instance = rs.instance
            if instance.id is None:
                raise ValueError("instance without an id; give instances ids before evaluating")
            context = context_of(instance)
            stats = [
                add_context(stat, context)
                for stat in request_state_stats(adapter_spec, rs, metric_service)
                + language_modeling_stats(rs)
            ]
            ids_per_context.setdefault(context, set()).add(instance.id)
            rows.append(PerInstanceStats(instance.id, instance.perturbation, 0, stats))
            for stat in stats:
                merge_stat(trial_stats, stat)

        by_context: dict[Context, dict[MetricName, Stat]] = {}
        for name, stat in trial_stats.items():
            by_context.setdefault(context_of_name(name), {})[name] = stat
        for context, group in by_context.items():
            for stat in compute_perplexity_stats(group):
                merge_stat(trial_stats, add_context(stat, context))
            num_instances = _stat(MetricName("num_instances"), len(ids_per_context[context]))
            merge_stat(trial_stats, add_context(num_instances, context))

        global_stats: dict[MetricName, Stat] = {}
        for stat in trial_stats.values():
            merge_stat(global_stats, stat.take_mean())
        return MetricResult(list(global_stats.values()), rows)
