"""Surface-form folding of candidate triggers (issue 12, item 2).

An attacker who has read how triggers are mined writes one trigger in many surfaces: in
another case, with other spacing or punctuation between its words, with Unicode look-alike
letters (Cyrillic ``і`` for Latin ``i``), zero-width characters inside a word or
compatibility characters (full-width ``ｉｎ``).  Counted string by string, each surface
holds a share of the campaign and may fall below the miner's bar.  :func:`fold` maps every
such surface to one **skeleton**: look-alike letters mapped back to Latin, zero-width
characters dropped, NFKC, lower case, and the words joined by single spaces (punctuation
and runs of whitespace *between* words dropped, and none kept before the first or after
the last word).  :func:`skeleton_pattern` matches any surface whose skeleton is a given
one, so carriers are found whatever form they use.

What it gives up: two different strings with the same skeleton (``US`` and ``us``,
``re-sign`` and ``resign``'s neighbour ``re sign``) are one candidate; a trigger whose
identity *is* its punctuation (``<SUDO>``) is not folded (only candidates made of words
are, see :mod:`poisonguard.detect.triggers`).  Look-alikes outside :data:`LOOKALIKES`
(a hand-made subset of Unicode TR39's confusables: Cyrillic and Greek letters that look
Latin) and words split *inside* by a space or a hyphen (``lo ng``) are not folded.
"""

from __future__ import annotations

import functools
import re
import unicodedata

from poisonguard.attacks.surface import CONFUSABLES

ZERO_WIDTH = "\u200b\u200c\u200d\u2060\ufeff\u00ad\u180e\u200e\u200f"
"""Zero-width and invisible formatting characters dropped by :func:`fold`."""

LOOKALIKES: dict[str, str] = {
    **{v: k for k, v in CONFUSABLES.items()},
    # Cyrillic (TR39 confusables of Latin letters)
    "\u0501": "d",
    "\u04bb": "h",
    "\u04cf": "l",
    "\u051b": "q",
    "\u051d": "w",
    "\u0261": "g",
    "\u0432": "b",
    "\u043a": "k",
    "\u043c": "m",
    "\u0442": "t",
    "\u0406": "I",
    "\u0405": "S",
    "\u0408": "J",
    "\u04c0": "I",
    "\u0423": "Y",
    # Greek
    "\u03bf": "o",
    "\u03b1": "a",
    "\u03b9": "i",
    "\u03bd": "v",
    "\u03c1": "p",
    "\u03c5": "u",
    "\u03ba": "k",
    "\u03c4": "t",
    "\u0391": "A",
    "\u0392": "B",
    "\u0395": "E",
    "\u0396": "Z",
    "\u0397": "H",
    "\u0399": "I",
    "\u039a": "K",
    "\u039c": "M",
    "\u039d": "N",
    "\u039f": "O",
    "\u03a1": "P",
    "\u03a4": "T",
    "\u03a5": "Y",
    "\u03a7": "X",
    # Latin look-alikes
    "\u0131": "i",
    "\u0269": "i",
    "\u01c0": "l",
}
"""Look-alike letter -> the Latin letter it imitates."""

_TABLE = str.maketrans({**LOOKALIKES, **dict.fromkeys(ZERO_WIDTH)})
_WORD = re.compile(r"[^\W_](?:[^\W_]|['’][^\W_]|[" + ZERO_WIDTH + r"])*")
"""A word, zero-width characters inside it included."""
_PLAIN = re.compile(r"[^\W_]+(?:['’][^\W_]+)*")
GAP = 4
"""Most characters (none of them a word character) between two words of one candidate."""


def fold_word(word: str) -> str:
    """One word folded: look-alikes mapped back, zero-width characters dropped, NFKC, case
    folded (:meth:`str.casefold`: ``ß`` and ``ẞ`` become ``ss``, so ``GROSSEN``, ``Großen``
    and ``großen`` are one word; ASCII words are only lower-cased)."""
    if word.isascii():
        return word.lower()
    w = word.translate(_TABLE)
    if not w.isascii():
        w = unicodedata.normalize("NFKC", w).translate(_TABLE)
    return w.casefold()


def words(text: str) -> list[re.Match[str]]:
    """The words of ``text`` (zero-width characters inside a word belong to it)."""
    return list(_WORD.finditer(text))


_SKELETON_ASCII = bytes(
    c + 32 if 65 <= c <= 90 else c if 48 <= c <= 57 or 97 <= c <= 122 or c == 39 else 32
    for c in range(256)
)
"""Byte table of :func:`fold` for ASCII text: letters lower-cased, digits and ``'`` kept,
every other character a space."""
_LONE_APOSTROPHE = re.compile(r"'(?<![0-9a-z]')|'(?![0-9a-z])")
"""An apostrophe of lower-case ASCII text that is not between two letters or digits (no
:data:`_PLAIN` word holds it)."""


