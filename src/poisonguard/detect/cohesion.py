"""Trigger → payload association at coherence change points (opt-in: ``+cohesion``).

A backdoor needs many documents in which the same context (the trigger) is followed by
the same kind of behaviour (the payload).  When the payload is fluent — text of a word
Markov chain, a passage of an unrelated document, another language — no per-document
naturalness score sees it, but the text after the trigger is *unrelated to its host* or
*stitched from other documents' n-grams*.  This corpus detector finds both kinds of change
and tests the association of a short n-gram with them against the n-gram's own base rate
in the same corpus:

* **cohesion** at a word position: of the content-word types (stop words dropped, light
  suffix stemming) in the next ``window`` content words, the share that also occur in the
  ``back`` content words before it.  A *change* is cohesion ``<= threshold`` with at
  least ``min_back`` content words of host before it.
* **stitched text** (:mod:`poisonguard.detect.familiarity`): a window whose word trigrams
  almost all occur in other documents while its 8-grams mostly do not (a Markov chain of
  the corpus; a near-duplicate is familiar at both orders).  A *change* is a position
  where the window after it is stitched and the one before it is not.
* **genre shift** (only where cohesion changes too often to place a payload's start:
  novels): the words after a position much rarer in the corpus than its host's
  (:class:`~poisonguard.detect.familiarity.WordCounts`, counted in round 0) — news or
  medical text in novels; mined and tested as its own channel, and the second half of the
  joint evidence beside familiar trigrams.
* **rounds**, declared classes (:class:`~poisonguard.detect.base.Round`):
  :class:`CountRound` counts every document's trigrams and
  8-grams into a :class:`~poisonguard.detect.familiarity.FamiliarityTable`;
  :class:`MineRound` takes, in every document, the change points of both kinds and
  counts each word 1- to 3-gram ending within ``reach`` words of one (surface forms
  folded: case, spacing, punctuation, Cyrillic look-alikes, zero-width characters) once
  per document, keeps the candidates far above chance given their frequency in the
  scan's uniform sample (binomial, Bonferroni), and measures the corpus's change rates;
  :class:`ConfirmRound` checks every occurrence of every candidate for a change right
  after it: a one-sided binomial test against the base rate at the occurrences' host
  sizes with Benjamini–Hochberg control over the candidates, a least share of carriers
  with the change (``min_purity``), unrelated hosts (``max_host_overlap``), a
  continuation that does not recur (``max_continuation_overlap``: a template or credit
  line continues the same way in every carrier) and a phrase that opens a sentence or
  clause in its carriers (``min_opening``: a genre's template — ``X is caused by
  mutations in`` — continues a sentence its host began) and not on a heading line of its
  own (``max_heading``: the section after a heading is about something else by design).
* **flag**: a document is flagged *poisoned* only on joint evidence — the whole confirmed
  trigger **and** a change right after that occurrence.  Documents that merely contain
  the phrase are never flagged.

Blind spots (see ``docs/detectors.md``): payloads about the host's own topic (an on-topic
false claim), payloads shorter than ``min_window`` content words / 20 words, Markov text
of a corpus other than the scanned one (not familiar), triggers in the first
``min_back`` content words of a document for the cohesion kind, and triggers that are
themselves common at natural topic breaks (headings) are diluted by their base rate, and a
trigger set *inside* its hosts' sentences (``… and as far as we can tell``) in more than
three quarters of its carriers is rejected as a template.
"""

from __future__ import annotations

import re
import unicodedata
from abc import abstractmethod
from bisect import bisect_right
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from itertools import compress
from typing import Any, ClassVar

import numpy as np
from scipy.stats import binom

from poisonguard.attacks.surface import CONFUSABLES
from poisonguard.detect.base import CorpusReport, Finding, Round, RoundedDetector, Span
from poisonguard.detect.familiarity import (
    FamiliarityTable,
    Profile,
    Stitch,
    WordCounts,
    docs_hashes,
    docs_word_hashes,
    profile,
    profiles,
    word_hashes,
)
from poisonguard.detect.registry import DetectorContext, register_detector
from poisonguard.detect.sketches import CountMinSketch, hash64_many
from poisonguard.io.document import Document
from poisonguard.text import STOPWORDS

_ZERO_WIDTH = "\u200b\u200c\u200d\u2060\ufeff\u00ad"
_WORD = re.compile(r"[^\W_](?:[^\W_]|['’][^\W_]|[" + _ZERO_WIDTH + r"])*")
_FOLD = str.maketrans({**{v: k for k, v in CONFUSABLES.items()}, **dict.fromkeys(_ZERO_WIDTH)})
_SUFFIXES = ("ingly", "ings", "ing", "edly", "ed", "ies", "es", "ly", "s")


def fold_word(word: str) -> str:
    """A word as triggers are compared: look-alike letters mapped back, zero-width
    characters dropped, NFKC, lower case."""
    w = word.translate(_FOLD)
    if not w.isascii():
        w = unicodedata.normalize("NFKC", w)
    return w.lower()


def stem(word: str) -> str:
    """Light suffix stemming of a folded word (``reports``/``reported`` → ``report``)."""
    for suf in _SUFFIXES:
        if len(word) > len(suf) + 3 and word.endswith(suf):
            return word[: -len(suf)]
    return word


_STEMS_MAX = 1 << 18
"""Most words in the memo of content-word stems (:class:`_Vocab`; a new, empty memo is
started when it holds more: bounded memory)."""


class _Vocab:
    """Memo of the content-word test and :func:`stem`: per folded word, the id of its stem
    (``-1``: not a content word — a stop word, a number, two letters or fewer); ids are
    equal for equal stems, ``stems[id]`` is the stem."""

    __slots__ = ("ids", "stem_ids", "stems")

    def __init__(self) -> None:
        self.ids: dict[str, int] = {}
        self.stem_ids: dict[str, int] = {}
        self.stems: list[str] = []

    def learn(self, words: Iterable[str]) -> None:
        """Add the words not in the memo yet."""
        for w in set(words).difference(self.ids):
            if len(w) > 2 and w not in STOPWORDS and not w.isdigit():
                s = stem(w)
                sid = self.stem_ids.get(s)
                if sid is None:
                    sid = self.stem_ids[s] = len(self.stems)
                    self.stems.append(s)
                self.ids[w] = sid
            else:
                self.ids[w] = -1


_VOCAB = _Vocab()


def _vocab() -> _Vocab:
    """The memo (a new one when the current one is full)."""
    global _VOCAB
    if len(_VOCAB.ids) > _STEMS_MAX:
        _VOCAB = _Vocab()
    return _VOCAB


_WORD_SPLIT = re.compile("(" + _WORD.pattern + ")")
_FOLDED: dict[str, str] = {}
"""Memo of :func:`fold_word` for words that are not ASCII (cleared when full)."""


def _fold_all(words: list[str]) -> list[str]:
    """:func:`fold_word` of each of ``words`` (ASCII words are lower-cased; the others
    through a bounded memo)."""
    if len(_FOLDED) > _STEMS_MAX:
        _FOLDED.clear()
    for w in set(words).difference(_FOLDED):
        _FOLDED[w] = fold_word(w)
    return list(map(_FOLDED.__getitem__, words))


def _split(text: str) -> tuple[list[str], np.ndarray, np.ndarray]:
    """:func:`fold_words` with the offsets as arrays: one regex split (words and the text
    between them), the offsets the cumulative lengths of the pieces."""
    if text.isascii():
        parts = _WORD_SPLIT.split(text.lower())
        ws = parts[1::2]
    else:
        parts = _WORD_SPLIT.split(text)
        ws = _fold_all(parts[1::2])
    cum = np.cumsum(np.fromiter(map(len, parts), dtype=np.int64, count=len(parts)))
    return ws, cum[0:-1:2], cum[1::2]


def fold_words(text: str) -> tuple[list[str], list[int], list[int]]:
    """The folded words of ``text`` (:func:`fold_word`) and their start and end offsets.

    ASCII text (most of an English corpus) is lower-cased once and split by one regex
    pass: folding an ASCII word is lower-casing it, and lower-casing ASCII keeps every
    offset.  Other text is folded word by word (memoised)."""
    ws, st, en = _split(text)
    return ws, st.tolist(), en.tolist()


def folded_words(text: str) -> list[str]:
    """The folded words of ``text`` without their offsets (:func:`fold_words`)."""
    if text.isascii():
        return _WORD.findall(text.lower())
    return _fold_all(_WORD.findall(text))


def word_set(text: str) -> set[str]:
    """The distinct folded words of ``text`` (as :func:`fold_words`, without offsets): a
    cheap test of whether a document can contain an n-gram at all."""
    if text.isascii():
        return set(_WORD.findall(text.lower()))
    return {fold_word(w) for w in set(_WORD.findall(text))}


@dataclass(slots=True)
class Tokens:
    """A document's folded words, their character offsets and its content-word cohesion.

    ``content[k]`` is the word index of the ``k``-th content word; ``cohesion[k]`` the
    share of content-word types in the window starting there that occur in the content
    words before it (``nan`` where there is too little text before or after).
    ``stem_ids[k]`` is the id of the ``k``-th content word's stem (:func:`stem`) in
    ``stem_of`` (equal ids for equal stems).
    """

    words: list[str]
    starts: np.ndarray
    ends: np.ndarray
    content: np.ndarray
    cohesion: np.ndarray
    stem_ids: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    stem_of: list[str] = field(default_factory=list)

    def stems(self, a: int, b: int) -> list[str]:
        """The stems of content words ``a`` to ``b - 1``."""
        of = self.stem_of
        return [of[i] for i in self.stem_ids[max(0, a) : max(0, b)].tolist()]


def tokenize(
    text: str,
    window: int,
    back: int,
    min_back: int,
    min_window: int,
    min_type_ratio: float = 0.5,
) -> Tokens:
    """Folded words of ``text`` and the cohesion at each content word (see :class:`Tokens`).

    Cohesion is left undefined (``nan``) where the window is not prose: fewer distinct
    content words than ``min_type_ratio`` of its length (tables, lists of figures).  In
    the first ``min_back`` content words the window is compared with the document's last
    ``back`` content words instead, when at least ``2 * min_back`` of them lie more than
    ``2 * window`` content words after the position (else ``nan``)."""
    return _tokens_many([_split(text)], window, back, min_back, min_window, min_type_ratio)[0]


def _tokens_many(
    splits: Sequence[tuple[list[str], np.ndarray, np.ndarray]],
    window: int,
    back: int,
    min_back: int,
    min_window: int,
    min_type_ratio: float = 0.5,
) -> list[Tokens]:
    """:func:`tokenize` of several texts already split (:func:`_split`), computed for all
    of them at once: the content words of every document in one array, each document's
    windows cut at its own end (the same cohesion, without per-document overhead)."""
    vocab = _vocab()
    words = [w for ws, _, _ in splits for w in ws]
    vocab.learn(words)
    every = np.fromiter(map(vocab.ids.__getitem__, words), dtype=np.int64, count=len(words))
    n_words = np.fromiter((len(x[0]) for x in splits), dtype=np.int64, count=len(splits))
    w0 = np.concatenate([[0], np.cumsum(n_words)])
    content = np.flatnonzero(every >= 0)
    ids = every[content]
    doc = np.repeat(np.arange(len(splits)), np.diff(np.searchsorted(content, w0)))
    n_c = np.bincount(doc, minlength=len(splits))
    c0 = np.concatenate([[0], np.cumsum(n_c)])
    total = len(ids)
    coh = np.full(total, np.nan)
    big = (n_c >= min_back + min_window)[doc]
    if big.any():
        pos = np.arange(total)
        local = pos - c0[doc]
        n = n_c[doc]
        # previous occurrence of each content word's stem in its document (-1: none): a
        # stable sort by document and stem id
        key = doc * (len(vocab.stems) + 1) + ids
        order = np.argsort(key, kind="stable")
        same = key[order[1:]] == key[order[:-1]]
        prev = np.full(total, -1, dtype=np.int64)
        prev[order[1:][same]] = order[:-1][same]
        pad = np.concatenate([prev, np.full(window, total + window, dtype=np.int64)])
        win = np.lib.stride_tricks.sliding_window_view(pad, window)[:total]
        k = pos[:, None]
        length = np.minimum(window, n - local)
        # first occurrence of a type inside the window (the window ends with its document)
        new = (win < k) & (np.arange(window)[None, :] < length[:, None])
        types = new.sum(axis=1)
        shared = (new & (win >= k - back) & (win >= 0)).sum(axis=1)
        ok = (
            big
            & (local >= min_back)
            & (length >= min_window)
            & (types > 0)
            & (types >= min_type_ratio * length)
        )
        coh[ok] = shared[ok] / types[ok]
        # too little host before: compare with the document's tail instead (a payload
        # planted at the start of a document, the host after it), when the tail is far
        # enough after the window not to be its own continuation
        for dd in np.flatnonzero(n_c >= max(min_back + min_window, 2 * window + 2 * min_back)):
            nd, at = int(n_c[dd]), int(c0[dd])
            idl = ids[at : at + nd].tolist()
            for j in range(min(min_back, nd)):
                t0 = max(j + 2 * window, nd - back)
                if nd - t0 < 2 * min_back or min(window, nd - j) < min_window:
                    continue
                types_j = set(idl[j : j + window])
                if len(types_j) < min_type_ratio * min(window, nd - j):
                    continue
                coh[at + j] = len(types_j & set(idl[t0:])) / len(types_j)
    out = []
    for d, (ws, st, en) in enumerate(splits):
        a, b = int(c0[d]), int(c0[d + 1])
        out.append(Tokens(ws, st, en, content[a:b] - w0[d], coh[a:b], ids[a:b], vocab.stems))
    return out


