"""BasicGenerationMetric / BasicReferenceMetric / InstancesPerSplitMetric through the generic loop."""

from __future__ import annotations

import math
import re
from dataclasses import replace
from typing import Any

import pytest

from helm_lite.adaptation.adapter_spec import AdapterSpec
from helm_lite.adaptation.request_state import RequestState, ScenarioState
from helm_lite.common.json_io import to_jsonable
from helm_lite.common.request import GeneratedOutput, Request, RequestResult, Token
from helm_lite.metrics.base import MetricResult, MetricService
from helm_lite.metrics.basic import BasicGenerationMetric, BasicReferenceMetric, InstancesPerSplitMetric
from helm_lite.metrics.statistic import MetricName, PerturbationDescription, Stat
from helm_lite.scenarios.base import Input, Instance, Output, Reference

SERVICE = MetricService(count_tokens=lambda text: len(text.split()), deployment_name="simple/model1")
ROBUST_WORST = PerturbationDescription(name="robustness", robustness=True, computed_on="worst")
FAIR_WORST = PerturbationDescription(name="fairness", fairness=True, computed_on="worst")


def instance(iid: str, golds: list[str], others: list[str] = (), **kw: Any) -> Instance:  # type: ignore[assignment]
    refs = [Reference(Output(g), ["correct"]) for g in golds] + [Reference(Output(o), []) for o in others]
    return Instance(Input(f"question {iid}"), refs, split=kw.pop("split", "test"), id=iid, **kw)


def completion(text: str, logprobs: list[float], reason: str | None = "stop") -> GeneratedOutput:
    pieces = re.findall(r"\s*\S+", text)  # one token per word, with its leading space
    tokens = [Token(p, lp) for p, lp in zip(pieces, logprobs, strict=True)]
    return GeneratedOutput(text, sum(logprobs), tokens, {"reason": reason} if reason else None)


def state(
    inst: Instance,
    completions: list[GeneratedOutput] | None,
    trial: int = 0,
    prompt: str = "Q: a b c\nA:",
    **kw: Any,
) -> RequestState:
    result = None if completions is None else RequestResult(True, [], completions, False, request_time=0.25)
    return RequestState(
        instance=inst,
        reference_index=kw.pop("reference_index", None),
        request_mode=kw.pop("request_mode", None),
        train_trial_index=trial,
        output_mapping=kw.pop("output_mapping", None),
        request=Request(model_deployment="simple/model1", model="simple/model1", prompt=prompt, **kw),
        result=result,
        num_train_instances=2,
        prompt_truncated=False,
    )


def by_name(stats: list[Stat]) -> dict[MetricName, Stat]:
    out = {s.name: s for s in stats}
    assert len(out) == len(stats), "duplicate stat names"
    return out


def tn(name: str, perturbation: PerturbationDescription | None = None) -> MetricName:
    """The name a stat gets in the test split."""
    return MetricName(name, split="test", perturbation=perturbation)


def first_row(spec: AdapterSpec, states: list[RequestState]) -> dict[MetricName, Stat]:
    result = BasicGenerationMetric(["exact_match"]).evaluate(ScenarioState(spec, states), SERVICE)
    return by_name(result.per_instance_stats[0].stats)


GENERATION_SPEC = AdapterSpec(method="generation", num_outputs=1, model_deployment="simple/model1")


def generation_result() -> tuple[MetricResult, list[Instance]]:
    i0, i1 = instance("id0", ["Paris"]), instance("id1", ["Rome", "Roma"])
    states = [
        state(i0, [completion(" Paris", [-0.5])]),
        state(i1, [completion("Milan is", [-1.0, -2.0], reason="length")]),
    ]
    metric = BasicGenerationMetric(["exact_match", "quasi_exact_match", "f1_score"])
    return metric.evaluate(ScenarioState(GENERATION_SPEC, states), SERVICE), [i0, i1]


