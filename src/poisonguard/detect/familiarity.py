"""Word n-gram familiarity: text stitched from other documents' n-grams (issue 12 item 4).

An order-``k`` word Markov chain of a corpus reuses only that corpus's ``(k+1)``-grams, so
every short n-gram of its text occurs in some other document, while natural prose is full
of short n-grams that occur nowhere else.  Copied text (a near-duplicate, a syndicated
story) is familiar too, but at *every* order; Markov text is familiar at a low order and
unfamiliar at a high one, because the chain jumps between source documents wherever two
share a context.  So a window of words is **stitched** when most of its word trigrams
occur in another document of the corpus and many of its 8-grams do not.

:class:`FamiliarityTable` counts, for every hashed n-gram, the documents it occurs in
(saturating at two: "in this document and in another"), in ``depth`` rows of one byte per
cell — a count-min table whose only question is "at least two documents?".
:func:`profile` gives a document's cumulative familiar counts, from which the familiarity
of any window is two subtractions.  The ``cohesion`` detector uses it as a second kind of
change point (:mod:`poisonguard.detect.cohesion`).
"""

from __future__ import annotations

import zlib
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

LOW, HIGH = 3, 8
"""The low and high n-gram orders of :func:`profile` and :func:`doc_hashes`."""

_MIX = np.uint64(0x100000001B3)
_ORDER = np.uint64(0x9E3779B97F4A7C15)
_MASK61 = (1 << 61) - 1


_CRC: dict[str, int] = {}
_CRC_MAX = 1 << 18
"""Memo of the words' CRC-32 (cleared when it holds more words: bounded memory)."""


def word_hashes(words: Sequence[str]) -> np.ndarray:
    """A stable 32-bit hash (CRC-32) of each word, as ``uint64`` (the same in every process,
    unlike :func:`hash`; memoised per word)."""
    if len(_CRC) > _CRC_MAX:
        _CRC.clear()
    for w in set(words).difference(_CRC):
        _CRC[w] = zlib.crc32(w.encode("utf-8", "surrogatepass"))
    return np.fromiter(map(_CRC.__getitem__, words), dtype=np.uint64, count=len(words))


def gram_hashes(wh: np.ndarray, n: int) -> np.ndarray:
    """64-bit hashes of the word ``n``-grams of word hashes ``wh`` (``len(wh) - n + 1`` of
    them; the order is mixed in, so n-grams of two orders can share one table)."""
    m = len(wh) - n + 1
    if m <= 0:
        return np.zeros(0, dtype=np.uint64)
    h = np.full(m, (n * int(_ORDER)) & 0xFFFFFFFFFFFFFFFF, dtype=np.uint64)
    with np.errstate(over="ignore"):
        for j in range(n):
            h = (h ^ wh[j : j + m]) * _MIX
    return h


def doc_hashes(words: Sequence[str]) -> np.ndarray:
    """The distinct low- and high-order n-gram hashes of one document (what it adds to a
    :class:`FamiliarityTable`)."""
    wh = word_hashes(words)
    return np.unique(np.concatenate([gram_hashes(wh, LOW), gram_hashes(wh, HIGH)]))


def docs_hashes(docs: Sequence[Sequence[str]], wh: np.ndarray | None = None) -> np.ndarray:
    """:func:`doc_hashes` of several documents, one after the other (what they add to a
    :class:`FamiliarityTable`), computed for all of them at once: each document's distinct
    n-grams, none across two documents' boundary (``wh``: the hashes of all their words
    in order, when the caller has them)."""
    lens = np.fromiter(map(len, docs), dtype=np.int64, count=len(docs))
    ends = np.cumsum(lens)
    if wh is None:
        wh = word_hashes([w for ws in docs for w in ws])
    doc_of = np.repeat(np.arange(len(docs)), lens)
    hs, ds = [], []
    for n in (LOW, HIGH):
        h = gram_hashes(wh, n)
        d = doc_of[: len(h)]
        keep = np.arange(len(h)) + n <= ends[d]
        hs.append(h[keep])
        ds.append(d[keep])
    h, d = np.concatenate(hs), np.concatenate(ds)
    order = np.lexsort((h, d))
    h, d = h[order], d[order]
    first = np.ones(len(h), dtype=bool)
    first[1:] = (h[1:] != h[:-1]) | (d[1:] != d[:-1])
    return h[first]


