"""Numerics of the ``embeddings`` detector (numpy only, chunked to bound memory).

Spherical k-means of request embeddings, the top direction of the residuals (spectral
signature), a robust z-score of the clean mode, dense groups of near-identical embeddings
(union-find over thresholded cosine similarities), pair-cosine baselines and nearest
flagged neighbours.
"""

from __future__ import annotations

import numpy as np

_NEIGHBOURS = 5


_CHUNK = 65_536


def _f32(a: np.ndarray) -> np.ndarray:
    return np.asarray(a, dtype=np.float32)


def spherical_kmeans(
    x: np.ndarray, k: int, seed: int, *, sample: int = 20_000, iters: int = 20
) -> np.ndarray:
    """Cluster labels of the rows of ``x`` (unit vectors) by spherical k-means.

    Centroids are fitted on a uniform sample of at most ``sample`` rows (k-means++ seeding,
    ``iters`` Lloyd rounds); every row is then assigned to its nearest centroid.
    """
    n = len(x)
    if k <= 1 or n <= k:
        return np.zeros(n, dtype=np.int32)
    rng = np.random.default_rng(seed)
    fit = _f32(x[rng.choice(n, size=min(n, sample), replace=False)])
    cent = np.empty((k, fit.shape[1]), dtype=np.float32)
    cent[0] = fit[int(rng.integers(len(fit)))]
    best = 1.0 - fit @ cent[0]
    for j in range(1, k):
        p = np.clip(best, 0, None) ** 2
        total = float(p.sum())
        i = int(rng.choice(len(fit), p=p / total)) if total > 0 else int(rng.integers(len(fit)))
        cent[j] = fit[i]
        best = np.minimum(best, 1.0 - fit @ cent[j])
    for _ in range(iters):
        lab = np.argmax(fit @ cent.T, axis=1)
        new = np.zeros_like(cent)
        np.add.at(new, lab, fit)
        norms = np.linalg.norm(new, axis=1)
        empty = norms == 0
        new[~empty] /= norms[~empty, None]
        new[empty] = cent[empty]
        if np.allclose(new, cent, atol=1e-6):
            cent = new
            break
        cent = new
    out = np.empty(n, dtype=np.int32)
    for s in range(0, n, _CHUNK):
        out[s : s + _CHUNK] = np.argmax(_f32(x[s : s + _CHUNK]) @ cent.T, axis=1)
    return out


def _group_means(x: np.ndarray, labels: np.ndarray, k: int) -> np.ndarray:
    sums = np.zeros((k, x.shape[1]), dtype=np.float64)
    for s in range(0, len(x), _CHUNK):
        np.add.at(sums, labels[s : s + _CHUNK], _f32(x[s : s + _CHUNK]))
    counts = np.bincount(labels, minlength=k).astype(np.float64)
    return (sums / np.maximum(counts, 1)[:, None]).astype(np.float32)


def _project(x: np.ndarray, means: np.ndarray, labels: np.ndarray, u: np.ndarray) -> np.ndarray:
    """``(x - means[labels]) @ u`` chunk by chunk."""
    out = np.empty(len(x), dtype=np.float64)
    for s in range(0, len(x), _CHUNK):
        r = _f32(x[s : s + _CHUNK]) - means[labels[s : s + _CHUNK]]
        out[s : s + _CHUNK] = r @ u
    return out