def test_generation_per_instance_stats_in_helm_order() -> None:
    result, _ = generation_result()
    assert [r.instance_id for r in result.per_instance_stats] == ["id0", "id1"]
    row = result.per_instance_stats[0]
    assert list(to_jsonable(row)) == ["instance_id", "train_trial_index", "stats"]
    assert [s.name.name for s in row.stats] == [
        "num_references",
        "num_train_trials",
        "num_prompt_tokens",
        "num_completion_tokens",
        "num_output_tokens",
        "training_co2_cost",
        "training_energy_cost",
        "inference_runtime",
        "batch_size",
        "finish_reason_length",
        "finish_reason_stop",
        "finish_reason_endoftext",
        "finish_reason_unknown",
        "num_train_instances",
        "prompt_truncated",
        "max_prob",
        "exact_match",
        "quasi_exact_match",
        "f1_score",
        "logprob",
        "num_perplexity_tokens",
        "num_bytes",
    ]
    assert all(s.name.split == "test" for s in row.stats)
    values = {s.name.name: s.sum for s in row.stats}
    assert values["num_prompt_tokens"] == 5
    assert values["num_completion_tokens"] == 1 and values["num_output_tokens"] == 1
    assert values["inference_runtime"] == 0.25 and values["batch_size"] == 1
    assert values["finish_reason_stop"] == 1 and values["finish_reason_length"] == 0
    assert values["prompt_truncated"] == 0 and values["num_train_instances"] == 2
    assert values["max_prob"] == math.exp(-0.5)
    assert values["exact_match"] == 1 and type(values["exact_match"]) is int
    assert values["logprob"] == -0.5 and values["num_bytes"] == len(" Paris")
    co2 = by_name(row.stats)[tn("training_co2_cost")]
    assert co2.count == 0 and list(to_jsonable(co2)) == ["name", "count", "sum", "sum_squared"]

    second = {s.name.name: s.sum for s in result.per_instance_stats[1].stats}
    assert second["exact_match"] == 0 and second["finish_reason_length"] == 1
    assert second["num_completion_tokens"] == 2 and second["logprob"] == -3.0


def test_generation_aggregated_stats() -> None:
    result, _ = generation_result()
    agg = by_name(result.aggregated_stats)
    em = agg[tn("exact_match")]
    assert (em.count, em.sum, em.mean, em.min, em.max) == (1, 0.5, 0.5, 0.5, 0.5)
    assert agg[tn("num_prompt_tokens")].mean == 5.0
    # Worst-case copies exist for every non-empty stat and equal the plain value without perturbations.
    for name in ("exact_match", "num_prompt_tokens", "logprob", "max_prob"):
        for p in (ROBUST_WORST, FAIR_WORST):
            assert agg[tn(name, p)].mean == agg[tn(name)].mean
    assert tn("training_co2_cost", ROBUST_WORST) not in agg
    assert agg[tn("training_co2_cost")].count == 0
    # Derived from trial-level sums.
    assert agg[tn("perplexity")].mean == math.e ** (3.5 / 3)
    n_bytes = len(" Paris") + len("Milan is")
    assert agg[tn("bits_per_byte")].mean == 3.5 / n_bytes / math.log(2)
    assert agg[tn("logprob_per_byte")].mean == -3.5 / n_bytes
    # No exact_match@k with one output; calibration stats need max_prob+exact_match → present.
    assert tn("exact_match@1") not in agg
    assert tn("ece_1_bin") in agg


def test_generation_aggregated_order() -> None:
    result, _ = generation_result()
    names = [(s.name.name, s.name.perturbation and s.name.perturbation.name) for s in result.aggregated_stats]
    plain = [n for n, p in names if p is None]
    assert plain[:3] == ["num_references", "num_train_trials", "num_prompt_tokens"]
    assert plain.index("num_bytes") < plain.index("perplexity") < plain.index("ece_10_bin")
    worst = [(n, p) for n, p in names if p is not None]
    assert worst[:4] == [
        ("num_references", "robustness"),
        ("num_references", "fairness"),
        ("num_train_trials", "robustness"),
        ("num_train_trials", "fairness"),
    ]
    assert names.index(("ece_10_bin", None)) < names.index(worst[0])


def test_two_train_trials_are_averaged_per_trial() -> None:
    i0, i1 = instance("id0", ["yes"]), instance("id1", ["no"])
    states = [
        state(i0, [completion("yes", [-0.1])], trial=0),
        state(i1, [completion("no", [-0.1])], trial=0),
        state(i0, [completion("yes", [-0.1])], trial=1),
        state(i1, [completion("yes", [-0.1])], trial=1),
    ]
    spec = AdapterSpec(method="generation", num_outputs=1, num_train_trials=2)
    result = BasicGenerationMetric(["exact_match"]).evaluate(ScenarioState(spec, states), SERVICE)
    em = by_name(result.aggregated_stats)[tn("exact_match")]
    assert (em.count, em.sum, em.sum_squared, em.mean, em.min, em.max) == (2, 1.5, 1.25, 0.75, 0.5, 1.0)
    assert em.variance == 0.0625 and em.stddev == 0.25
    assert [(r.instance_id, r.train_trial_index) for r in result.per_instance_stats] == [
        ("id0", 0),
        ("id1", 0),
        ("id0", 1),
        ("id1", 1),
    ]
    counts = InstancesPerSplitMetric().evaluate(ScenarioState(spec, states), SERVICE)
    assert counts.per_instance_stats == []
    [num] = counts.aggregated_stats
    assert num.name == tn("num_instances")
    assert (num.count, num.sum, num.mean) == (2, 4.0, 2.0) and type(num.sum) is float