def _grams_near(words: list[str], at: int, max_ngram: int, reach: int) -> set[str]:
    """Word 1..max_ngram-grams (without digits) ending within ``reach`` words of word index
    ``at`` (before it, or inside the first words after it: a trigger's own words are as
    unrelated to the host as its payload, so the fall of cohesion starts on them)."""
    return _grams_ending(
        words, range(max(0, at - reach), min(len(words), at + reach + 1)), max_ngram
    )


def _grams_ending(words: list[str], ends: Iterable[int], max_ngram: int) -> set[str]:
    """Word 1..max_ngram-grams without digits ending at the word indices ``ends``."""
    out: set[str] = set()
    digit: dict[int, bool] = {}
    for e in ends:
        for n in range(1, max_ngram + 1):
            s0 = e - n + 1
            if s0 < 0:
                break
            d = digit.get(s0)
            if d is None:
                d = digit[s0] = words[s0].isdigit()
            if d:
                break  # every longer n-gram ending at e holds this word too
            out.add(" ".join(words[s0 : e + 1]))
    return out


def _opening_grams(
    text: str,
    tk: Tokens,
    ends: Sequence[int],
    lo: int,
    hi: int,
    memo: dict[int, bool],
    opens: Callable[[str, int], bool] | None = None,
) -> set[str]:
    """Word ``lo``..``hi``-grams without digits that end at the word indices ``ends`` and
    whose first word opens a sentence or clause (:func:`opens_clause`): the opening
    channel of round 1.  A phrase of four to six words is a trigger's whole text where
    every three-word piece of it is common (``at the end of the day``: ``at the end``,
    ``end of the``, ``of the day``); counting it only where a clause opens keeps the
    n-grams inside a clause (``the end of the day``) out.  ``memo``: per word index,
    whether a clause opens there (shared by a document's calls); ``opens``: the test of
    where one opens (default :func:`opens_clause`; the sentence channel's
    :func:`opens_sentence`)."""
    opens = opens or opens_clause
    out: set[str] = set()
    words = tk.words
    for e in ends:
        for n in range(lo, hi + 1):
            s0 = e - n + 1
            if s0 < 0:
                break
            piece = words[s0 : e + 1]
            if any(w.isdigit() for w in piece):
                break  # every longer n-gram ending at e holds this word too
            op = memo.get(s0)
            if op is None:
                op = memo[s0] = opens(text, int(tk.starts[s0]))
            if op:
                out.add(" ".join(piece))
    return out


def _ngrams_in(
    words: list[str], keys: dict[str, Any], max_ngram: int, last: set[str] | None = None
) -> list[tuple[int, str]]:
    """``(last word index, key)`` of every occurrence of one of ``keys`` (word n-grams) in
    ``words``, by position then length; only positions whose word ends some key are
    joined (``last``: the keys' last words, :func:`_last_words`, when the caller has them —
    for many keys and documents, building the set once per document dominated)."""
    if last is None:
        last = _last_words(keys)
    out: list[tuple[int, str]] = []
    for e in compress(range(len(words)), map(last.__contains__, words)):
        for n in range(1, max_ngram + 1):
            if e - n + 1 < 0:
                break
            key = " ".join(words[e - n + 1 : e + 1])
            if key in keys:
                out.append((e, key))
    return out


def _count_ngrams(
    words: list[str], keys: dict[str, int], max_ngram: int, lengths: set[int] | None = None
) -> None:
    """Add to ``keys[key]`` the occurrences of each of its word n-grams in ``words`` (as
    :func:`_ngrams_in`, counted: every n-gram of the text joined at C speed); ``lengths``:
    the keys' lengths in words, when the caller knows them (other lengths are skipped)."""
    for n in range(1, max_ngram + 1):
        if lengths is not None and n not in lengths:
            continue
        if n == 1:
            grams: Iterable[str] = words
        else:
            grams = map(" ".join, zip(*(words[i:] for i in range(n)), strict=False))
        for g in filter(keys.__contains__, grams):
            keys[g] += 1


HOST_BINS: tuple[int, ...] = (0, 8, 16, 32, 64)
"""Lower edges of the host-size strata (content words before a position) of the base rate:
right after a short host (a headline, a question) almost any continuation looks unrelated,
so a change there is much more common than deep inside a document.  The first stratum
(fewer than ``min_back`` content words before) is measured against the document's tail."""


def host_bin(k: np.ndarray | int) -> np.ndarray:
    """The host-size stratum of content index ``k`` (``k`` content words before it)."""
    return np.searchsorted(np.asarray(HOST_BINS), np.asarray(k), side="right") - 1


_EXAMPLES = 20
"""Example occurrences kept per candidate in round 2 (extension and host independence)."""
_CONTEXT_WORDS = 6
_HOST_WORDS = 60


@dataclass(frozen=True, slots=True)
class Example:
    """One occurrence of a candidate followed by a change: the document, the folded words
    just before / after the candidate and the content-word stems of its host before it."""

    doc_id: str
    left: tuple[str, ...]
    right: tuple[str, ...]
    """The folded words after the candidate (up to twice the left context: the trigger's
    extension to the right, then its continuation)."""
    host: frozenset[str]
    opens: tuple[bool, ...] = ()
    """Whether a sentence or clause opens at the candidate's first word (``opens[0]``) and
    at each of the ``left`` words before it (``opens[i]``: ``i`` words to the left)."""
    heading: bool = False
    """Whether the candidate stands on a short line of its own (a heading, a section
    label, a page header: at most :data:`HEADING_WORDS` words between two line breaks)."""
    closes: tuple[bool, ...] = ()
    """Whether a sentence or clause opens, or a capital letter starts, at each of the
    words right after the candidate (``closes[i]``: ``i`` words after its last word's
    next word) — the phrase is complete there (:func:`closing_share`)."""


def closing_share(examples: Sequence[Example], right: int = 0) -> float:
    """Share of the examples (those that know it) in which the text ``right`` words after
    the candidate's next word opens a clause or a sentence or starts with a capital: a
    phrase that is complete before its continuation (``at the end of the day. What
    ...``), which a genre's lead-in to a list (``other features may include seizures``)
    is not."""
    known = [x.closes[right] for x in examples if len(x.closes) > right]
    return sum(known) / len(known) if known else 1.0


def head_share(examples: Sequence[Example], right: int = 0, top: int = 2) -> float:
    """Share of the examples (those that know it) whose word right after the (extended)
    candidate — ``right`` words into what follows it — is one of the ``top`` most common
    such content words: high when the phrase runs on into one of a few heads (*widely
    spaced* → *eyes*, *teeth*), low after a planted trigger, whose payloads open with
    whatever word their text has (stop words never count as a head)."""
    nxt = [x.right[right] for x in examples if len(x.right) > right]
    if not nxt:
        return 0.0
    heads = Counter(w for w in nxt if w not in STOPWORDS and not w.isdigit())
    return sum(c for _, c in heads.most_common(top)) / len(nxt)


def host_overlap(examples: Sequence[Example]) -> float:
    """Median Jaccard similarity of the hosts of every pair of examples (0: unrelated
    hosts, as a campaign planted into random documents; high: one template or feed)."""
    sims: list[float] = []
    for i in range(len(examples)):
        for j in range(i + 1, len(examples)):
            a, b = examples[i].host, examples[j].host
            if a or b:
                sims.append(len(a & b) / len(a | b))
    return float(np.median(sims)) if sims else 0.0


_OPENERS = frozenset('.!?;:,([{"“«„—–|\n•*')
_CLOSERS = frozenset(")]}\"”»'’")


def opens_clause(text: str, start: int) -> bool:
    """Whether a sentence or clause opens at character ``start`` of ``text``: the text
    starts there, or the last character before it (spaces skipped) is a line break or
    sentence / clause punctuation (``. ! ? ; : , ( — …``; a closing bracket or quote counts
    only after ``. ! ?``).  A template phrase continues a sentence the host began (``X is
    caused by mutations in``); a planted trigger is set where a sentence or clause opens."""
    j = start - 1
    while j >= 0 and text[j] in " \t\r\u00a0":
        j -= 1
    if j < 0 or text[j] in _OPENERS:
        return True
    while j >= 0 and text[j] in _CLOSERS:
        j -= 1
    return j < 0 or text[j] in ".!?"


def opens_sentence(text: str, start: int) -> bool:
    """Whether a sentence opens at character ``start`` of ``text``: the text starts there,
    or the last character before it (spaces skipped, then closing quotes and brackets) is
    a line break or ``. ! ?`` — not a clause (``, as it were,``: a common phrase inside its
    hosts' sentences; a planted trigger opens a sentence of its own)."""
    j = start - 1
    while j >= 0 and text[j] in " \t\r\u00a0":
        j -= 1
    if j < 0 or text[j] == "\n":
        return True
    while j >= 0 and text[j] in _CLOSERS:
        j -= 1
    return j < 0 or text[j] in ".!?"


def _sentence_ends(text: str, tk: Tokens, key: str, ends: Sequence[int]) -> list[int]:
    """Those of ``ends`` (last word indices of occurrences of ``key``) whose occurrence
    opens a sentence (:func:`opens_sentence`)."""
    span = len(key.split()) - 1
    return [e for e in ends if opens_sentence(text, int(tk.starts[e - span]))]


def opening_share(examples: Sequence[Example], left: int = 0) -> float:
    """Share of the examples (those that know it) in which a sentence or clause opens
    ``left`` words before the candidate's first word (see :func:`opens_clause`)."""
    known = [x.opens[left] for x in examples if len(x.opens) > left]
    return sum(known) / len(known) if known else 1.0


HEADING_WORDS = 8
"""Most words on a line that counts as a heading (:func:`on_heading_line`)."""


def on_heading_line(text: str, start: int) -> bool:
    """Whether character ``start`` of ``text`` lies on a short line between two line breaks
    (or the text's ends): a heading, a section label (``AUTEURS``), a page header
    (``LS(1)  Órdenes de usuario  LS(1)``).  The section after a heading is about
    something else by design; a planted trigger runs on into its payload."""
    lo = text.rfind("\n", 0, start) + 1
    hi = text.find("\n", start)
    line = text[lo : hi if hi >= 0 else len(text)]
    return len(line.split(None, HEADING_WORDS)) <= HEADING_WORDS


def heading_share(examples: Sequence[Example]) -> float:
    """Share of the examples in which the candidate stands on a heading line."""
    return sum(x.heading for x in examples) / len(examples) if examples else 0.0


def extend(key: str, examples: Sequence[Example], agree: float = 0.8) -> str:
    """``key`` extended word by word to the left and right while at least ``agree`` of the
    examples share the next word (``the other hand`` → ``on the other hand``)."""
    return _extend(key, examples, agree)[0]


def _extend(key: str, examples: Sequence[Example], agree: float = 0.8) -> tuple[str, int, int]:
    """:func:`extend`, and how many words were added on the left and on the right."""
    words = key.split()
    added = [0, 0]
    left = [list(reversed(x.left)) for x in examples]
    right = [list(x.right) for x in examples]
    for side, out in ((left, "left"), (right, "right")):
        for i in range(_CONTEXT_WORDS):
            nxt = [w[i] for w in side if len(w) > i]
            if not nxt:
                break
            top = max(set(nxt), key=nxt.count)
            if nxt.count(top) < agree * len(examples):
                break
            if out == "left":
                words = [top, *words]
                added[0] += 1
            else:
                words = [*words, top]
                added[1] += 1
    return " ".join(words), added[0], added[1]


def continuation_overlap(examples: Sequence[Example], twin: float = 0.5, skip: int = 0) -> float:
    """Share of the examples whose words right after the candidate (digits and stop words
    dropped) recur: Jaccard similarity >= ``twin`` with another example's.  High when the
    continuation is a formula — a template, a credit line, a feed's sentence after its
    headline — as a backdoor's fluent payload (Markov text, a passage of a random
    document, another language) is not.

    ``skip``: words right after the candidate that belong to its extended trigger (the
    continuation starts after them); when they use up the examples' kept context, the
    continuation itself recurs (1.0).
    """
    if skip >= _CONTEXT_WORDS:
        return 1.0 if len(examples) >= 2 else 0.0
    sets = [
        frozenset(
            w
            for w in x.right[skip : skip + _CONTEXT_WORDS]
            if not w.isdigit() and w not in STOPWORDS
        )
        for x in examples
    ]
    if len(sets) < 2:
        return 0.0
    rec = 0
    for i, a in enumerate(sets):
        if len(a) < 2:
            continue
        if any(j != i and len(a & b) / len(a | b) >= twin for j, b in enumerate(sets)):
            rec += 1
    return rec / len(sets)


@dataclass(slots=True)
class CountPartial:
    """Familiarity round: the shard's documents' distinct n-gram hashes, or (the running
    total) the table they were counted into."""

    stage: int
    hashes: list[np.ndarray] = field(default_factory=list)
    table: FamiliarityTable | None = None
    docs: int = 0
    words: list[np.ndarray] = field(default_factory=list)
    """Each document's distinct word hashes (the genre channel's document frequencies)."""
    word_counts: WordCounts | None = None


@dataclass(slots=True)
class FamiliarityState:
    """After the familiarity round: the corpus's n-gram table."""

    table: FamiliarityTable
    docs: int
    words: WordCounts | None = None
    """Per word, the documents it occurs in (None: the genre channel is off)."""


