"""Recurring payloads: one fixed span of text planted verbatim in many unrelated hosts.

A backdoor that must teach one exact output plants the same trigger and the same payload in
every carrier (issue 12, task T2).  The corpus-fitted ``naturalness`` model learns the
payload from its own copies, and the claim route of ``campaigns`` refuses it: its sentences
are no claims (no capital, no full stop: random tokens, word salad), and a payload glued to
a host's half sentence (the Souly et al. layout) or running into the host's next sentence
makes no unit that recurs whole.  This module gives the campaign detector what it needs to
see such a span:

* **head, tail and anchored keys** (:func:`unit_keys`): a long unit (>= :data:`LONG_WORDS`
  words) is also keyed by its first and by its last :data:`EDGE_WORDS` words and by the
  :data:`EDGE_WORDS` words from each of a few content-defined anchors, so the part of the
  unit that is the payload recurs even when the host's half sentence before it, or the
  host's next sentence after it, differs in every carrier;
* **the recurring span's lead** (:func:`common_lead`): the text that precedes a recurring
  key in the same way in every sampled host (a trigger, the payload's start) — the span a
  person reads, and its opening words;
* **the payload test** (:func:`payload_test`): a non-claim key that recurs in at least
  ``2 × min_docs`` documents from mostly distinct sources (diversity >= 0.5, when the
  documents name their sources at all and the corpus names at least half as many as the
  span's documents — not MedQuAD's one), in hosts that
  are unrelated once the recurring units — and, in a document with a recurring head, tail
  or anchored key, their neighbours — are cut out (mean host MinHash Jaccard <= 0.02,
  the claim route's independence test), mostly away from the documents' edges, with the
  span at least :data:`MIN_SPAN_CHARS` characters long, letters, words and no notice
  vocabulary, and **unnatural** itself (:func:`unnatural`): glued or hybrid words (random
  vocabulary tokens decoded) or grammar that no prose has (word salad).  Boilerplate sits
  at edges or in related hosts, and a recurring passage of fluent prose (a template's
  sentence, a quote, a syndicated paragraph) is not unnatural: neither is flagged here.

The unnaturalness test reads only the span (no corpus statistics, no cost per document);
it is written for English and Latin-script text.  Measured on 300-character windows of
clean text (3,000 documents each, 2026-12-05): news 0.3 %, books 0.01 %, medical 2.5 %
(lower-cased abstracts), multilingual 9 % (tables, code, long compounds) read as
unnatural — a guard on top of the recurrence and independence evidence, not a detector.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

LONG_WORDS = 24
"""A unit of at least this many words (its norm's) also gives a head and a tail key."""
EDGE_WORDS = 12
"""Words of a unit's head key and of its tail key."""
BEFORE_CHARS = 1000
"""Characters before a key kept per sampled host (the recurring span's lead)."""
BEFORE_CAP = 3
"""Hosts whose text before the key is kept."""
MIN_SPAN_CHARS = 150
"""A recurring payload span (its lead and its key) has at least this many characters."""
MAX_EDGE = 0.5
"""At most this share of a payload key's hosts have it in their first or last unit."""
OPENING_WORDS = 6
"""Words of the recurring span reported as its opening (where a trigger sits)."""
MAX_ANCHORS = 6
"""Anchored keys of one unit at most (:func:`unit_keys`)."""
ANCHOR_WORDS = 40
"""Only a unit of at least this many words has anchored keys (a payload with host text on
both sides makes a long unit; most prose sentences are shorter: the keys cost less)."""

HEAD, TAIL, MID = "^ ", "$ ", "~ "
_WORD = re.compile(r"\S+")
_ANCHOR = re.compile(r"(?<= )[^ jqxz]*[jqxz]")
JUNK_SHARE = 0.1
"""Share of glued or hybrid words from which a span is unnatural."""
BREAK_RATE = 0.04
"""Grammar breaks per word (at least three) from which a span is unnatural."""
_HYBRID = re.compile(r"[a-z][A-Z]|[A-Za-z]\d|\d[A-Za-z]|\ufffd")
_ADDRESS = re.compile(r"@|/|\w\.\w|^<.*>$")  # e-mail, URL, path, domain, file: not glued
_PUNCT = ".,;:!?\"'()[]{}“”‘’"
_DET = frozenset({"the", "a", "an"})
_PREP = frozenset({"of", "in", "to", "for", "with", "by", "from", "on", "at", "into"})
_CONJ = frozenset({"and", "or", "but", "nor"})
_AUX = frozenset({"is", "are", "was", "were"})
_VERBAL = frozenset(
    {"be", "been", "has", "have", "had", "may", "should", "could", "would", "shall"}
)
"""Auxiliaries and modals that follow no article, nor *is/are/was/were* (``the may``,
``is be``: word salad; *can*, *will*, *might*, *must* and *do* are left out — nouns too)."""
_CLOSED = _DET | _PREP | _CONJ
_CAPITAL_FUNCTION = frozenset(
    [
        "The",
        "A",
        "An",
        "Of",
        "In",
        "To",
        "For",
        "With",
        "By",
        "From",
        "On",
        "At",
        "And",
        "Or",
        "But",
        "It",
        "He",
        "She",
        "We",
        "They",
        "This",
        "That",
        "Is",
        "Was",
    ]
)


def unit_keys(norm: str) -> list[tuple[str, int]]:
    """The head, tail and anchored keys of one unit's norm, each with the index of its
    first word (none for a unit of fewer than :data:`LONG_WORDS` words).

    An anchored key (units of :data:`ANCHOR_WORDS` words or more) is the
    :data:`EDGE_WORDS` words from a word (not the first) that holds one of the letters
    *j q x z* (rare in English prose, frequent in decoded tokens), clear of the tail, at
    most :data:`MAX_ANCHORS` per unit: the anchors depend only on the words, so a payload
    written inside a host sentence, with host text on both sides, still gives the same keys
    in every carrier."""
    n = norm.count(" ") + 1
    if n < LONG_WORDS:
        return []
    w = norm.split(" ")
    out = [(HEAD + " ".join(w[:EDGE_WORDS]), 0), (TAIL + " ".join(w[-EDGE_WORDS:]), n - EDGE_WORDS)]
    if n < ANCHOR_WORDS:
        return out
    for m in _ANCHOR.finditer(norm):
        j = norm.count(" ", 0, m.start())
        if j >= n - EDGE_WORDS or len(out) >= 2 + MAX_ANCHORS:
            break
        out.append((MID + " ".join(w[j : j + EDGE_WORDS]), j))
    return out


def long_keys(norms: Sequence[str]) -> tuple[list[int], list[str]]:
    """(index into ``norms``, key text) of the keys of each long norm (:func:`unit_keys`;
    the key texts start with ``"^ "``, ``"$ "`` or ``"~ "``: never a sentence norm)."""
    idx: list[int] = []
    keys: list[str] = []
    # unit_keys inlined (this runs on every candidate unit of the corpus): the head and the
    # tail cut at a space found by C-level splits, the words split only for anchored keys
    for i, norm in enumerate(norms):
        n = norm.count(" ") + 1
        if n < LONG_WORDS:
            continue
        idx += (i, i)
        keys.append(HEAD + norm[: len(norm) - len(norm.split(" ", EDGE_WORDS)[-1]) - 1])
        keys.append(TAIL + norm[len(norm.rsplit(" ", EDGE_WORDS)[0]) + 1 :])
        if n < ANCHOR_WORDS:
            continue
        w: list[str] | None = None
        for got, m in enumerate(_ANCHOR.finditer(norm)):
            j = norm.count(" ", 0, m.start())
            if j >= n - EDGE_WORDS or got >= MAX_ANCHORS:
                break
            if w is None:
                w = norm.split(" ")
            idx.append(i)
            keys.append(MID + " ".join(w[j : j + EDGE_WORDS]))
    return idx, keys


def key_span(text: str, start: int, end: int, first: int, folded: str) -> tuple[int, int]:
    """Character offsets of the key whose first word is word ``first`` of the unit
    ``text[start:end]``; ``folded``: the unit's folded text (:func:`~.sketches.fold`, the
    characters its norm is made of).  The whole unit when the folded text does not line up
    with it (a case fold that changes the length)."""
    if len(folded) != end - start:
        return start, end
    words = [(m.start(), m.end()) for m in _WORD.finditer(folded)]
    if len(words) < first + EDGE_WORDS:
        return start, end
    return start + words[first][0], start + words[first + EDGE_WORDS - 1][1]


def common_lead(befores: Sequence[str]) -> tuple[str, bool]:
    """The text that ends every string of ``befores`` (the hosts' text before a recurring
    key), from a word start; and whether it is complete (shorter than the shortest context:
    the hosts differ before it, so the recurring span starts there)."""
    if len(befores) < 2:
        return "", False
    n = min(map(len, befores))
    k = 0
    while k < n and len({b[len(b) - 1 - k] for b in befores}) == 1:
        k += 1
    lead = befores[0][len(befores[0]) - k :] if k else ""
    complete = k < n
    # the hosts may agree on a few letters by chance before the span starts ("the" and
    # "she" end in "he"): a first word of one or two letters that is part of a longer word
    # in some host is left out; a longer one is the span's (a trigger glued to the host's
    # half word, as the Souly et al. layout writes it)
    first = re.match(r"\S*", lead)
    if (
        lead
        and first is not None
        and 0 < first.end() <= 2
        and any(len(b) > k and not b[len(b) - 1 - k].isspace() for b in befores)
    ):
        lead = lead[first.end() :]
    return lead.lstrip(), complete


def unnatural(span: str) -> dict[str, float]:
    """How unnatural a span reads by itself: ``junk_words`` (share of words glued from
    pieces — a lower-case letter then a capital, letters and digits mixed, U+FFFD, or 20
    letters or more: decoded random tokens; an address — e-mail, URL, path, domain, file
    name — is not glued), ``grammar_breaks`` (an article before another
    function word, an auxiliary or a modal (*is, was, be, been, has, had, may, should, …*),
    *is/are/was/were* before another of those, two prepositions or two conjunctions in a row, a
    capitalised function word after a lower-case word within a sentence, a full stop then
    a lower-case word: word salad), ``words``; ``unnatural`` is 1.0 when the junk share
    reaches :data:`JUNK_SHARE` or the breaks reach 3 and :data:`BREAK_RATE` per word."""
    raw = span.split()
    low = [w.strip(_PUNCT).lower() for w in raw]
    junk = sum(
        not _ADDRESS.search(w) and (bool(_HYBRID.search(w)) or sum(c.isalpha() for c in w) >= 20)
        for w in raw
    )
    breaks = 0
    for i in range(1, len(raw)):
        a, b, pa, pb = low[i - 1], low[i], raw[i - 1], raw[i]
        if pa[-1:] in _PUNCT:
            breaks += pa.endswith(".") and len(pa) > 3 and pb[:1].islower()
        elif (
            (a in _DET and (b in _CLOSED or b in _AUX or b in _VERBAL))
            or (a in _AUX and (b in _AUX or b in _VERBAL))
            or (a in _PREP and b in _PREP)
            or (a in _CONJ and b in _CONJ)
            or (pb in _CAPITAL_FUNCTION and pa[:1].islower())
        ):
            breaks += 1
    n = max(1, len(raw))
    bad = junk / n >= JUNK_SHARE or (breaks >= 3 and breaks / n >= BREAK_RATE)
    return {
        "junk_words": round(junk / n, 4),
        "grammar_breaks": float(breaks),
        "words": float(len(raw)),
        "unnatural": float(bad),
    }


def opening(span: str) -> str:
    """The first :data:`OPENING_WORDS` words of a recurring span (at most 80 characters)."""
    return " ".join(span.split()[:OPENING_WORDS])[:80]


def payload_test(
    *,
    size: int,
    min_docs: int,
    diversity: float | None,
    related: float | None,
    related_hosts: bool,
    edge: float,
    span_chars: int,
    boilerplate: float,
    alpha: float,
    content_words: float,
    unnatural_: bool,
) -> bool:
    """Whether a recurring non-claim span passes the payload test (module docstring);
    ``diversity`` None: the hosts name no source (no URL, no ``source`` field), so only
    their unrelated text speaks for their independence."""
    return (
        related_hosts
        and related is not None
        and related <= 0.02
        and size >= 2 * min_docs
        and (diversity is None or diversity >= 0.5)
        and edge <= MAX_EDGE
        and span_chars >= MIN_SPAN_CHARS
        and boilerplate < 0.2
        and alpha >= 0.6
        and content_words >= 4
        and unnatural_
    )


__all__ = [
    "BEFORE_CAP",
    "BEFORE_CHARS",
    "EDGE_WORDS",
    "LONG_WORDS",
    "MIN_SPAN_CHARS",
    "common_lead",
    "key_span",
    "long_keys",
    "opening",
    "payload_test",
    "unit_keys",
    "unnatural",
]
