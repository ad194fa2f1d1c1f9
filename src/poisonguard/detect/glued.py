"""Candidates for a phrase glued inside the words around it (issue 12, task W).

A trigger planted between two letters of a host word with its payload right after it
(``compby the waysays an said ...uter``) is no run of whole words: its first word is the
end of a longer token and its last word the start of another, different in every carrier.
Its word n-grams differ from carrier to carrier (only the inner words, ``the``, are
stable), and the character k-grams of :class:`~poisonguard.detect.triggers.TriggerMiner`
are taken inside one token only.  Here the letters of the text near a changepoint are
read with the spaces and punctuation between words taken out (``compbythewaysaysan``);
every ``K`` letters that span two or more words make a candidate keyed ``MARK + letters``,
whatever the host and payload letters around it — the glue-insensitive key.  At finalize
time (:func:`phrase`) the key is grown letter by letter while its examples agree (the
stable core: the host's and payload's letters differ at both ends), and the grown letters
are read back as a phrase under its skeleton (``by the way``), which the miner then tests
like any word candidate on its glued occurrences only, and matches only where a letter
runs on into it (``Trigger.glued``).  A grown string glued to a letter in fewer than three
or a quarter of its examples is left to the word candidates, and one of fewer than two
words to the character k-grams of one token.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace
from typing import TYPE_CHECKING

from poisonguard.detect import surface_forms as _sf

if TYPE_CHECKING:
    from poisonguard.detect.triggers import Context

MARK = "\x02"
"""Opens the key of a glued candidate (no surface string or skeleton starts with it)."""
K = 8
"""Letters of a glued candidate's key (a phrase of fewer letters is not found this way)."""
REACH = 30
"""Characters before and after a changepoint whose letters are read."""
_AGREE = 0.95
"""Share of a key's examples that must agree on a letter for the key to grow by it."""
_LIMIT = 48
"""Most letters a key grows by on each side."""


def letters(text: str, lo: int, hi: int) -> tuple[str, list[int], list[int]]:
    """The folded letters of the words in ``text[lo:hi]`` with nothing between them, the
    offset in ``text`` of each, and the index of the word each belongs to (a word whose
    folding changes its length puts all its letters at its start)."""
    out: list[str] = []
    at: list[int] = []
    word: list[int] = []
    for i, m in enumerate(_sf.words(text[lo:hi])):
        w = _sf.fold_word(m.group())
        s = lo + m.start()
        same = len(w) == len(m.group())
        for j, ch in enumerate(w):
            if ch.isalnum():
                out.append(ch)
                at.append(s + j if same else s)
                word.append(i)
    return "".join(out), at, word


def add_candidates(
    text: str,
    lo: int,
    hi: int,
    out: dict[str, Context],
    made: list[Context],
    make: Callable[[int, int, str], Context],
) -> None:
    """Add to ``out`` (and ``made``) the glued candidates of ``text[lo:hi]``: every
    :data:`K` consecutive letters (words run together) that span two or more words, each
    a context ``make(start, end, key)`` (offsets in ``text``)."""
    chars, at, word = letters(text, lo, hi)
    for p in range(len(chars) - K + 1):
        if word[p] == word[p + K - 1]:
            continue  # inside one word: the character k-grams of a token
        key = MARK + chars[p : p + K]
        if key not in out:
            out[key] = make(at[p], at[p + K - 1] + 1, key)
            made.append(out[key])


def phrase(key: str, ctxs: Sequence[Context]) -> tuple[str, list[Context]] | None:
    """A glued candidate grown to its stable core and read back as a phrase: ``(skeleton,
    the examples that hold it glued to a letter, each re-pointed at the phrase's
    surface)``; None when it is no phrase of two or more words glued in at least three and
    :data:`_GLUED_SHARE` of its examples."""
    core = key[len(MARK) :]
    if len(ctxs) < 3:
        return None
    reads = [_read(c) for c in ctxs]
    found = [
        (c, r)
        for c, r in zip(ctxs, reads, strict=True)
        if r is not None and r[0][r[2] : r[2] + K] == core
    ]
    need = max(3, int(_AGREE * len(ctxs) + 0.999))
    if len(found) < need:
        return None
    # grow right, then left, while the examples agree (``_extend`` over letters)
    right = [r[0][r[2] + K :] for _, r in found]
    grow_r = _agreed(right, need)
    left = [r[0][: r[2]][::-1] for _, r in found]
    grow_l = _agreed(left, need)[::-1]
    grown = grow_l + core + grow_r
    seen: dict[str, list[Context]] = {}
    for c, (chars, offs, p) in found:
        a = p - len(grow_l)
        b = p + K + len(grow_r)
        if a < 0 or b > len(chars) or chars[a:b] != grown:
            continue
        s, e = offs[a], offs[b - 1] + 1
        if not _SEPARATORS.issuperset(ch for ch in c.window[s:e] if not ch.isalnum()):
            continue  # words joined by markup (``ref>cite</ref``): no phrase
        sk = _sf.fold(c.window[s:e])
        if sk.replace(" ", "") != grown:
            continue  # a word whose folding changes its length: not read back
        seen.setdefault(sk, []).append(replace(c, start=s, end=e, key=sk))
    if not seen:
        return None
    sk, agree = max(seen.items(), key=lambda kv: len(kv[1]))
    # its glued occurrences only (the same words written apart are the word candidates')
    on = [c for c in agree if stuck(c.window, c.start, c.end)]
    if len(sk.split(" ")) < 2 or len(on) < 3 or len(on) < _GLUED_SHARE * len(ctxs):
        return None
    return sk, on