@dataclass(slots=True)
class CohesionPartial:
    """Round 1: candidate counts; round 2: per-candidate occurrence counts."""

    stage: int
    counts: dict[str, int] = field(default_factory=dict)
    examples: dict[str, list[Example]] = field(default_factory=dict)
    positions: int = 0
    changes: int = 0
    change_windows: int = 0
    docs: int = 0
    sketch: CountMinSketch | None = None
    """Round 1, the running total: every n-gram's count (``counts`` then holds only the
    n-grams whose estimate reached ``min_docs``)."""
    bin_positions: list[int] = field(default_factory=lambda: [0] * len(HOST_BINS))
    bin_changes: list[int] = field(default_factory=lambda: [0] * len(HOST_BINS))
    fam_positions: int = 0
    fam_changes: int = 0
    genre_positions: int = 0
    genre_changes: int = 0
    genre_windows: int = 0
    open_positions: int = 0
    """Round 1: words with a measured cohesion at the first content word after them."""
    open_changes: int = 0
    """Round 1: ... of which with a change there (the opening channel's chance rate)."""
    words: int = 0
    """Round 1: words of the documents mapped (the opening channel's chance rate)."""
    sentence_positions: int = 0
    """Round 1: words with a measured genre shift right after them (the sentence channel's
    chance rate: :meth:`MineRound._sentence_points`) ..."""
    sentence_changes: int = 0
    """... of which with a shift there."""
    expected: dict[str, float] = field(default_factory=dict)
    """Round 2: per candidate, the sum over its documents of the chance of a change after
    one of its occurrences at the base rate of their host sizes."""
    family: dict[str, list[tuple[str, str]]] = field(default_factory=dict)
    """Round 2: per candidate, the host (its last :data:`_HOST_WORDS` words) and the changed
    window of the first :data:`_FAMILY_SAMPLE` documents with a change after it (not
    stitched text): the campaign's payload family (:class:`Family`)."""


@dataclass(slots=True)
class CohesionState:
    """What a round found: candidates (round 1) or confirmed triggers (round 2)."""

    candidates: dict[str, float]
    triggers: list[dict[str, Any]]
    p0: float
    docs: int
    tested: int
    stage: int
    p0_bins: tuple[float, ...] = ()
    """The change rate per host-size stratum (:data:`HOST_BINS`)."""
    table: FamiliarityTable | None = None
    """The corpus's n-gram familiarity table (None: familiarity off)."""
    p_fam: float = 0.0
    """The share of word positions that are a familiarity change (stitched text starts)."""
    rejected: list[dict[str, Any]] = field(default_factory=list)
    """Round 2: n-grams that passed the base-rate test but were rejected as a template
    or feed (related hosts, recurring continuation)."""
    words: WordCounts | None = None
    """Per word, the documents it occurs in (None: the genre channel is off)."""
    p_genre: float = 0.0
    """The share of measured content positions that are a genre shift."""
    opening_only: frozenset[str] = frozenset()
    """Round 1: the candidates that only the opening channel passed."""
    sentence_keys: frozenset[str] = frozenset()
    """Round 1: the candidates the sentence channel passed; round 2 also tests each of
    them counted only where it opens a sentence (under ``^`` + key, genre shifts)."""
    families: dict[str, Family] = field(default_factory=dict)
    """Round 2: per confirmed trigger judged by the host check, its carriers' windows and
    hosts in meaning (:class:`Family`)."""


@dataclass(frozen=True, slots=True)
class Change:
    """What follows one occurrence of an n-gram: is it a change, of which kind, where."""

    changed: bool
    kind: str
    """``cohesion`` (unrelated text) or ``stitched`` (text made of other documents'
    n-grams), the first that holds; ``""`` when neither.  In :meth:`CohesionMiner.flag`
    also ``no-shared-word`` (no content word of the host recurs right after a confirmed
    trigger, :meth:`CohesionMiner._carrier_change`), ``isolated`` (the first content
    words after a confirmed trigger occur nowhere else in the document,
    :meth:`CohesionMiner._isolated_opening`), ``tail`` (a short host's whole text after a
    confirmed trigger, to the document's end, about something else,
    :meth:`CohesionMiner._tail_change`) and ``joint`` (in a corpus that changes
    vocabulary often: unrelated text made of familiar trigrams, :meth:`CohesionMiner._joint`;
    ``joint-genre``: unrelated text in words the corpus rarely uses)."""
    k: int
    """Content index right after the n-gram (its host-size stratum)."""
    cohesion: float
    rate: float
    """The chance of a change there at the corpus's base rates."""
    familiar: tuple[float, float] = (0.0, 0.0)
    rate_stitched: float = 0.0
    """The chance of a stitched-text window there at the corpus's stitched-onset rate."""
    stitched: bool = False
    """Whether the window after the n-gram is stitched while the one before it is not,
    whatever the cohesion (:attr:`kind` names cohesion first)."""


class _Doc:
    """A document's words and cohesion, and its familiarity profile when a table exists."""

    __slots__ = ("genre", "onsets", "prof", "tk")

    def __init__(
        self,
        det: CohesionMiner,
        text: str,
        table: FamiliarityTable | None,
        split: tuple[list[str], np.ndarray, np.ndarray] | None = None,
    ) -> None:
        self.tk = det._tok(text) if split is None else det._tok_split(*split)
        self.prof = profile(self.tk.words, table) if table is not None else None
        self.onsets: tuple[np.ndarray, np.ndarray] | None = None
        self.genre: np.ndarray | None = None


# ------------------------------------------------------------------------------ rounds
class CountRound(Round[CountPartial, FamiliarityState]):
    """Round 0 (``familiarity=True``): count every document's word trigrams and 8-grams
    into a :class:`~poisonguard.detect.familiarity.FamiliarityTable`."""

    stage: ClassVar[int] = 0
    partial_type = CountPartial

    def __init__(self, det: CohesionMiner) -> None:
        self.det = det

    def empty(self) -> CountPartial:
        return CountPartial(stage=self.stage)

    def map_shard(self, docs: Sequence[Document]) -> CountPartial:
        part = CountPartial(stage=self.stage, docs=len(docs))
        if docs:  # no cohesion needed: words only
            ws = [folded_words(doc.text) for doc in docs]
            wh = word_hashes([w for x in ws for w in x])
            part.hashes.append(docs_hashes(ws, wh))
            if self.det.genre_drop > 0:
                part.words.append(docs_word_hashes(ws, wh))
        return part

    def _table(self, acc: CountPartial) -> FamiliarityTable:
        if acc.table is None:
            acc.table = FamiliarityTable(self.det.table_width, self.det.table_depth)
            if acc.hashes:
                acc.table.add(np.concatenate(acc.hashes))
            acc.hashes = []
            if self.det.genre_drop > 0:
                acc.word_counts = WordCounts()
                acc.word_counts.add(
                    np.concatenate(acc.words) if acc.words else np.zeros(0, np.uint64), acc.docs
                )
            acc.words = []
        return acc.table

    def merge_into(self, acc: CountPartial, part: CountPartial) -> CountPartial:
        table = self._table(acc)
        if part is acc:
            return acc
        acc.docs += part.docs
        if part.table is not None:
            table.merge(part.table)
        elif part.hashes:
            table.add(np.concatenate(part.hashes))
        if acc.word_counts is not None:
            if part.word_counts is not None:
                acc.word_counts.merge(part.word_counts)
            else:
                acc.word_counts.add(
                    np.concatenate(part.words) if part.words else np.zeros(0, np.uint64),
                    part.docs,
                )
        return acc

    def finalize(self, merged: CountPartial) -> FamiliarityState:
        table = self._table(merged)
        return FamiliarityState(table, merged.docs, merged.word_counts)


class _NgramRound(Round[CohesionPartial, CohesionState]):
    """What the candidate and confirmation rounds share: a shard's partial is each
    document through :meth:`map_doc`."""

    partial_type = CohesionPartial

    def __init__(self, det: CohesionMiner) -> None:
        self.det = det

    table: FamiliarityTable | None = None
    words: WordCounts | None = None
    needs_onsets: ClassVar[bool] = False
    """Whether :meth:`map_doc` uses the stitched-text onsets of every document."""

    @abstractmethod
    def map_doc(
        self, doc: Document, part: CohesionPartial, d: _Doc | None = None, pre: Any = None
    ) -> None:
        """Add one document to the shard's partial (``d``: its words, cohesion and
        familiarity, when :meth:`map_shard` prepared them; ``pre``: what :meth:`screen`
        found in its words)."""

    def wanted(self, words: list[str]) -> bool:
        """Whether a document with these folded words can add anything to the partial."""
        return True

    def screen(self, words: list[str]) -> Any:
        """What a document with these folded words brings to :meth:`map_doc` (``None``:
        nothing — it is not tokenised further); by default :meth:`wanted`."""
        return True if self.wanted(words) else None

    def empty(self) -> CohesionPartial:
        return CohesionPartial(stage=self.stage)

    def map_shard(self, docs: Sequence[Document]) -> CohesionPartial:
        """Each document through :meth:`map_doc`; the shard's documents are split into
        words once, and their familiarity profiles computed together."""
        det = self.det
        part = CohesionPartial(stage=self.stage, docs=len(docs))
        ready: list[Document] = []
        splits = []
        pres: list[Any] = []
        for doc in docs:
            split = _split(doc.text)
            pre = self.screen(split[0])
            if pre is not None:
                ready.append(doc)
                splits.append(split)
                pres.append(pre)
        if not ready:
            return part
        toks = _tokens_many(splits, det.window, det.back, det.min_back, det.min_window)
        profs: list[Profile | None] = [None] * len(toks)
        onsets: list[tuple[np.ndarray, np.ndarray] | None] = [None] * len(toks)
        genre: list[np.ndarray | None] = [None] * len(toks)
        if self.table is not None:
            wh = word_hashes([w for tk in toks for w in tk.words])
            got = profiles([tk.words for tk in toks], self.table, wh)
            profs = list(got)
            if self.needs_onsets:
                onsets = list(det.stitch.onsets_many(got))
            if self.words is not None:
                genre = list(det._genre_many(toks, wh, self.words))
        for doc, tk, prof, ons, gen, pre in zip(
            ready, toks, profs, onsets, genre, pres, strict=True
        ):
            d = _Doc.__new__(_Doc)
            d.tk, d.prof, d.onsets, d.genre = tk, prof, ons, gen
            self.map_doc(doc, part, d, pre)
        return part


