"""Calibration stats of `BasicGenerationMetric`: expected calibration error, selective accuracy and
Platt scaling over the instances' `max_prob` and `exact_match`.

The estimators are those of the `uncertainty-calibration` package that HELM uses, re-done with numpy
so that package is not needed; Platt scaling uses scikit-learn as HELM does, imported only when a run
has log probabilities (without it the `platt_*` stats are skipped with one warning).
"""

from __future__ import annotations

import logging

import numpy as np

from helm_lite.metrics.base import unique_stat_by_name
from helm_lite.metrics.statistic import MetricName, Stat
from helm_lite.scenarios.base import Instance

logger = logging.getLogger(__name__)


def _stat(name: MetricName, value: float) -> Stat:
    return Stat(name).add(value)


def _equal_mass_bins(probs: np.ndarray, num_bins: int) -> list[float]:
    """Bin upper edges so each bin holds about the same number of points (edges between points)."""
    sorted_probs = sorted(probs)
    num_bins = min(num_bins, len(sorted_probs))
    parts = [list(part) for part in np.array_split(sorted_probs, num_bins)]
    edges = [(parts[i][-1] + parts[i + 1][0]) / 2.0 for i in range(len(parts) - 1)]
    edges.append(1.0)
    return sorted(set(edges))


def _equal_width_bins(num_bins: int) -> list[float]:
    return [i * 1.0 / num_bins for i in range(1, num_bins + 1)]


def _plugin_ece(probs: np.ndarray, labels: np.ndarray, bins: list[float]) -> float:
    """L1 calibration error: bin-size-weighted |mean confidence − accuracy| (plug-in estimate)."""
    prob_label = np.array(list(zip(probs, labels, strict=True)))
    bin_indices = np.searchsorted(bins, prob_label[:, 0])
    order = np.argsort(bin_indices)
    splits = np.searchsorted(bin_indices[order], list(range(1, len(bins))))
    binned = np.split(prob_label[order], splits)
    total = sum(len(b) for b in binned)
    weights = [len(b) * 1.0 / total for b in binned]
    errors = [0.0 if len(b) == 0 else abs(np.mean(b[:, 0]) - np.mean(b[:, 1])) for b in binned]
    return float(np.dot(weights, errors))


def ece_equal_mass(probs: list[float], labels: list[int], num_bins: int) -> float:
    p, y = np.array(probs), np.array(labels)
    return _plugin_ece(p, y, _equal_mass_bins(p, num_bins))


def ece_equal_width(probs: list[float], labels: list[int], num_bins: int) -> float:
    return _plugin_ece(np.array(probs), np.array(labels), _equal_width_bins(num_bins))


def selective_stats(probs: list[float], correct: list[int]) -> tuple[float, float]:
    """Area under the coverage-accuracy curve, and accuracy on the 10% most confident answers."""
    p, c = np.array(probs), np.array(correct)
    sorted_correct = c[np.argsort(-p)]
    accs = np.cumsum(sorted_correct) / np.arange(1, len(sorted_correct) + 1)
    return float(np.mean(accs)), float(accs[int(0.1 * len(sorted_correct))])


_warned_no_sklearn = False


def _platt_scaling(probs: list[float], correct: list[int]) -> tuple[float, float, np.ndarray] | None:
    """Platt scaling as HELM fits it (sklearn logistic regression on logits); None without sklearn."""
    global _warned_no_sklearn
    try:
        from sklearn.linear_model import LogisticRegression  # optional: only for platt_* stats
    except ImportError:
        if not _warned_no_sklearn:
            logger.warning("scikit-learn is not installed: skipping the platt_* calibration stats")
            _warned_no_sklearn = True
        return None
    eps = 1e-12
    x = np.clip(np.array(probs, dtype=np.float64), eps, 1 - eps)
    logits = np.log(x / (1 - x))
    clf = LogisticRegression(C=1e10, solver="lbfgs")
    clf.fit(np.expand_dims(logits, axis=-1), np.array(correct))
    with np.errstate(over="ignore"):  # exp overflow just means a calibrated probability of 0
        calibrated = 1 / (1 + np.exp(-(logits * clf.coef_[0] + clf.intercept_)))
    return float(clf.coef_[0][0]), float(clf.intercept_[0]), calibrated


def compute_calibration_stats(per_instance_stats: dict[Instance, list[Stat]]) -> list[Stat]:
    """ECE, selective accuracy and Platt-scaled ECE over instances with `max_prob` and `exact_match`.

    Skipped (as in HELM) unless some instance has a real, negative `logprob`.
    """
    has_logprobs = any(
        s.name.name == "logprob" and s.sum < 0 for stats in per_instance_stats.values() for s in stats
    )
    if not has_logprobs:
        return []
    max_probs: list[float] = []
    correct: list[int] = []
    for stats in per_instance_stats.values():
        max_prob = unique_stat_by_name(stats, "max_prob")
        exact = unique_stat_by_name(stats, "exact_match")
        if max_prob is not None and exact is not None:
            assert max_prob.mean is not None and exact.mean is not None
            max_probs.append(max_prob.mean)
            correct.append(int(float(exact.mean)))
    if not max_probs:
        return []

    stats_out = [
        _stat(MetricName("ece_10_bin"), ece_equal_mass(max_probs, correct, 10)),
        _stat(MetricName("ece_1_bin"), ece_equal_width(max_probs, correct, 1)),
    ]
    area, acc_at_10 = selective_stats(max_probs, correct)
    stats_out.append(_stat(MetricName("selective_cov_acc_area"), area))
    stats_out.append(_stat(MetricName("selective_acc@10"), acc_at_10))
    if sum(correct) == 0 or sum(correct) == len(correct):
        # Platt scaling cannot fit a single class; HELM records a perfect post-scaling ECE.
        stats_out.append(_stat(MetricName("platt_ece_10_bin"), 0.0))
        stats_out.append(_stat(MetricName("platt_ece_1_bin"), 0.0))
        return stats_out
    platt = _platt_scaling(max_probs, correct)
    if platt is not None:
        coef, intercept, calibrated = platt
        stats_out.append(_stat(MetricName("platt_coef"), coef))
        stats_out.append(_stat(MetricName("platt_intercept"), intercept))
        cal = [float(v) for v in calibrated]
        stats_out.append(_stat(MetricName("platt_ece_10_bin"), ece_equal_mass(cal, correct, 10)))
        stats_out.append(_stat(MetricName("platt_ece_1_bin"), ece_equal_width(cal, correct, 1)))
    return stats_out