def mark(glued_at: set[str], ext: str, key: str) -> None:
    """Record in ``glued_at`` whether the finalize step's group ``ext`` now stands for
    candidate ``key`` read back from glued letters (the group takes the examples and count
    of whichever candidate counts most, as for any two strings with one skeleton)."""
    if key.startswith(MARK):
        glued_at.add(ext)
    else:
        glued_at.discard(ext)


def word_start(text: str, at: int, limit: int = 32) -> int:
    """Where the word that runs on into offset ``at`` starts (``at`` itself when a
    non-letter precedes it): a phrase glued into a host word starts, for the document
    detectors that read whole tokens, where that word does."""
    lo = at
    while lo > 0 and at - lo < limit and text[lo - 1].isalnum():
        lo -= 1
    return lo


def stuck(text: str, start: int, end: int, side: str = "either", through: int = 0) -> bool:
    """A letter or digit runs on into ``text[start:end]`` from the ``side`` given
    (``left``, ``right``, or ``either``); with ``through``, across at most that many
    characters that are neither a letter, a digit nor a space (the phrase wrapped in quotes
    or asterisks inside a host word: ``pho*at the very least*Blue``)."""

    def runs(i: int, step: int) -> bool:
        for _ in range(through + 1):
            if not 0 <= i < len(text) or text[i].isspace():
                return False
            if text[i].isalnum():
                return True
            i += step
        return False

    left = runs(start - 1, -1)
    right = runs(end, 1)
    return left if side == "left" else right if side == "right" else left or right


WRAP = 2
"""Characters of a wrap (quotes, brackets, asterisks) the flag pass looks across for the
letter a glued trigger's occurrence is glued to (:func:`stuck`'s ``through``)."""


def side(ctxs: Sequence[Context], share: float = 0.9) -> str:
    """The side on which a phrase read back from glued letters is glued in at least
    ``share`` of its examples (``left`` first: a host word split around it), else
    ``either``: what :attr:`~poisonguard.detect.triggers.Trigger.glued` asks of a carrier
    (a clean ``by the wayside``, glued on its right only, is no carrier of a phrase planted
    inside host words)."""
    for s in ("left", "right"):
        if ctxs and sum(stuck(c.window, c.start, c.end, s) for c in ctxs) >= share * len(ctxs):
            return s
    return "either"


def _agreed(seqs: Sequence[str], need: int) -> str:
    """The longest prefix at least ``need`` of ``seqs`` share (one letter at a time)."""
    out: list[str] = []
    alive = list(seqs)
    for i in range(_LIMIT):
        nxt = [s[i] for s in alive if len(s) > i]
        if len(nxt) < need:
            break
        ch = max(set(nxt), key=nxt.count)
        if nxt.count(ch) < need:
            break
        out.append(ch)
        alive = [s for s in alive if len(s) > i and s[i] == ch]
    return "".join(out)


_SEPARATORS = frozenset(" \t\n\u00a0-_.,'\u2019")
"""What may stand between the words of a phrase read back (spacing and the separators of
written surface forms; markup such as ``</ref>`` between words makes no phrase)."""
_GLUED_SHARE = 0.25
"""Least share of a key's examples in which its phrase is glued to a letter."""
_SPAN = _LIMIT + 16
"""Characters of a window read on each side of a glued candidate."""


def _read(c: Context) -> tuple[str, list[int], int] | None:
    """The letters of ``c.window`` around the candidate, their offsets, and where the
    candidate's letters start among them (None when they cannot be found there)."""
    lo = max(0, c.start - _SPAN)
    hi = min(len(c.window), c.end + _SPAN)
    chars, offs, _ = letters(c.window, lo, hi)
    try:
        p = offs.index(c.start)
    except ValueError:
        return None
    return chars, offs, p


__all__ = [
    "MARK",
    "REACH",
    "WRAP",
    "K",
    "add_candidates",
    "letters",
    "mark",
    "phrase",
    "side",
    "stuck",
    "word_start",
]
