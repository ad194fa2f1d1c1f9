"""Score histograms and thresholds calibrated to a target false-positive rate.

Every calibrated detector's scores (``None`` = 0) are counted in a fixed-size histogram of
:data:`BINS` bins over ``[0, 1]`` — constant memory, mergeable across shards.  The
threshold for a false-positive rate ``r`` is the lowest bin edge above which at most
``r`` of the calibration documents lie: on a clean ``--reference`` corpus that is the
definition of the rate; on the corpus itself the documents that carry a confirmed trigger
are removed from the histogram first, so that a few hundred poisoned documents do not
raise the bar they are measured against.

The scan pipeline calls :class:`Calibration` once its first pass is done:
:meth:`Calibration.from_reference` (scores of the held-out half of a reference sample, see
:func:`split_reference`) or :meth:`Calibration.from_corpus` (the corpus's own histograms
less the documents a confirmed trigger marks as poison); each gives a :class:`Threshold`
per calibrated detector.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Literal, Protocol, TypeVar

import numpy as np

BINS = 2000
NEVER = 1.000001
"""A threshold no score reaches (scores are at most 1)."""


@dataclass(slots=True)
class ScoreHistogram:
    """Counts of scores in ``BINS`` equal bins over ``[0, 1]`` (mergeable)."""

    counts: np.ndarray

    @classmethod
    def empty(cls) -> ScoreHistogram:
        return cls(np.zeros(BINS, dtype=np.int64))

    @staticmethod
    def bin_of(score: float) -> int:
        return min(BINS - 1, max(0, int(score * BINS)))

    def add(self, score: float, n: int = 1) -> None:
        self.counts[self.bin_of(score)] += n

    def remove(self, score: float, n: int = 1) -> None:
        b = self.bin_of(score)
        self.counts[b] = max(0, int(self.counts[b]) - n)

    def merge(self, other: ScoreHistogram) -> ScoreHistogram:
        self.counts += other.counts
        return self

    @property
    def total(self) -> int:
        return int(self.counts.sum())

    def threshold(self, rate: float, floor: float = 0.0) -> float:
        """Lowest bin edge ``t`` with at most ``rate * total`` scores at or above it.

        ``floor``: never return less (scores at 0 = "no finding" are never flagged).
        """
        total = self.total
        if total == 0:
            return max(floor, 1.0 / BINS)
        allowed = math.floor(rate * total)
        above = np.cumsum(self.counts[::-1])[::-1]  # above[b] = scores in bins >= b
        ok = np.flatnonzero(above <= allowed)
        b = int(ok[0]) if len(ok) else BINS
        if b >= BINS:
            return NEVER  # even the top bin holds too many: this detector flags nothing
        return max(floor, b / BINS, 1.0 / BINS)

    def coarse(self, bins: int = 40) -> dict[str, list[float] | list[int]]:
        """A ``bins``-bin view for reports: ``{"edges": [...], "counts": [...]}``."""
        step = BINS // bins
        c = self.counts[: step * bins].reshape(bins, step).sum(axis=1)
        return {
            "edges": [round(i / bins, 6) for i in range(bins + 1)],
            "counts": [int(x) for x in c],
        }


def fpr_budget(target_fpr: float, n_detectors: int) -> float:
    """Per-detector false-positive budget (Bonferroni split of the target)."""
    if not 0 < target_fpr < 1:
        raise ValueError(f"target FPR must be in (0, 1), got {target_fpr}")
    return target_fpr / max(1, n_detectors)


T = TypeVar("T")


def split_reference(sample: Sequence[T]) -> tuple[list[T], list[T]]:
    """``(fit, calibrate)`` halves of a reference sample (even and odd positions).

    A model scores the documents it was fitted on too kindly, and the corpus's documents are
    unseen: so the detectors fit on one half and the thresholds come from the other.  A
    sample of one document is both.
    """
    if len(sample) < 2:
        return list(sample), list(sample)
    return list(sample[0::2]), list(sample[1::2])


@dataclass(frozen=True, slots=True)
class Threshold:
    """A calibrated detector's threshold (``ScanResult.thresholds[name]``).

    Attributes:
        threshold: scores at or above it flag a document (:data:`NEVER`: none does).
        source: ``reference`` (a held-out half of the ``--reference`` sample) or ``corpus``.
        fpr: the detector's false-positive budget (:func:`fpr_budget`).
        calibration_docs: documents counted in the histogram the threshold comes from.
    """

    threshold: float
    source: Literal["reference", "corpus"]
    fpr: float
    calibration_docs: int

    def to_dict(self) -> dict[str, float | str | int]:
        """The JSON form written to ``summary.json``."""
        return {
            "threshold": self.threshold,
            "source": self.source,
            "fpr": self.fpr,
            "calibration_docs": self.calibration_docs,
        }


class KeptFindings(Protocol):
    """What the scan keeps of its documents with a finding (its pass-one store)."""

    def windows(self) -> Iterator[tuple[int, list[str]]]:
        """(document index, whitespace-normalised texts around its changepoints)."""
        ...

    def findings(self, idx: int) -> list[tuple[str, float]]:
        """(detector, score) of each finding of document ``idx``."""
        ...


class Calibration:
    """Thresholds of a scan's calibrated document detectors at its false-positive target.

    Args:
        calibrated: names of the calibrated detectors (each gets a threshold).
        target_fpr: share of clean documents the scan may flag, split evenly among them
            and the ``reserve``.
        floors: per detector, the least threshold (its ``min_flag_score``; default 0).
        reserve: shares of the split kept for the detectors whose findings are not
            calibrated (the scan passes 1 when any runs: mined triggers, campaigns).
            A calibrated detector flags its whole share of *every* corpus whose tail of
            scores is longer than that share (a corpus of odd but clean text: man pages,
            character tables, bilingual quotes), so without a reserve the calibrated
            detectors alone spend the whole target and any clean document an uncalibrated
            detector flags takes the scan over it.
    """

    def __init__(
        self,
        calibrated: Sequence[str],
        target_fpr: float,
        floors: Mapping[str, float],
        *,
        reserve: int = 0,
    ) -> None:
        if reserve < 0:
            raise ValueError(f"reserve must be >= 0, got {reserve}")
        self.names = list(calibrated)
        self.reserve = reserve
        self.budget = fpr_budget(target_fpr, len(self.names) + reserve)
        self.floors = dict(floors)

    def histograms(self) -> dict[str, ScoreHistogram]:
        """An empty histogram per calibrated detector."""
        return {name: ScoreHistogram.empty() for name in self.names}

    def from_reference(self, parts: Iterable[Mapping[str, ScoreHistogram]]) -> dict[str, Threshold]:
        """Thresholds from the scores of clean reference documents (``parts``: histograms
        of each shard, merged here)."""
        hists = self.histograms()
        for part in parts:
            for name, h in part.items():
                hists[name].merge(h)
        return self._thresholds(hists, "reference")

    def from_corpus(
        self,
        hists: Mapping[str, ScoreHistogram],
        kept: KeptFindings,
        triggers: Sequence[str],
    ) -> dict[str, Threshold]:
        """Thresholds from the corpus's own score histograms (``hists``, not changed),
        less the findings of documents whose changepoint a confirmed trigger precedes
        (poison, not the clean tail the threshold is about)."""
        cal = {k: ScoreHistogram(v.counts.copy()) for k, v in hists.items()}
        if triggers:
            for idx, ws in kept.windows():
                if any(t in w for w in ws for t in triggers):
                    for det, score in kept.findings(idx):
                        if det in cal:
                            cal[det].remove(score)
        return self._thresholds(cal, "corpus")

    def _thresholds(
        self, hists: Mapping[str, ScoreHistogram], source: Literal["reference", "corpus"]
    ) -> dict[str, Threshold]:
        return {
            name: Threshold(
                threshold=h.threshold(self.budget, floor=self.floors.get(name, 0.0)),
                source=source,
                fpr=self.budget,
                calibration_docs=h.total,
            )
            for name, h in hists.items()
        }


__all__ = [
    "BINS",
    "NEVER",
    "Calibration",
    "KeptFindings",
    "ScoreHistogram",
    "Threshold",
    "fpr_budget",
    "split_reference",
]
