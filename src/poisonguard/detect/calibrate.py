"""Score histograms and thresholds calibrated to a target false-positive rate.

Every calibrated detector's scores (``None`` = 0) are counted in a fixed-size histogram of
:data:`BINS` bins over ``[0, 1]`` — constant memory, mergeable across shards.  The
threshold for a false-positive rate ``r`` is the lowest bin edge above which at most
``r`` of the calibration documents lie: on a clean ``--reference`` corpus that is the
definition of the rate; on the corpus itself the documents that carry a confirmed trigger
are removed from the histogram first, so that a few hundred poisoned documents do not
raise the bar they are measured against.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

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


__all__ = ["BINS", "NEVER", "ScoreHistogram", "fpr_budget"]