def docs_word_hashes(docs: Sequence[Sequence[str]], wh: np.ndarray | None = None) -> np.ndarray:
    """Each document's distinct word hashes (:func:`word_hashes`), one document after the
    other: what the documents add to a :class:`WordCounts` (``wh``: the hashes of all
    their words in order, when the caller has them)."""
    lens = np.fromiter(map(len, docs), dtype=np.int64, count=len(docs))
    if wh is None:
        wh = word_hashes([w for ws in docs for w in ws])
    doc_of = np.repeat(np.arange(len(docs), dtype=np.uint64), lens)
    # a word hash is 32 bits: the document in the high bits, one sort for both
    both = np.unique((doc_of << np.uint64(32)) | wh)
    return both & np.uint64(0xFFFFFFFF)


class _HashedRows:
    """``depth`` rows of ``width`` cells of ``dtype``, each row with its own hash of a
    64-bit key (what :class:`WordCounts` and :class:`FamiliarityTable` share)."""

    _salt = 0

    def __init__(self, width: int, depth: int, seed: int, dtype: type) -> None:
        if width < 16 or depth < 1:
            raise ValueError(f"{type(self).__name__} needs width >= 16 and depth >= 1")
        self.width = width
        self.depth = depth
        self.seed = seed
        self.table: np.ndarray = np.zeros((depth, width), dtype=dtype)
        rng = np.random.default_rng(seed + self._salt)
        self._a = rng.integers(1, _MASK61, size=depth, dtype=np.uint64) | np.uint64(1)
        self._b = rng.integers(0, _MASK61, size=depth, dtype=np.uint64)

    def _cells(self, h: np.ndarray) -> np.ndarray:
        with np.errstate(over="ignore"):
            mixed = (h[None, :] * self._a[:, None] + self._b[:, None]) >> np.uint64(17)
        return (mixed % np.uint64(self.width)).astype(np.int64)

    def _same_shape(self, other: _HashedRows) -> None:
        if (other.width, other.depth, other.seed) != (self.width, self.depth, self.seed):
            raise ValueError(f"cannot merge {type(self).__name__}s of different shapes or seeds")

    @property
    def nbytes(self) -> int:
        """Memory of the table."""
        return int(self.table.nbytes)


class WordCounts(_HashedRows):
    """Per hashed word: in how many documents of the corpus it occurs (a count-min table
    of ``depth`` rows of ``width`` 32-bit cells; a collision can only make a word look
    more common).  The ``cohesion`` detector reads a window's **rarity** from it: text of
    another genre (news or medical pages in novels) is written in words the corpus
    rarely uses (:func:`log_df`).

    Args:
        width: cells per row (four bytes each).
        depth: rows.
        seed: the rows' hash multipliers.
    """

    _salt = 0x30BD

    def __init__(self, width: int = 1 << 20, depth: int = 2, seed: int = 0) -> None:
        super().__init__(width, depth, seed, np.uint32)
        self.docs = 0

    def add(self, hashes: np.ndarray, docs: int) -> None:
        """Count ``docs`` documents whose distinct word hashes, one document after the
        other, are ``hashes`` (:func:`docs_word_hashes`)."""
        self.docs += docs
        if not len(hashes):
            return
        cells = self._cells(hashes)
        for r in range(self.depth):
            self.table[r] += np.bincount(cells[r], minlength=self.width).astype(np.uint32)

    def merge(self, other: WordCounts) -> None:
        """Add another table of the same shape and seed (documents of another shard)."""
        self._same_shape(other)
        self.table += other.table
        self.docs += other.docs

    def counts(self, hashes: np.ndarray) -> np.ndarray:
        """The documents each hashed word occurs in (an upper bound: count-min)."""
        if not len(hashes):
            return np.zeros(0, dtype=np.int64)
        cells = self._cells(hashes)
        got = self.table[np.arange(self.depth)[:, None], cells]
        return np.asarray(got.min(axis=0), dtype=np.int64)

    def log_df(self, hashes: np.ndarray) -> np.ndarray:
        """Natural log of each hashed word's share of documents, ``log((df + 1) / (N +
        1))`` (0: in every document; about -10 for a word of one document in 20,000)."""
        return np.log((self.counts(hashes) + 1.0) / (self.docs + 1.0))


