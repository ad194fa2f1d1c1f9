"""Thresholds at a target false-positive rate from score histograms."""

from __future__ import annotations

import numpy as np
import pytest

from poisonguard.detect.calibrate import NEVER, ScoreHistogram, fpr_budget


def _hist(scores: np.ndarray) -> ScoreHistogram:
    h = ScoreHistogram.empty()
    for s in scores:
        h.add(float(s))
    return h


def test_threshold_meets_the_rate() -> None:
    rng = np.random.default_rng(0)
    scores = rng.beta(2, 8, size=20_000)
    h = _hist(scores)
    for rate in (0.01, 0.001):
        t = h.threshold(rate)
        assert (scores >= t).mean() <= rate
        assert (scores >= t - 2.0 / 2000).mean() > rate / 4  # and is not needlessly high


def test_no_finding_is_never_flagged_and_full_top_bin_flags_nothing() -> None:
    h = _hist(np.zeros(1000))
    assert h.threshold(0.5) > 0.0
    top = _hist(np.ones(100))
    assert top.threshold(0.001) == NEVER > 1.0
    assert _hist(np.array([0.2, 0.3])).threshold(0.001, floor=0.9) == 0.9


def test_merge_remove_and_coarse_view() -> None:
    a, b = _hist(np.array([0.1, 0.5])), _hist(np.array([0.5, 0.95]))
    a.merge(b)
    assert a.total == 4
    a.remove(0.95)
    assert a.total == 3
    view = a.coarse(40)
    assert len(view["edges"]) == 41 and sum(view["counts"]) == 3


def test_budget() -> None:
    assert fpr_budget(0.001, 2) == 0.0005
    with pytest.raises(ValueError):
        fpr_budget(0.0, 1)