def test_instances_per_split_counts_distinct_instances_per_context() -> None:
    a, b, c = instance("a", ["x"]), instance("b", ["x"]), instance("c", ["x"], split="valid")
    states = [state(a, None), state(b, None), state(c, None), state(a, None, reference_index=0)]
    result = InstancesPerSplitMetric().evaluate(ScenarioState(GENERATION_SPEC, states), SERVICE)
    assert [(s.name.split, s.sum) for s in result.aggregated_stats] == [("test", 2.0), ("valid", 1.0)]
    assert to_jsonable(result.aggregated_stats[0])["sum_squared"] == 4.0


MC_SPEC = AdapterSpec(method="multiple_choice_joint", max_tokens=1, num_outputs=5, temperature=0)
MAPPING = {"A": "0", "B": "4", "C": "2", "D": "6"}


def test_multiple_choice_joint_with_output_mapping() -> None:
    i0 = instance("id0", ["4"], ["0", "2", "6"])
    i1 = instance("id1", ["2"], ["0", "4", "6"])
    states = [
        state(i0, [completion(" B", [-1.2])], output_mapping=MAPPING),
        state(i1, [completion(" M", [-0.3])], output_mapping=MAPPING),  # unmapped letter scores 0
    ]
    result = BasicGenerationMetric(["exact_match"]).evaluate(ScenarioState(MC_SPEC, states), SERVICE)
    first = by_name(result.per_instance_stats[0].stats)
    assert first[tn("exact_match")].sum == 1 and first[tn("exact_match@5")].sum == 1
    assert by_name(result.per_instance_stats[1].stats)[tn("exact_match")].sum == 0
    agg = by_name(result.aggregated_stats)
    assert agg[tn("exact_match")].mean == 0.5 and agg[tn("exact_match@5")].mean == 0.5
    assert agg[tn("exact_match@5", ROBUST_WORST)].mean == 0.5
    # Calibration (real negative logprobs): p = e^-1.2 (right), e^-0.3 (wrong).
    p_right, p_wrong = math.exp(-1.2), math.exp(-0.3)
    assert agg[tn("ece_10_bin")].mean == pytest.approx(((1 - p_right) + p_wrong) / 2)
    assert agg[tn("ece_1_bin")].mean == pytest.approx(abs((p_right + p_wrong) / 2 - 0.5))
    assert agg[tn("selective_cov_acc_area")].mean == 0.25
    assert agg[tn("selective_acc@10")].mean == 0.0


def test_output_mapping_pattern_extracts_the_letter() -> None:
    i0 = instance("id0", ["2"], ["0", "4", "6"])
    spec = replace(MC_SPEC, num_outputs=1, output_mapping_pattern=r"answer is \(?([A-D])")
    states = [state(i0, [completion("The answer is (C)", [-0.1, -0.1, -0.1, -0.1])], output_mapping=MAPPING)]
    result = BasicGenerationMetric(["exact_match"]).evaluate(ScenarioState(spec, states), SERVICE)
    assert by_name(result.per_instance_stats[0].stats)[tn("exact_match")].sum == 1


def test_predictions_sorted_by_logprob_for_at_k() -> None:
    i0 = instance("id0", ["b"])
    spec = AdapterSpec(method="generation", num_outputs=2)
    states = [state(i0, [completion("a", [-2.0]), completion("b", [-1.0])])]
    stats = first_row(spec, states)
    assert stats[tn("exact_match")].sum == 1  # best completion is "b"
    assert stats[tn("max_prob")].sum == math.exp(-1.0)
    assert stats[tn("num_completion_tokens")].sum == 2
    assert stats[tn("logprob")].sum == -2.0  # logprob stats use completions[0] as returned


def test_failed_or_missing_result_scores_zero() -> None:
    i0 = instance("id0", ["Paris"])
    failed = RequestResult(False, [], [], False, error="boom")
    states = [RequestState(i0, None, None, 0, None, Request(prompt="p"), failed, 0, False)]
    stats = first_row(GENERATION_SPEC, states)
    assert stats[tn("exact_match")].sum == 0
    assert stats[tn("finish_reason_unknown")].sum == 1
    assert stats[tn("max_prob")].sum == 0.0
    assert tn("inference_runtime") not in stats


def test_no_references_skips_reference_stats_and_echo_prompt() -> None:
    i0 = Instance(Input("text"), [], split="test", id="id0")
    states = [state(i0, [completion("a b c d e", [-1.0] * 5)], prompt="a b c", echo_prompt=True)]
    stats = first_row(GENERATION_SPEC, states)
    assert tn("exact_match") not in stats and tn("max_prob") not in stats
    assert stats[tn("num_output_tokens")].sum == 2


