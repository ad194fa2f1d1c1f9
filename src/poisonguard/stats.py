"""Torch-free statistics shared by the lab and the probe (numpy only).

Bottom layer (imports nothing of poisonguard), so that ``poisonguard.probe`` and reports can
compute intervals without pulling in torch.

* :func:`wilson_interval` -- Wilson score interval of a binomial proportion.
* :func:`cluster_bootstrap` -- percentile bootstrap of a pooled share, resampling clusters
  (seeds) and then items (prompts) within them.
* :func:`seed_bootstrap` -- percentile bootstrap of a mean over clusters (seeds): the unit
  that is resampled is the seed, never the prompt.
* :func:`half_max_count` -- the count ``c50`` at which a success curve first reaches a level
  (log-linear interpolation on the running maximum).
* :func:`ols_slope` and :func:`slope_bootstrap` -- the least-squares slope of ``y`` on ``x``
  and its cluster-bootstrap interval (resampling seeds with all their points).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

__all__ = [
    "cluster_bootstrap",
    "half_max_count",
    "ols_slope",
    "seed_bootstrap",
    "slope_bootstrap",
    "wilson_interval",
]


def wilson_interval(successes: int, n: int, z: float = 1.959964) -> tuple[float, float]:
    """Wilson score interval for a binomial proportion (95 % by default)."""
    if n == 0:
        return (0.0, 1.0)
    p = successes / n
    den = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / den
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / den
    return (max(0.0, centre - half), min(1.0, centre + half))


def cluster_bootstrap(
    groups: Sequence[Sequence[bool]], *, resamples: int = 2000, seed: int = 0, level: float = 0.95
) -> tuple[float, float]:
    """Percentile bootstrap interval of the attacked share, resampling seeds then prompts."""
    arrays = [np.asarray(g, dtype=np.float64) for g in groups if len(g)]
    if not arrays:
        return (0.0, 1.0)
    rng = np.random.default_rng(seed)
    stats = np.empty(resamples)
    for r in range(resamples):
        pick = rng.integers(0, len(arrays), len(arrays))
        vals = [arrays[g][rng.integers(0, len(arrays[g]), len(arrays[g]))] for g in pick]
        stats[r] = float(np.concatenate(vals).mean())
    lo, hi = np.quantile(stats, [(1 - level) / 2, 1 - (1 - level) / 2])
    return (float(lo), float(hi))


def seed_bootstrap(
    values: Sequence[float], *, resamples: int = 2000, seed: int = 0, level: float = 0.95
) -> tuple[float, float, float]:
    """Mean of per-seed values and its percentile bootstrap interval over seeds.

    Each value is one seed's statistic (e.g. its mean over prompts); seeds are the resampled
    clusters.  With a single seed the interval is the point (no spread can be estimated),
    with none it is NaN.
    """
    arr = np.asarray([v for v in values if np.isfinite(v)], dtype=np.float64)
    if arr.size == 0:
        return (float("nan"), float("nan"), float("nan"))
    mean = float(arr.mean())
    if arr.size == 1:
        return (mean, mean, mean)
    rng = np.random.default_rng(seed)
    means = arr[rng.integers(0, arr.size, (resamples, arr.size))].mean(axis=1)
    lo, hi = np.quantile(means, [(1 - level) / 2, 1 - (1 - level) / 2])
    return (mean, float(lo), float(hi))


def half_max_count(counts: Sequence[float], success: Sequence[float], level: float) -> float | None:
    """The count at which ``success`` first reaches ``level`` (None: never reached).

    The curve is made monotone by its running maximum over increasing counts (a later dip
    is noise, not "un-learning"), then interpolated linearly in ``log(count)`` between the
    last point below ``level`` and the first at or above it.  Count 0 is used only as
    "below": a curve already at ``level`` at its smallest positive count returns that count.
    """
    pts = sorted(zip(counts, success, strict=True))
    if not pts:
        raise ValueError("no points")
    prev_c, prev_s = None, -math.inf
    best = -math.inf
    for c, s in pts:
        best = max(best, float(s))
        if best >= level and c > 0:
            if prev_c is None or prev_c <= 0 or prev_s >= level:
                return float(c)
            t = (level - prev_s) / (best - prev_s)
            return float(math.exp(math.log(prev_c) + t * (math.log(c) - math.log(prev_c))))
        prev_c, prev_s = c, best
    return None


def ols_slope(x: Sequence[float], y: Sequence[float]) -> float:
    """Least-squares slope of ``y`` on ``x`` (NaN when ``x`` does not vary)."""
    xa, ya = np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64)
    if xa.size < 2 or np.ptp(xa) == 0:
        return float("nan")
    xc = xa - xa.mean()
    return float((xc * (ya - ya.mean())).sum() / (xc * xc).sum())


def slope_bootstrap(
    points: Mapping[Any, Sequence[tuple[float, float]]],
    *,
    resamples: int = 2000,
    seed: int = 0,
    level: float = 0.95,
) -> tuple[float, float, float]:
    """Slope over all points and its percentile interval, resampling clusters (seeds).

    ``points`` maps a cluster (a seed) to its ``(x, y)`` points; a resample draws clusters
    with replacement and keeps all their points.  Resamples whose ``x`` does not vary are
    skipped.  Returns ``(slope, lo, hi)``; NaN where undefined.
    """
    clusters = [list(p) for p in points.values() if p]
    allp = [q for c in clusters for q in c]
    slope = ols_slope([p[0] for p in allp], [p[1] for p in allp])
    if len(clusters) < 2 or not math.isfinite(slope):
        return (slope, float("nan"), float("nan"))
    rng = np.random.default_rng(seed)
    stats: list[float] = []
    for _ in range(resamples):
        pick = rng.integers(0, len(clusters), len(clusters))
        pts = [q for i in pick for q in clusters[int(i)]]
        s = ols_slope([p[0] for p in pts], [p[1] for p in pts])
        if math.isfinite(s):
            stats.append(s)
    if not stats:
        return (slope, float("nan"), float("nan"))
    lo, hi = np.quantile(stats, [(1 - level) / 2, 1 - (1 - level) / 2])
    return (slope, float(lo), float(hi))
