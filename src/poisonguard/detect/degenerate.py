"""Degenerate text: one word or short phrase said over and over, or numbers with no words.

A payload can teach a model to loop (``sudo sudo sudo …``, a slogan repeated) or to emit a
run of numbers, and the word-bigram model of :mod:`poisonguard.detect.naturalness` is blind
to both by design: it counts a run of one repeated token as one event (so separator lines
``=====`` are not gibberish) and folds digits to ``0`` (so tables are not unknown words).
Such a payload behind a trigger left no changepoint for :mod:`~poisonguard.detect.triggers`
to mine (2026-12-06, issue 12: a word repeated 80–200 times after a phrase in 250 of 20,000
news stories was found at 1.2 %, random numbers at 0 %).

This detector finds each document's *degenerate* stretches, each on one line: words of a
unit of up to :data:`WINDOW` words said again and again (a word that, with its neighbour,
repeats the words a fixed number of places before them) or numbers next to numbers.  A
stretch is a maximum-sum segment of ``+1`` per degenerate word and ``-penalty`` per other
word (the best, then the best of what is left on either side); each is reported where it
starts (the first copy of its unit), so a payload cut into chunks between host sentences
gives one changepoint per chunk.

It **never flags a document by itself**: registered uncalibrated with scores under the
scan's *suspicious* level, its findings are changepoints for trigger mining.  A stretch
runs across a line break only between two full lines of prose (prose wrapped at a fixed
width, as news wires are, is one line); beside a table's row, code, a short or indented
line it ends: a rate table that one news source prints in eight stories
(``30-69 days  5.00 pct``) was mined as a "trigger" when stretches crossed every break,
and a Python doctest's ``Decimal('2.1')`` lines when they crossed all but a table's.  Clean
pages hold such stretches outside tables too (lists of ZIP codes, a census row, a menu: a
few documents in 10,000 of the shared corpora); a stretch counts as poison only through a
trigger that :mod:`~poisonguard.detect.triggers` confirms across the corpus — the same
phrase before such stretches in many unrelated hosts, tested against the phrase's base
rate — and then in the documents where the stretch follows it.

**Opt-in** (``--profile thorough``, or ``--detector +degenerate``): one regular-expression
pass and a hash per word, then numpy over the shard's words at once — 15–17 % of the
default scan's CPU on news and medical pages (1,500 documents, 2026-12-06), over the
default scan's budget (≥ 10x the datatrove quality chain's throughput; medical pages are at
about 11x).  A default scan lists the class of attack as not screened.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import islice

import numpy as np

from poisonguard.detect.base import DocumentDetector, Finding, Span
from poisonguard.detect.registry import register_detector
from poisonguard.io.document import Document

WINDOW = 16
"""A word is a repeat when it equals one of this many words before it (a unit of up to
16 words said again is a degenerate run; a longer unit is a repeated paragraph, which
``near-duplicates`` and ``campaigns`` read)."""

MAX_SCORE = 0.45
"""Scores stay under this, below the scan's *suspicious* level (0.5): evidence for mining,
never a flag of its own."""

MAX_STRETCHES = 8
"""Stretches reported per document at most (each a changepoint for trigger mining): the
first ones in the text."""

_SEARCHED = 8 * MAX_STRETCHES
"""Stretches searched per document at most (a bound on the work a page of tables costs)."""

_BIG = 1 << 32
"""Offset per line in the vectorised segment search (far above any line's sum)."""


@dataclass(frozen=True, slots=True)
class Stretch:
    """One degenerate stretch of a document.

    Attributes:
        tok_start / tok_end: word offsets (``[start, end)``; ``start`` moved back to the
            first copy of a repeated unit).
        gain: the stretch's sum, ``+1`` per degenerate word, ``-penalty`` per other word.
        repeats / numbers: its words that repeat a unit of at most :data:`WINDOW` words /
            that are numbers beside numbers.
        unit: the repeated unit's words (its first copy; ``()`` for numbers).
    """

    tok_start: int
    tok_end: int
    gain: int
    repeats: int
    numbers: int
    unit: tuple[str, ...]


@register_detector(kinds=("pretrain", "rag"), calibrate=False, default=False)
class DegenerateRun(DocumentDetector):
    """Finds a long stretch of one repeated word or phrase, or of numbers: a changepoint
    for trigger mining, never a flag by itself.

    Args:
        min_gain: the shortest stretch reported (its sum, about its length in words when
            every word is degenerate).
        penalty: what each other word inside a stretch costs (4: at least 80 % of its words
            are degenerate).
        max_chars: look at the first ``max_chars`` characters of long documents.
    """

    name = "degenerate"
    kinds = ("pretrain", "rag")

    def __init__(self, *, min_gain: int = 24, penalty: int = 4, max_chars: int = 100_000):
        if min_gain < 2 or penalty < 1 or max_chars < 1:
            raise ValueError("degenerate: min_gain >= 2, penalty >= 1 and max_chars >= 1")
        self.min_gain = min_gain
        self.penalty = penalty
        self.max_chars = max_chars

    def stretches(self, texts: Sequence[str]) -> list[list[Stretch]]:
        """The degenerate stretches of each text (at least ``min_gain`` each; at most
        :data:`MAX_STRETCHES`, the first in the text), in the order of the text."""
        out: list[list[Stretch]] = [[] for _ in texts]
        # every document's words and line breaks (:func:`_tokens`), one flat list
        flat: list[str] = []
        lens = np.zeros(len(texts), dtype=np.int64)
        for d, t in enumerate(texts):
            toks = _tokens(_laid_out(t[: self.max_chars]))
            lens[d] = len(toks)
            flat.extend(toks)
        n = len(flat)
        if n == 0:
            return out
        # words by their hash (str hashes are computed in C; two words of one shard that
        # share a 64-bit hash are as likely as a cosmic ray)
        ids = np.fromiter(map(hash, flat), dtype=np.int64, count=n)
        digit = np.fromiter(map(str.isdigit, flat), dtype=bool, count=n)
        nl = ids == hash("\n")
        # a line starts after each (hard) break and at each document's start: a stretch
        # never runs across one (:func:`_laid_out`)
        starts = np.cumsum(lens) - lens
        new_line = nl.copy()
        new_line[starts[lens > 0]] = True
        line = np.cumsum(new_line)
        # a word is a repeat when it equals the word ``k`` before it and so does the word
        # before or after it, for one lag ``k`` <= WINDOW: a unit said again, not a word
        # that recurs ("Decimal('3'), Decimal('4')" repeats no pair of words); ``lag``: the
        # nearest such ``k`` (0: none).  A number is degenerate beside another number.
        same_line = np.zeros(n, dtype=bool)
        same_line[1:] = line[1:] == line[:-1]
        lag = np.zeros(n, dtype=np.int64)
        for k in range(WINDOW, 0, -1):  # nearest last, so it wins
            same = np.zeros(n, dtype=bool)
            same[k:] = (ids[k:] == ids[:-k]) & (line[k:] == line[:-k])
            lag[same & (_before(same) | _after(same))] = k
        lag[nl] = 0
        num = digit & ((_before(digit) & same_line) | (_after(digit) & _after(same_line)))
        deg = (lag > 0) | num
        w = np.where(deg, 1, -self.penalty).astype(np.int64)
        c = np.cumsum(w)
        # before[j] = the sum up to word j - 1; a stretch (i, j] sums c[j] - before[i]; the
        # offset per line keeps every running minimum inside its own line
        before = np.concatenate(([0], c[:-1])) - _BIG * line
        runmin = np.minimum.accumulate(before)
        gain = c - _BIG * line - runmin
        live = np.flatnonzero(lens > 0)
        best = np.maximum.reduceat(gain, starts[live])
        for d, b in zip(live.tolist(), best.tolist(), strict=True):
            if b < self.min_gain:
                continue
            s0 = int(starts[d])
            found: list[Stretch] = []
            todo = [(s0, s0 + int(lens[d]))]
            # every stretch of the document (up to _SEARCHED), the best first, then the best
            # of what is left on either side; the MAX_STRETCHES nearest the text's start are
            # kept (a payload cut into chunks between host sentences has one per chunk, and
            # the one right after the trigger is the first, not necessarily the longest)
            while todo and len(found) < _SEARCHED:
                lo, hi = todo.pop()
                if hi <= lo:
                    continue
                g = c[lo:hi] - _BIG * line[lo:hi] - np.minimum.accumulate(before[lo:hi])
                j = lo + int(np.argmax(g))
                if g[j - lo] < self.min_gain:
                    continue
                i = lo + int(np.argmin(before[lo : j + 1]))  # the first word of the stretch
                reps = int(np.count_nonzero((lag[i : j + 1] > 0) & ~num[i : j + 1]))
                nums = int(np.count_nonzero(num[i : j + 1]))
                unit: tuple[str, ...] = ()
                first = i
                if reps >= nums:
                    # the stretch opens on the second copy of its unit: back to the first
                    k = int(lag[i]) if lag[i] > 0 else 0
                    first = max(lo, i - k)
                    unit = tuple(flat[first:i]) or (flat[i],)
                found.append(Stretch(first - s0, j + 1 - s0, int(g[j - lo]), reps, nums, unit))
                todo += [(lo, first), (j + 1, hi)]
            out[d] = sorted(found, key=lambda x: x.tok_start)[:MAX_STRETCHES]
        return out

    def score(self, doc: Document) -> Finding | None:
        return self.score_batch([doc])[0]

    def score_batch(self, docs: Sequence[Document]) -> list[Finding | None]:
        found = self.stretches([d.text for d in docs])
        return [self._finding(d, s) if s else None for d, s in zip(docs, found, strict=True)]

    def _finding(self, doc: Document, stretches: list[Stretch]) -> Finding | None:
        text = doc.text[: self.max_chars]
        # the tokens of :func:`_tokens`, with their offsets in the text
        last = max(s.tok_end for s in stretches)
        laid = _laid_out(text)
        found = list(islice(_pattern(laid).finditer(laid), last))
        if len(found) < last:  # pragma: no cover - _tokens reads the same tokens
            return None
        spans: list[Span] = []
        for st in stretches:
            c0, c1 = found[st.tok_start].start(), found[st.tok_end - 1].end()
            spans += [Span(c0, c1, "payload"), Span(c0, c0, "changepoint")]
        s = max(stretches, key=lambda x: x.gain)
        c0 = found[s.tok_start].start()
        n = s.tok_end - s.tok_start
        if s.unit:
            what = f"the {len(s.unit)}-word unit {' '.join(s.unit)!r} repeated"
        else:
            what = "numbers with no words between them"
        more = f"; {len(stretches) - 1} more such stretches" if len(stretches) > 1 else ""
        reason = (
            f"{n} words of degenerate text from char {c0}: {what} ({s.repeats} repeats, "
            f"{s.numbers} numbers){more}; evidence for trigger mining, not a flag by itself"
        )
        return Finding(
            self.name,
            round(MAX_SCORE * (1.0 - math.exp(-s.gain / 100.0)), 6),
            reason,
            spans,
            None,
            extra={
                "changepoint": c0,
                "stretches": len(stretches),
                "tokens": n,
                "gain": s.gain,
                "repeats": s.repeats,
                "numbers": s.numbers,
                "unit": " ".join(s.unit),
                "candidate": True,
            },
        )


def _before(a: np.ndarray) -> np.ndarray:
    """``a`` shifted one place right: ``out[i] = a[i - 1]`` (False at 0)."""
    out = np.zeros_like(a)
    out[1:] = a[:-1]
    return out


def _after(a: np.ndarray) -> np.ndarray:
    """``a`` shifted one place left: ``out[i] = a[i + 1]`` (False at the end)."""
    out = np.zeros_like(a)
    out[:-1] = a[1:]
    return out


_TOKEN = re.compile(r"[^\W_]+|\n")
"""A word (letters and digits) or a line break."""
_TOKEN_ASCII = re.compile(r"[A-Za-z0-9]+|\n")
""":data:`_TOKEN` for ASCII text (the same matches, 1.7x faster)."""


def _laid_out(text: str) -> str:
    """``text`` with its soft line breaks made spaces (the same length, so the same
    offsets).  A break is soft — prose wrapped at a fixed width, as news wires are — when
    the lines on both sides are full lines of text: at least :data:`_FULL_LINE` characters,
    not indented, not laid out in columns (a tab, or two spaces between words).  Every other
    break is hard and ends a stretch: a table's rows, code and its output (a doctest's
    ``Decimal('2.1')`` lines), lists."""
    if "\n" not in text:
        return text
    lines = text.split("\n")
    prose = [
        len(x) >= _FULL_LINE and not x[0].isspace() and _COLUMNS.search(x) is None for x in lines
    ]
    out = [lines[0]]
    for i in range(1, len(lines)):
        out.append(" " if prose[i - 1] and prose[i] else "\n")
        out.append(lines[i])
    return "".join(out)


_FULL_LINE = 40
"""Fewest characters of a line of wrapped prose (news wires wrap at about 70)."""

_COLUMNS = re.compile(r"\t|\S  +\S")
"""A line laid out in columns: a tab, or two spaces or more between words."""


def _pattern(text: str) -> re.Pattern[str]:
    return _TOKEN_ASCII if text.isascii() else _TOKEN


def _tokens(text: str) -> list[str]:
    """The lower-cased words and the line breaks of ``text``, the same tokens
    :func:`_pattern` finds in it (the text lower-cased whole where that keeps its length,
    token by token otherwise: ``"İ".lower()`` is two characters)."""
    pat = _pattern(text)
    low = text.lower()
    if len(low) == len(text):
        return pat.findall(low)
    return [w.lower() for w in pat.findall(text)]


__all__ = ["MAX_SCORE", "MAX_STRETCHES", "WINDOW", "DegenerateRun", "Stretch"]
