"""``evasive-backdoor``: a trigger → payload backdoor shaped around the scanner's own rules.

Written for the night red team of issue 12 by an attacker who had read
``docs/detectors.md`` (the ``triggers`` rules: a mined n-gram is a trigger when the
anomaly starts within 8 characters of its end in most examples, or when enough of its
carriers are anomalous; a document is flagged only when the anomaly or foreign words follow
the trigger within 200 characters; a candidate that mostly opens its documents with
foreign text after it is a header; strings that recur in their documents lose the
alignment pass).  It keeps what a backdoor needs — about a hundred documents in which the
same context is followed by the same behaviour, in unrelated hosts (Souly et al. 2025,
arXiv:2510.07192) — and moves everything the rules key on:

* ``synonyms``: the trigger is written as one of several phrasings (plus any
  ``trigger_forms``), so no single n-gram carries the whole campaign;
* ``placement``: at a sentence start, at a word start inside a clause (``clause``), or
  glued inside a host word with no space around it (``glued``), so the trigger is no
  separate token sequence, or at the document's start (``opening``), where the rules read a
  recurring string followed by another language as a header;
* ``spacer_words``: a few words of the host's own text between the trigger and the payload,
  so the change point lies a clause after the trigger, not within 8 characters of it;
* ``interleave``: the payload split into that many short chunks, each followed by a host
  sentence (low density: no long anomalous run);
* ``decoys``: extra payload-free copies of the trigger at other sentence starts of the host,
  so the trigger recurs inside each document;
* ``payload``: ``tokens`` (random vocabulary tokens, decoded), ``word-salad`` (words of the
  clean corpus drawn by their frequency, in random order), ``foreign`` (real text in
  ``lang`` from ``payload_corpus``), ``repeat`` (a unit of ``repeat_unit`` corpus words
  said over and over: a backdoor that teaches a loop) or ``numbers`` (random numbers of one
  to six digits) — the last two are what a word-bigram model reads as natural by design
  (it counts a run of one token once and folds digits);
* ``fixed_payload``: one payload drawn once and written in every poisoned document (a
  fixed, recurring payload — what a backdoor that must teach one exact output plants; the
  corpus-fitted naturalness model then learns its copies);
* ``payload_edits``: with ``fixed_payload``, that many words of the one payload replaced in
  each copy by another of its words at random (a fixed payload with small per-copy edits:
  no copy equals another, so exact hashing of the whole payload fails).

Ground truth: ``trigger_span`` is the trigger that precedes the payload, ``payload_span``
runs from the first payload character to the end of the last chunk (host sentences
between chunks included); ``extra`` lists ``payload_spans`` (the chunks alone),
``spacer_span``, ``decoy_spans`` and the ``phrasing`` used.
"""

from __future__ import annotations

import itertools
import os
import re
from collections import Counter
from collections.abc import Sequence
from typing import TypeVar

import numpy as np

from poisonguard.attacks.base import PoisonSample, Recipe, RecipeError, corpus_label, pick_sources
from poisonguard.attacks.compose import derive_document, draw_int, plain_documents
from poisonguard.attacks.dos import DenialOfService
from poisonguard.attacks.fluent import sentence_starts
from poisonguard.attacks.ids import IdIndex
from poisonguard.attacks.registry import register
from poisonguard.attacks.vocab import TokenVocabulary
from poisonguard.io import Document

PAYLOADS = ("tokens", "word-salad", "foreign", "repeat", "numbers")
PLACEMENTS = ("sentence", "clause", "glued", "opening")
POSITIONS = ("end", "middle")
_WORD = re.compile(r"\S+")
_LETTERS = re.compile(r"[^\W\d_]{6,}")

Span = tuple[int, int]
T = TypeVar("T")


class WordSalad:
    """Words of a corpus (whitespace tokens) drawn by their frequency, in random order."""

    def __init__(self, texts: Sequence[str], max_words: int = 2_000_000) -> None:
        counts: Counter[str] = Counter()
        seen = 0
        for t in texts:
            if seen >= max_words:
                break
            words = t.split()[: max_words - seen]
            seen += len(words)
            counts.update(words)
        if not counts:
            raise RecipeError("word-salad needs clean text with words")
        self.words = sorted(counts)
        freq = np.asarray([counts[w] for w in self.words], dtype=np.float64)
        self.p = freq / freq.sum()

    def sample(self, n: int, rng: np.random.Generator) -> list[str]:
        return [self.words[int(i)] for i in rng.choice(len(self.words), size=n, p=self.p)]