def test_perturbed_instances_worst_case() -> None:
    robust = {"name": "typos", "robustness": True, "fairness": False, "computed_on": "perturbed", "prob": 0.1}
    orig = instance("id0", ["yes"])
    pert = instance("id0", ["yes"], perturbation=robust)
    states = [state(orig, [completion("yes", [-0.1])]), state(pert, [completion("no", [-0.1])])]
    result = BasicGenerationMetric(["exact_match"]).evaluate(ScenarioState(GENERATION_SPEC, states), SERVICE)
    assert result.per_instance_stats[1].perturbation == robust
    agg = by_name(result.aggregated_stats)
    # Stat names carry the perturbation's own fields (`prob`), as HELM's do.
    typos = PerturbationDescription.from_dict({"name": "typos", "robustness": True, "prob": 0.1})
    assert agg[tn("exact_match")].mean == 1.0
    assert agg[tn("exact_match", typos)].mean == 0.0
    assert agg[tn("exact_match", ROBUST_WORST)].mean == 0.0
    assert agg[tn("exact_match", FAIR_WORST)].mean == 1.0  # fairness: only the original
    assert agg[tn("exact_match", replace(typos, computed_on="worst"))].mean == 0.0
    assert agg[tn("exact_match", replace(typos, computed_on="original"))].mean == 1.0


def test_unknown_score_name_fails_clearly() -> None:
    states = [state(instance("id0", ["x"]), [completion("x", [-0.1])])]
    with pytest.raises(KeyError, match="nope"):
        BasicGenerationMetric(["nope"]).evaluate(ScenarioState(GENERATION_SPEC, states), SERVICE)


def test_reference_metric_produces_nothing_for_generation() -> None:
    states = [state(instance("id0", ["x"]), [completion("x", [-0.1])])]
    result = BasicReferenceMetric().evaluate(ScenarioState(GENERATION_SPEC, states), SERVICE)
    assert result.aggregated_stats == [] and result.per_instance_stats == []


def test_reference_metric_multiple_choice_separate_original() -> None:
    i0 = instance("id0", ["big dog"], ["cat"])  # references: 0 "big dog" (correct), 1 "cat"
    spec = AdapterSpec(method="multiple_choice_separate_original", num_outputs=1, max_tokens=0)
    states = [
        state(
            i0,
            [completion("Q: it is a big dog", [0, -1, -1, -1, -0.5, -0.5])],
            reference_index=0,
            request_mode="original",
            echo_prompt=True,
            prompt="Q: it is a big dog",
        ),
        state(
            i0,
            [completion("Q: it is a cat", [0, -1, -1, -1, -2.0])],
            reference_index=1,
            request_mode="original",
            echo_prompt=True,
            prompt="Q: it is a cat",
        ),
    ]
    result = BasicReferenceMetric().evaluate(ScenarioState(spec, states), SERVICE)
    stats = by_name(result.per_instance_stats[0].stats)
    assert stats[tn("num_references")].count == 2 and stats[tn("num_references")].sum == 4
    scores = [-1.0 / 2, -2.0 / 1]
    expected = math.exp(0) / (math.exp(0) + math.exp(scores[1] - scores[0]))
    assert stats[tn("max_prob")].sum == pytest.approx(expected)
    assert stats[tn("exact_match")].sum == 1.0 and type(stats[tn("exact_match")].sum) is float
    assert stats[tn("predicted_index")].sum == 0
    assert [s.name.name for s in result.per_instance_stats[0].stats][-3:] == [
        "max_prob",
        "exact_match",
        "predicted_index",
    ]
    agg = by_name(result.aggregated_stats)
    assert agg[tn("exact_match", ROBUST_WORST)].mean == 1.0


def test_worst_case_fast_path_matches_general_algorithm() -> None:
    from helm_lite.metrics.base import _worst_case_general, _worst_case_unperturbed

    i0, i1 = instance("id0", ["Paris"]), instance("id1", ["Rome"])
    metric = BasicGenerationMetric(["exact_match", "f1_score"])
    results = []
    for inst, text in ((i0, "Paris"), (i1, "Rome or Milan")):
        rs = state(inst, [completion(text, [-0.2] * len(text.split()))])
        results.append((inst, metric.evaluate_generation(GENERATION_SPEC, rs, SERVICE)))
    fast, general = _worst_case_unperturbed(results), _worst_case_general(results)
    assert [to_jsonable(s) for s in fast] == [to_jsonable(s) for s in general]
    assert len(fast) == 2 * sum(1 for s in results[0][1] if s.count > 0)


def test_evaluate_restores_garbage_collection() -> None:
    import gc

    assert gc.isenabled()
    generation_result()
    assert gc.isenabled()