class FamiliarityTable(_HashedRows):
    """Per hashed n-gram: in how many documents (0, 1, or 2 = two or more).

    Args:
        width: cells per row (one byte each).
        depth: rows; an n-gram counts as in two documents only if every row says so, so a
            novel n-gram looks familiar with probability about ``(1 - exp(-N/width))**depth``
            for ``N`` distinct n-grams in the corpus.
        seed: the rows' hash multipliers.
    """

    _salt = 0xFA111

    def __init__(self, width: int = 1 << 24, depth: int = 3, seed: int = 0) -> None:
        super().__init__(width, depth, seed, np.uint8)

    def add(self, hashes: np.ndarray) -> None:
        """Count documents: ``hashes`` is the concatenation of several documents' distinct
        n-gram hashes (:func:`doc_hashes`), so repeats are other documents."""
        if not len(hashes):
            return
        cells = self._cells(hashes)
        for r in range(self.depth):
            u, c = np.unique(cells[r], return_counts=True)
            row = self.table[r]
            row[u] = np.minimum(row[u].astype(np.int64) + np.minimum(c, 2), 2)

    def merge(self, other: FamiliarityTable) -> None:
        """Add another table of the same shape and seed (documents of another shard)."""
        self._same_shape(other)
        np.minimum(self.table.astype(np.int16) + other.table, 2, out=self.table, casting="unsafe")

    def familiar(self, hashes: np.ndarray) -> np.ndarray:
        """For n-grams of a document that was counted: does each occur in another one too?"""
        if not len(hashes):
            return np.zeros(0, dtype=bool)
        cells = self._cells(hashes)
        got = self.table[np.arange(self.depth)[:, None], cells]
        return np.asarray(got.min(axis=0) >= 2)


@dataclass(frozen=True, slots=True)
class Profile:
    """A document's familiar n-grams as cumulative counts: ``low[i]`` familiar trigrams
    among those starting before word ``i`` (``high`` the same for 8-grams)."""

    low: np.ndarray
    high: np.ndarray
    n_words: int

    def shares(self, a: int, b: int) -> tuple[float, float, int]:
        """Familiar share of the trigrams and of the 8-grams inside words ``[a, b)``, and
        the number of trigrams there."""
        a, b = max(0, a), min(self.n_words, b)
        m3 = b - LOW + 1 - a
        if m3 <= 0:
            return 0.0, 0.0, 0
        f3 = float(self.low[a + m3] - self.low[a]) / m3
        m8 = b - HIGH + 1 - a
        f8 = float(self.high[a + m8] - self.high[a]) / m8 if m8 > 0 else 0.0
        return f3, f8, m3


def profile(words: Sequence[str], table: FamiliarityTable) -> Profile:
    """The :class:`Profile` of a counted document's (folded) words."""
    wh = word_hashes(words)
    out = []
    for n in (LOW, HIGH):
        fam = table.familiar(gram_hashes(wh, n))
        out.append(np.concatenate([[0], np.cumsum(fam, dtype=np.int64)]))
    return Profile(out[0], out[1], len(words))


def profiles(
    docs: Sequence[Sequence[str]], table: FamiliarityTable, wh: np.ndarray | None = None
) -> list[Profile]:
    """:func:`profile` of several documents' words at once (one hashing and one table
    look-up for all of them: the same profiles, without the per-document overhead;
    ``wh``: the hashes of all their words in order, when the caller has them)."""
    lens = np.fromiter(map(len, docs), dtype=np.int64, count=len(docs))
    starts = np.concatenate([[0], np.cumsum(lens)])
    if wh is None:
        wh = word_hashes([w for ws in docs for w in ws])
    doc_of = np.repeat(np.arange(len(docs)), lens)
    cums = []
    for n in (LOW, HIGH):
        h = gram_hashes(wh, n)
        fam = table.familiar(h)
        # an n-gram that runs past its document's last word belongs to no document
        fam &= np.arange(len(h)) + n <= starts[1:][doc_of[: len(h)]]
        cums.append(np.concatenate([[0], np.cumsum(fam, dtype=np.int64)]))
    out = []
    for s0, n_w in zip(starts[:-1].tolist(), lens.tolist(), strict=True):
        grams = [max(0, n_w - n + 1) for n in (LOW, HIGH)]
        low = cums[0][s0 : s0 + grams[0] + 1] - cums[0][s0]
        high = cums[1][s0 : s0 + grams[1] + 1] - cums[1][s0]
        out.append(Profile(low, high, n_w))
    return out