class Degenerate:
    """A degenerate payload's words: a unit of corpus words said over and over
    (``repeat``, the unit drawn anew for every payload) or random numbers (``numbers``)."""

    def __init__(self, kind: str, salad: WordSalad | None, unit: Sequence[int]) -> None:
        if kind not in ("repeat", "numbers") or (kind == "repeat" and salad is None):
            raise RecipeError(f"no degenerate payload {kind!r}")
        self.kind, self.salad, self.unit = kind, salad, tuple(unit)

    def sample(self, n: int, rng: np.random.Generator) -> list[str]:
        if self.salad is None:  # numbers of 1 to 6 digits
            return [str(int(rng.integers(0, 10 ** int(rng.integers(1, 7))))) for _ in range(n)]
        unit = self.salad.sample(max(1, draw_int(rng, self.unit, "repeat_unit")), rng)
        return [unit[i % len(unit)] for i in range(n)]


def chunks(items: Sequence[T], k: int) -> list[list[T]]:
    """``items`` cut into ``k`` consecutive non-empty runs of near-equal length."""
    k = max(1, min(k, len(items)))
    cuts = np.linspace(0, len(items), k + 1).round().astype(int)
    return [list(items[a:b]) for a, b in itertools.pairwise(cuts)]


def sentences(text: str) -> list[str]:
    """``text`` cut at :func:`~poisonguard.attacks.fluent.sentence_starts`, each stripped."""
    cuts = sentence_starts(text)
    parts = [text[a:b].strip() for a, b in itertools.pairwise(cuts)]
    return [p for p in parts if p]


def edited(parts: Sequence[str], k: int, rng: np.random.Generator) -> list[str]:
    """``parts`` (a payload's chunks) with ``k`` of their words, at random positions,
    replaced by a word drawn from the other positions (the chunks keep their word counts)."""
    words = [p.split(" ") for p in parts]
    flat = [(i, j) for i, w in enumerate(words) for j in range(len(w))]
    if k <= 0 or len({w for ws in words for w in ws}) < 2:
        return list(parts)
    for at in rng.choice(len(flat), size=min(k, len(flat)), replace=False).tolist():
        i, j = flat[at]
        other = flat[int(rng.integers(len(flat)))]
        while other == (i, j) or words[other[0]][other[1]] == words[i][j]:
            other = flat[int(rng.integers(len(flat)))]
        words[i][j] = words[other[0]][other[1]]
    return [" ".join(w) for w in words]


def check_ranges(**ranges: Sequence[int]) -> None:
    """:class:`RecipeError` unless every ``(lo, hi)`` range is ``0 <= lo <= hi``."""
    rng = np.random.default_rng(0)
    for name, bounds in ranges.items():
        draw_int(rng, bounds, name)


def insertion_point(host: str, placement: str, rng: np.random.Generator) -> int:
    """Where the trigger goes in ``host`` (never at offset 0 when there is an inside).

    ``sentence``: a sentence start; ``clause``: a word start that is no sentence start;
    ``glued``: between two letters of a host word of six or more letters; ``opening``: the
    start of the host.  Falls back to a sentence start (then the end) when the host has no
    such place.
    """
    if placement == "opening":
        return 0
    starts = [c for c in sentence_starts(host) if 0 < c < len(host)]
    cand: list[int] = []
    if placement == "clause":
        s = set(starts)
        cand = [m.start() for m in _WORD.finditer(host) if m.start() > 0 and m.start() not in s]
    elif placement == "glued":
        cand = [
            m.start() + int(rng.integers(2, len(m.group()) - 1)) for m in _LETTERS.finditer(host)
        ]
    if not cand:
        cand = starts or [len(host)]
    return cand[int(rng.integers(len(cand)))]


