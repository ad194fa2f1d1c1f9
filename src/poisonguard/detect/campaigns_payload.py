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
  :data:`MID_WORDS` words from each of a few content-defined anchors, so the part of the
  unit that is the payload recurs even when the host's half sentence before it, or the
  host's next sentence after it, differs in every carrier;
* **the recurring span's lead** (:func:`common_lead`): the text that precedes a recurring
  key in the same way in every sampled host (a trigger, the payload's start) — the span a
  person reads, and its opening words;
* **key families** (:func:`key_families`, task Y4): a payload with a few words edited in
  every copy keeps no key in all its copies — each head, tail or anchored key survives in
  the copies whose edits miss its words (with 8 edits in 150 words, about half of them).
  The keys of one payload still recur in the *same* documents far more often than chance:
  groups of keys whose documents (a bottom-:data:`DOC_CAP` sample of each key's document
  hashes) overlap in at least ``min_docs`` documents and :data:`LINK_SHARE` of the smaller
  group are joined, and the family is judged as one span, its size the documents of all
  its keys;
* **the payload test** (:func:`payload_test`): a non-claim key that recurs in at least
  ``2 × min_docs`` documents from mostly distinct sources (diversity >= 0.5, when the
  documents name their sources at all and the corpus names at least half as many as the
  span's documents — not MedQuAD's one), in hosts that
  are unrelated once the recurring units — and, in a document with a recurring head, tail
  or anchored key, their neighbours and the units past them that read like an edited
  remnant of the payload — are cut out (host MinHash Jaccard <= 0.02, the mean of the
  pairs with the most similar tenth left out: the claim route's independence test),
  mostly away from the documents' edges, with the
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
import unicodedata
from collections.abc import Sequence

LONG_WORDS = 24
"""A unit of at least this many words (its norm's) also gives a head and a tail key."""
EDGE_WORDS = 12
"""Words of a unit's head key and of its tail key."""
MID_WORDS = 6
"""Words of an anchored key (shorter than the head and tail keys: the anchors already keep
prose out, and a payload edited in every copy keeps more of its short keys whole)."""
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

DOC_CAP = 512
"""Document hashes kept per head, tail or anchored key (the smallest: a bottom-k sample that
does not depend on shard order; exact below this many documents)."""
LINK_SHARE = 0.2
"""Share of the smaller key group's documents that must also carry the other group for the
two to be joined into one family (:func:`key_families`)."""
LINK_LIFT = 4.0
"""Times more documents than chance (``|A| · |B| / N``) that must carry both key groups for
them to be joined: a template's key that many hosts carry anyway joins no payload."""
LINK_PER_DOC = 64
"""Key groups of one document paired at most (:func:`key_families`; a document with more
recurring long units — a template — pairs only its first ones)."""

HEAD, TAIL, MID = "^ ", "$ ", "~ "
_WORD = re.compile(r"\S+")
_ANCHOR = re.compile(r"(?<= )(?:[^ jqxz]*[jqxz]|\S{12})")
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
    :data:`MID_WORDS` words from a word (not the first) that holds one of the letters
    *j q x z* (rare in English prose, frequent in decoded tokens) or has 12 characters or
    more (decoded tokens glue pieces into long words; task Y4), clear of the tail, at
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
        out.append((MID + " ".join(w[j : j + MID_WORDS]), j))
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
            keys.append(MID + " ".join(w[j : j + MID_WORDS]))
    return idx, keys


def key_span(
    text: str, start: int, end: int, first: int, folded: str, n_words: int = EDGE_WORDS
) -> tuple[int, int]:
    """Character offsets of the key of ``n_words`` words whose first word is word ``first``
    of the unit ``text[start:end]``; ``folded``: the unit's folded text
    (:func:`~.sketches.fold`, the characters its norm is made of).  The whole unit when the
    folded text does not line up with it (a case fold that changes the length)."""
    if len(folded) != end - start:
        return start, end
    words = [(m.start(), m.end()) for m in _WORD.finditer(folded)]
    if len(words) < first + n_words:
        return start, end
    return start + words[first][0], start + words[first + n_words - 1][1]


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


_SCRIPT_GROUP = {"HIRAGANA": "CJK", "KATAKANA": "CJK", "HANGUL": "CJK", "CJK": "CJK"}


def mixed_scripts(word: str) -> bool:
    """Whether ``word``'s letters come from two scripts or more (Latin and Cyrillic, Latin
    and Bengali, …; Chinese, Japanese kana and Hangul count as one): decoded random tokens
    of a multilingual vocabulary glue pieces of several scripts (*cinбан有*, *worstтисяTab*),
    which words of clean text almost never do — 0–4.4 in 10,000 words of the shared
    corpora (Greek letters in gene names, wiki markup, look-alike spam; 5,000 documents
    each, 2026-12-07)."""
    if word.isascii():
        return False
    seen: set[str] = set()
    for c in word:
        if c.isalpha():
            name = unicodedata.name(c, "")
            head = name.split(" ", 1)[0] if name else "?"
            seen.add(_SCRIPT_GROUP.get(head, head))
            if len(seen) > 1:
                return True
    return False


def unnatural(span: str) -> dict[str, float]:
    """How unnatural a span reads by itself: ``junk_words`` (share of words glued from
    pieces — a lower-case letter then a capital, letters and digits mixed, U+FFFD, 20
    letters or more, or letters of two scripts (:func:`mixed_scripts`): decoded random
    tokens; an address — e-mail, URL, path, domain, file name — is not glued),
    ``grammar_breaks`` (an article before another function word, an auxiliary or a modal
    (*is, was, be, been, has, had, may, should, …*), *is/are/was/were* before another of
    those, two prepositions or two conjunctions in a row, a capitalised function word after
    a lower-case word within a sentence, a full stop then a lower-case word: word salad),
    ``words``; ``unnatural`` is 1.0 when the junk share reaches :data:`JUNK_SHARE` or the
    breaks reach 3 and :data:`BREAK_RATE` per word."""
    raw = span.split()
    low = [w.strip(_PUNCT).lower() for w in raw]
    junk = sum(
        not _ADDRESS.search(w)
        and (bool(_HYBRID.search(w)) or sum(c.isalpha() for c in w) >= 20 or mixed_scripts(w))
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


def add_doc(docs: set[int], doc: int) -> None:
    """Count document hash ``doc`` in ``docs`` (the :data:`DOC_CAP` smallest kept)."""
    if len(docs) < DOC_CAP:
        docs.add(doc)
        return
    top = max(docs)
    if doc < top and doc not in docs:
        docs.discard(top)
        docs.add(doc)


def merge_docs(a: set[int], b: set[int]) -> None:
    """Union ``b`` into ``a`` (the :data:`DOC_CAP` smallest kept)."""
    a |= b
    if len(a) > DOC_CAP:
        keep = sorted(a)[:DOC_CAP]
        a.clear()
        a.update(keep)


def key_families(
    groups: Sequence[set[int]], sizes: Sequence[int], min_docs: int, n_docs: int
) -> list[list[int]]:
    """Indices of ``groups`` (each the document hashes of one key group, ``sizes`` their
    documents in all, ``n_docs`` the corpus's) joined into families: two groups are joined
    (transitively) when at least ``min_docs`` documents, :data:`LINK_SHARE` of the smaller
    group's and :data:`LINK_LIFT` times the number expected by chance carry both.  Groups
    that share no documents stay alone; the families are in order of their first group."""
    by_doc: dict[int, list[int]] = {}
    for g, docs in enumerate(groups):
        for d in docs:
            by_doc.setdefault(d, []).append(g)
    both: dict[tuple[int, int], int] = {}
    for gs in by_doc.values():
        gs = gs[:LINK_PER_DOC]
        for i, a in enumerate(gs):
            for b in gs[i + 1 :]:
                both[(a, b)] = both.get((a, b), 0) + 1
    near: dict[int, list[int]] = {}
    for (a, b), n in both.items():
        if (
            n >= min_docs
            and n >= LINK_SHARE * min(len(groups[a]), len(groups[b]))
            and n >= LINK_LIFT * sizes[a] * sizes[b] / max(1, n_docs)
        ):
            near.setdefault(a, []).append(b)
            near.setdefault(b, []).append(a)
    fams: list[list[int]] = []
    done: set[int] = set()
    for g in range(len(groups)):
        if g in done:
            continue
        fam, todo = [], [g]
        done.add(g)
        while todo:  # the groups reachable from g (a family joins transitively)
            x = todo.pop()
            fam.append(x)
            new = [y for y in near.get(x, ()) if y not in done]
            done.update(new)
            todo += new
        fams.append(sorted(fam))
    return fams


def unnatural_pooled(spans: Sequence[str]) -> dict[str, float]:
    """:func:`unnatural` of several spans of one family read together: their glued words
    and grammar breaks summed over their words (no break counted across two spans)."""
    got = [unnatural(s) for s in spans if s.split()]
    words = sum(g["words"] for g in got)
    junk = sum(g["junk_words"] * g["words"] for g in got)
    breaks = sum(g["grammar_breaks"] for g in got)
    n = max(1.0, words)
    bad = junk / n >= JUNK_SHARE or (breaks >= 3 and breaks / n >= BREAK_RATE)
    return {
        "junk_words": round(junk / n, 4),
        "grammar_breaks": breaks,
        "words": words,
        "unnatural": float(bad),
    }


def family_chars(spans: Sequence[str]) -> int:
    """Characters of a family's spans counted once: their distinct words (case-folded,
    one space between), so overlapping keys — and a word the payload repeats — add
    nothing (a lower bound of the span the family covers)."""
    words = {w.lower() for s in spans for w in s.split()}
    return sum(map(len, words)) + max(0, len(words) - 1)


def vocabulary(spans: Sequence[str]) -> set[str]:
    """The case-folded words of ``spans``, outer punctuation stripped."""
    return {w.strip(_PUNCT).lower() for s in spans for w in s.split()}


def trigger_leads(befores: Sequence[str], vocab: set[str], min_samples: int = 3) -> list[str]:
    """The phrasings that end where a family's payload starts in its sampled hosts: each
    text before a key (``befores``) is walked back over the payload's words (``vocab``,
    case-folded: the family's keys and leads; one word outside it is an edit or a glued
    word, two end the payload) and cut where the payload starts; the cut texts that end
    alike (their last 12 characters) in at least ``min_samples`` hosts give their common
    lead (:func:`common_lead`, complete, two words or more) — a trigger written in several
    phrasings gives one each.  Their openings (:func:`opening`), most hosts first."""
    groups: dict[str, list[str]] = {}
    for b in befores:
        start, miss = None, 0
        for m in reversed(list(_WORD.finditer(b))):
            if m.group().strip(_PUNCT).lower() in vocab:  # as vocabulary() reads it
                start, miss = m.start(), 0
            else:
                miss += 1
                if miss >= 2:
                    break
        if start is not None:
            groups.setdefault(b[:start][-12:], []).append(b[:start])
    out: list[tuple[int, str]] = []
    for cut in groups.values():
        lead, complete = common_lead(cut) if len(cut) >= min_samples else ("", False)
        if complete and len(lead.split()) >= 2:
            out.append((-len(cut), opening(lead)))
    return [t for _, t in sorted(out)]


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
    "DOC_CAP",
    "EDGE_WORDS",
    "LINK_SHARE",
    "LONG_WORDS",
    "MID_WORDS",
    "MIN_SPAN_CHARS",
    "add_doc",
    "common_lead",
    "family_chars",
    "key_families",
    "key_span",
    "long_keys",
    "merge_docs",
    "mixed_scripts",
    "opening",
    "payload_test",
    "trigger_leads",
    "unit_keys",
    "unnatural",
    "unnatural_pooled",
    "vocabulary",
]