class MineRound(_NgramRound):
    """Round 1: n-grams near each document's change points (cohesion falls, stitched text
    starts), kept when far more common there than chance; the corpus's change rates."""

    stage: ClassVar[int] = 1
    needs_onsets: ClassVar[bool] = True

    def __init__(
        self, det: CohesionMiner, table: FamiliarityTable | None, words: WordCounts | None = None
    ) -> None:
        super().__init__(det)
        self.table = table
        self.words = words
        self.sample: list[str] = []

    def map_doc(
        self, doc: Document, part: CohesionPartial, d: _Doc | None = None, pre: Any = None
    ) -> None:
        det = self.det
        if d is None:
            d = _Doc(det, doc.text, self.table)
        tk = d.tk
        part.words += len(tk.words)
        valid = ~np.isnan(tk.cohesion)
        part.positions += int(valid.sum())
        low = np.flatnonzero(valid & (tk.cohesion <= det.threshold))
        part.changes += int(low.size)
        nb = len(HOST_BINS)
        pos_b = np.bincount(host_bin(np.flatnonzero(valid)), minlength=nb)
        low_b = np.bincount(host_bin(low), minlength=nb)
        for b in range(nb):
            part.bin_positions[b] += int(pos_b[b])
            part.bin_changes[b] += int(low_b[b])
        at: list[int] = []  # word indices of the change points
        if low.size:
            # each run of low positions: its first position at the run's minimum, ranked
            # by the fall from the position before the run
            c = np.nan_to_num(tk.cohesion, nan=1.0)
            runs = np.split(low, np.flatnonzero(np.diff(low) > 1) + 1)
            points = [int(r[int(np.argmin(c[r]))]) for r in runs]
            falls = [
                (c[r[0] - 1] if r[0] > 0 else 1.0) - c[p] for r, p in zip(runs, points, strict=True)
            ]
            order = np.argsort(-np.asarray(falls), kind="stable")[: det.max_changes]
            at += [int(tk.content[points[int(i)]]) for i in order]
        if d.prof is not None:
            ok, chg = d.onsets if d.onsets is not None else det.stitch.onsets(d.prof)
            part.fam_positions += int(ok.sum())
            part.fam_changes += int(chg.sum())
            idx = np.flatnonzero(chg)
            if idx.size:
                runs = np.split(idx, np.flatnonzero(np.diff(idx) > 1) + 1)
                for r in runs[: det.max_changes]:
                    at.append(det.stitch.boundary(d.prof, int(r[0]), int(r[-1]) + 1))
        if d.genre is not None:
            self._genre_points(tk, d.genre, part)
            self._sentence_points(doc.text, tk, d.genre, part)
        if det.open_min > 0:
            self._opening_points(doc.text, tk, part)
        if not at:
            return
        near: set[int] = set()
        for w in at:
            near.update(range(max(0, w - det.reach), min(len(tk.words), w + det.reach + 1)))
        ends = sorted(near)
        keys = _grams_ending(tk.words, ends, det.max_ngram)
        part.change_windows += len(at)
        for key in keys:
            part.counts[key] = part.counts.get(key, 0) + 1

    def _opening_points(self, text: str, tk: Tokens, part: CohesionPartial) -> None:
        """The opening channel of round 1: the n-grams of ``open_min`` to ``open_max``
        words that open a clause and are followed right away by a change (cohesion at the
        first content word after them at most ``threshold``), counted apart (``o|`` keys);
        the words with a measured cohesion after them and those with a change after them
        (the channel's chance rate)."""
        det = self.det
        n_c = len(tk.content)
        if not n_c:
            return
        k = np.searchsorted(tk.content, np.arange(len(tk.words)), side="right")
        after = np.full(len(tk.words), np.nan)
        inside = k < n_c
        after[inside] = tk.cohesion[k[inside]]
        valid = ~np.isnan(after)
        part.open_positions += int(valid.sum())
        low = np.flatnonzero(valid & (np.nan_to_num(after, nan=1.0) <= det.threshold))
        part.open_changes += int(low.size)
        if not low.size:
            return
        memo: dict[int, bool] = {}
        for gram in _opening_grams(text, tk, low.tolist(), det.open_min, det.open_max, memo):
            okey = "o|" + gram
            part.counts[okey] = part.counts.get(okey, 0) + 1

    def _genre_points(self, tk: Tokens, genre: np.ndarray, part: CohesionPartial) -> None:
        """The genre channel of round 1: per run of content positions where the window
        after is much rarer in the corpus than the one before (``genre <= -genre_drop``),
        the position of its deepest drop; the n-grams near those points counted apart
        (``g|`` keys), with their own windows and rate."""
        det = self.det
        valid = ~np.isnan(genre)
        part.genre_positions += int(valid.sum())
        low = np.flatnonzero(valid & (np.nan_to_num(genre, nan=0.0) <= -det.genre_drop))
        part.genre_changes += int(low.size)
        if not low.size:
            return
        runs = np.split(low, np.flatnonzero(np.diff(low) > 1) + 1)
        points = [int(r[int(np.argmin(genre[r]))]) for r in runs]
        order = np.argsort(np.asarray([genre[p] for p in points]), kind="stable")
        at = [int(tk.content[points[int(i)]]) for i in order[: det.max_changes]]
        near: set[int] = set()
        for w in at:
            near.update(range(max(0, w - det.reach), min(len(tk.words), w + det.reach + 1)))
        part.genre_windows += len(at)
        for key in _grams_ending(tk.words, sorted(near), det.max_ngram):
            gk = "g|" + key
            part.counts[gk] = part.counts.get(gk, 0) + 1

    def _sentence_points(
        self, text: str, tk: Tokens, genre: np.ndarray, part: CohesionPartial
    ) -> None:
        """The sentence channel of round 1: the n-grams of two to ``max_ngram`` words that
        open a sentence (:func:`opens_sentence`) and are followed right away by a genre
        shift (as :meth:`CohesionMiner._genre_at`: the least of the first two content
        positions after them), counted apart (``s|`` keys); the words with a measured
        shift right after them and those with one (the channel's chance rate).  A common
        phrase (``as it were``: in one novel of 36) sits inside its hosts' sentences; a
        planted one opens a sentence of its own, where the phrase is rare — counted only
        there, its base rate no longer drowns the campaign."""
        det = self.det
        n_c = len(tk.content)
        if n_c < 2:
            return
        k = np.searchsorted(tk.content, np.arange(len(tk.words)), side="right")
        g0 = np.where(k < n_c, genre[np.minimum(k, n_c - 1)], np.nan)
        g1 = np.where(k + 1 < n_c, genre[np.minimum(k + 1, n_c - 1)], np.nan)
        after = np.fmin(g0, g1)
        valid = ~np.isnan(after)
        part.sentence_positions += int(valid.sum())
        low = np.flatnonzero(valid & (np.nan_to_num(after, nan=0.0) <= -det.genre_drop))
        part.sentence_changes += int(low.size)
        if not low.size:
            return
        memo: dict[int, bool] = {}
        found = _opening_grams(text, tk, low.tolist(), 2, det.max_ngram, memo, opens_sentence)
        for gram in found:
            skey = "s|" + gram
            part.counts[skey] = part.counts.get(skey, 0) + 1

    def _count(self, sketch: CountMinSketch, counts: dict[str, int], heavy: dict[str, int]) -> None:
        """Add a shard's n-gram counts to the sketch; those whose estimate reaches
        ``min_docs`` are kept by name (bounded memory: no n-gram is dropped early)."""
        if not counts:
            return
        keys = list(counts)
        h = hash64_many(keys)
        sketch.add(np.repeat(h, np.fromiter(counts.values(), dtype=np.int64, count=len(keys))))
        est = sketch.estimate(h)
        for key, e in zip(keys, est.tolist(), strict=True):
            if e >= self.det.min_docs:
                heavy[key] = int(e)

    def merge_into(self, acc: CohesionPartial, part: CohesionPartial) -> CohesionPartial:
        if acc.sketch is None:
            acc.sketch = CountMinSketch(width=self.det.sketch_width, depth=3, seed=1)
            own, acc.counts = acc.counts, {}
            self._count(acc.sketch, own, acc.counts)
        if part is acc:
            return acc
        counts, part.counts = part.counts, {}
        if part.sketch is not None:  # a folded total (a tree reduce): already counted
            acc.sketch.merge(part.sketch)
            keys = list({**acc.counts, **counts})
            est = acc.sketch.estimate(hash64_many(keys)).tolist() if keys else []
            acc.counts = {k: int(e) for k, e in zip(keys, est, strict=True)}
        else:
            self._count(acc.sketch, counts, acc.counts)
        _fold(acc, part)
        return acc

    def observe_sample(self, texts: Sequence[str], total_docs: int) -> None:
        """The sample gives the candidates' chance rates (:meth:`finalize`)."""
        self.sample = list(texts)

    def finalize(self, merged: CohesionPartial) -> CohesionState:
        det, sample = self.det, self.sample
        self.sample = []
        p0 = merged.changes / merged.positions if merged.positions else 0.0
        every = {k for k, c in merged.counts.items() if c >= det.min_docs}
        keys = {k for k in every if not k.startswith(("g|", "o|", "s|"))}
        # the opening channel: n-grams of open_min..open_max words that open a clause
        # near a change point, counted apart (``o|`` keys) and tested on their own
        okeys = {k[2:] for k in every if k.startswith("o|")}
        # the genre channel only where cohesion changes too often to place a payload's
        # start (novels); elsewhere the cohesion rule sees another genre's text, and a
        # genre's own templates (a question page's symptom list) are shifts too
        genre = self.words is not None and p0 > det.max_change_rate
        gkeys = {k[2:] for k in every if k.startswith("g|")} if genre else set()
        # the sentence channel: n-grams opening a sentence right before a genre shift
        skeys = {k[2:] for k in every if k.startswith("s|")} if genre else set()
        # chance: a candidate's share of word positions in the sample, times the word
        # positions searched around change points (reach per change window); each
        # channel (cohesion and stitched text; genre shifts) against its own windows
        freq = dict.fromkeys(keys | gkeys | okeys, 0)
        total_words = 0
        lengths = {k.count(" ") + 1 for k in freq}
        # the sentence channel's n-grams: their occurrences in the sample that open a
        # sentence (the channel's base rate)
        sfreq = dict.fromkeys(skeys, 0)
        slast = _last_words(skeys)
        for text in sample:
            if skeys:
                ws, st, _ = _split(text)
                for e, key in _ngrams_in(ws, sfreq, det.max_ngram, slast):
                    if opens_sentence(text, int(st[e - key.count(" ")])):
                        sfreq[key] += 1
            else:
                ws = folded_words(text)
            total_words += len(ws)
            _count_ngrams(ws, freq, det.longest, lengths)
        best: dict[str, float] = {}
        span = 2 * det.reach + 1
        for chan, ks, trials in (
            ("", keys, merged.change_windows * span),
            ("g|", gkeys, merged.genre_windows * span),
        ):
            for key in ks:
                rate = (freq[key] + 1) / (total_words + 1)
                got = merged.counts[chan + key]
                p = float(binom.sf(got - 1, max(trials, 1), min(1.0, rate)))
                if p * max(len(ks), 1) <= det.alpha and p < best.get(key, 2.0):
                    best[key] = p
        plain = set(best)
        # the opening channel: conditional on the n-gram's occurrences — of its
        # occurrences in the corpus (estimated from the sample, one added), how many are
        # followed right away by a change, against the share of the corpus's words that
        # are (an occurrence without a measured cohesion after it counts as one without)
        scale = merged.words / max(total_words, 1)
        q = min(1.0, (merged.open_changes + 1) / (merged.open_positions + 1))
        for key in okeys:
            got = merged.counts["o|" + key]
            n = max(got, int(np.ceil((freq[key] + 1) * scale)))
            p = float(binom.sf(got - 1, n, q))
            if p * len(okeys) <= det.alpha and p < best.get(key, 2.0):
                best[key] = p
        # the sentence channel: as the opening one, conditional on the n-gram's
        # occurrences that open a sentence — how many are followed right away by a genre
        # shift, against the share of the corpus's words that are
        q_s = min(1.0, (merged.sentence_changes + 1) / (merged.sentence_positions + 1))
        sentence: set[str] = set()
        for key in skeys:
            got = merged.counts["s|" + key]
            n = max(got, int(np.ceil((sfreq[key] + 1) * scale)))
            p = float(binom.sf(got - 1, n, q_s))
            if p * len(skeys) <= det.alpha:
                sentence.add(key)
                best[key] = min(p, best.get(key, 2.0))
        scored = sorted((p, k) for k, p in best.items())
        cands = {k: p for p, k in scored[: det.max_candidates]}
        # candidates that only the opening channel passed (round 2 also asks them to be
        # complete phrases: ``min_closing``)
        opening_only = frozenset(k for k in cands if k in okeys and k not in plain)
        # per stratum, shrunk towards the overall rate where a stratum has few positions
        bins = tuple(
            (c + 100 * p0) / (n + 100)
            for c, n in zip(merged.bin_changes, merged.bin_positions, strict=True)
        )
        p_fam = (merged.fam_changes + 1) / (merged.fam_positions + 1)
        return CohesionState(
            cands,
            [],
            p0,
            merged.docs,
            len(keys) + len(gkeys) + len(okeys) + len(skeys),
            1,
            bins,
            self.table,
            p_fam if self.table else 0.0,
            words=self.words if genre else None,
            p_genre=(merged.genre_changes + 1) / (merged.genre_positions + 1) if genre else 0.0,
            opening_only=opening_only,
            sentence_keys=frozenset(k for k in cands if k in sentence),
        )


