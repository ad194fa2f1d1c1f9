"""Thresholds at a target false-positive rate from score histograms."""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import pytest

from poisonguard.detect.calibrate import (
    NEVER,
    Calibration,
    ScoreHistogram,
    fpr_budget,
    split_reference,
)


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


class _Kept:
    """A pass-one store in miniature: findings and changepoint windows by document."""

    def __init__(self, found: dict[int, list[tuple[str, float]]], windows: dict[int, list[str]]):
        self.found, self.win = found, windows

    def windows(self) -> Iterator[tuple[int, list[str]]]:
        yield from sorted(self.win.items())

    def findings(self, idx: int) -> list[tuple[str, float]]:
        return self.found.get(idx, [])


def test_split_reference_fits_and_calibrates_on_disjoint_halves() -> None:
    assert split_reference(list("abcde")) == (["a", "c", "e"], ["b", "d"])
    assert split_reference(["only"]) == (["only"], ["only"])


def test_corpus_calibration_drops_documents_a_confirmed_trigger_marks() -> None:
    # 1,000 clean scores in [0, 0.3) and 20 poisoned documents scoring 0.9
    rng = np.random.default_rng(1)
    clean = rng.uniform(0.0, 0.3, size=1000)
    hist = _hist(np.concatenate([clean, np.full(20, 0.9)]))
    kept = _Kept(
        {i: [("naturalness", 0.9), ("language", 0.5)] for i in range(20)},
        {i: [f"left cf. Anhang right {i}"] for i in range(20)},
    )
    cal = Calibration(["naturalness"], 0.01, {"naturalness": 0.0})
    assert cal.budget == 0.01
    blind = cal.from_corpus({"naturalness": hist}, kept, [])["naturalness"]
    assert blind.threshold > 0.3  # the poison is the tail: its own bar is raised above clean
    th = cal.from_corpus({"naturalness": hist}, kept, ["cf. Anhang"])["naturalness"]
    assert th.source == "corpus" and th.calibration_docs == 1000
    assert th.threshold <= 0.3  # the poison is out of the histogram: the clean tail decides
    assert (clean >= th.threshold).mean() <= 0.01
    assert hist.total == 1020  # the scan's own histogram is not changed
    assert th.to_dict() == {
        "threshold": th.threshold,
        "source": "corpus",
        "fpr": 0.01,
        "calibration_docs": 1000,
    }


def test_reference_calibration_merges_shards_and_keeps_the_floor() -> None:
    cal = Calibration(["a", "b"], 0.002, {"a": 0.0, "b": 0.75})
    assert cal.budget == 0.001  # split between the two calibrated detectors
    parts = [{"a": _hist(np.full(500, 0.1)), "b": _hist(np.full(500, 0.1))} for _ in range(2)]
    out = cal.from_reference(parts)
    assert {k: v.calibration_docs for k, v in out.items()} == {"a": 1000, "b": 1000}
    assert out["a"].source == "reference"
    assert 0.1 < out["a"].threshold < 0.75 <= out["b"].threshold


def test_a_reserve_keeps_a_share_of_the_target_for_uncalibrated_detectors() -> None:
    # a clean corpus of odd text: 30,000 documents, 600 of them with a real score (man pages,
    # character tables, bilingual quotes) — a tail far longer than the target's share
    rng = np.random.default_rng(3)
    scores = np.concatenate([np.zeros(29_400), rng.uniform(0.3, 1.0, size=600)])
    hist = _hist(scores)
    kept = _Kept({}, {})
    plain = Calibration(["naturalness", "language"], 0.001, {})
    reserved = Calibration(["naturalness", "language"], 0.001, {}, reserve=1)
    assert plain.budget == 0.0005 and reserved.budget == pytest.approx(0.001 / 3)
    full = plain.from_corpus({"naturalness": hist}, kept, [])["naturalness"]
    kept_share = reserved.from_corpus({"naturalness": hist}, kept, [])["naturalness"]
    # without a reserve the detector spends its whole half of the target on this corpus
    # (15 allowed; a bin shared by two scores may leave one out)
    assert 13 <= int((scores >= full.threshold).sum()) <= 15
    # with one: a third, so two calibrated detectors leave a third to mined triggers
    assert 8 <= int((scores >= kept_share.threshold).sum()) <= 10
    assert kept_share.fpr == pytest.approx(0.001 / 3)
    with pytest.raises(ValueError):
        Calibration(["naturalness"], 0.001, {}, reserve=-1)


def test_a_reserve_still_flags_the_one_gibberish_document_of_a_clean_corpus() -> None:
    # the adversarial side: the tail's top is what a reserve keeps flagging
    rng = np.random.default_rng(4)
    clean = rng.beta(2, 8, size=3_000) * 0.6
    hist = _hist(np.concatenate([clean, [0.97]]))
    th = Calibration(["naturalness", "language"], 0.001, {}, reserve=1).from_corpus(
        {"naturalness": hist}, _Kept({}, {}), []
    )["naturalness"]
    assert th.threshold <= 0.97 and (clean >= th.threshold).sum() == 0