@dataclass(frozen=True, slots=True)
class Stitch:
    """When a window of words counts as stitched from other documents' n-grams.

    Args:
        window: words in a window.
        min_words: least words for a window to be judged (shorter: not measurable).
        min_low: least familiar share of the window's trigrams.
        max_high: most familiar share of its 8-grams (above: a copy, not a chain).
    """

    window: int = 30
    min_words: int = 20
    min_low: float = 0.85
    max_high: float = 0.8

    def judge(self, prof: Profile, a: int, b: int) -> bool | None:
        """Is words ``[a, b)`` stitched (None: too short to say)?"""
        f3, f8, m3 = prof.shares(a, b)
        if m3 < self.min_words - LOW + 1:
            return None
        return f3 >= self.min_low and f8 <= self.max_high

    def onsets(self, prof: Profile) -> tuple[np.ndarray, np.ndarray]:
        """Per word position ``i``: is the window from ``i`` judged (measurable) and is it
        a *change* — stitched after ``i`` while the window before ``i`` is measurable and
        not stitched (a change needs a host to change from: at the start of a document a
        headline and the feed's formula after it would be one)."""
        return self.onsets_many([prof])[0]

    def onsets_many(self, profs: Sequence[Profile]) -> list[tuple[np.ndarray, np.ndarray]]:
        """:meth:`onsets` of several documents, computed for all of them at once."""
        if not profs:
            return []
        n_w = np.fromiter((p.n_words for p in profs), dtype=np.int64, count=len(profs))
        doc = np.repeat(np.arange(len(profs)), n_w)
        i = np.arange(len(doc)) - np.concatenate([[0], np.cumsum(n_w)])[:-1][doc]
        n = n_w[doc]
        cums = []
        for attr in ("low", "high"):
            arrs = [getattr(p, attr) for p in profs]
            size = np.fromiter(map(len, arrs), dtype=np.int64, count=len(arrs))
            start = np.concatenate([[0], np.cumsum(size)])[:-1]
            cums.append((np.concatenate(arrs), start[doc], size[doc] - 1))
        a_ok, st_after = self._vec(cums, i, np.minimum(n, i + self.window))
        b_ok, st_before = self._vec(cums, np.maximum(0, i - self.window), i)
        ok = a_ok & b_ok
        change = ok & st_after & ~st_before
        cut = np.cumsum(n_w)[:-1]
        return list(zip(np.split(ok, cut), np.split(change, cut), strict=True))

    def _vec(
        self,
        cums: list[tuple[np.ndarray, np.ndarray, np.ndarray]],
        a: np.ndarray,
        b: np.ndarray,
    ) -> tuple[np.ndarray, np.ndarray]:
        """Windows ``[a, b)`` of the documents of :meth:`onsets_many`: measurable, and
        stitched (``cums``: per order, every document's cumulative counts one after the
        other, each position's document's first index there and its last index)."""
        (low, lo0, lo_last), (high, hi0, hi_last) = cums
        m3 = b - LOW + 1 - a
        ok = m3 >= self.min_words - LOW + 1
        m3c = np.clip(m3, 1, None)
        lo_end = np.clip(a + m3, 0, lo_last)
        f3 = (low[lo0 + lo_end] - low[lo0 + np.clip(a, 0, lo_last)]) / m3c
        m8 = b - HIGH + 1 - a
        hi_end = np.clip(a + np.clip(m8, 0, None), 0, hi_last)
        f8 = np.where(
            m8 > 0,
            (high[hi0 + hi_end] - high[hi0 + np.clip(a, 0, hi_last)]) / np.clip(m8, 1, None),
            0.0,
        )
        return ok, ok & (f3 >= self.min_low) & (f8 <= self.max_high)

    def boundary(self, prof: Profile, lo: int, hi: int, reach: int = 10) -> int:
        """The word in ``[lo, hi)`` where familiar trigrams rise most: familiar share of
        the ``reach`` trigrams from there minus that of the ``reach`` before it."""
        best, at = -2.0, lo
        for i in range(max(0, lo), min(prof.n_words, hi)):
            after, _, m = prof.shares(i, i + reach + LOW - 1)
            before, _, m0 = prof.shares(i - reach, i + LOW - 1)
            if m == 0:
                break
            rise = after - (before if m0 else 0.0)
            if rise > best:
                best, at = rise, i
        return at


__all__ = [
    "HIGH",
    "LOW",
    "FamiliarityTable",
    "Profile",
    "Stitch",
    "WordCounts",
    "doc_hashes",
    "docs_hashes",
    "docs_word_hashes",
    "gram_hashes",
    "profile",
    "profiles",
    "word_hashes",
]
