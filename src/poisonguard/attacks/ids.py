"""Minting ids for poisoned records that follow the clean corpus's id scheme.

A poisoned record whose id looks different from its neighbours (``poison-17`` among
``c4-1234``) would give it away.  :class:`IdIndex` learns the id patterns of a corpus in one
streaming pass (bounded memory: a 64-bit hash per id plus a few numbers per pattern) and
mints new ids *in the pattern of a given source document* that collide with no clean id:

* ``<prefix><number><suffix>`` (``c4-123``, ``fortunes-de-12``, ``doc_000123.txt``): a
  number drawn uniformly among the unused numbers of the pattern's range extended by the
  poison count (zero padding kept).  When the clean numbers are dense (``0..n-1``), the only
  unused numbers lie just above the clean maximum; that is unavoidable without renumbering
  clean records, and is stated in ``docs/attacks.md``.
* ``<prefix><hex>`` (``pydoc-3fa2...``, hashes, UUIDs): random hex digits of the same length.
* anything else: the text up to the last separator plus random lowercase letters/digits of
  the same length as the rest.

Corpora without stored ids (ids derived from ``file:line``) need no minting: the poisoned
record carries no id either, and its id is its position in the output.
"""

from __future__ import annotations

import re
import string
from array import array
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np

from poisonguard.io import Document

_NUMERIC = re.compile(r"^(?P<prefix>.*?)(?P<num>\d+)(?P<suffix>\D*)$", re.S)
_HEX = re.compile(
    r"^(?P<prefix>.*?)(?P<hex>[0-9a-f]{8,}|[0-9A-F]{8,}|"
    r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})$",
    re.S,
)
_SEP = re.compile(r"[-_:./#]")
_MAX_PATTERNS = 100_000
_ALNUM = string.ascii_lowercase + string.digits


@dataclass
class _Pattern:
    count: int = 0
    max_num: int = -1


def _pattern_of(doc_id: str) -> tuple[str, str | tuple[str, str, int | None], str | None]:
    """Classify an id: (kind, key, variable part)."""
    m = _HEX.match(doc_id)
    if m and any(c.isalpha() for c in m["hex"]):
        return "hex", m["prefix"], m["hex"]
    m = _NUMERIC.match(doc_id)
    if m:
        digits = m["num"]
        width = len(digits) if digits.startswith("0") and len(digits) > 1 else None
        return "num", (m["prefix"], m["suffix"], width), digits
    return "other", doc_id, None


class HashSet:
    """A set of strings kept as 64-bit hashes in compact arrays (8 bytes per member).

    Members added in bulk go to an append-only array that is sorted once, at the first
    lookup; members added after that go to a small Python set.
    """

    def __init__(self) -> None:
        self._pending = array("q")
        self._sorted = np.zeros(0, dtype=np.int64)
        self._late: set[int] = set()

    def add(self, s: str) -> None:
        if len(self._sorted) or self._late:
            self._late.add(hash(s))
        else:
            self._pending.append(hash(s))

    def __contains__(self, s: str) -> bool:
        if len(self._pending):
            self._sorted = np.unique(
                np.concatenate([self._sorted, np.frombuffer(self._pending, dtype=np.int64)])
            )
            self._pending = array("q")
        h = hash(s)
        if h in self._late:
            return True
        i = int(np.searchsorted(self._sorted, h))
        return i < len(self._sorted) and int(self._sorted[i]) == h