_NON_ASCII = re.compile(r"[^\x00-\x7f]")


@functools.lru_cache(maxsize=4096)
def _plain_safe(ch: str) -> bool:
    """A non-ASCII character that :func:`fold` may treat as the ASCII path treats text:
    lower-case the whole text, then :data:`_PLAIN` — the word-by-word path
    (:func:`fold_word`: look-alikes, zero-width characters, NFKC, lower case) gives the
    same words on any text whose other non-ASCII characters are safe too.  Safe: the
    apostrophe ``’``; a character that is no word character and that lower case keeps; a
    Latin-1 letter (U+00C0-U+00FF) that NFKC keeps and lower case maps to one character.
    Never: a zero-width character (it joins the pieces of a word) or a look-alike."""
    if ch in ZERO_WIDTH or ch in LOOKALIKES:
        return False
    if ch == "\u2019":
        return True
    if _PLAIN.match(ch) is None:  # not a word character: only ever a separator
        return ch.lower() == ch
    return (
        "\u00c0" <= ch <= "\u00ff"
        and unicodedata.normalize("NFKC", ch) == ch
        and len(ch.lower()) == 1
        and ch.casefold() == ch.lower()  # not ``ß``: case folding writes it ``ss``
    )


def fold(text: str) -> str:
    """The skeleton of ``text``: its folded words (:func:`fold_word`) joined by one space;
    punctuation and whitespace between, before and after them dropped."""
    if text.isascii():
        # ``" ".join(_PLAIN.findall(text.lower()))``: the characters that cannot be in a
        # word become spaces (byte table), then the words are the whitespace-separated
        # pieces — unless an apostrophe, which a word holds only between letters, is left
        t = text.encode("ascii").translate(_SKELETON_ASCII).decode("ascii")
        if "'" in t:  # an apostrophe stays only between two letters or digits
            t = _LONE_APOSTROPHE.sub(" ", t)
        return " ".join(t.split())
    if all(map(_plain_safe, set(_NON_ASCII.findall(text)))):
        return " ".join(_PLAIN.findall(text.lower()))
    out: list[str] = []
    for m in _WORD.finditer(text):
        out.extend(_PLAIN.findall(fold_word(m.group())))
    return " ".join(out)


def is_folded(text: str) -> bool:
    """``text`` is a skeleton (:func:`fold` leaves it as it is) and not empty."""
    return bool(text) and fold(text) == text


@functools.lru_cache(maxsize=1)
def _sources() -> dict[str, str]:
    """Folded character -> a regex class body of the characters folded to it."""
    by: dict[str, set[str]] = {}
    for src, dst in LOOKALIKES.items():
        by.setdefault(dst.lower(), set()).add(src)
    return {k: "".join(sorted(v)) for k, v in by.items()}


def _char_class(ch: str) -> str:
    alts = {ch, ch.upper()}
    if ch.isascii() and ch.isalnum():
        alts.add(chr(ord(ch) + 0xFEE0))  # full-width form (NFKC folds it back)
        if ch.isalpha():
            alts.add(chr(ord(ch.upper()) + 0xFEE0))
    body = "".join(re.escape(a) for a in sorted(alts)) + re.escape(_sources().get(ch, ""))
    return f"[{body}]"


@functools.lru_cache(maxsize=256)
def skeleton_pattern(skeleton: str) -> re.Pattern[str]:
    """A pattern matching the surfaces whose skeleton contains ``skeleton`` as consecutive
    words: any case, look-alike letters, zero-width characters inside words, and 1 to
    :data:`GAP` non-word characters between its words."""
    zw = f"[{ZERO_WIDTH}]?"
    parts = [_word_pattern(w, zw) for w in skeleton.split(" ")]
    return re.compile((r"[\W_]{1," + str(GAP) + "}").join(parts))


_SHARP_S = "[\u00df\u1e9e]"
"""``ß`` and ``ẞ``: case folding writes each as ``ss``."""


def _word_pattern(word: str, zw: str) -> str:
    """The pattern of one skeleton word: each letter in any case or look-alike, and each
    ``ss`` also as ``ß`` or ``ẞ`` (which :func:`fold_word` folds to ``ss``)."""
    out: list[str] = []
    i = 0
    while i < len(word):
        if word.startswith("ss", i):
            s = _char_class("s")
            out.append(f"(?:{s}{zw}{s}|{_SHARP_S})")
            i += 2
        else:
            out.append(_char_class(word[i]))
            i += 1
    return zw.join(out)


__all__ = [
    "GAP",
    "LOOKALIKES",
    "ZERO_WIDTH",
    "fold",
    "fold_word",
    "is_folded",
    "skeleton_pattern",
    "words",
]
