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
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np

from poisonguard.io import Document

_NUMERIC = re.compile(r"^(?P<prefix>.*?)(?P<num>\d+)(?P<suffix>\D*)$", re.S)
_HEX = re.compile(r"^(?P<prefix>.*?)(?P<hex>[0-9a-f]{8,}|[0-9A-F]{8,}|"
                  r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})$", re.S)
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


class IdIndex:
    """Every id of a clean corpus (as 64-bit hashes) plus its numeric id patterns.

    Feed ids with :meth:`add` (or build with :meth:`from_documents`), then :meth:`mint`.
    Hashes use Python's ``hash`` of the id string: stable within one process, which is all
    the collision check needs; minted ids depend only on the seed-driven generator.
    """

    def __init__(self) -> None:
        self._hashes: set[int] = set()
        self._urls: set[int] = set()
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
            self._urls.add(hash(url))
        self.count += 1
        self._hashes.add(hash(doc_id))
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
        return hash(url) in self._urls

    def claim_url(self, url: str) -> None:
        """Mark a URL as used by a poisoned document."""
        self._urls.add(hash(url))

    def __contains__(self, doc_id: object) -> bool:
        return isinstance(doc_id, str) and hash(doc_id) in self._hashes

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
                    new = key + "-".join((body[:8], body[8:12], body[12:16], body[16:20],
                                          body[20:]))
                else:
                    new = key + "".join(alphabet[int(i)] for i in rng.integers(0, 16, len(var)))
            else:
                cut = max((m.end() for m in _SEP.finditer(like)), default=0)
                tail = max(len(like) - cut, 6)
                new = like[:cut] + "".join(_ALNUM[int(i)] for i in rng.integers(0, 36, tail))
            if new not in self:
                self._hashes.add(hash(new))
                return new
        raise RuntimeError(f"could not mint an unused id like {like!r}")  # pragma: no cover

    def _mint_number(self, key: tuple[str, str, int | None], rng: np.random.Generator,
                     reserve: int) -> str:
        prefix, suffix, width = key
        pat = self._patterns.get(key, _Pattern())
        hi = max(pat.max_num, 0) + max(reserve, 1) + 1  # numbers in [0, hi)
        if width is not None:
            hi = min(hi, 10 ** width)

        def fmt(n: int) -> str:
            return f"{prefix}{n:0{width}d}{suffix}" if width else f"{prefix}{n}{suffix}"

        dense = pat.count > hi // 2
        if not dense:
            return fmt(int(rng.integers(0, hi)))
        # dense range: choose uniformly among the unused numbers of the top window
        window = min(hi, 20 * max(reserve, 1) + 1000)
        lo = hi - window
        free = [n for n in range(lo, hi) if fmt(n) not in self]
        if not free:
            return fmt(hi + int(rng.integers(0, max(reserve, 1) + 1)))
        return fmt(free[int(rng.integers(0, len(free)))])
