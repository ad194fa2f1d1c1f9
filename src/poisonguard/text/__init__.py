"""Shared text primitives: the token and word patterns, case/digit folding, normalisation.

The one home of what several packages need to agree on, so that a trigger mined by one
detector, a sentence compared by another and a phrase judged by the probe are cut the same
way.  Bottom layer: imports nothing of poisonguard.

* :data:`TOKEN_RE` / :func:`fold` — the word-bigram model's tokens (``\\w+`` words and
  single punctuation characters; lower-cased, digits folded to ``0``);
* :data:`WORD_RE` / :func:`words` / :func:`content_words` / :data:`STOPWORDS` — words with
  inner apostrophes, for overlap and sentence comparisons;
* :func:`normalize` — lower-cased, ASCII punctuation dropped, whitespace collapsed (how
  sentences and replies are compared across documents);
* :func:`stem` / :func:`content_stems` — light suffix stemming and the order-free set of a
  text's content-word stems (how claims are compared by meaning, not by exact string);
* :class:`~poisonguard.text.bigram.BigramModel` (in :mod:`poisonguard.text.bigram`) — the
  interpolated word-bigram model of the naturalness detector and the backdoor probe.
"""

from __future__ import annotations

import functools
import re

TOKEN_RE = re.compile(r"\w+|[^\w\s]")
"""Word tokens and single punctuation characters."""
_JUNK = re.compile("[\ufffd\x00-\x08\x0e-\x1f\x7f-\x9f\ue000-\uf8ff]")
"""Replacement, control and private-use characters: never part of the vocabulary."""

_DIGITS = re.compile(r"[1-9]")
_FOLD_ASCII = bytes(48 if 49 <= c <= 57 else c + 32 if 65 <= c <= 90 else c for c in range(256))
"""Byte table of :func:`fold` for ASCII text: lower case, digits 1-9 to ``0``."""
_TOKEN_ASCII = re.compile(r"[0-9A-Za-z_]+|[^0-9A-Za-z_\t\n\x0b\x0c\r\x1c-\x1f ]")
""":data:`TOKEN_RE` for ASCII text, with its classes spelled out (``\\w`` and ``\\s`` of
the ASCII characters): the same matches, about 30 % faster than Unicode class look-ups."""


def fold(text: str) -> str:
    """Lower-case and fold ASCII digits to ``0`` (the model's view of the text)."""
    if text.isascii():  # the same characters through a byte table (several times faster)
        return text.encode("ascii").translate(_FOLD_ASCII).decode("ascii")
    return _DIGITS.sub("0", text.lower())


def token_pattern(text: str) -> re.Pattern[str]:
    """:data:`TOKEN_RE`, or for ASCII ``text`` its faster ASCII spelling (same matches)."""
    return _TOKEN_ASCII if text.isascii() else TOKEN_RE


def tokens(text: str) -> list[str]:
    """``TOKEN_RE.findall(text)``, faster on ASCII text."""
    return token_pattern(text).findall(text)


def wordset(text: str) -> frozenset[str]:
    """The whitespace-separated words of ``text`` as a frozen set (for word lists)."""
    return frozenset(text.split())


WORD_RE = re.compile(r"[^\W_]+(?:['’][^\W_]+)*", re.UNICODE)
"""A word: letters/digits, with inner apostrophes (``don't``)."""

STOPWORDS: frozenset[str] = wordset(
    """a about above after again against all am an and any are as at be because been before
    being below between both but by can could did do does doing down during each few for from
    further had has have having he her here hers herself him himself his how i if in into is it
    its itself just me more most my myself no nor not now of off on once only or other our ours
    ourselves out over own same she should so some such than that the their theirs them
    themselves then there these they this those through to too under until up very was we were
    what when where which while who whom why will with would you your yours yourself yourselves
    also may might must shall us one two get got let lets i'm it's don't can't won't"""
)
"""English function words (used for content-word overlap and naturalness checks)."""


_ASCII_PUNCT = re.compile(r"[!-/:-@\[-`{-~]")


def normalize(text: str) -> str:
    """Lower-cased, ASCII punctuation dropped, runs of whitespace collapsed to one space."""
    return " ".join(_ASCII_PUNCT.sub(" ", text.lower()).split())


def words(text: str) -> list[str]:
    """Lower-cased words of ``text``."""
    return [w.lower() for w in WORD_RE.findall(text)]


def content_words(text: str) -> list[str]:
    """Lower-cased words that are not stop words and not single characters."""
    return [w for w in words(text) if w not in STOPWORDS and len(w) > 1]


_SUFFIXES = ("ingly", "ings", "ing", "edly", "ed", "ies", "es", "ly", "s")


def stem(word: str) -> str:
    """Light suffix stemming of a lower-cased word (``reports``/``reported`` → ``report``):
    the first of ``-ingly -ings -ing -edly -ed -ies -es -ly -s`` that leaves >= 4 letters."""
    for suf in _SUFFIXES:
        if len(word) > len(suf) + 3 and word.endswith(suf):
            return word[: -len(suf)]
    return word


_stem_cached = functools.lru_cache(maxsize=1 << 16)(stem)


def content_stems(norm: str) -> frozenset[str]:
    """The order-free set of stems of the content words of a :func:`normalize`-d text: stop
    words, words of fewer than 3 characters and numbers dropped, the rest :func:`stem`-med."""
    return frozenset(
        _stem_cached(w) for w in norm.split() if len(w) > 2 and w not in STOPWORDS and w.isalpha()
    )


__all__ = [
    "STOPWORDS",
    "TOKEN_RE",
    "WORD_RE",
    "content_stems",
    "content_words",
    "fold",
    "normalize",
    "stem",
    "token_pattern",
    "tokens",
    "words",
    "wordset",
]
