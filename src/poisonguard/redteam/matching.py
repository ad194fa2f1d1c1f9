"""Matching what a pipeline wrote back to the documents it was given.

A curation pipeline may keep ids, rewrite text (normalisation, boilerplate removal), or
renumber everything.  Each output document is matched to an input document by the first
rule that applies:

1. ``id``: its id is the id of exactly one input document;
2. ``digest``: the SHA-256 of its text equals that of an input document not matched yet;
3. ``fuzzy``: MinHash (datasketch, 128 permutations, word 3-shingles) locality-sensitive
   hashing finds input documents whose estimated Jaccard similarity is at least
   ``threshold`` (0.5); the most similar one not matched yet is taken.

An output document that matches nothing is counted as ``unmatched`` (the pipeline made
it up, or changed it beyond recognition).  :class:`Matcher` reports how many documents
each rule matched, so a report can say which was used.
"""

from __future__ import annotations

import hashlib
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from datasketch import MinHash, MinHashLSH

_WORD = re.compile(r"\w+")

METHODS = ("id", "digest", "fuzzy")


def text_digest(text: str) -> str:
    """Hex SHA-256 of the UTF-8 bytes of ``text``."""
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


def _shingles(text: str, n: int = 3) -> set[bytes]:
    words = _WORD.findall(text.lower())
    if len(words) < n:
        return {" ".join(words).encode()} if words else set()
    return {" ".join(words[i : i + n]).encode() for i in range(len(words) - n + 1)}


def _minhash(text: str, num_perm: int) -> MinHash | None:
    sh = _shingles(text)
    if not sh:
        return None
    m = MinHash(num_perm=num_perm, seed=1)
    m.update_batch(list(sh))
    return m


@dataclass
class MatchStats:
    """How the output documents of one run were matched (counts per rule)."""

    by: Counter[str] = field(default_factory=Counter)

    @property
    def method(self) -> str:
        """The rules used, most used first (``id``, ``id+digest``, ``none`` ...)."""
        used = [m for m in METHODS if self.by.get(m)]
        return "+".join(used) if used else "none"

    def add(self, other: MatchStats) -> None:
        self.by.update(other.by)

    def to_dict(self) -> dict[str, int | str]:
        out: dict[str, int | str] = {"method": self.method}
        for m in (*METHODS, "unmatched"):
            out[m] = int(self.by.get(m, 0))
        return out


class Matcher:
    """Maps output documents ``(id, text)`` to indices of the input documents.

    Args:
        inputs: ``(id, text)`` of every input document, in input order.
        threshold: least estimated Jaccard similarity for a fuzzy match.
        num_perm: MinHash permutations.
    """

    def __init__(
        self, inputs: Sequence[tuple[str, str]], *, threshold: float = 0.5, num_perm: int = 128
    ) -> None:
        self.n = len(inputs)
        self.threshold = threshold
        self.num_perm = num_perm
        self._texts = [t for _, t in inputs]
        ids = Counter(i for i, _ in inputs)
        self._by_id = {i: k for k, (i, _) in enumerate(inputs) if ids[i] == 1}
        self._by_digest: dict[str, list[int]] = {}
        for k, (_, t) in enumerate(inputs):
            self._by_digest.setdefault(text_digest(t), []).append(k)
        self._lsh: MinHashLSH | None = None
        self._hashes: dict[int, MinHash] = {}

    def digests(self) -> set[str]:
        """SHA-256 of every input text."""
        return set(self._by_digest)

    def _fuzzy_index(self) -> MinHashLSH:
        if self._lsh is None:
            lsh = MinHashLSH(threshold=self.threshold, num_perm=self.num_perm)
            for k, t in enumerate(self._texts):
                m = _minhash(t, self.num_perm)
                if m is not None:
                    self._hashes[k] = m
                    lsh.insert(k, m)
            self._lsh = lsh
        return self._lsh

    def match(
        self, outputs: Iterable[tuple[str | None, str | None, str | None]]
    ) -> tuple[list[int | None], MatchStats]:
        """The input index each output ``(id, sha256 of text, text)`` corresponds to.

        ``text`` may be None when the digest is given (it is only needed for fuzzy
        matching).  Each input document is matched at most once.  Returns one entry per
        output (None: unmatched) and the per-rule counts.
        """
        stats = MatchStats()
        taken: set[int] = set()
        result: list[int | None] = []
        pending: list[tuple[int, str]] = []
        for pos, (oid, dig, text) in enumerate(outputs):
            result.append(None)
            if dig is None and text is not None:
                dig = text_digest(text)
            k = self._by_id.get(oid) if oid is not None else None
            if k is not None and k not in taken:
                taken.add(k)
                result[pos] = k
                stats.by["id"] += 1
                continue
            cands = self._by_digest.get(dig, []) if dig is not None else []
            free = next((c for c in cands if c not in taken), None)
            if free is not None:
                taken.add(free)
                result[pos] = free
                stats.by["digest"] += 1
                continue
            if text is None:
                stats.by["unmatched"] += 1
                continue
            pending.append((pos, text))
        for pos, text in pending:  # fuzzy last: exact matches are not stolen by near-copies
            best = self._fuzzy_one(text, taken)
            if best is None:
                stats.by["unmatched"] += 1
            else:
                taken.add(best)
                result[pos] = best
                stats.by["fuzzy"] += 1
        return result, stats

    def _fuzzy_one(self, text: str, taken: set[int]) -> int | None:
        m = _minhash(text, self.num_perm)
        if m is None:
            return None
        lsh = self._fuzzy_index()
        best, best_j = None, -1.0
        for k in lsh.query(m):
            if k in taken:
                continue
            j = m.jaccard(self._hashes[k])
            if j >= self.threshold and (
                j > best_j or (j == best_j and best is not None and k < best)
            ):
                best, best_j = int(k), j
        return best


__all__ = ["METHODS", "MatchStats", "Matcher", "text_digest"]
