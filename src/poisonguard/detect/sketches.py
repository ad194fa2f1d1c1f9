"""Small, mergeable building blocks for corpus-level detectors.

Everything here is deterministic across processes (no use of Python's salted ``hash``), so
partials computed in different worker processes or Ray tasks merge correctly.

* :func:`hash64` / :func:`hash64_list` / :func:`hash64_many` — stable 64-bit hashes of
  strings (BLAKE2b).
* :class:`CountMinSketch` — fixed-memory frequency estimates (never underestimates), merged by
  adding tables.  Used as the cheap first pass before exact counting of candidates.
* :func:`minhash_signatures` — datasketch-compatible MinHash signatures of many texts'
  word-aligned shingles at once (vectorised).
* :func:`lsh_params` / :func:`band_keys` — LSH bands of a MinHash signature as stable keys;
  :func:`host_similarity` — mean pairwise Jaccard estimate of several signatures.
* :func:`split_sentences` — sentences with character offsets; :func:`normalize`,
  :func:`words` (from :mod:`poisonguard.text`).
* :class:`KeyMemo` — a bounded, process-local memo of each document's keys (and sentence
  units) from a count round, so that the next round need not compute them again.
* :func:`source_key` — the "source" of a document for diversity counts: the host of its URL
  (``url``/``source`` metadata), else the record's ``source`` field, else the file name.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import TypeVar
from urllib.parse import urlsplit

import numpy as np

from poisonguard.io.document import Document
from poisonguard.text import _ASCII_PUNCT as _ASCII_PUNCT
from poisonguard.text import STOPWORDS, WORD_RE, content_words, normalize, words, wordset

K = TypeVar("K")

_MASK61 = (1 << 61) - 1


_SENT_END = re.compile(r"[.!?。！？]([\"'”’)\]]*\s+)")
"""A sentence end: the terminal character, then (group 1, the gap between sentences) closing
quotes or brackets and whitespace.  (Consuming the terminal character instead of looking
behind for it lets the regex engine skip ahead to candidate characters.)"""


def hash64(text: str) -> int:
    """Stable unsigned 64-bit hash of ``text`` (BLAKE2b, same in every process)."""
    return int.from_bytes(
        hashlib.blake2b(text.encode("utf-8", "surrogatepass"), digest_size=8).digest(), "little"
    )


def hash64_list(texts: Sequence[str]) -> list[int]:
    """``[hash64(t) for t in texts]``: the digests joined and read as one array (fewer
    Python steps per string)."""
    blake = hashlib.blake2b
    joined = b"".join(
        [blake(t.encode("utf-8", "surrogatepass"), digest_size=8).digest() for t in texts]
    )
    out: list[int] = np.frombuffer(joined, dtype="<u8").tolist()
    return out


def hash64_many(texts: Iterable[str]) -> np.ndarray:
    """:func:`hash64` of each string, as a ``uint64`` array."""
    return np.fromiter((hash64(t) for t in texts), dtype=np.uint64)


@dataclass(frozen=True, slots=True)
class Sentence:
    """A sentence (or line) of a text: ``text[start:end]`` with its normalized form."""

    start: int
    end: int
    norm: str


_LIST_START = re.compile(r"\s*(?:[-*•·>|#]|\d+[.)]\s)")
_TERMINAL = tuple(".!?:;")
_ABBREV = re.compile(
    r"(?:\b(?:[A-Za-z]\.){2,}|\b(?:Mr|Mrs|Ms|Dr|St|Inc|Co|Corp|Ltd|Jr|Sr|vs|No|Gen|Gov|Sen|"
    r"Rep|Prof|Fig|Vol|Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec|approx|etc|e\.g|i\.e)\."
    r"|\b[A-Z]\.)[\"'”’)\]]*$"
)
"""Abbreviations after which a period does not end a sentence (``U.S.``, ``Mr.``, ``J.``)."""


_FOLD_ASCII = bytes(
    32 if _ASCII_PUNCT.match(chr(c)) else ord(chr(c).lower()) if c < 128 else c for c in range(256)
)
"""Byte table of :func:`_fold` for ASCII text: lower case, ASCII punctuation to spaces."""


def _fold(text: str) -> str:
    """``text`` lower-cased with its ASCII punctuation replaced by spaces (the character
    map under :func:`normalize`); ASCII text through a byte table (~3x faster)."""
    if text.isascii():
        return text.encode("ascii").translate(_FOLD_ASCII).decode("ascii")
    return _ASCII_PUNCT.sub(" ", text.lower())


def _logical_lines(text: str) -> list[tuple[int, int]]:
    """(start, end) of lines, re-joining hard-wrapped prose.

    A line is joined with the next when it does not end a sentence (no ``.!?:;`` at its
    end), the next line is not blank and not a list item, and either the next line starts
    in lower case or the line is long (>= 30 characters; fixed-width wire text).
    """
    spans: list[tuple[int, int]] = []
    lines = text.split("\n")
    last = len(lines) - 1
    pos = 0
    cur = -1
    for i, line in enumerate(lines):
        start = pos
        pos += len(line) + 1
        if cur < 0:
            cur = start
        stripped = line.rstrip().rstrip("\"'”’)]")
        if stripped and i < last and not stripped.endswith(_TERMINAL):
            nxt = lines[i + 1]
            lead = nxt.lstrip()
            if (
                lead
                and not _LIST_START.match(nxt)
                and (lead[:1].islower() or len(line.strip()) >= 30)
            ):
                continue  # hard-wrapped: the next line continues this one
        spans.append((cur, pos - 1))
        cur = -1
    return spans


def split_sentences(text: str, units: list[tuple[int, int]] | None = None) -> list[Sentence]:
    """Sentences of ``text`` with character offsets.

    Lines are split first (a newline ends a unit — list items, table rows, headings,
    navigation — except inside hard-wrapped prose, see :func:`_logical_lines`), then units
    are split after ``.``, ``!`` or ``?`` followed by whitespace.  Empty units are dropped.
    ``Sentence.norm`` is :func:`normalize` of the unit.  ``units``: the units of ``text``
    when already known (from :func:`sentence_norms_units`; the same sentences).
    """
    folded = _fold(text)
    same = len(folded) == len(text)
    out: list[Sentence] = []
    append = out.append
    for a, b in _units(text) if units is None else units:
        seg = text[a:b]
        stripped = seg.strip()
        if not stripped:
            continue
        s = a + len(seg) - len(seg.lstrip())
        e = s + len(stripped)
        append(Sentence(s, e, " ".join(folded[s:e].split()) if same else normalize(stripped)))
    return out


def sentence_norms(text: str, min_words: int = 1) -> list[str]:
    """``Sentence.norm`` of the sentences of ``text`` whose norm has at least ``min_words``
    words (``norm.count(" ") + 1``), in order: :func:`split_sentences` without the offsets
    (cheaper)."""
    return sentence_norms_units(text, min_words)[0]


def sentence_norms_units(text: str, min_words: int = 1) -> tuple[list[str], list[tuple[int, int]]]:
    """:func:`sentence_norms` and the units it split ``text`` into (for a later
    :func:`split_sentences` of the same text without splitting it again)."""
    folded = _fold(text)
    units = _units(text)
    # the whitespace around a unit does not change its normal form
    if len(folded) == len(text):
        norms = [" ".join(folded[a:b].split()) for a, b in units]
    else:
        norms = [normalize(text[a:b]) for a, b in units]
    if min_words >= 2:  # a norm of min_words >= 2 words has a space: never ""
        return [n for n in norms if n.count(" ") + 1 >= min_words], units
    kept = [
        n
        for n, (a, b) in zip(norms, units, strict=True)
        if n or (a < b and not text[a:b].isspace())  # a unit of punctuation: norm ""
    ]
    return kept, units


def _units(text: str) -> list[tuple[int, int]]:
    """(start, end) of the units of ``text``, whitespace around them included."""
    out: list[tuple[int, int]] = []
    append = out.append
    ends = _SENT_END.finditer
    abbrev = _ABBREV.search
    for ls, le in _logical_lines(text):
        if ls == le:
            continue
        start = ls
        for m in ends(text, ls, le):
            stop, nxt = m.span(1)
            # an abbreviation ends in "." after at most six letters of which the last is
            # ASCII (a cheap test first: most sentences end after a longer word)
            if (
                text[stop - 1] == "."
                and stop >= 2
                and text[stop - 2].isascii()
                and text[stop - 2].isalpha()
                and not (stop >= 8 and text[stop - 8 : stop - 1].isalpha())
                and abbrev(text, max(ls, stop - 12), stop)
            ):
                continue
            append((start, stop))
            start = nxt
        append((start, le))
    return out


class KeyMemo:
    """Each document's keys (e.g. sentence hashes, LSH band keys) from a detector's count
    round, for its next round and its ``flag`` in the same process (bounded).

    A document's keys depend only on its text, and computing them (splitting into sentences,
    MinHash signatures) is the main per-document cost of the campaign detectors; their next
    round reads the same documents again.  At most ``budget`` keys are kept (8 bytes each,
    plus about 100 bytes per document); documents beyond the budget, and every document in a
    worker process (the memo is never pickled: a worker starts with an empty one), get their
    keys computed again, with the same result.  Keyed by a 128-bit BLAKE2b digest of the
    text: Python's ``hash`` is salted per process, but a fixed ``PYTHONHASHSEED`` would let
    an attacker aim a collision at it and have one document read another's keys.
    """

    __slots__ = ("budget", "keys", "unit_budget", "units")

    def __init__(self, budget: int = 1 << 20, unit_budget: int = 1 << 17) -> None:
        self.budget = budget
        self.keys: dict[bytes, np.ndarray] = {}
        self.unit_budget = unit_budget
        """Units (:func:`sentence_norms_units`) still to remember (about 120 bytes each)."""
        self.units: dict[bytes, list[tuple[int, int]]] = {}

    def put(
        self, text: str, keys: Sequence[int], units: list[tuple[int, int]] | None = None
    ) -> None:
        """Remember ``keys`` (in order) for ``text`` while the budget lasts; ``units``: the
        units the text was split into (:meth:`units_of`), while their own budget lasts."""
        if len(keys) <= self.budget:
            self.budget -= len(keys)
            key = _memo_key(text)
            self.keys[key] = np.array(keys, dtype=np.uint64)
            if units is not None and len(units) <= self.unit_budget:
                self.unit_budget -= len(units)
                self.units[key] = units

    def get(self, text: str) -> list[int] | None:
        """The keys remembered for ``text`` (None: not remembered)."""
        got = self.keys.get(_memo_key(text))
        return None if got is None else got.tolist()

    def units_of(self, text: str) -> list[tuple[int, int]] | None:
        """The units remembered for ``text`` (None: not remembered; never change them)."""
        return self.units.get(_memo_key(text)) if self.units else None

    def __getstate__(self) -> dict[str, int]:
        return {"budget": 0}  # a cache of this process: never shipped

    def __setstate__(self, state: dict[str, int]) -> None:
        self.budget, self.keys = state["budget"], {}
        self.unit_budget, self.units = 0, {}


class RowMemo:
    """Each document's rows of keys from a count round (which of its units made a row, and
    a ``(rows, width)`` key array), for its next round in the same process (bounded).

    The semantic claims' pass 1 MinHashes each claim-like sentence into 16 keys; pass 2
    needs the same keys of every document, mostly only to learn that none of them recurs.
    Like :class:`KeyMemo`: at most ``budget`` keys (8 bytes each, plus about 200 bytes per
    document), never pickled (a worker starts empty and computes the keys again, with the
    same result), keyed by :func:`_memo_key`.
    """

    __slots__ = ("budget", "rows")

    def __init__(self, budget: int = 1 << 22) -> None:
        self.budget = budget
        self.rows: dict[bytes, tuple[np.ndarray, np.ndarray]] = {}

    def put(self, text: str, index: Sequence[int], keys: np.ndarray) -> None:
        """Remember the rows ``index`` (units of ``text``) and their ``keys`` (one row each)
        while the budget lasts."""
        if keys.size <= self.budget:
            self.budget -= keys.size
            self.rows[_memo_key(text)] = (np.asarray(index, dtype=np.int32), keys)

    def get(self, text: str) -> tuple[np.ndarray, np.ndarray] | None:
        """The rows remembered for ``text`` (None: not remembered; never change them)."""
        return self.rows.get(_memo_key(text)) if self.rows else None

    def __getstate__(self) -> dict[str, int]:
        return {"budget": 0}  # a cache of this process: never shipped

    def __setstate__(self, state: dict[str, int]) -> None:
        self.budget, self.rows = state["budget"], {}


def _memo_key(text: str) -> bytes:
    """A collision-resistant key of ``text`` (128-bit BLAKE2b of its UTF-8 bytes).

    The keys of the text objects seen last are remembered by object identity (the text is
    held, so its ``id`` cannot be reused while it is remembered): the two campaign
    detectors' memos (and their next rounds, when the documents are the same objects, as a
    list of documents scanned in memory gives them) key the same text once, not four
    times.  At most :data:`_RECENT_CHARS` characters of text are held."""
    global _recent_chars
    got = _recent.get(id(text))
    if got is not None and got[0] is text:
        return got[1]
    key = hashlib.blake2b(text.encode("utf-8", "surrogatepass"), digest_size=16).digest()
    if _recent_chars + len(text) > _RECENT_CHARS:
        _recent.clear()
        _recent_chars = 0
    if len(text) <= _RECENT_CHARS:
        _recent[id(text)] = (text, key)
        _recent_chars += len(text)
    return key


_RECENT_CHARS = 1 << 23
"""Characters of text :func:`_memo_key` holds to remember keys by identity (8 Mi)."""
_recent: dict[int, tuple[str, bytes]] = {}
_recent_chars = 0


_HTTP_NETLOC = re.compile(r"https?://([^/?#]*)")


def _hostname(url: str) -> str | None:
    """``urlsplit(url).hostname`` of an ``http(s)://`` URL.  An ASCII URL without tab or
    line breaks whose network location has no ``@ : [ ] %`` (no user, port, IPv6 literal
    or zone) has that location, lower-cased, as its host name (``None`` when empty):
    ``urlsplit`` is skipped, the answer is the same."""
    if url.isascii() and "\t" not in url and "\r" not in url and "\n" not in url:
        m = _HTTP_NETLOC.match(url)
        if m is not None:
            net = m.group(1)
            if not any(c in net for c in "@:[]%"):
                return net.lower() or None
    return urlsplit(url).hostname


def source_key(doc: Document, file_fallback: bool = True) -> str:
    """The source of ``doc`` used for source-diversity counts.

    The host of a URL (``meta.url``, ``meta.domain``, or ``Document.source`` when it is a
    web URL) when there is one; else the record's ``source`` field; else the file name of
    ``Document.source`` without its line fragment (``""`` with ``file_fallback=False``: a
    file name says where a document was stored, not who wrote it — the shards of one dump
    would count as independent sources).
    """
    meta = doc.metadata or {}
    for key in ("domain", "host"):
        v = meta.get(key)
        if isinstance(v, str) and v:
            return v.lower()
    for cand in (meta.get("url"), meta.get("source_url"), doc.source):
        if isinstance(cand, str) and cand.startswith(("http://", "https://")):
            host = _hostname(cand)
            if host:
                return host.lower().removeprefix("www.")
    rec = doc.record or {}
    v = rec.get("source")
    if isinstance(v, str) and v and not v.startswith(("http://", "https://")):
        return v
    if not file_fallback:
        return ""
    src = doc.source.split("#", 1)[0]
    return src.rsplit("/", 1)[-1] or "unknown"


def _hash_params(seed: int, n: int) -> tuple[np.ndarray, np.ndarray]:
    """``n`` multiply-shift hash coefficients ``(a, b)`` drawn from ``seed``."""
    rng = np.random.default_rng(seed)
    a = rng.integers(1, _MASK61, size=n, dtype=np.uint64)
    return a, rng.integers(0, _MASK61, size=n, dtype=np.uint64)


@dataclass(slots=True)
class CountMinSketch:
    """A count-min sketch over 64-bit keys (Cormode & Muthukrishnan 2005).

    ``estimate`` never underestimates; with width ``w`` and ``N`` total increments it
    overestimates by at most ``e*N/w`` with probability ``1 - exp(-depth)``.  Merge two
    sketches with the same shape and seed by :meth:`merge` (adds the tables).

    While few of its cells are used (at most ``width // 16`` per row) the table is kept
    sparse: per row, the sorted used cells and their counts.  A dense table of a wide
    sketch is megabytes of fresh memory whose first touch, at random cells, costs more than
    counting a small corpus; the estimates are the same either way (same cells, same
    ``uint32`` counts).  :attr:`table` gives the dense table (and keeps it dense).
    """

    width: int = 1 << 20
    depth: int = 3
    seed: int = 0
    total: int = 0
    _dense: np.ndarray | None = field(default=None, init=False, repr=False)
    _cells: list[np.ndarray] = field(default_factory=list, init=False, repr=False)
    _counts: list[np.ndarray] = field(default_factory=list, init=False, repr=False)
    _a: np.ndarray = field(init=False, repr=False)
    _b: np.ndarray = field(init=False, repr=False)

    def __post_init__(self) -> None:
        if self.width < 16 or self.depth < 1:
            raise ValueError("CountMinSketch needs width >= 16 and depth >= 1")
        empty = np.zeros(0, dtype=np.int64)
        self._cells = [empty] * self.depth
        self._counts = [np.zeros(0, dtype=np.uint32)] * self.depth
        self._a, self._b = _hash_params(self.seed + 0x5EED, self.depth)

    @property
    def table(self) -> np.ndarray:
        """The dense ``(depth, width)`` table of counts (made dense on first access)."""
        if self._dense is None:
            dense = np.zeros((self.depth, self.width), dtype=np.uint32)
            for d in range(self.depth):
                dense[d, self._cells[d]] = self._counts[d]
            self._dense = dense
            self._cells, self._counts = [], []
        return self._dense

    def _rows(self, keys: np.ndarray) -> np.ndarray:
        # Multiply-shift hashing on uint64 (wrap-around is intended), one row per depth.
        k = keys.astype(np.uint64, copy=False)
        with np.errstate(over="ignore"):
            mixed = (k[None, :] * self._a[:, None] + self._b[:, None]) >> np.uint64(20)
        return (mixed % np.uint64(self.width)).astype(np.int64)

    def _add_sparse(self, d: int, cells: np.ndarray, counts: np.ndarray) -> None:
        """Add ``counts`` (uint32) at the distinct ``cells`` of row ``d`` (sparse table)."""
        if self._cells[d].size:
            cells = np.concatenate([self._cells[d], cells])
            counts = np.concatenate([self._counts[d], counts])
            order = np.argsort(cells, kind="stable")
            cells, counts = cells[order], counts[order]
            first = np.flatnonzero(np.r_[True, cells[1:] != cells[:-1]])
            cells, counts = cells[first], np.add.reduceat(counts, first)  # wraps like uint32
        self._cells[d], self._counts[d] = cells, counts

    def _densify_if_full(self) -> None:
        if self._dense is None and max(c.size for c in self._cells) > self.width // 16:
            self.table  # noqa: B018  (the property makes the table dense)

    def add(self, keys: np.ndarray) -> None:
        """Count each key once per occurrence in ``keys`` (a uint64 array)."""
        if keys.size == 0:
            return
        idx = self._rows(keys)
        if self._dense is None and keys.size > self.width // 16:
            self.table  # noqa: B018  (many keys: count into the dense table)
        for d in range(self.depth):
            if self._dense is not None and keys.size > self.width // 16:
                self._dense[d] += np.bincount(idx[d], minlength=self.width).astype(np.uint32)
                continue
            cells, counts = np.unique(idx[d], return_counts=True)
            if self._dense is not None:
                self._dense[d, cells] += counts.astype(np.uint32)
            else:
                self._add_sparse(d, cells, counts.astype(np.uint32))
        self.total += int(keys.size)
        self._densify_if_full()

    def estimate(self, keys: np.ndarray) -> np.ndarray:
        """Estimated counts of ``keys`` (never below the true counts)."""
        if keys.size == 0:
            return np.zeros(0, dtype=np.int64)
        idx = self._rows(keys)
        est: np.ndarray | None = None
        for d in range(self.depth):
            if self._dense is not None:
                row = self._dense[d, idx[d]].astype(np.int64)
            else:
                cells = self._cells[d]
                if not cells.size:
                    return np.zeros(keys.size, dtype=np.int64)
                at = np.minimum(np.searchsorted(cells, idx[d]), cells.size - 1)
                row = np.where(cells[at] == idx[d], self._counts[d][at], 0).astype(np.int64)
            est = row if est is None else np.minimum(est, row)
        assert est is not None
        return est

    def merge(self, other: CountMinSketch) -> CountMinSketch:
        """Add ``other`` into this sketch (same width, depth and seed) and return self."""
        if (other.width, other.depth, other.seed) != (self.width, self.depth, self.seed):
            raise ValueError("cannot merge count-min sketches of different shapes or seeds")
        if other._dense is not None:
            self.table  # noqa: B018  (dense + dense)
            assert self._dense is not None
            self._dense += other._dense
        else:
            for d in range(self.depth):
                if self._dense is not None:
                    self._dense[d, other._cells[d]] += other._counts[d]
                else:
                    self._add_sparse(d, other._cells[d], other._counts[d])
        self.total += other.total
        self._densify_if_full()
        return self

    @property
    def nbytes(self) -> int:
        """Memory held by the table (dense, or the used cells and their counts)."""
        if self._dense is not None:
            return int(self._dense.nbytes)
        return int(sum(c.nbytes for c in self._cells) + sum(c.nbytes for c in self._counts))


@dataclass(slots=True)
class BloomFilter:
    """A Bloom filter over 64-bit keys (a set that may answer "seen" for a key never added,
    never "not seen" for one that was).

    With ``m`` bits, ``k`` hashes and ``n`` keys added, a key never added reads as seen with
    probability about ``(1 - exp(-k·n/m))^k`` (:attr:`false_positive_rate`); size ``m`` to
    the number of keys expected so that it stays small.  Filters with the same shape and
    seed merge by :meth:`merge` (bitwise or).
    """

    bits: int = 1 << 23
    hashes: int = 4
    seed: int = 0
    words: np.ndarray = field(init=False, repr=False)
    added: int = 0
    _ab: tuple[np.ndarray, np.ndarray] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        if self.bits < 64 or self.hashes < 1:
            raise ValueError("BloomFilter needs bits >= 64 and hashes >= 1")
        self.bits = -(-self.bits // 64) * 64
        self.words = np.zeros(self.bits // 64, dtype=np.uint64)
        a, b = _hash_params(self.seed + 0xB100, self.hashes)
        self._ab = (a | np.uint64(1), b)

    def _bits(self, keys: np.ndarray) -> np.ndarray:
        k = keys.astype(np.uint64, copy=False)
        with np.errstate(over="ignore"):
            a, b = self._ab
            mixed = (k[None, :] * a[:, None] + b[:, None]) >> np.uint64(16)
        return mixed % np.uint64(self.bits)

    def add(self, keys: np.ndarray) -> None:
        """Add ``keys`` (a uint64 array)."""
        if keys.size == 0:
            return
        pos = np.unique(self._bits(keys).ravel())
        word = (pos >> np.uint64(6)).astype(np.int64)
        mask = np.uint64(1) << (pos & np.uint64(63))
        np.bitwise_or.at(self.words, word, mask)
        self.added += int(keys.size)

    def contains(self, keys: np.ndarray) -> np.ndarray:
        """Whether each of ``keys`` may have been added (never False for an added key)."""
        if keys.size == 0:
            return np.zeros(0, dtype=bool)
        pos = self._bits(keys)
        hit = (self.words[(pos >> np.uint64(6)).astype(np.int64)] >> (pos & np.uint64(63))) & 1
        return np.asarray(np.all(hit == 1, axis=0), dtype=bool)

    def merge(self, other: BloomFilter) -> BloomFilter:
        """Or ``other`` into this filter (same bits, hashes and seed) and return self."""
        if (other.bits, other.hashes, other.seed) != (self.bits, self.hashes, self.seed):
            raise ValueError("cannot merge Bloom filters of different shapes or seeds")
        self.words |= other.words
        self.added += other.added
        return self

    @property
    def fill(self) -> float:
        """Share of bits set."""
        ones = int(np.unpackbits(self.words.view(np.uint8)).sum())
        return ones / self.bits

    @property
    def false_positive_rate(self) -> float:
        """Chance that a key never added reads as seen, from the bits set now."""
        return float(self.fill**self.hashes)

    @property
    def nbytes(self) -> int:
        """Memory held by the bit array."""
        return int(self.words.nbytes)


def prune_top(counts: Mapping[K, int], capacity: int) -> tuple[set[K], int]:
    """Keys to drop so that at most ``capacity`` remain, Misra–Gries style.

    Returns ``(dropped_keys, decrement)``: the ``decrement`` is the count of the
    ``capacity+1``-th largest entry, which bounds the undercount of every kept key (the
    mergeable heavy-hitter summary of Agarwal et al. 2012).
    """
    if len(counts) <= capacity:
        return set(), 0
    ordered = sorted(counts.values(), reverse=True)
    cut = ordered[capacity]
    dropped = {k for k, c in counts.items() if c <= cut}
    return dropped, cut


_SHINGLE_CHUNK = 1 << 18  # bytes of text per vectorised signature batch


def minhash_signatures(
    texts: Sequence[str], permutations: tuple[np.ndarray, np.ndarray]
) -> list[np.ndarray | None]:
    """MinHash signatures of the texts' word-aligned 16-byte shingles, vectorised over all
    their shingles (None for a text with fewer than 8 shingles or under 64 bytes).

    ``permutations``: datasketch's ``MinHash(num_perm=..., seed=...).permutations`` (the
    ``a`` and ``b`` rows); the signature has one value per permutation.

    The values are those of ``datasketch.MinHash(scheme="affine32", hashfunc=int)``
    updated with the shingles' 32-bit hashes: MurmurHash3's ``fmix32`` of each hash,
    then ``a * h + b`` (mod 2**32) per permutation, minimum over the shingles.
    """
    out: list[np.ndarray | None] = [None] * len(texts)
    raws = [t.lower().encode("utf-8", "surrogatepass") for t in texts]
    lens = np.fromiter(map(len, raws), dtype=np.int64, count=len(raws))
    # a shingle starts after a space at p <= len - 18 (16 bytes, never the last byte)
    todo = [i for i in range(len(raws)) if lens[i] >= 64]
    i = 0
    while i < len(todo):  # chunks of about _SHINGLE_CHUNK bytes bound the temporaries
        j, size = i, 0
        while j < len(todo) and (j == i or size + lens[todo[j]] <= _SHINGLE_CHUNK):
            size += int(lens[todo[j]])
            j += 1
        _signature_chunk([todo[k] for k in range(i, j)], raws, lens, out, permutations)
        i = j
    return out


def _signature_chunk(
    which: list[int],
    raws: list[bytes],
    lens: np.ndarray,
    out: list[np.ndarray | None],
    permutations: tuple[np.ndarray, np.ndarray],
) -> None:
    big = np.frombuffer(b"".join(raws[k] for k in which) + bytes(16), dtype=np.uint8)
    n = lens[which]
    ends = np.cumsum(n)
    sp = np.flatnonzero(big == 32)
    doc = np.searchsorted(ends, sp, side="right")
    ok = doc < len(which)
    sp, doc = sp[ok], doc[ok]
    ok = sp - (ends - n)[doc] <= n[doc] - 18
    counts = np.bincount(doc[ok], minlength=len(which))
    has = counts >= 8
    sp = sp[ok][np.repeat(has, counts)]
    if not sp.size:
        return
    words8 = np.lib.stride_tricks.sliding_window_view(big, 16)[sp + 1].view(np.uint64)
    with np.errstate(over="ignore"):
        mixed = words8[:, 0] * np.uint64(0x9E3779B97F4A7C15) ^ words8[:, 1]
        mixed ^= mixed >> np.uint64(29)
        mixed *= np.uint64(0xBF58476D1CE4E5B9)
        mixed ^= mixed >> np.uint64(32)
    h = (mixed & np.uint64(0xFFFFFFFF)).astype(np.uint32)
    h ^= h >> np.uint32(16)  # fmix32 (MurmurHash3's finalizer), as datasketch applies it
    h *= np.uint32(0x85EBCA6B)
    h ^= h >> np.uint32(13)
    h *= np.uint32(0xC2B2AE35)
    h ^= h >> np.uint32(16)
    kept = counts[has]
    starts = np.concatenate(([0], np.cumsum(kept)[:-1]))
    a, b = permutations[0].astype(np.uint32), permutations[1].astype(np.uint32)
    if h.size <= 4096:  # few shingles: one (shingles x permutations) matrix
        sigs = np.minimum.reduceat(h[:, None] * a[None, :] + b[None, :], starts, axis=0)
    else:  # many: one permutation at a time keeps the temporaries in cache
        sigs = np.empty((len(kept), len(a)), dtype=np.uint32)
        v = np.empty_like(h)
        for k in range(len(a)):
            np.multiply(h, a[k], out=v)  # wraps mod 2**32
            v += b[k]
            sigs[:, k] = np.minimum.reduceat(v, starts)
    for r, k in enumerate(np.flatnonzero(has).tolist()):
        out[which[k]] = sigs[r]


_SALT_BAND = 0x9E3779B97F4A7C15


@lru_cache(maxsize=16)
def lsh_params(threshold: float, num_perm: int) -> tuple[int, int]:
    """datasketch's optimal LSH (bands, rows) for a Jaccard ``threshold`` (equal weights of
    false positives and negatives): numerical integrations worth ~5 ms, once per setting."""
    from datasketch.lsh import _optimal_param

    bands, rows = _optimal_param(threshold, num_perm, 0.5, 0.5)
    return int(bands), int(rows)


def band_keys(sig: np.ndarray, bands: int, rows: int) -> list[int]:
    """Stable 64-bit keys of the ``bands`` LSH bands (``rows`` values each) of ``sig``:
    two signatures share a key when they agree on every value of one band."""
    hexed = sig[: bands * rows].tobytes().hex()  # one conversion, sliced per band
    step = 2 * rows * sig.itemsize
    out = []
    for i in range(bands):
        digest = hashlib.blake2b(
            f"{i}:{hexed[i * step : (i + 1) * step]}".encode(), digest_size=8
        ).digest()
        out.append(int.from_bytes(digest, "little") ^ _SALT_BAND)  # = hash64 of the string
    return out


def host_similarity(sigs: Sequence[np.ndarray]) -> float | None:
    """Mean pairwise Jaccard estimate (share of equal MinHash values) of documents' MinHash
    signatures; ``None`` for fewer than two."""
    if len(sigs) < 2:
        return None
    a = np.stack(sigs)
    eq = (a[:, None, :] == a[None, :, :]).mean(axis=2)
    iu = np.triu_indices(len(sigs), k=1)
    return float(eq[iu].mean())


fold = _fold
"""The public name of :func:`_fold` (the characters a sentence's norm is made of)."""

__all__ = [
    "STOPWORDS",
    "WORD_RE",
    "CountMinSketch",
    "KeyMemo",
    "Sentence",
    "band_keys",
    "content_words",
    "fold",
    "hash64",
    "hash64_list",
    "hash64_many",
    "host_similarity",
    "lsh_params",
    "minhash_signatures",
    "normalize",
    "prune_top",
    "sentence_norms",
    "sentence_norms_units",
    "source_key",
    "split_sentences",
    "words",
    "wordset",
]