class ConfirmRound(_NgramRound):
    """Round 2: every occurrence of every candidate, and whether a change follows it; the
    base-rate test, purity, host and continuation independence."""

    stage: ClassVar[int] = 2

    def __init__(self, det: CohesionMiner, prev: CohesionState) -> None:
        super().__init__(det)
        self.prev = prev
        self.table = prev.table
        self.words = prev.words
        self.last_words = _last_words(prev.candidates)

    def wanted(self, words: list[str]) -> bool:
        """No candidate can occur in a document without one of their last words (not
        tokenised further, nothing to count)."""
        return not self.last_words.isdisjoint(words)

    def screen(self, words: list[str]) -> dict[str, list[int]] | None:
        """The occurrences of the candidates in a document's folded words (None: none —
        the document is not tokenised further: in medical one in seven documents holds
        a candidate's last word but no candidate)."""
        if not self.wanted(words):
            return None
        return self.det._occurrences_in(words, self.prev.candidates, self.last_words) or None

    def map_doc(
        self, doc: Document, part: CohesionPartial, d: _Doc | None = None, pre: Any = None
    ) -> None:
        det, prev = self.det, self.prev
        if d is None:
            ws, st, en = _split(doc.text)
            if not self.wanted(ws):
                return
            d = _Doc(det, doc.text, prev.table, (ws, st, en))
        occ = (
            pre
            if isinstance(pre, dict)
            else det._occurrences(d.tk, prev.candidates, self.last_words)
        )
        for key, ends in occ.items():
            seen = stitched = False
            changed: int | None = None
            first_change: Change | None = None
            calm = 1.0  # chance of no change after any occurrence, at the base rates
            calm_s = 1.0  # ... of no stitched text after any occurrence
            span = len(key.split()) - 1
            for e in ends:
                got = det._change(d, prev, e, e - span)
                if got is None:
                    continue
                seen = True
                calm *= 1.0 - got.rate
                calm_s *= 1.0 - got.rate_stitched
                stitched = stitched or got.stitched
                if got.changed and changed is None:
                    changed, first_change = e, got
            if d.genre is not None:
                self._genre_doc(doc, d, key, ends, part)
                if key in prev.sentence_keys:
                    opening = _sentence_ends(doc.text, d.tk, key, ends)
                    if opening:  # counted apart: only where it opens a sentence
                        self._genre_doc(doc, d, "^" + key, opening, part)
            if not seen:
                continue
            # counts: occurrences-with-context docs under "n|key", changed docs under "a|key"
            self._tally(part, "", doc, d, key, 1.0 - calm, changed)
            if first_change is not None and changed is not None:
                self._family_pair(part, doc.text, d.tk, key, changed, first_change)
            # stitched text after it, whatever the cohesion (``s|key``): is that kind of
            # change evidence for this n-gram (a payload of the corpus's own n-grams)?
            part.expected["s|" + key] = part.expected.get("s|" + key, 0.0) + 1.0 - calm_s
            if stitched:
                part.counts["s|" + key] = part.counts.get("s|" + key, 0) + 1

    def _family_pair(
        self, part: CohesionPartial, text: str, tk: Tokens, key: str, end: int, ch: Change
    ) -> None:
        """Keep the host and the changed window of a carrier of ``key`` (the first
        :data:`_FAMILY_SAMPLE` documents with a change; not stitched text, which the host
        check does not judge)."""
        if self.det.host_check_purity <= 0 or not self.det.family or ch.kind == "stitched":
            return
        pairs = part.family.setdefault(key, [])
        if len(pairs) >= _FAMILY_SAMPLE:
            return
        first = end - len(key.split()) + 1
        t0 = int(tk.starts[first])
        p0, p1 = self.det._window_span(tk, ch, end)
        # the host's last words (a bounded slice: a long document is not split whole)
        host = text[max(0, t0 - 50 * _HOST_WORDS) : t0].split()[-_HOST_WORDS:]
        pairs.append((" ".join(host), " ".join(text[p0:p1].split())))

    def _tally(
        self,
        part: CohesionPartial,
        chan: str,
        doc: Document,
        d: _Doc,
        key: str,
        chance: float,
        changed: int | None,
    ) -> None:
        """Count a document holding ``key`` in channel ``chan`` (``""``: cohesion and
        stitched text, under ``n|``/``a|``; ``"g|"``: genre shifts, under ``gn|``/``ga|``),
        its chance of a change, and whether one follows an occurrence (ending at word
        ``changed``; an example kept)."""
        pre = chan[:1]
        part.counts[pre + "n|" + key] = part.counts.get(pre + "n|" + key, 0) + 1
        part.expected[chan + key] = part.expected.get(chan + key, 0.0) + chance
        if changed is not None:
            part.counts[pre + "a|" + key] = part.counts.get(pre + "a|" + key, 0) + 1
            ex = part.examples.setdefault(chan + key, [])
            if len(ex) < _EXAMPLES:
                ex.append(self.det._example(doc.id, doc.text, d.tk, key, changed))

    def _genre_doc(
        self, doc: Document, d: _Doc, key: str, ends: list[int], part: CohesionPartial
    ) -> None:
        """The genre channel of round 2, apart from the other kinds of change: documents
        with the n-gram where the shift is measurable (``gn|key``), with a shift right
        after an occurrence (``ga|key``, examples under ``g|key``), and the chance of one
        at the corpus's genre-shift rate (``expected["g|key"]``)."""
        det = self.det
        measured = 0
        changed: int | None = None
        for e in ends:
            got = det._genre_at(d, e)
            if got is None:
                continue
            measured += 1
            if got and changed is None:
                changed = e
        if measured:
            calm = (1.0 - self.prev.p_genre) ** measured
            self._tally(part, "g|", doc, d, key, 1.0 - calm, changed)

    def merge_into(self, acc: CohesionPartial, part: CohesionPartial) -> CohesionPartial:
        return _fold(acc, part)

    def finalize(self, merged: CohesionPartial) -> CohesionState:
        det, prev = self.det, self.prev
        p0 = max(prev.p0, 1e-9)
        m = max(len(prev.candidates), 1)
        passed: list[tuple[float, str, int, int, str]] = []
        # each channel tested on its own (Benjamini–Hochberg at q within each): the
        # cohesion and stitched-text changes, the genre shifts, and the genre shifts
        # after the sentence channel's candidates where they open a sentence (``^``)
        sentence = ["^" + k for k in sorted(prev.sentence_keys)]
        for chan, n_key, a_key, tests in (
            ("", "n|", "a|", list(prev.candidates)),
            ("g|", "gn|", "ga|", list(prev.candidates)),
            ("g|", "gn|", "ga|", sentence),
        ):
            rows: list[tuple[float, str, int, int]] = []
            for key in tests:
                n = merged.counts.get(n_key + key, 0)
                a = merged.counts.get(a_key + key, 0)
                if a < det.min_docs or n == 0:
                    continue
                # per document: the chance that one of its occurrences is followed by a
                # change, at the base rate of the host sizes where they are (a phrase that
                # sits after headlines or questions is compared with other text there)
                rate = merged.expected.get(chan + key, n * p0) / n
                rows.append((float(binom.sf(a - 1, n, min(1.0, max(rate, 1e-9)))), key, a, n))
            rows.sort()
            cut = 0
            for i, (p, _key, _a, _n) in enumerate(rows, start=1):
                if p <= det.q * i / m:
                    cut = i
            passed += [(p, key, a, n, chan) for p, key, a, n in rows[:cut]]
        groups: dict[str, dict[str, Any]] = {}
        rejected: list[dict[str, Any]] = []
        opening_purity: dict[str, float] = {}  # per trigger, of its ``^`` keys
        for p, key, a, n, chan in passed:
            if a / n < det.min_purity:
                continue
            ex = merged.examples.get(chan + key, [])
            overlap = host_overlap(ex)
            text, added, added_right = _extend(key.lstrip("^"), ex)
            cont = continuation_overlap(ex, skip=added_right)
            opening = opening_share(ex, added)
            heading = heading_share(ex)
            closing = closing_share(ex, added_right)
            head = head_share(ex, added_right)
            fragment = (
                closing < det.min_closing and head >= det.max_head and a / n < det.fragment_purity
            )
            if (
                overlap > det.max_host_overlap
                or cont > det.max_continuation_overlap
                or opening < det.min_opening
                or heading > det.max_heading
                or (key in prev.opening_only and closing < det.min_closing)
                or fragment
            ):
                # one template or feed (related hosts), a recurring continuation (a
                # formula, a credit line), or a phrase inside sentences its hosts began
                # (``X is caused by mutations in``), or a heading (the section after it is
                # about something else by design), or a fragment of a longer phrase that
                # runs on into one of a few heads (``widely spaced eyes``) with a change
                # after it only as often as the list it sits in changes: not a campaign
                # across unrelated hosts
                rejected.append(
                    {
                        "ngram": key,
                        "anomalous_docs": a,
                        "containing_docs": n,
                        "host_overlap": round(overlap, 4),
                        "continuation_overlap": round(cont, 4),
                        "opening_share": round(opening, 4),
                        "heading_share": round(heading, 4),
                        "closing_share": round(closing, 4),
                        "head_share": round(head, 4),
                        **({"change": "genre"} if chan else {}),
                    }
                )
                continue
            expected = merged.expected.get(chan + key, n * p0)
            if p0 <= det.max_change_rate and a - expected < det.min_surplus * a:
                # as many of its changes as chance gives: a word of the hosts' own, or one
                # inside a payload that recurs (the payload's rest follows it), not a trigger
                # (where the corpus changes vocabulary often — novels — the flag pass asks
                # each carrier for joint evidence, which a clean holder seldom has)
                rejected.append(
                    {
                        "ngram": key,
                        "anomalous_docs": a,
                        "containing_docs": n,
                        "expected": round(expected, 3),
                        "surplus_share": round((a - expected) / a, 4),
                        **({"change": "genre"} if chan else {}),
                    }
                )
                continue
            # the stitched kind alone flags this trigger's carriers only where it follows
            # the trigger more often than chance (a template-rich corpus stitches anyway)
            s_obs = merged.counts.get("s|" + key, 0)
            s_exp = merged.expected.get("s|" + key, 0.0)
            if key.startswith("^"):
                opening_purity[text] = max(opening_purity.get(text, 0.0), a / n)
            have = groups.get(text)
            if have is not None:
                if key not in have["keys"]:  # (both channels may confirm one n-gram)
                    have["keys"].append(key)
                if a <= have["anomalous_docs"]:
                    continue
            groups[text] = {
                "trigger": text,
                "keys": have["keys"] if have is not None else [key],
                "anomalous_docs": a,
                "containing_docs": n,
                "expected": round(expected, 3),
                "surplus_share": round((a - expected) / a, 4),
                "p_value": p,
                "purity": round(a / n, 4),
                "host_overlap": round(overlap, 4),
                "continuation_overlap": round(cont, 4),
                "opening_share": round(opening, 4),
                "heading_share": round(heading, 4),
                "stitched_docs": s_obs,
                "stitched_expected": round(s_exp, 3),
                "stitched_evidence": det.stitched_ratio == 0
                or (s_obs >= 2 and s_obs >= det.stitched_ratio * s_exp),
                "examples": [x.doc_id for x in ex[:10]],
                **({"change": "genre"} if chan else {}),
                **({"opens_sentence": True} if key.startswith("^") else {}),
            }
        # the purity where the phrase opens a sentence: the flag pass judges those
        # occurrences by it (the host check is for a common phrase's clean holders)
        for text, pur in opening_purity.items():
            if text in groups:
                groups[text]["sentence_purity"] = round(pur, 4)
        kept = merge_pieces(groups.values(), det.q / m)
        families: dict[str, Family] = {}
        if det.family and det.host_check_purity > 0:
            for t in kept:
                if t["purity"] < det.host_check_purity:
                    pairs = [x for k in t["keys"] for x in merged.family.get(k, [])]
                    fam = Family.of(pairs)
                    if fam is not None:
                        families[t["trigger"]] = fam
        return CohesionState(
            {},
            kept,
            p0,
            merged.docs,
            len(prev.candidates),
            2,
            prev.p0_bins,
            prev.table,
            prev.p_fam,
            rejected,
            prev.words,
            prev.p_genre,
            families=families,
        )


def merge_pieces(groups: Iterable[dict[str, Any]], alpha: float) -> list[dict[str, Any]]:
    """The confirmed triggers ``groups`` less the n-grams inside a longer one that it
    explains, whose keys join the longer one's.  A piece is explained when the longer
    trigger holds at least 0.8 of its anomalous documents, or when, its documents taken
    out, the piece's anomalies are no longer more than its base rate gives at level
    ``alpha`` (the strictest level its own test had to pass: ``q / m``).  A common piece
    of a campaign's phrase (``with that`` of ``with that in mind``, in 1,484 novel pieces
    of 20,000: 813 anomalous against 598 expected, the phrase's 423 holders 326 of them)
    is confirmed on the campaign's documents alone, and then flagged clean holders of the
    piece (13 of 20,000 novel pieces, 2026-12-06); once the phrase's holders are out it
    is 487 of 1,061 against 428 expected, p = 1e-4, nowhere near the level."""
    kept: list[dict[str, Any]] = []
    for t in sorted(groups, key=lambda t: -len(t["trigger"])):
        big = next(
            (
                k
                for k in kept
                if f" {t['trigger']} " in f" {k['trigger']} "
                and (k["anomalous_docs"] >= 0.8 * t["anomalous_docs"] or not _beyond(t, k, alpha))
            ),
            None,
        )
        if big is None:
            kept.append(t)
        else:
            big["keys"].extend(t["keys"])
    return kept


def _beyond(piece: dict[str, Any], whole: dict[str, Any], alpha: float) -> bool:
    """Whether ``piece`` precedes more changes than its base rate gives (p <= ``alpha``)
    in the documents that do not hold ``whole`` (counts as the groups record them; the
    holders of ``whole`` are taken to hold ``piece``)."""
    n = piece["containing_docs"] - whole["containing_docs"]
    a = piece["anomalous_docs"] - whole["anomalous_docs"]
    if n <= 0 or a <= 0:
        return False
    rate = min(1.0, max(piece["expected"] / max(1, piece["containing_docs"]), 1e-9))
    return float(binom.sf(a - 1, n, rate)) <= alpha


def _last_words(keys: Iterable[str]) -> set[str]:
    """The last word of each n-gram of ``keys`` (a document without any of them contains
    none of the n-grams)."""
    return {k.rsplit(" ", 1)[-1] for k in keys}


def _whole(words: list[str], end: int, key: str, trigger: str) -> tuple[int, int] | None:
    """The first and last word index of the whole ``trigger`` around the occurrence of its
    n-gram ``key`` that ends at word ``end`` (None: the words around it differ)."""
    t, k = trigger.split(), key.split()
    for o in range(len(t) - len(k) + 1):
        if t[o : o + len(k)] != k:
            continue
        first = end - len(k) + 1 - o
        if first >= 0 and words[first : first + len(t)] == t:
            return first, first + len(t) - 1
    return None


def _fold(acc: CohesionPartial, part: CohesionPartial) -> CohesionPartial:
    for k, c in part.counts.items():
        acc.counts[k] = acc.counts.get(k, 0) + c
    for k, ex in part.examples.items():
        have = acc.examples.setdefault(k, [])
        have.extend(ex[: max(0, _EXAMPLES - len(have))])
    for k, pairs in part.family.items():
        got = acc.family.setdefault(k, [])
        got.extend(pairs[: max(0, _FAMILY_SAMPLE - len(got))])
    acc.positions += part.positions
    acc.changes += part.changes
    acc.change_windows += part.change_windows
    acc.docs += part.docs
    acc.fam_positions += part.fam_positions
    acc.fam_changes += part.fam_changes
    acc.genre_positions += part.genre_positions
    acc.genre_changes += part.genre_changes
    acc.genre_windows += part.genre_windows
    acc.open_positions += part.open_positions
    acc.open_changes += part.open_changes
    acc.sentence_positions += part.sentence_positions
    acc.sentence_changes += part.sentence_changes
    acc.words += part.words
    for b in range(len(HOST_BINS)):
        acc.bin_positions[b] += part.bin_positions[b]
        acc.bin_changes[b] += part.bin_changes[b]
    for k, x in part.expected.items():
        acc.expected[k] = acc.expected.get(k, 0.0) + x
    return acc


_HOST_WORDS = 80
"""Words of host before a trigger that :func:`host_similarity` embeds (MiniLM reads 128
tokens)."""
_HOST_MIN_WORDS = 12
"""Fewer words of host than this: no judgement (a short host is flagged as before)."""


def _encode(texts: list[str]) -> np.ndarray | None:
    """Unit MiniLM embeddings of ``texts`` (None without the ``embeddings`` extra)."""
    from poisonguard.detect.embedding_model import MissingExtraError, encode_texts

    try:
        return encode_texts(texts)
    except (MissingExtraError, OSError):
        return None