class IdIndex:
    """Every id and URL of a clean corpus (as 64-bit hashes) plus its numeric id patterns.

    Feed ids with :meth:`add` (or build with :meth:`from_documents`), then :meth:`mint`.
    Hashes use Python's ``hash`` of the id string: stable within one process, which is all
    the collision check needs; minted ids depend only on the seed-driven generator.
    """

    def __init__(self) -> None:
        self._ids = HashSet()
        self._urls = HashSet()
        self._free: dict[tuple[tuple[str, str, int | None], int], list[int]] = {}
        self._patterns: dict[tuple[str, str, int | None], _Pattern] = {}
        self.count = 0

    @classmethod
    def from_documents(cls, docs: Iterable[Document]) -> IdIndex:
        index = cls()
        for d in docs:
            index.add(d.id, d.source)
        return index

    def add(self, doc_id: str, url: str | None = None) -> None:
        """Record one clean id (and the document's source URL, if any)."""
        if url:
            self._urls.add(url)
        self.count += 1
        self._ids.add(doc_id)
        kind, key, var = _pattern_of(doc_id)
        if kind == "num" and isinstance(key, tuple) and var is not None:
            pat = self._patterns.get(key)
            if pat is None:
                if len(self._patterns) >= _MAX_PATTERNS:
                    return
                pat = self._patterns[key] = _Pattern()
            pat.count += 1
            pat.max_num = max(pat.max_num, int(var))

    def has_url(self, url: str) -> bool:
        """True when a clean document (or an earlier :meth:`claim_url`) has this URL."""
        return url in self._urls

    def claim_url(self, url: str) -> None:
        """Mark a URL as used by a poisoned document."""
        self._urls.add(url)

    def __contains__(self, doc_id: object) -> bool:
        return isinstance(doc_id, str) and doc_id in self._ids

    def mint(self, like: str, rng: np.random.Generator, reserve: int = 1) -> str:
        """A new unused id in the pattern of ``like`` (an id of the clean corpus).

        Args:
            like: id whose pattern the new id follows.
            rng: generator (the only source of randomness).
            reserve: how many ids the caller will mint in total (widens numeric ranges so
                that enough unused numbers exist).
        """
        kind, key, var = _pattern_of(like)
        for _ in range(1000):
            if kind == "num" and isinstance(key, tuple) and var is not None:
                new = self._mint_number(key, rng, reserve)
            elif kind == "hex" and isinstance(key, str) and var is not None:
                alphabet = "0123456789ABCDEF" if var.isupper() else "0123456789abcdef"
                if "-" in var:  # UUID: keep the dashes
                    body = "".join(alphabet[int(i)] for i in rng.integers(0, 16, 32))
                    new = key + "-".join(
                        (body[:8], body[8:12], body[12:16], body[16:20], body[20:])
                    )
                else:
                    new = key + "".join(alphabet[int(i)] for i in rng.integers(0, 16, len(var)))
            else:
                cut = max((m.end() for m in _SEP.finditer(like)), default=0)
                tail = max(len(like) - cut, 6)
                new = like[:cut] + "".join(_ALNUM[int(i)] for i in rng.integers(0, 36, tail))
            if new not in self:
                self._ids.add(new)
                return new
        raise RuntimeError(f"could not mint an unused id like {like!r}")  # pragma: no cover

    def _mint_number(
        self, key: tuple[str, str, int | None], rng: np.random.Generator, reserve: int
    ) -> str:
        prefix, suffix, width = key
        pat = self._patterns.get(key, _Pattern())
        hi = max(pat.max_num, 0) + max(reserve, 1) + 1  # numbers in [0, hi)
        if width is not None:
            hi = min(hi, 10**width)

        def fmt(n: int) -> str:
            return f"{prefix}{n:0{width}d}{suffix}" if width else f"{prefix}{n}{suffix}"

        dense = pat.count > hi // 2
        if not dense:
            return fmt(int(rng.integers(0, hi)))
        # dense range: choose uniformly among the unused numbers of the top window (listed
        # once per pattern and range, then drawn without replacement)
        free = self._free.get((key, hi))
        if free is None:
            window = min(hi, 20 * max(reserve, 1) + 1000)
            free = self._free[(key, hi)] = [n for n in range(hi - window, hi) if fmt(n) not in self]
        if not free:
            return fmt(hi + int(rng.integers(0, max(reserve, 1) + 1)))
        i = int(rng.integers(0, len(free)))
        free[i], free[-1] = free[-1], free[i]
        return fmt(free.pop())
