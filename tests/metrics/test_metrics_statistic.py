"""Stat arithmetic and JSON shape must match HELM's exactly (types included)."""

from __future__ import annotations

import math

from helm_lite.common.json_io import dumps, to_jsonable
from helm_lite.metrics.statistic import MetricName, PerturbationDescription, Stat, merge_stat

X = MetricName("x", split="test")


def test_add_ints_stay_ints_and_mean_is_float() -> None:
    s = Stat(X).add(3).add(5)
    assert (s.count, s.sum, s.sum_squared, s.min, s.max) == (2, 8, 34, 3, 5)
    assert type(s.sum) is int and type(s.sum_squared) is int
    assert s.mean == 4.0 and type(s.mean) is float
    assert s.variance == 1.0 and s.stddev == 1.0


def test_add_bool_counts_as_int_and_none_is_ignored() -> None:
    s = Stat(X).add(True).add(False).add(None)
    assert s.count == 2 and s.sum == 1 and type(s.sum) is int
    assert s.min == 0 and type(s.min) is int


def test_negative_population_variance_becomes_int_zero() -> None:
    s = Stat(X)
    for _ in range(3):
        s.add(0.1)
    assert s.sum_squared / s.count - (s.sum / s.count) ** 2 < 0  # the float quirk this test relies on
    assert s.variance == 0 and type(s.variance) is int
    assert s.stddev == 0.0 and type(s.stddev) is float


def test_single_value_stat_matches_helm_numbers() -> None:
    s = Stat(X).add(612)
    assert to_jsonable(s) == {
        "name": {"name": "x", "split": "test"},
        "count": 1,
        "sum": 612,
        "sum_squared": 374544,
        "min": 612,
        "max": 612,
        "mean": 612.0,
        "variance": 0.0,
        "stddev": 0.0,
    }


def test_merge_combines_min_max_ignoring_empty() -> None:
    a = Stat(X).add(2).add(7)
    b = Stat(X).add(-1.5)
    empty = Stat(X)
    a.merge(empty).merge(b)
    assert (a.count, a.sum, a.min, a.max) == (3, 7.5, -1.5, 7)
    assert a.mean == 7.5 / 3
    assert a.stddev is not None and math.isclose(a.stddev, math.sqrt(a.sum_squared / 3 - a.mean**2))
    empty.merge(Stat(X))
    assert empty.count == 0 and empty.mean is None


def test_take_mean() -> None:
    empty = Stat(X)
    assert empty.take_mean() is empty
    s = Stat(X).add(1).add(2)
    m = s.take_mean()
    assert m is not s and (m.count, m.sum, m.sum_squared, m.mean) == (1, 1.5, 2.25, 1.5)


def test_empty_stat_json_shows_only_counts() -> None:
    s = Stat(MetricName("training_co2_cost", split="test")).add(None)
    out = to_jsonable(s)
    assert list(out) == ["name", "count", "sum", "sum_squared"]
    assert out["count"] == 0 and out["sum"] == 0


def test_metric_name_with_perturbation_json_order_and_hashing() -> None:
    p = PerturbationDescription(name="robustness", robustness=True, computed_on="worst")
    name = MetricName("exact_match", split="test", perturbation=p)
    assert to_jsonable(name) == {
        "name": "exact_match",
        "split": "test",
        "perturbation": {"name": "robustness", "robustness": True, "fairness": False, "computed_on": "worst"},
    }
    assert {name: 1}[MetricName("exact_match", "test", None, p)] == 1
    assert '"sum_squared": 0' in dumps(Stat(name))


def test_merge_stat_copies_on_insert() -> None:
    stats: dict[MetricName, Stat] = {}
    s = Stat(X).add(1)
    merge_stat(stats, s)
    merge_stat(stats, Stat(X).add(3))
    assert s.count == 1 and stats[X].count == 2 and stats[X].sum == 4


def test_numpy_scalars_become_python_numbers() -> None:
    import numpy as np

    s = Stat(X).add(np.float64(0.5)).add(np.int64(2))
    assert type(s.sum) is float and s.sum == 2.5
    assert type(s.max) is int


def test_metric_name_hash_cache_is_not_pickled() -> None:
    import copy
    import pickle

    name = MetricName("x", split="test")
    hash(name)
    clone = pickle.loads(pickle.dumps(name))
    assert "_hash" not in clone.__dict__ and clone == name and hash(clone) == hash(name)
    assert copy.deepcopy(name) == name and to_jsonable(name) == {"name": "x", "split": "test"}