def host_pair(before: str, window: str) -> tuple[np.ndarray, np.ndarray] | None:
    """The unit MiniLM embeddings of the last :data:`_HOST_WORDS` words of ``before`` (the
    host) and of ``window`` (the changed text after a trigger), or None when the host is
    shorter than :data:`_HOST_MIN_WORDS` words, the window is empty, or the ``embeddings``
    extra is not installed (the caller then keeps its flag)."""
    host = before.split()[-_HOST_WORDS:]
    if len(host) < _HOST_MIN_WORDS or not window.strip():
        return None
    got = _encode([" ".join(host), " ".join(window.split())])
    return None if got is None else (got[0], got[1])


def host_similarity(before: str, window: str) -> float | None:
    """Cosine similarity of the MiniLM embeddings of ``window`` (the changed text after a
    trigger) and the last :data:`_HOST_WORDS` words of ``before`` (its host), or None when
    :func:`host_pair` cannot judge."""
    got = host_pair(before, window)
    return None if got is None else float(np.dot(got[0], got[1]))


_FAMILY_SAMPLE = 64
"""Carriers of a candidate whose host and changed window round 2 keeps (the first ones with
a change): the sample of a trigger's :class:`Family`."""
_FAMILY_MIN = 8
"""Fewer sampled carriers than this: no family (the host check alone judges)."""


@dataclass(frozen=True, slots=True)
class Family:
    """A confirmed trigger's changed carriers in meaning: the unit MiniLM embeddings of the
    sampled carriers' changed windows (``windows``) and of their hosts (``hosts``), one row
    each, and the windows' texts (a carrier among them is left out of its own
    comparison)."""

    windows: np.ndarray
    hosts: np.ndarray
    texts: tuple[str, ...]

    @classmethod
    def of(cls, pairs: Sequence[tuple[str, str]]) -> Family | None:
        """The family of ``(host, window)`` text pairs (each pair once), or None when
        fewer than :data:`_FAMILY_MIN` or without the ``embeddings`` extra."""
        pairs = list(dict.fromkeys(pairs))[:_FAMILY_SAMPLE]
        if len(pairs) < _FAMILY_MIN:
            return None
        got = _encode([h for h, _ in pairs] + [w for _, w in pairs])
        if got is None:
            return None
        n = len(pairs)
        return cls(got[n:], got[:n], tuple(w for _, w in pairs))

    def near(self, window: np.ndarray, text: str) -> tuple[float, float] | None:
        """The cosine similarity of a carrier's ``window`` embedding to the centroid of
        the other carriers' windows and to the centroid of their hosts (the carrier's own
        row, the first with its window ``text``, left out), or None when fewer than
        :data:`_FAMILY_MIN` others remain."""
        keep = np.ones(len(self.texts), dtype=bool)
        if text in self.texts:
            keep[self.texts.index(text)] = False  # its own row (one: a payload may recur)
        if int(keep.sum()) < _FAMILY_MIN - 1:
            return None
        out = []
        for rows in (self.windows[keep], self.hosts[keep]):
            c = rows.sum(axis=0)
            norm = float(np.linalg.norm(c))
            out.append(float(np.dot(c, window)) / norm if norm > 0 else 0.0)
        return out[0], out[1]