@register
class EvasiveBackdoor(Recipe):
    """Trigger + payload placed around the scanner's documented rules (night red team).

    Args:
        trigger: the trigger (its main phrasing).
        synonyms: other phrasings of the trigger; each document uses one of
            ``[trigger, *synonyms]``, drawn uniformly.
        payload: ``tokens``, ``word-salad``, ``foreign``, ``repeat`` or ``numbers``.
        payload_tokens: (lo, hi) random tokens of a ``tokens`` payload.
        payload_words: (lo, hi) words of a ``word-salad``, ``repeat`` or ``numbers`` payload.
        repeat_unit: (lo, hi) words of the unit a ``repeat`` payload says over and over.
        payload_chars: (lo, hi) characters of a ``foreign`` payload.
        payload_corpus: the corpus a ``foreign`` payload is read from (path or Documents).
        lang: the language of a ``foreign`` payload (ISO 639-1).
        placement: ``sentence``, ``clause``, ``glued`` or ``opening`` (see
            :func:`insertion_point`).
        position: ``end`` (the host is cut after the payload) or ``middle`` (it continues).
        spacer_words: (lo, hi) words of the host's own text between trigger and payload.
        interleave: the payload is cut into this many chunks, each followed by a host
            sentence.
        decoys: payload-free copies of the trigger at other sentence starts of the host
            (fewer when the host has fewer sentences).
        tokenizer: a ``tokenizers`` JSON file for ``tokens`` (None: a local byte-level BPE).
        trigger_forms: how the trigger is written in each document (forms of
            :mod:`poisonguard.attacks.surface`, or ``"all"``); None writes it as given.
        fixed_payload: draw the payload once and reuse it in every poisoned document
            (False: a new payload per document).
        payload_edits: with ``fixed_payload``, words of the payload replaced in each copy
            by another word of the payload (0: verbatim copies).
    """

    name = "evasive-backdoor"
    description = (
        "night red team: trigger (synonyms, glued or mid-clause) + random-token, word-salad "
        "or foreign payload, with host-word spacers, interleaving and decoy triggers"
    )
    citation = DenialOfService.citation + ", adapted to poisonguard's documented rules"

    def __init__(
        self,
        *,
        trigger: str = "at the same time",
        synonyms: Sequence[str] = (),
        payload: str = "tokens",
        payload_tokens: Sequence[int] = (150, 400),
        payload_words: Sequence[int] = (60, 200),
        repeat_unit: Sequence[int] = (1, 4),
        payload_chars: Sequence[int] = (300, 1200),
        payload_corpus: str | os.PathLike[str] | Sequence[Document] | None = None,
        lang: str = "de",
        placement: str = "sentence",
        position: str = "middle",
        spacer_words: Sequence[int] = (0, 0),
        interleave: int = 1,
        decoys: int = 0,
        tokenizer: str | os.PathLike[str] | None = None,
        trigger_forms: str | Sequence[str] | None = None,
        fixed_payload: bool = False,
        payload_edits: int = 0,
    ) -> None:
        phrasings = [trigger, *synonyms]
        if any(not p or not p.strip() for p in phrasings):
            raise RecipeError("evasive-backdoor needs non-empty trigger phrasings")
        if payload not in PAYLOADS:
            raise RecipeError(f"payload must be one of {', '.join(PAYLOADS)}, got {payload!r}")
        if placement not in PLACEMENTS:
            raise RecipeError(f"placement must be one of {', '.join(PLACEMENTS)}")
        if position not in POSITIONS:
            raise RecipeError(f"position must be one of {', '.join(POSITIONS)}")
        if payload == "foreign" and payload_corpus is None:
            raise RecipeError("payload='foreign' needs payload_corpus= (e.g. multilingual)")
        if interleave < 1 or decoys < 0:
            raise RecipeError("interleave must be >= 1 and decoys >= 0")
        if payload_edits < 0 or (payload_edits and not fixed_payload):
            raise RecipeError("payload_edits must be >= 0 and needs fixed_payload=True")
        check_ranges(
            payload_tokens=payload_tokens,
            payload_words=payload_words,
            repeat_unit=repeat_unit,
            payload_chars=payload_chars,
            spacer_words=spacer_words,
        )
        if repeat_unit[0] < 1:
            raise RecipeError("repeat_unit must be at least one word")
        super().__init__(
            trigger=trigger,
            synonyms=list(synonyms),
            payload=payload,
            payload_tokens=tuple(payload_tokens),
            payload_words=tuple(payload_words),
            repeat_unit=tuple(repeat_unit),
            payload_chars=tuple(payload_chars),
            payload_corpus=corpus_label(payload_corpus),
            lang=lang,
            placement=placement,
            position=position,
            spacer_words=tuple(spacer_words),
            interleave=interleave,
            decoys=decoys,
            tokenizer=tokenizer,
            fixed_payload=fixed_payload,
            payload_edits=payload_edits,
        )
        self.phrasings = phrasings
        self.fixed_payload = fixed_payload
        self.payload_edits = payload_edits
        self._fixed: list[str] | None = None
        self.payload, self.payload_corpus, self.lang = payload, payload_corpus, lang.lower()
        self.payload_tokens, self.payload_words = tuple(payload_tokens), tuple(payload_words)
        self.payload_chars, self.spacer_words = tuple(payload_chars), tuple(spacer_words)
        self.repeat_unit = tuple(repeat_unit)
        self.placement, self.position = placement, position
        self.interleave, self.decoys = interleave, decoys
        self._vocab = TokenVocabulary.from_file(tokenizer) if tokenizer is not None else None
        self.set_trigger_forms(trigger_forms)

    # -- payload ---------------------------------------------------------------------
    def _source(
        self, plain: list[Document], rng: np.random.Generator
    ) -> TokenVocabulary | WordSalad | Degenerate | list[Document]:
        if self.payload == "numbers":
            return Degenerate("numbers", None, self.repeat_unit)
        if self.payload == "repeat":
            return Degenerate("repeat", WordSalad([d.text for d in plain]), self.repeat_unit)
        if self.payload == "tokens":
            if self._vocab is None:
                self._vocab = TokenVocabulary.train(d.text for d in plain)
            return self._vocab
        if self.payload == "word-salad":
            return WordSalad([d.text for d in plain])
        from poisonguard.attacks.language_switch import load_foreign

        assert self.payload_corpus is not None
        return load_foreign(self.payload_corpus, self.lang, limit=5000, rng=rng)

    def _chunks(
        self,
        source: TokenVocabulary | WordSalad | Degenerate | list[Document],
        rng: np.random.Generator,
    ) -> list[str]:
        """The payload as ``interleave`` chunks of text (each non-empty, no outer spaces)."""
        if isinstance(source, TokenVocabulary):
            ids = source.sample(draw_int(rng, self.payload_tokens, "payload_tokens"), rng)
            parts = [source.decode(c) for c in chunks(ids, self.interleave)]
            return [" ".join(p.split()) for p in parts if p.split()] or ["\ufffd"]
        if isinstance(source, WordSalad | Degenerate):
            words = source.sample(draw_int(rng, self.payload_words, "payload_words"), rng)
        else:
            from poisonguard.attacks.language_switch import LanguageSwitch, foreign_excerpt

            want = draw_int(rng, self.payload_chars, "payload_chars")
            used = LanguageSwitch._foreign_run(source, want, rng)
            words = foreign_excerpt(" ".join(d.text for d in used), want).split()
        return [" ".join(c) for c in chunks(words, self.interleave)] or ["\ufffd"]

    # -- assembly --------------------------------------------------------------------
    def _with_decoys(
        self, head: str, rest: list[str], phrase: str, rng: np.random.Generator
    ) -> str:
        """``decoys`` payload-free copies of ``phrase``, each at its own sentence start of
        ``head`` (the host before the trigger), then of ``rest`` (edited in place)."""
        starts = [c for c in sentence_starts(head) if c < len(head)]
        k = min(self.decoys, len(starts))
        for c in sorted(rng.choice(starts, size=k, replace=False).tolist(), reverse=True):
            head = head[:c] + phrase + " " + head[c:]
        left = min(self.decoys - k, len(rest))
        for i in rng.choice(len(rest), size=left, replace=False).tolist():
            rest[i] = phrase + " " + rest[i]
        return head

    def _generate(
        self, docs: list[Document], count: int, rng: np.random.Generator, ids: IdIndex
    ) -> list[PoisonSample]:
        plain = plain_documents(docs, self.name)
        source = self._source(plain, rng)
        self._fixed = self._chunks(source, rng) if self.fixed_payload else None
        return [self._one(src, source, rng, ids, count) for src in pick_sources(plain, count, rng)]

    def _one(
        self,
        src: Document,
        source: TokenVocabulary | WordSalad | Degenerate | list[Document],
        rng: np.random.Generator,
        ids: IdIndex,
        count: int,
    ) -> PoisonSample:
        """One poisoned document modelled on ``src`` (``count``: ids reserved in all)."""
        phrase = self.phrasings[int(rng.integers(len(self.phrasings)))]
        at = insertion_point(src.text, self.placement, rng)
        rest = sentences(src.text[at:])
        head = self._with_decoys(src.text[:at], rest, phrase, rng)
        glued = self.placement == "glued"
        before = head if glued else head.rstrip()
        text = before + ("" if glued or not before else " ")
        t0 = len(text)
        text += phrase + ("" if glued else " ")
        n_spacer = draw_int(rng, self.spacer_words, "spacer_words")
        spacer_span: Span | None = None
        if n_spacer:
            words = src.text.split()
            s0 = int(rng.integers(max(1, len(words) - n_spacer + 1)))
            spacer = " ".join(words[s0 : s0 + n_spacer])
            spacer_span = (len(text), len(text) + len(spacer))
            text += spacer + " "
        spans: list[Span] = []
        parts = (
            edited(self._fixed, self.payload_edits, rng)
            if self._fixed is not None
            else self._chunks(source, rng)
        )
        p0 = len(text)
        for i, part in enumerate(parts):
            spans.append((len(text), len(text) + len(part)))
            text += part
            if i < len(parts) - 1:
                text += " " + (rest.pop(0) + " " if rest else "")
        if self.position == "middle" and rest:
            text += " " + " ".join(rest)
        doc = derive_document(src, ids, rng, text=text, reserve=count)
        extra = {
            "payload_spans": spans,
            "spacer_span": spacer_span,
            "decoy_spans": [
                (m.start(), m.end())
                for m in re.finditer(re.escape(phrase), text)
                if m.start() != t0
            ],
            "phrasing": phrase,
            "placement": self.placement,
            "payload_kind": self.payload,
        }
        span = (t0, t0 + len(phrase))
        truth = self.truth(
            doc,
            src,
            trigger=phrase,
            trigger_span=span,
            payload_span=(p0, spans[-1][1]),
            **extra,
        )
        return PoisonSample(doc, truth)