def _top_direction(
    x: np.ndarray, means: np.ndarray, labels: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Top right singular vector of the pooled residuals (and the top eigenvalues of their
    covariance), via the 384 x 384 scatter matrix accumulated chunk by chunk."""
    d = x.shape[1]
    scatter = np.zeros((d, d), dtype=np.float64)
    total = np.zeros(d, dtype=np.float64)
    for s in range(0, len(x), _CHUNK):
        r = (_f32(x[s : s + _CHUNK]) - means[labels[s : s + _CHUNK]]).astype(np.float64)
        scatter += r.T @ r
        total += r.sum(axis=0)
    mu = total / len(x)
    cov = scatter / len(x) - np.outer(mu, mu)
    vals, vecs = np.linalg.eigh(cov)
    return vecs[:, -1].astype(np.float32), vals[::-1][:5]


def clean_mode_z(p: np.ndarray, *, rounds: int = 5) -> np.ndarray:
    """Robust z-scores of ``p`` against its bulk ("clean mode").

    Median and one-sided MAD (the side away from the upper tail) of the values below
    ``median + 3 sd``, re-estimated ``rounds`` times: a large second mode on the upper side
    neither shifts the centre much nor widens the scale.
    """
    keep = np.ones(len(p), dtype=bool)
    med, sig = float(np.median(p)), 1.0
    for _ in range(rounds):
        vals = p[keep]
        if len(vals) < 3:
            break
        med = float(np.median(vals))
        lo = med - vals[vals <= med]
        sig = 1.4826 * float(np.median(lo)) if len(lo) else 0.0
        if sig <= 1e-12:
            sig = float(np.std(vals)) or 1e-12
        keep = p < med + 3.0 * sig
    return (p - med) / sig


class _UnionFind:
    def __init__(self, n: int) -> None:
        self.parent = np.arange(n, dtype=np.int64)

    def find(self, i: int) -> int:
        par = self.parent
        root = i
        while par[root] != root:
            root = int(par[root])
        while par[i] != root:
            par[i], i = root, int(par[i])
        return root

    def union(self, a: int, b: int) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra != rb:
            self.parent[max(ra, rb)] = min(ra, rb)


def dense_groups(
    x: np.ndarray,
    threshold: float,
    min_size: int,
    seed: int,
    *,
    tables: int = 10,
    bucket: int = 16,
    leader_above: int = 256,
) -> list[np.ndarray]:
    """Groups (row indices) of at least ``min_size`` rows connected by cosine >= threshold.

    Random-hyperplane LSH: ``tables`` tables of ``log2(n / bucket)`` bits (6–20); inside a
    bucket every pair is compared (buckets above ``leader_above`` rows: each row against the
    bucket's leaders only); pairs above the threshold are joined (union-find).  A pair at
    cosine 0.95 shares a bucket of a 16-bit table with probability ~0.18, so ~0.86 over ten
    tables, and a group of near-identical rows is connected through many pairs.
    """
    n = len(x)
    if n < min_size:
        return []
    rng = np.random.default_rng(seed)
    bits = int(min(20, max(6, np.ceil(np.log2(max(2, n / bucket))))))
    uf = _UnionFind(n)
    weights = 1 << np.arange(bits, dtype=np.int64)
    for _ in range(tables):
        planes = rng.standard_normal((x.shape[1], bits)).astype(np.float32)
        codes = np.empty(n, dtype=np.int64)
        for s in range(0, n, _CHUNK):
            codes[s : s + _CHUNK] = ((_f32(x[s : s + _CHUNK]) @ planes) > 0) @ weights
        order = np.argsort(codes, kind="stable")
        sc = codes[order]
        cuts = np.flatnonzero(np.diff(sc)) + 1
        starts = np.r_[0, cuts]
        ends = np.r_[cuts, n]
        for a, b in zip(starts, ends, strict=True):
            if b - a < 2:
                continue
            idx = order[a:b]
            v = _f32(x[idx])
            if len(idx) <= leader_above:
                sim = v @ v.T
                ii, jj = np.nonzero(np.triu(sim >= threshold, 1))
                for i, j in zip(ii.tolist(), jj.tolist(), strict=True):
                    uf.union(int(idx[i]), int(idx[j]))
            else:
                leaders: list[int] = []
                for t in range(len(idx)):
                    if leaders:
                        sims = v[leaders] @ v[t]
                        m = int(np.argmax(sims))
                        if sims[m] >= threshold:
                            uf.union(int(idx[leaders[m]]), int(idx[t]))
                            continue
                    leaders.append(t)
    roots = np.fromiter((uf.find(i) for i in range(n)), dtype=np.int64, count=n)
    _, inverse, counts = np.unique(roots, return_inverse=True, return_counts=True)
    big = np.flatnonzero(counts >= min_size)
    return [np.flatnonzero(inverse == g) for g in big]


def _mean_pair_cos(
    x: np.ndarray, idx: np.ndarray, rng: np.random.Generator, max_rows: int = 200
) -> float:
    if len(idx) > max_rows:
        idx = rng.choice(idx, size=max_rows, replace=False)
    v = _f32(x[np.sort(idx)])
    sim = v @ v.T
    m = len(v)
    return float((sim.sum() - np.trace(sim)) / max(1, m * (m - 1)))


def _random_pair_cos(x: np.ndarray, rng: np.random.Generator, pairs_: int = 4000) -> float:
    n = len(x)
    if n < 2:
        return 0.0
    a = rng.integers(0, n, pairs_)
    b = rng.integers(0, n, pairs_)
    ok = a != b
    va, vb = _f32(x[a[ok]]), _f32(x[b[ok]])
    return float((va * vb).sum(axis=1).mean()) if ok.any() else 0.0


# ---------------------------------------------------------------------------------------
# the detector


def _group_resid_mean(
    x: np.ndarray, means: np.ndarray, labels: np.ndarray, mask: np.ndarray
) -> np.ndarray:
    idx = np.flatnonzero(mask)
    total = np.zeros(x.shape[1], dtype=np.float64)
    for s in range(0, len(idx), _CHUNK):
        sel = idx[s : s + _CHUNK]
        total += (_f32(x[sel]) - means[labels[sel]]).sum(axis=0)
    return (total / max(1, len(idx))).astype(np.float32)


def _nearest(
    x: np.ndarray, flagged: np.ndarray, rng: np.random.Generator, pool: int = 5000
) -> list[list[int]]:
    """For each flagged row, up to 5 most similar other flagged rows (a sample of ``pool``
    flagged rows serves as candidates when there are more)."""
    if len(flagged) == 0:
        return []
    cand = flagged if len(flagged) <= pool else np.sort(rng.choice(flagged, pool, replace=False))
    cv = _f32(x[cand])
    out: list[list[int]] = []
    for s in range(0, len(flagged), 4096):
        rows = flagged[s : s + 4096]
        sim = _f32(x[rows]) @ cv.T
        sim[rows[:, None] == cand[None, :]] = -np.inf
        m = min(_NEIGHBOURS, len(cand))
        top = np.argsort(-sim, axis=1)[:, :m]
        for r in range(len(rows)):
            out.append([int(cand[j]) for j in top[r] if np.isfinite(sim[r, j])])
    return out


__all__ = ["clean_mode_z", "dense_groups", "spherical_kmeans"]
