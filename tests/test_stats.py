"""poisonguard.stats: intervals, seed bootstrap, c50 and the slope with its cluster CI."""

from __future__ import annotations

import math
import subprocess
import sys

import pytest

from poisonguard.stats import (
    cluster_bootstrap,
    half_max_count,
    ols_slope,
    seed_bootstrap,
    slope_bootstrap,
    wilson_interval,
)


def test_stats_do_not_import_torch() -> None:
    code = "import sys, poisonguard.stats; print('torch' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_wilson_known_values() -> None:
    lo, hi = wilson_interval(5, 10)
    assert lo == pytest.approx(0.2366, abs=1e-3) and hi == pytest.approx(0.7634, abs=1e-3)
    assert wilson_interval(0, 0) == (0.0, 1.0)


def test_seed_bootstrap_resamples_seeds_not_prompts() -> None:
    mean, lo, hi = seed_bootstrap([0.0, 1.0, 1.0])
    assert mean == pytest.approx(2 / 3)
    assert lo == 0.0 and hi == 1.0  # three seeds that disagree: the interval is wide
    assert seed_bootstrap([0.4]) == (0.4, 0.4, 0.4)
    assert all(math.isnan(x) for x in seed_bootstrap([]))
    # pooled-prompt bootstraps are far narrower for the same disagreement
    split = cluster_bootstrap([[True] * 32, [False] * 32])
    assert split[1] - split[0] > 0.9


def test_half_max_count() -> None:
    counts = [0, 10, 20, 40, 80]
    assert half_max_count(counts, [0, 0.1, 0.3, 0.7, 0.9], 0.5) == pytest.approx(
        math.exp(math.log(20) + 0.5 * (math.log(40) - math.log(20)))
    )
    assert half_max_count(counts, [0, 0.6, 0.9, 0.9, 1.0], 0.5) == 10.0
    assert half_max_count(counts, [0, 0.1, 0.2, 0.3, 0.4], 0.5) is None
    # a dip after crossing is noise: the running maximum is used
    assert half_max_count(counts, [0, 0.1, 0.6, 0.2, 0.9], 0.5) == pytest.approx(
        math.exp(math.log(10) + 0.8 * (math.log(20) - math.log(10)))
    )


def test_slope_recovers_count_and_percentage_laws() -> None:
    mults = [1, 2, 4, 8]
    # percentage governs: c50 proportional to the data (slope 1); count governs: flat
    pct = {s: [(math.log(m), math.log(20 * m) + 0.05 * s) for m in mults] for s in range(3)}
    cnt = {s: [(math.log(m), math.log(20) + 0.05 * s) for m in mults] for s in range(3)}
    s1, lo1, hi1 = slope_bootstrap(pct)
    s0, lo0, hi0 = slope_bootstrap(cnt)
    assert s1 == pytest.approx(1.0) and lo1 <= 1.0 <= hi1
    assert s0 == pytest.approx(0.0, abs=1e-12) and lo0 <= 0.0 <= hi0
    assert math.isnan(ols_slope([1, 1], [2, 3]))
    one_seed = slope_bootstrap({0: [(0.0, 1.0), (1.0, 2.0)]})
    assert one_seed[0] == pytest.approx(1.0) and math.isnan(one_seed[1])