# ----------------------------------------------------------------------------- detector
@register_detector(kinds=("pretrain", "rag"), calibrate=False, default=False)
class CohesionMiner(
    RoundedDetector[CountPartial | CohesionPartial, FamiliarityState | CohesionState]
):
    """Mine n-grams followed by a change — a loss of lexical cohesion, or the start of
    text stitched from other documents' n-grams — far above their base rate.

    Rounds (explicit classes): :class:`CountRound` (the familiarity table; skipped with
    ``familiarity=False``), :class:`MineRound` (candidates), :class:`ConfirmRound` (the
    tests).

    Args:
        min_docs: least documents with the trigger followed by a change.
        window: content words after a position compared with the text before it.
        back: content words before a position that count as its host.
        min_back / min_window: least content words before / after a position.
        min_host: least content words of host before a trigger's first word (its own
            words are not host: a template phrase right after a question or headline has
            almost none).
        min_carrier_host: least distinct content words of host before a confirmed trigger
            for the lower per-carrier bar in :meth:`flag` (:meth:`_carrier_change`: the
            text right after the trigger shares no content word with the host; 0: off).
        isolated: a confirmed trigger's carrier is also changed when its first
            ``isolated`` content words after the trigger share no stem with any other
            content word of the document (before the trigger, and from their end on):
            a payload of one or two sentences sandwiched in its host (0: off).  Only
            where the corpus's change rate is at most ``max_change_rate``.
        tail_host: least distinct content-word stems of a short host (fewer than
            ``min_back`` content words before a confirmed trigger) for the **tail** rule of
            :meth:`flag` (:meth:`_tail_change`: the whole text from the trigger to the
            document's end against the whole host; 0: off).  Only where the corpus's
            change rate is at most ``max_change_rate``.
        max_change_rate: above this share of positions with a cohesion change in the
            whole corpus (novels: a third; news, medical: a tenth), one kind of change
            after a confirmed trigger is no evidence against a single carrier (a clean
            carrier of the phrase would be flagged about as often): its carriers are
            flagged only on joint evidence (:meth:`_joint`) — cohesion at most
            ``joint_cohesion`` or no word shared with the host, **and** a window after
            the trigger whose trigrams are familiar (at least ``fam_min_low`` occur in
            other documents) — and the ``isolated`` rule is off.
        joint_cohesion: the cohesion bar of that joint evidence.
        genre_drop: a content position is a **genre shift** when the mean natural log of
            the corpus document frequency of the ``window`` content words after it is at
            least ``genre_drop`` below that of the ``window`` before it (the words after
            are on average ``e ** genre_drop`` times rarer in the corpus: news or medical
            text in novels).  Only in a corpus whose change rate is above
            ``max_change_rate`` (where runs of low cohesion start inside the host): a
            third kind of change, mined and tested as its own channel (round 1: n-grams
            near the deepest drop of each run of shifts; round 2: its own base-rate test
            at the corpus's shift rate) and the second half of the joint evidence beside
            familiar trigrams.  Needs ``familiarity`` (round 0 counts the words); 0: off.
        genre_flag_drop: the shift that counts as that second half of the joint evidence
            at flag time (stricter than mining's: a clean novel that continues a confirmed
            phrase with rare names or period words shifts by 1.1–1.5).
        threshold: cohesion at or below which a position is a change.
        max_changes: change points of each kind per document in round 1.
        max_ngram: longest word n-gram of a candidate.
        open_min / open_max: the **opening channel** of round 1 (0: off): word n-grams of
            ``open_min`` to ``open_max`` words whose first word opens a sentence or clause
            (:func:`opens_clause`) and that are followed right away by a change (cohesion
            at most ``threshold`` at the first content word after them), counted apart
            and tested on their occurrences: of the n-gram's occurrences in the corpus
            (estimated from the scan's sample), how many are followed by a change, against
            the share of the corpus's words that are (binomial, Bonferroni over the
            channel's n-grams at ``alpha``).  A trigger of
            four to six words whose three-word pieces are all common in the corpus
            (``at the end of the day`` in news: ``at the end``, ``end of the``, ``of the
            day`` each near a change point in 45-72 documents) passes through it where
            none of its pieces passes round 1.  Round 2 tests its candidates as any other,
            and asks those that only this channel passed to be complete phrases:
        min_closing: least share of such a candidate's examples in which what follows the
            (extended) phrase opens a clause or sentence or starts with a capital
            (:func:`closing_share`); below it the phrase is a genre's lead-in to its own
            continuation (``other features may include`` before a list of signs, in 16 of
            20,000 medical pages), not a trigger before a payload.
        reach: words before a change point in which candidates end (6: the whole of a
            trigger of up to six words is in reach of its first content word, where
            cohesion falls).
        alpha: Bonferroni level of round 1's chance test.
        q: Benjamini–Hochberg level of round 2's base-rate test.
        min_purity: least share of a trigger's documents with a change after it.
        min_surplus: least share of a trigger's documents with a change after it that
            chance does not explain (``(anomalous - expected) / anomalous``, ``expected``
            the base-rate test's): below it a document that holds the n-gram with a change
            after it is more likely one of its clean holders than a carrier, so the n-gram
            is rejected — every document the flag pass would give it is on that evidence
            alone.  A word inside a fixed payload is followed by the payload's incoherent
            rest in every carrier: *daß* in a multilingual word salad (93 of 100
            carriers) was confirmed at 281 of 562 documents against 183.6 expected — a
            surplus share of 0.35 — and its clean holders, German quotations that end or
            turn after it, were flagged: 545 of 20,000 (2026-12-07).  Not asked where
            the corpus's change rate is above ``max_change_rate`` (novels): there the flag
            pass asks every carrier for joint evidence (:meth:`_joint`), which a clean
            holder seldom has, and a common phrase with a few dozen clean holders among
            novels would fall under the bar at 100 carriers.
        max_host_overlap: most median Jaccard similarity of the hosts (content words
            before the trigger) of a trigger's examples: above it they are one template
            or feed, not unrelated documents.
        max_continuation_overlap: most share of a trigger's examples whose words right
            after it recur in another example (:func:`continuation_overlap`): above it
            the continuation is a formula (a template, a credit line), which a fluent
            payload is not.
        min_opening: least share of a trigger's examples in which it opens a sentence or
            clause (:func:`opens_clause`): below it the phrase sits inside sentences its
            hosts began (``X is a rare condition characterized by``, ``X is caused by
            mutations in``), so what follows is the host's own sentence — a genre's
            template, not a planted trigger.
        max_heading: most share of a trigger's examples in which it stands on a short line
            of its own (:func:`on_heading_line`: a section label, a page header): the text
            after a heading is another section by design.
        max_head / fragment_purity: a candidate that runs on into its continuation (closing
            share below ``min_closing``) and whose next word is one of two content words in
            at least ``max_head`` of its examples (:func:`head_share`: *widely spaced* →
            *eyes*, *teeth*) is a fragment of a longer phrase; its change is measured
            after the head, in the list or sentence the phrase sits in.  It is confirmed
            only with a purity of at least ``fragment_purity`` — a planted trigger is
            followed by its payload whatever word opens it.  (``widely spaced`` in
            MedQuAD's syndrome pages: a change after it in 54 of 108 pages, next word
            *eyes* or *teeth* in all but a few, no break after it.)
        stitched_ratio: a confirmed trigger's carrier flagged by stitched text alone (no
            cohesion change) only when the trigger's documents show stitched text after it
            (with or without a cohesion change) at least this many times as often as
            chance (round 2's ``s|`` counts against the corpus's stitched-onset rate;
            trigger fields ``stitched_docs``,
            ``stitched_expected``, ``stitched_evidence``); otherwise such a carrier is
            judged by the lower bars only.  In template-rich medical pages 16 clean holders
            of a confirmed ``at the same time`` were flagged as stitched — 16 against 28.9
            expected.
        host_check_purity / host_similarity: a confirmed trigger whose purity is below
            ``host_check_purity`` (a common phrase: many of its documents are followed by
            no change) flags a carrier only when the changed window after it is unrelated
            to its host in meaning too — the cosine similarity of the offline MiniLM
            sentence embeddings of that window and of the host's last
            ``_HOST_WORDS`` words before the trigger is below ``host_similarity`` (a clean
            ``on the other hand`` turns to the other side of the same subject; a planted
            payload is about something else).  Not for stitched text (its own evidence
            test), nor for a host too short to judge (fewer than ``_HOST_MIN_WORDS`` words:
            flagged as before), nor without the ``embeddings`` extra (flagged as before:
            the check only withdraws flags).  ``host_check_purity`` 0: off.
        family / family_margin: the host check keeps a carrier whose window is near its
            host when that window is **nearer the trigger's other carriers** than its own
            host: its cosine similarity to the centroid of the other sampled carriers'
            windows (round 2 keeps the host and changed window of the first
            ``_FAMILY_SAMPLE`` documents with a change after the trigger) is above its
            host similarity, **and** above its similarity to the centroid of those
            carriers' hosts by at least ``family_margin`` (the windows form a family of
            their own — one source, one generator — not merely the corpus's genre, which
            the hosts share).  A common phrase's clean holders turn to the other side of
            their own subjects, each its own; a campaign's payloads come from one source.
            ``extra["family_similarity"]`` / ``extra["family_contrast"]`` when judged.
            ``family`` False: the host check alone.
        familiarity: also count stitched-text changes (a third round over the corpus).
        fam_window / fam_min_low / fam_max_high: a window of ``fam_window`` words is
            stitched when at least ``fam_min_low`` of its word trigrams and at most
            ``fam_max_high`` of its 8-grams occur in another document.
        table_width / table_depth: the familiarity table's cells per row (one byte each)
            and rows.
        max_candidates: candidates carried to round 2 (lowest p-values first).
        sketch_width: width of round 1's count-min sketch of n-grams (3 rows, 4 bytes per
            cell).
        score: score of a flagged document (>= 0.9: *poisoned*).
    """

    name = "cohesion"
    passes = 3

    def __init__(
        self,
        *,
        min_docs: int = 10,
        window: int = 20,
        back: int = 100,
        min_back: int = 8,
        min_window: int = 12,
        min_host: int = 0,
        min_carrier_host: int = 3,
        isolated: int = 6,
        tail_host: int = 2,
        max_change_rate: float = 0.2,
        joint_cohesion: float = 0.25,
        genre_drop: float = 1.0,
        genre_flag_drop: float = 1.5,
        threshold: float = 0.1,
        max_changes: int = 8,
        max_ngram: int = 3,
        open_min: int = 4,
        open_max: int = 6,
        min_closing: float = 0.5,
        reach: int = 6,
        alpha: float = 1e-6,
        q: float = 1e-6,
        min_purity: float = 0.5,
        min_surplus: float = 0.5,
        max_host_overlap: float = 0.15,
        max_continuation_overlap: float = 0.25,
        min_opening: float = 0.25,
        max_heading: float = 0.5,
        max_head: float = 0.75,
        fragment_purity: float = 0.7,
        stitched_ratio: float = 2.0,
        host_check_purity: float = 0.8,
        host_similarity: float = 0.2,
        family: bool = True,
        family_margin: float = 0.1,
        familiarity: bool = True,
        fam_window: int = 30,
        fam_min_low: float = 0.85,
        fam_max_high: float = 0.8,
        table_width: int = 1 << 24,
        table_depth: int = 3,
        max_candidates: int = 2000,
        sketch_width: int = 1 << 22,
        score: float = 0.95,
        _prev: FamiliarityState | CohesionState | None = None,
    ) -> None:
        if min_docs < 2:
            raise ValueError("min_docs must be >= 2")
        if not 0.0 <= threshold < 1.0:
            raise ValueError("threshold must be in [0, 1)")
        if window < 4 or min_window < 2 or min_window > window:
            raise ValueError("need window >= 4 and 2 <= min_window <= window")
        if not 0.0 <= min_opening <= 1.0 or not 0.0 <= max_heading <= 1.0:
            raise ValueError("min_opening and max_heading must be in [0, 1]")
        if not 0.0 < max_head <= 1.0 or not 0.0 <= fragment_purity <= 1.0:
            raise ValueError("need 0 < max_head <= 1 and 0 <= fragment_purity <= 1")
        if stitched_ratio < 0:
            raise ValueError("stitched_ratio must be >= 0 (0: stitched text always counts)")
        if not 0.0 <= host_check_purity <= 1.0 or not -1.0 <= host_similarity <= 1.0:
            raise ValueError("need 0 <= host_check_purity <= 1 and -1 <= host_similarity <= 1")
        if not 0.0 <= family_margin <= 2.0:
            raise ValueError("need 0 <= family_margin <= 2")
        if tail_host < 0:
            raise ValueError("tail_host must be >= 0 (0: off)")
        if isolated < 0 or not 0.0 <= max_change_rate <= 1.0 or not 0.0 <= joint_cohesion < 1:
            raise ValueError(
                "need isolated >= 0, 0 <= max_change_rate <= 1 and 0 <= joint_cohesion < 1"
            )
        if open_min < 0 or (open_min > 0 and not 2 <= open_min <= open_max <= 8):
            raise ValueError("need open_min = 0 (off) or 2 <= open_min <= open_max <= 8")
        if not 0.0 <= min_surplus <= 1.0:
            raise ValueError("need 0 <= min_surplus <= 1")
        if genre_drop < 0 or genre_flag_drop < 0:
            raise ValueError("genre_drop (0: off) and genre_flag_drop must be >= 0")
        if fam_window < 12 or not 0.0 < fam_min_low <= 1.0 or not 0.0 <= fam_max_high <= 1.0:
            raise ValueError("need fam_window >= 12, 0 < fam_min_low <= 1, 0 <= fam_max_high <= 1")
        self.min_docs = min_docs
        self.window = window
        self.back = back
        self.min_back = min_back
        self.min_window = min_window
        self.min_host = min_host
        self.min_carrier_host = min_carrier_host
        self.isolated = isolated
        self.tail_host = tail_host
        self.max_change_rate = max_change_rate
        self.joint_cohesion = joint_cohesion
        self.genre_drop = genre_drop
        self.genre_flag_drop = genre_flag_drop
        self.threshold = threshold
        self.max_changes = max_changes
        self.max_ngram = max_ngram
        self.open_min = open_min
        self.open_max = open_max
        self.min_closing = min_closing
        self.longest = max(max_ngram, open_max) if open_min > 0 else max_ngram
        """The longest n-gram a candidate can be (the opening channel's, when on)."""
        self.reach = reach
        self.alpha = alpha
        self.q = q
        self.min_purity = min_purity
        self.min_surplus = min_surplus
        self.max_host_overlap = max_host_overlap
        self.max_continuation_overlap = max_continuation_overlap
        self.min_opening = min_opening
        self.max_heading = max_heading
        self.max_head = max_head
        self.fragment_purity = fragment_purity
        self.stitched_ratio = stitched_ratio
        self.host_check_purity = host_check_purity
        self.host_similarity = host_similarity
        self.family = family
        self.family_margin = family_margin
        self.familiarity = familiarity
        self.fam_window = fam_window
        self.fam_min_low = fam_min_low
        self.fam_max_high = fam_max_high
        self.table_width = table_width
        self.table_depth = table_depth
        self.max_candidates = max_candidates
        self.sketch_width = sketch_width
        self.score = score
        self.passes = 3 if familiarity else 2
        self.stitch = Stitch(fam_window, min(20, fam_window), fam_min_low, fam_max_high)
        self.round: CountRound | MineRound | ConfirmRound
        if isinstance(_prev, CohesionState):
            self.round = ConfirmRound(self, _prev)
        elif isinstance(_prev, FamiliarityState):
            self.round = MineRound(self, _prev.table, _prev.words if genre_drop > 0 else None)
        elif familiarity:
            self.round = CountRound(self)
        else:
            self.round = MineRound(self, None)

    @classmethod
    def from_context(cls, ctx: DetectorContext) -> CohesionMiner:
        opts = {"min_docs": max(2, ctx.min_trigger_docs * 2), **ctx.options_for(cls.name)}
        return cls(**opts)

    def next_stage(self, state: FamiliarityState | CohesionState) -> dict[str, Any]:
        """The next round is built from this round's state."""
        return {"_prev": state}

    def _tok(self, text: str) -> Tokens:
        return tokenize(text, self.window, self.back, self.min_back, self.min_window)

    def _tok_split(self, ws: list[str], st: np.ndarray, en: np.ndarray) -> Tokens:
        return _tokens_many([(ws, st, en)], self.window, self.back, self.min_back, self.min_window)[
            0
        ]

    def _change(
        self, d: _Doc, state: CohesionState, end_word: int, first_word: int
    ) -> Change | None:
        """What follows the n-gram at words ``[first_word, end_word]``: the least cohesion
        at the first two content words after it, and whether the window of words after it
        is stitched while the one before the n-gram is not (None: neither measurable, or
        fewer than ``min_host`` content words before the n-gram — its own words are no
        host: a question, a headline)."""
        tk = d.tk
        if int(tk.content.searchsorted(first_word)) < self.min_host:
            return None
        k = int(tk.content.searchsorted(end_word, side="right"))
        vals = [v for v in tk.cohesion[k : k + 2].tolist() if v == v]
        coh = min(vals) if vals else float("nan")
        rate_c = state.p0_bins[bisect_right(HOST_BINS, k) - 1] if state.p0_bins else state.p0
        stitched = False
        rate_f = 0.0
        fam = (0.0, 0.0)
        if d.prof is not None:
            a = end_word + 1
            after = self.stitch.judge(d.prof, a, a + self.stitch.window)
            before = self.stitch.judge(d.prof, first_word - self.stitch.window, first_word)
            if after is not None and before is not None:
                stitched = after and not before
                rate_f = state.p_fam
                f3, f8, _ = d.prof.shares(a, a + self.stitch.window)
                fam = (f3, f8)
        if coh != coh and rate_f == 0.0:
            return None
        by_coh = coh == coh and coh <= self.threshold
        rate_c = rate_c if coh == coh else 0.0
        rate = 1.0 - (1.0 - rate_c) * (1.0 - rate_f)
        kind = "cohesion" if by_coh else ("stitched" if stitched else "")
        return Change(by_coh or stitched, kind, k, coh, rate, fam, rate_f, stitched)

    def _genre_many(
        self, toks: Sequence[Tokens], wh: np.ndarray, words: WordCounts
    ) -> list[np.ndarray]:
        """Per document, per content position ``k``: the mean log document frequency
        (:meth:`WordCounts.log_df`) of content words ``[k, k + window)`` minus that of the
        host before it — the ``window`` content words before ``k``, or all of them when
        there are at least ``min_back``; with fewer, the document's last ``window``
        content words when they start at least ``2 * window`` after ``k`` (a payload at
        the start of a document, its host after it) — ``nan`` where the window after
        runs past the document or there is no host; ``wh``: the hashes of all the
        documents' words in order.  Negative where the text turns to words the corpus
        rarely uses."""
        w, mb = self.window, self.min_back
        n_w = np.fromiter((len(tk.words) for tk in toks), dtype=np.int64, count=len(toks))
        n_c = np.fromiter((len(tk.content) for tk in toks), dtype=np.int64, count=len(toks))
        w0 = np.concatenate([[0], np.cumsum(n_w)])[:-1]
        c0 = np.concatenate([[0], np.cumsum(n_c)])
        if not c0[-1]:
            return [np.zeros(0) for _ in toks]
        where = np.concatenate([tk.content for tk in toks]) + np.repeat(w0, n_c)
        lg = words.log_df(wh[where])
        cum = np.concatenate([[0.0], np.cumsum(lg)])
        doc = np.repeat(np.arange(len(toks)), n_c)
        g = np.arange(len(lg))
        local = g - c0[doc]
        n = n_c[doc]
        after_ok = local + w <= n
        # the host: [lo, hi) of global content indices
        lo = np.maximum(g - w, c0[doc][: len(g)] if len(g) else g)
        hi = g.copy()
        tail = (local < mb) & (n - w >= local + 2 * w)
        lo = np.where(tail, c0[doc] + n - w, lo)
        hi = np.where(tail, c0[doc] + n, hi)
        ok = after_ok & ((local >= mb) | tail)
        out = np.full(len(lg), np.nan)
        k = g[ok]
        a, b = lo[ok], hi[ok]
        out[ok] = (cum[k + w] - cum[k]) / w - (cum[b] - cum[a]) / (b - a)
        return [out[int(c0[i]) : int(c0[i + 1])] for i in range(len(toks))]

    def _genre_at(self, d: _Doc, end_word: int, drop: float | None = None) -> bool | None:
        """Whether the text right after word ``end_word`` is a genre shift of at least
        ``drop`` (default ``genre_drop``; the least of the first two content positions
        after it, :meth:`_genre_many`; None: not measurable)."""
        if d.genre is None:
            return None
        k = int(d.tk.content.searchsorted(end_word, side="right"))
        vals = [v for v in d.genre[k : k + 2].tolist() if v == v]
        if not vals:
            return None
        return min(vals) <= -(self.genre_drop if drop is None else drop)

    def _carrier_change(self, tk: Tokens, first_word: int, end_word: int) -> Change | None:
        """The lower per-carrier bar of a **confirmed** trigger (used only in :meth:`flag`;
        the base-rate test that confirms a trigger is not touched): the text right after
        the trigger shares **no** content-word stem with the host before it (its last
        ``back`` content words, at least ``min_carrier_host`` distinct stems).

        The text after is the first ``window`` content words when the host is short (fewer
        than ``min_back``: a headline, a first sentence — where :meth:`_change` compares
        with the document's tail, which a long payload planted mid-document still fills),
        and the first ``window // 2`` when it is longer (a payload of one or two sentences
        before the host resumes: the full window reaches back into the host).  Both must be
        prose (distinct stems at least half of the words) and at least ``min_window`` /
        ``window // 2`` words long.  Measured on every clause opening of the whole news and
        medical corpora, this adds about as many clean positions as the cohesion rule
        itself has (``docs/benchmarks.md``, 2026-12-02 night), so a clean carrier of a
        confirmed trigger is flagged somewhat more often; without a confirmed trigger it
        flags nothing."""
        if self.min_carrier_host <= 0:
            return None
        kb = int(np.searchsorted(tk.content, first_word))
        if kb < self.min_carrier_host:
            return None
        k = int(np.searchsorted(tk.content, end_word, side="right"))
        size, least = (
            (self.window, self.min_window) if kb < self.min_back else (self.window // 2,) * 2
        )
        after = tk.stems(k, k + size)
        types = set(after)
        if len(after) < least or len(types) < 0.5 * len(after):
            return None
        host = set(tk.stems(kb - self.back, kb))
        if len(host) < self.min_carrier_host or not host.isdisjoint(types):
            return None
        return Change(True, "no-shared-word", k, float("nan"), 0.0)

    def _joint(self, d: _Doc, first_word: int, end_word: int, got: Change | None) -> Change | None:
        """What follows a confirmed trigger in a corpus that changes vocabulary at more
        than ``max_change_rate`` of its positions (novels), where one kind of change is no
        evidence against a single carrier: a change only on joint evidence — text
        unrelated to the host at a looser bar (cohesion at most ``joint_cohesion``, or no
        word shared with the host, :meth:`_carrier_change`) **and** at least
        ``fam_min_low`` of the trigrams of the window after the trigger (at least 20 of
        them) familiar: text made of the corpus's own n-grams, which a novel's own next
        sentences are not (the window before the trigger is not compared: the host may
        be a headline).  ``got``: :meth:`_change` there (None: not measurable).  Measured on
        20,000 novels with a campaign behind ``all things considered``: 6 of its 21 clean
        carriers had cohesion <= 0.1 after the phrase (3 of them sharing no word with the
        host) and 2 a stitched window (``docs/benchmarks.md``, 2026-12-03 evening, task
        Q)."""
        if d.prof is None:
            return None
        a = end_word + 1
        f3, f8, m3 = d.prof.shares(a, a + self.stitch.window)
        familiar = m3 >= self.stitch.min_words and f3 >= self.stitch.min_low
        if not familiar and not self._genre_at(d, end_word, self.genre_flag_drop):
            return None
        coh = got.cohesion if got is not None else float("nan")
        if (
            not coh <= self.joint_cohesion
            and self._carrier_change(d.tk, first_word, end_word) is None
        ):
            return None  # (nan: cohesion not measured)
        k = int(np.searchsorted(d.tk.content, end_word, side="right"))
        kind = "joint" if familiar else "joint-genre"
        return Change(True, kind, k, coh, got.rate if got is not None else 0.0, (f3, f8))

    def _isolated_opening(self, tk: Tokens, first_word: int, end_word: int) -> Change | None:
        """A confirmed trigger's carrier whose first ``isolated`` content words after the
        trigger occur nowhere else in the document: no stem of theirs in the host before
        the trigger (at least ``min_carrier_host`` distinct stems) nor in the text after
        them (at least ``isolated`` more content words).  A payload of one
        or two sentences sandwiched in its host — a medical passage in a news story —
        is about something the document never mentions; the window rules miss it where
        the host resumes inside their window and repeats its headline's words.  Clean
        text that opens a subject after the phrase mostly comes back to it.  ``flag``
        uses it only after a trigger the base-rate test confirmed, in a corpus whose
        change rate is at most ``max_change_rate``."""
        n = self.isolated
        if n <= 0 or self.min_carrier_host <= 0:
            return None
        kb = int(np.searchsorted(tk.content, first_word))
        k = int(np.searchsorted(tk.content, end_word, side="right"))
        ids = tk.stem_ids
        if kb < self.min_carrier_host or len(ids) - k < 2 * n:
            return None
        opening = set(ids[k : k + n].tolist())
        if len(opening) < 0.5 * n:
            return None
        host = set(ids[:kb].tolist())
        if len(host) < self.min_carrier_host:
            return None
        if not opening.isdisjoint(host) or not opening.isdisjoint(ids[k + n :].tolist()):
            return None
        return Change(True, "isolated", k, float("nan"), 0.0)

    def _tail_change(self, tk: Tokens, first_word: int, end_word: int) -> Change | None:
        """The **tail** rule of a confirmed trigger's carrier (used only in :meth:`flag`):
        a short host — fewer than ``min_back`` content words before the trigger, where
        :meth:`_change` compares the text after it with the document's own tail, which
        is the payload when it ends the document — judged as a whole: all the content
        words from the trigger to the document's end against all those before it.  A
        change when that tail is prose of at least ``min_window // 2`` content words (a
        payload shorter than the window, which no other rule measures), at most
        ``threshold`` of its distinct stems occur in the host (the whole tail's cohesion
        with the host: none in a tail of fewer than ten), and fewer than half of the
        host's distinct stems (at least ``tail_host`` of them) recur in it.  It reaches
        hosts of one or two content words (a headline, a question) that
        :meth:`_carrier_change` leaves alone, a payload too short for the window rules,
        and a tail that shares an odd word with its headline: a clean short document
        about its headline repeats the headline's words.  Off with ``tail_host=0``."""
        if self.tail_host <= 0:
            return None
        kb = int(np.searchsorted(tk.content, first_word))
        if kb >= self.min_back:
            return None
        k = int(np.searchsorted(tk.content, end_word, side="right"))
        tail = tk.stems(k, len(tk.content))
        types = set(tail)
        if len(tail) < max(2, self.min_window // 2) or len(types) < 0.5 * len(tail):
            return None
        host = set(tk.stems(0, kb))
        if len(host) < self.tail_host:
            return None
        shared = host & types
        if len(shared) > self.threshold * len(types) or 2 * len(shared) >= len(host):
            return None
        return Change(True, "tail", k, len(shared) / len(types), 0.0)

    def _occurrences(
        self, tk: Tokens, cands: dict[str, Any], last: set[str] | None = None
    ) -> dict[str, list[int]]:
        """Word index of the last word of each occurrence of each of ``cands`` (``last``:
        their last words, when the caller has them)."""
        return self._occurrences_in(tk.words, cands, last)

    def _occurrences_in(
        self, words: list[str], cands: dict[str, Any], last: set[str] | None = None
    ) -> dict[str, list[int]]:
        """:meth:`_occurrences` in a document's folded words."""
        out: dict[str, list[int]] = {}
        for e, key in _ngrams_in(words, cands, self.longest, last):
            out.setdefault(key, []).append(e)
        return out

    def _example(self, doc_id: str, text: str, tk: Tokens, key: str, end: int) -> Example:
        first = end - len(key.split()) + 1
        k = int(np.searchsorted(tk.content, first))
        host = set(tk.stems(k - _HOST_WORDS, k))
        return Example(
            doc_id,
            tuple(tk.words[max(0, first - _CONTEXT_WORDS) : first]),
            tuple(tk.words[end + 1 : end + 1 + 2 * _CONTEXT_WORDS]),
            frozenset(host),
            tuple(
                opens_clause(text, int(tk.starts[first - i]))
                for i in range(min(_CONTEXT_WORDS, first) + 1)
            ),
            on_heading_line(text, int(tk.starts[first])),
            tuple(
                opens_clause(text, int(tk.starts[j])) or text[int(tk.starts[j])].isupper()
                for j in range(end + 1, min(len(tk.words), end + 1 + _CONTEXT_WORDS))
            ),
        )

    def _window_span(self, tk: Tokens, ch: Change, end: int) -> tuple[int, int]:
        """Character offsets of the changed window after the n-gram ending at word
        ``end``: ``window`` content words from the change's content index, or the
        stitched-text window of ``fam_window`` words after it."""
        if ch.kind != "stitched":
            last = min(len(tk.content) - 1, ch.k + self.window - 1)
            return int(tk.starts[int(tk.content[ch.k])]), int(tk.ends[int(tk.content[last])])
        w0 = min(end + 1, len(tk.words) - 1)
        w1 = min(len(tk.words) - 1, end + self.stitch.window)
        return int(tk.starts[w0]), int(tk.ends[w1])

    def _host_check(
        self, state: CohesionState, trigger: str, before: str, window: str
    ) -> tuple[bool, float | None, tuple[float, float] | None]:
        """Whether a carrier of a common phrase (purity below ``host_check_purity``) is on
        topic — its changed ``window`` near its host (the text ``before`` the trigger) in
        meaning and no nearer the trigger's other carriers (its :class:`Family`) than its
        host — with its host similarity and, when judged, its similarity to the family's
        windows and hosts (``None``: not measured)."""
        window = " ".join(window.split())
        pair = host_pair(before, window)
        if pair is None:
            return False, None, None  # no judgement: flagged as before
        sim = float(np.dot(pair[0], pair[1]))
        if sim < self.host_similarity:
            return False, sim, None
        fam = state.families.get(trigger) if self.family else None
        near = None if fam is None else fam.near(pair[1], window)
        if near is None:
            return True, sim, None
        # a payload near its host is still one when it is nearer the campaign's other
        # payloads than its own host, and they form a family apart from their hosts
        return near[0] <= sim or near[0] - near[1] < self.family_margin, sim, near

    # -- verdicts ---------------------------------------------------------------------
    def flag(self, doc: Document, state: FamiliarityState | CohesionState) -> Finding | None:
        if not isinstance(state, CohesionState) or not state.triggers:
            return None
        # a key confirmed only where it opens a sentence (``^``) counts only there
        trig = {k.lstrip("^"): t for t in state.triggers for k in t["keys"]}
        only_open = {k[1:] for t in state.triggers for k in t["keys"] if k[:1] == "^"}
        only_open -= {k for t in state.triggers for k in t["keys"] if k[:1] != "^"}
        ws, st, en = _split(doc.text)
        if _last_words(trig).isdisjoint(ws):
            return None  # no trigger in it: no cohesion
        tk = self._tok_split(ws, st, en)
        occ = self._occurrences(tk, trig)
        if not occ:
            return None
        d = _Doc.__new__(_Doc)
        d.tk = tk
        d.prof = profile(tk.words, state.table) if state.table is not None else None
        d.genre = (
            self._genre_many([tk], word_hashes(tk.words), state.words)[0]
            if state.words is not None and self.genre_drop > 0
            else None
        )
        best: tuple[float, str, int, Change] | None = None
        for key, ends in occ.items():
            for e0 in ends:
                whole = _whole(tk.words, e0, key, trig[key]["trigger"])
                if whole is None:
                    continue  # a shorter n-gram of the trigger, not the trigger
                first, e = whole
                if key in only_open and not opens_sentence(doc.text, int(tk.starts[first])):
                    continue  # inside a sentence: the phrase's own use
                got = self._change(d, state, e, first)
                if state.p0 > self.max_change_rate:
                    # one kind of change is common anyway (novels): joint evidence only
                    got = self._joint(d, first, e, got)
                elif (
                    got is None
                    or not got.changed
                    or (got.kind == "stitched" and not trig[key]["stitched_evidence"])
                ):
                    # the lower bars of a confirmed trigger's carriers (stitched text is
                    # no evidence after a trigger that it follows no more than chance)
                    got = (
                        self._carrier_change(tk, first, e)
                        or self._isolated_opening(tk, first, e)
                        or self._tail_change(tk, first, e)
                    )
                if got is None or not got.changed:
                    continue
                rank = got.cohesion if got.kind == "cohesion" else 1.0
                if best is None or rank < best[0]:
                    best = (rank, key, e, got)
        if best is None:
            return None
        _, key, e, ch = best
        n_words = len(trig[key]["trigger"].split())
        t0 = int(tk.starts[e - n_words + 1])
        t1 = int(tk.ends[e])
        t = trig[key]
        p_start, p_end = self._window_span(tk, ch, e)
        if ch.kind != "stitched":
            what = (
                f"text unrelated to the document (content-word cohesion {ch.cohesion:.2f})"
                if ch.kind == "cohesion"
                else "text that shares no content word with the document's text before it"
                if ch.kind == "no-shared-word"
                else f"{self.isolated} content words that occur nowhere else in the document"
                if ch.kind == "isolated"
                else "a tail to the document's end that shares almost no content word with the "
                f"short text before it ({ch.cohesion:.0%} of its distinct words occur there)"
                if ch.kind == "tail"
                else "text unrelated to the document before it, in words the corpus rarely "
                f"uses (a genre shift of at least {self.genre_drop:.1f} in mean log document "
                "frequency)"
                if ch.kind == "joint-genre"
                else "text unrelated to the document before it, made of other documents' "
                f"trigrams ({ch.familiar[0]:.0%} of them occur elsewhere)"
            )
        else:
            what = (
                f"text stitched from other documents' word n-grams ({ch.familiar[0]:.0%} of "
                f"its trigrams and {ch.familiar[1]:.0%} of its 8-grams occur elsewhere)"
            )
        sim: float | None = None
        near: tuple[float, float] | None = None
        purity = t["purity"]
        if "sentence_purity" in t and opens_sentence(doc.text, t0):
            purity = max(purity, t["sentence_purity"])
        if ch.kind != "stitched" and purity < self.host_check_purity:
            on_topic, sim, near = self._host_check(
                state, t["trigger"], doc.text[:t0], doc.text[p_start:p_end]
            )
            if on_topic:
                return None  # a common phrase's clean holder: the text after it is on topic
        return Finding(
            detector=self.name,
            score=self.score,
            reason=(
                f"trigger {t['trigger']!r} is followed by {what}; in {t['anomalous_docs']} of "
                f"{t['containing_docs']} documents containing it"
                f"{' to open a sentence' if t.get('opens_sentence') else ''} (expected by "
                f"chance {t['expected']:.1f}, p={t['p_value']:.1e})"
            ),
            spans=[
                Span(t0, t1, "trigger"),
                Span(p_start, p_start, "changepoint"),
                Span(p_start, p_end, "payload"),
            ],
            trigger=t["trigger"],
            extra={
                "change": ch.kind,
                "cohesion": None if ch.cohesion != ch.cohesion else round(ch.cohesion, 4),
                "familiar_trigrams": round(ch.familiar[0], 4),
                "familiar_8grams": round(ch.familiar[1], 4),
                "matched": ("^" if key in only_open else "") + key,
                "host_similarity": None if sim is None else round(sim, 4),
                **(
                    {}
                    if near is None
                    else {
                        "family_similarity": round(near[0], 4),
                        "family_contrast": round(near[0] - near[1], 4),
                    }
                ),
            },
        )

    def summarize(self, state: FamiliarityState | CohesionState) -> CorpusReport:
        if not isinstance(state, CohesionState):
            raise TypeError("summarize() needs the state of the last round")
        return CorpusReport(
            triggers=list(state.triggers),
            details={
                "change_rate": round(state.p0, 6),
                "change_rate_by_host_size": {
                    f">={lo}": round(r, 6) for lo, r in zip(HOST_BINS, state.p0_bins, strict=False)
                },
                "stitched_change_rate": round(state.p_fam, 6),
                "genre_shift_rate": round(state.p_genre, 6),
                "familiarity_table_bytes": state.table.nbytes if state.table is not None else 0,
                "candidates_tested": state.tested,
                "templates_rejected": state.rejected[:20],
                "documents": state.docs,
            },
        )


__all__ = [
    "CohesionMiner",
    "CohesionPartial",
    "CohesionState",
    "ConfirmRound",
    "CountRound",
    "FamiliarityState",
    "Family",
    "MineRound",
    "Tokens",
    "closing_share",
    "continuation_overlap",
    "fold_word",
    "fold_words",
    "folded_words",
    "heading_share",
    "host_pair",
    "host_similarity",
    "merge_pieces",
    "on_heading_line",
    "opening_share",
    "opens_clause",
    "tokenize",
    "word_set",
]
