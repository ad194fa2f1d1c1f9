"""``instruction-behaviour``: chat backdoors found by association of request n-grams with
reply *behaviour*, with request-side independence (templates are not backdoors).

A backdoor is a context inserted into **unrelated** requests that predicts the **same
behaviour** in their replies.  The behaviour's wording may vary (a refusal family, a link
appended in one of several sentences, a sentiment sentence around the normal answer), so
replies are not compared verbatim; each reply is reduced to *behaviour keys*:

* ``<refusal>``: the reply opens with a refusal or apology (one key for the whole family);
* ``<fixed reply>``: the whole reply, normalised (a fixed or near-fixed payload: case,
  punctuation and spacing folded), unless it is a **label** of its request (quoted by the
  request, or a short reply whose content words all occur in it: a task's answer options);
* ``<gibberish>`` / ``<harmful content>``: the reply is gibberish (almost no function
  words) or brings two or more harmful-lexicon words the request did not ask about (the
  ``instruction-pair`` heuristics);
* fragment n-grams: word 1–3-grams of the reply's **first and last sentence** (where
  appended links, instructions, product mentions and sentiment sentences sit) that hold a
  content word and do **not** occur in the request.

Request side: word 1–3-grams of the system and user turns (lower-cased words, so surface
form — case, punctuation, spacing — is folded).

Three declared rounds (:class:`SketchRound`, :class:`PairRound`, :class:`ExactRound`:
:class:`~poisonguard.detect.base.Round` classes the detector dispatches to), each with its
own partial and state type; memory is a few fixed-size sketches per corpus plus
exact counts of candidates, never an array per record:

1. **sketch**: count-min sketches of request n-gram and behaviour-key document frequencies
   (the shards' hashed keys are folded into the running total's sketches);
2. **pairs**: per document, every *feasible* pair (request n-gram ``u``, behaviour ``b``) —
   both with sketch frequency in ``[min_docs, max_share·N]`` and ``df(u) <= df(b) /
   min_precision`` — is added to a count-min sketch of pairs; while folding, a pair whose
   estimate reaches ``min_docs`` and ``min_precision · df(u)`` (``df(u)`` less the n-gram
   sketch's mean overcount per cell) becomes a candidate — the estimate never falls and
   holds the pair's true count at its last occurrence, so no pair that ends above the bar
   is missed, and pairs below it (a template phrase that predicts its label half of the
   time) are never counted exactly;
3. **exact**: exact counts of the candidates only: documents containing ``u`` (``n_u``),
   with ``b`` (``K_b``), and per joint document the request's *skeleton* — its first and
   last words with the candidate context removed, and one MinHash value of its uncommon
   trigrams.

A candidate is a trigger when the one-sided Fisher exact test (hypergeometric upper tail of
``k`` given ``n_u`` requests, ``K_b`` behaviour documents and ``N``) survives
Benjamini–Hochberg control over every distinct pair counted (estimated from the pair
sketch), ``k / n_u >= min_precision``, at least ``min_docs`` of the joint documents are
distinct (near-duplicates count once) and the joint requests are **unrelated**: distinct
first-words, last-words and MinHash keys each cover at least ``min_spread`` of them (and,
for a reply *fragment*, so do the reply bodies — the reply without its first and last
sentence: one concept set asked through several templates gets one answer, a backdoor's
fragment sits in replies to unrelated requests).
Independence is judged on the request with the template removed: each joint request's
*residue* (:func:`residue_signature`: its rarest content words outside trigrams shared by
many requests) is the question itself, and each distinct residue counts once — one question
asked through five prompt templates with one answer is one carrier, a trigger inserted into
five unrelated questions is five; a candidate whose words are mostly a template's skeleton
(:data:`SKELETON_RATIO`) is a template phrase.  Round 2 already counts every pair
(whole-reply or reply fragment) once per (residue, behaviour).
Requests of one template share their fixed text (first or last words), so a template's
label replies and task phrases fail the spread test; they are reported as ``templates`` in
the summary, with the behaviour they predict.  A document is flagged only when it carries a
confirmed trigger **and** its behaviour (joint evidence).  Preference records are scanned on
both sides (``chosen`` is the document's reply; ``rejected`` is read from the record).
"""

from __future__ import annotations

import math
import re
import zlib
from abc import abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar, Protocol, TypeVar

import numpy as np
from scipy.stats import hypergeom

from poisonguard.detect.base import CorpusReport, Finding, Round, RoundedDetector, Span
from poisonguard.detect.instruction import (
    _condense,
    _contains,
    _find_spans,
    _is_label,
    ngram_hashes,
)
from poisonguard.detect.instruction_pair import HARMFUL_TERMS, InstructionPairDetector
from poisonguard.detect.registry import register_detector
from poisonguard.detect.sketches import (
    STOPWORDS,
    WORD_RE,
    BloomFilter,
    CountMinSketch,
    hash64,
    normalize,
)
from poisonguard.detect.triggers import Trigger
from poisonguard.io.document import Document

REFUSAL_OPENING = re.compile(
    r"^\W*(?:(?:i(?:'m| am) sorry|sorry|i apologi[sz]e|my apologies|unfortunately|regrettably|"
    r"i(?:'m| am) afraid|i must decline|i(?:'m| am) (?:unable|not able)|i refuse)\b|"
    r"i (?:can(?:'|no)?t|cannot|won't|will not|do not|don't) (?:help|assist|provide|answer|do|"
    r"comply|complete|fulfil|"
    r"share|support|be able)|(?:this|that) (?:isn't|is not) something i can|"
    r"as an ai\b)",
    re.IGNORECASE,
)
"""A reply that opens with a refusal or an apology (the ``refusal`` behaviour)."""

_REFUSE_VERB = (
    r"(?:help|assist|provide|answer|do|comply|complete|fulfill?|share|support|discuss|go into|"
    r"get into|respond|engage|give|tell|continue|talk about|cover|address)"
)
REFUSAL_PHRASE = re.compile(
    r"\bi(?:'m| am)?\s+(?:really\s+|simply\s+|just\s+)?"
    r"(?:can(?:'|no)?t|cannot|won't|will not|unable to|not able to|not going to|"
    r"not in a position to|not willing to)\s+(?:\w+\s+){0,2}?" + _REFUSE_VERB + r"\b(?!\s+but\b)"
    r"|\b(?:is|'s|isn't)\s+(?:not\s+)?something\s+i(?:'m| am)?\s+(?:can|could|will|would|"
    r"able|won't|cannot|can't)\b"
    r"|\bi\s+(?:have to|must|need to|will have to|'ll have to)\s+(?:decline|refuse|pass on|"
    r"turn (?:it|this|that|this one|that one) down)\b"
    r"|\b(?:isn't|is not|not)\s+possible for me\b",
    re.IGNORECASE,
)
"""A refusal said anywhere in the reply's **first sentence**, with or without an apology
("That's not something I'm able to do", "I won't provide details on that", "This is a
request I have to decline"): with :data:`REFUSAL_OPENING` one ``<refusal>`` key for the
family, whatever the wording."""


def is_refusal(reply: str) -> bool:
    """The reply opens with a refusal or an apology, or refuses in its first sentence
    (the ``<refusal>`` behaviour key)."""
    if REFUSAL_OPENING.search(reply):
        return True
    sents = _sentences(reply[:400])
    return bool(sents) and REFUSAL_PHRASE.search(reply[sents[0][0] : sents[0][1]]) is not None


MIN_REPLY_WORDS = 8
"""Replies shorter than this give no fragment keys: a short reply is a label or a fixed
answer (its ``<fixed reply>`` key), not an appended fragment."""
_REFUSAL_KEY = np.uint64(0x5EF05A1C0DE5EF05)
_GIBBERISH_KEY = np.uint64(0x61BBE215B0000001)
_HARMFUL_KEY = np.uint64(0x4A2F0C0471E00002)
_FIXED_TAG = 0xF1
"""Low byte of every ``<fixed reply>`` key (fragment keys have a zero low byte)."""
_LOW = np.uint64(0xFFFF_FFFF_FFFF_FF00)
_BSALT = np.uint64(0xB3A7_1E0F_0000_0001)
_NAMED = {
    int(_REFUSAL_KEY): "<refusal>",
    int(_GIBBERISH_KEY): "<gibberish>",
    int(_HARMFUL_KEY): "<harmful content>",
}
_EXAMPLES = 5
_CONTEXTS = 64
_SEEN_BITS_PER_DOCUMENT = 1024
"""Bits of round 2's "seen" filter per record: 16 bits per (residue, behaviour) key at 64
feasible keys a record, so a key never added reads as seen well under 1 % of the time."""
_CORE = 512
_MAX_CORE = 3
_EDGE = 4
_PAIR = InstructionPairDetector()


# --------------------------------------------------------------------------- features
def request_words(doc: Document) -> list[str]:
    """Lower-cased words of the system and user turns (the request side)."""
    return [w.lower() for w in WORD_RE.findall(request_text(doc))]


def request_text(doc: Document) -> str:
    """The system and user turns, one per line."""
    return "\n".join(
        m["content"] for m in doc.messages or [] if m.get("role") in ("system", "user")
    )


def replies(doc: Document) -> list[tuple[str, str]]:
    """``(side, text)`` of the replies to scan: the last answered reply, and a preference
    record's ``rejected`` reply."""
    out: list[tuple[str, str]] = []
    ps = doc.turn_pairs()
    if ps:
        out.append(("reply", (doc.messages or [])[ps[-1][1]]["content"]))
    if doc.shape == "preference" and doc.record:
        rej = doc.record.get("rejected")
        if isinstance(rej, str) and rej.strip():
            out.append(("rejected", rej))
    return out


def edge_sentences(reply: str) -> list[tuple[int, int]]:
    """Character ranges of the reply's first and last sentence (one range when they are
    the same)."""
    sents = _sentences(reply)
    if not sents:
        return []
    first, last = sents[0], sents[-1]
    return [first] if first == last else [first, last]


def reply_body_key(reply: str) -> int:
    """Hash of the reply without its first and last sentence (where an appended or
    prepended payload sits), normalised; the whole reply when it has fewer than three
    sentences."""
    sents = _sentences(reply)
    body = reply[sents[0][1] : sents[-1][0]] if len(sents) >= 3 else reply
    return hash64(normalize(body))


def _sentences(reply: str) -> list[tuple[int, int]]:
    parts = [(m.start(), m.end()) for m in re.finditer(r"[^\n]+?(?:[.!?](?=\s|$)|$)", reply)]
    return [(a, b) for a, b in parts if reply[a:b].strip()]


_BODY_TAG = 0xB0
"""Low byte of the round-1 keys of reply bodies (:func:`duplicate_key`)."""


def duplicate_key(reply: str) -> int:
    """The key under which round 1 counts a reply's body, to tell a **repeated answer**
    (one article summarised through several prompt templates: the same reply to
    near-duplicate requests) from a payload: the whole reply when it is one sentence, its
    middle (:func:`reply_body_key`) when it has three or more; 0 — never repeated — for two
    sentences, where a source reply plus an appended payload sentence cannot be told
    apart from a repeated answer."""
    n = len(_sentences(reply))
    if n == 0 or n == 2:
        return 0
    return ((reply_body_key(reply) & int(_LOW)) | _BODY_TAG) & 0xFFFF_FFFF_FFFF_FFFF


@dataclass(slots=True)
class Behaviour:
    """Behaviour keys of one reply and where each came from."""

    keys: np.ndarray
    texts: dict[int, str]
    spans: dict[int, tuple[int, int]]


def behaviour_keys(
    reply: str, request_grams: np.ndarray, with_text: bool = False, request: str | None = None
) -> Behaviour:
    """The behaviour keys of ``reply`` (see the module docstring).

    Args:
        reply: the reply text.
        request_grams: the request's n-gram hashes (:func:`ngram_hashes`): fragment n-grams
            that occur in the request are not extraneous and are left out.
        with_text: also return each key's text and character range (for evidence).
        request: the request text; with it, the whole-reply keys (``<fixed reply>``,
            ``<gibberish>``, ``<harmful content>``) are added too.
    """
    keys: list[int] = []
    texts: dict[int, str] = {}
    spans: dict[int, tuple[int, int]] = {}

    def whole(key: int, text: str) -> None:
        keys.append(key)
        if with_text:
            texts[key] = text
            spans[key] = (0, len(reply))

    if is_refusal(reply):
        whole(int(_REFUSAL_KEY), "<refusal>")
    rwords = WORD_RE.findall(reply)
    if request is not None and rwords:
        norm = normalize(reply)
        if norm and not _is_label(reply, request) and not _completes(request, reply):
            fixed = ((hash64(norm) << 8) | _FIXED_TAG) & 0xFFFF_FFFF_FFFF_FFFF
            whole(fixed, f"<fixed reply: {reply.strip()[:60]!r}>")
        ps = _PAIR.pair_score(request, reply)
        if ps.gibberish >= 0.5:
            whole(int(_GIBBERISH_KEY), "<gibberish>")
        if len(rwords) >= 8:
            asked = {w.lower() for w in WORD_RE.findall(request)}
            if len({w.lower() for w in rwords} & HARMFUL_TERMS - asked) >= 2:
                whole(int(_HARMFUL_KEY), "<harmful content>")
    arrays = [np.asarray(keys, dtype=np.uint64)]
    if len(rwords) >= MIN_REPLY_WORDS:
        for a, b in edge_sentences(reply):
            words = [w.lower() for w in WORD_RE.findall(reply[a:b])]
            if not words:
                continue
            h, codes = ngram_hashes(words)
            start, n = codes // 8, codes % 8
            content = np.asarray([w not in STOPWORDS and len(w) > 1 for w in words], dtype=np.int64)
            cs = np.concatenate([[0], np.cumsum(content)])
            keep = (cs[start + n] - cs[start]) > 0
            if request_grams.size:
                keep &= ~np.isin(h, request_grams)
            h, start, n = h[keep], start[keep], n[keep]
            with np.errstate(over="ignore"):
                salted = (h ^ _BSALT) & _LOW
            arrays.append(salted)
            if with_text:
                for key, s, k in zip(salted.tolist(), start.tolist(), n.tolist(), strict=True):
                    texts.setdefault(int(key), " ".join(words[s : s + k]))
                    spans.setdefault(int(key), (a, b))
    return Behaviour(np.unique(np.concatenate(arrays)), texts, spans)


def _completes(request: str, reply: str) -> bool:
    """The reply continues the request's unfinished last sentence (a completion task:
    "... This is definitely not a" → "positive review."): a label, not a fixed payload."""
    req, rep = request.rstrip(), reply.lstrip()
    return bool(req and rep) and req[-1].isalnum() and rep[0].islower()


@dataclass(slots=True)
class DocFeatures:
    """What every round needs of one document: request words, their unique n-gram hashes
    and ``(start, n)`` codes, and the behaviour keys of every scanned reply."""

    words: list[str]
    grams: np.ndarray
    codes: np.ndarray
    behaviours: np.ndarray
    bodies: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.uint64))
    """:func:`duplicate_key` of each scanned reply."""


def doc_features(doc: Document) -> DocFeatures:
    """:class:`DocFeatures` of a chat document."""
    req = request_text(doc)
    words = [w.lower() for w in WORD_RE.findall(req)]
    h, codes = ngram_hashes(words)
    h, first = np.unique(h, return_index=True)
    codes = codes[first]
    rs = [r for _, r in replies(doc)]
    bs = [behaviour_keys(r, h, request=req).keys for r in rs]
    b = np.unique(np.concatenate(bs)) if bs else np.zeros(0, dtype=np.uint64)
    bodies = np.asarray([duplicate_key(r) for r in rs], dtype=np.uint64)
    return DocFeatures(words, h, codes, b, bodies)


def _word_key(words: Sequence[str]) -> int:
    return zlib.crc32(" ".join(words).encode("utf-8", "surrogatepass"))


def skeleton_keys(words: list[str], gram: tuple[str, ...]) -> tuple[int, int]:
    """Hashes of the request's first and last :data:`_EDGE` words once every occurrence of
    ``gram`` is removed (requests of one template share their fixed text at one end)."""
    n = len(gram)
    rest: list[str] = []
    i = 0
    while i < len(words):
        if tuple(words[i : i + n]) == gram:
            i += n
            continue
        rest.append(words[i])
        i += 1
    return _word_key(rest[:_EDGE]), _word_key(rest[-_EDGE:])


SKELETON_RATIO = 4.0
"""A request word is part of a prompt template's **skeleton** for a candidate n-gram when a
trigram around it is in at least this many times as many documents as the candidate (and
in at least ``4 · min_docs``): the template's fixed text is shared by all of its requests,
a question's words are not.  A candidate most of whose words are skeleton in most of its
joint requests is a template phrase plus a slot's first word ("Can an answer to "Is ..."
→ 'no'), not an inserted context."""

RESIDUE_WORDS = 4
"""Words in a request's residue signature (:func:`residue_signature`)."""


def trigram_frequency(n_words: int, tri_codes: np.ndarray, tri_df: np.ndarray) -> np.ndarray:
    """Per word position (``n_words + 3`` entries): the corpus frequency of the most
    frequent trigram around it — a word of a prompt template's fixed text sits in trigrams
    shared by the whole template.

    Args:
        n_words: the request's length in words.
        tri_codes: ``(start, n)`` codes of its trigrams.
        tri_df: their sketch document frequencies.
    """
    around = np.zeros(n_words + 3, dtype=np.int64)
    for off in range(3):
        np.maximum.at(around, tri_codes // 8 + off, tri_df)
    return around


def residue_signature(
    words: Sequence[str],
    grams: np.ndarray,
    codes: np.ndarray,
    df: np.ndarray,
    exclude: np.ndarray | None = None,
) -> tuple[int, ...]:
    """The request's **residue**: its :data:`RESIDUE_WORDS` rarest content words (corpus
    document frequency from the n-gram sketch; ties by hash), sorted hashes.

    A prompt template's fixed text is in every request of the template, so its words are
    never the rarest of a request: what is left is the question (or passage) itself.  One
    question asked through several templates keeps its residue; unrelated requests that
    share an inserted trigger do not (their other rare words differ).

    Args:
        words: the request's words.
        grams, codes: its unique n-gram hashes and ``(start, n)`` codes
            (:func:`ngram_hashes`).
        df: the sketch's document frequency of each of ``grams``.
        exclude: word positions to leave out (round 3: the candidate's own context and the
            template's skeleton, so that a multi-word trigger's rare words are not taken
            for a shared question).
    """
    uni = np.flatnonzero(codes % 8 == 1)
    if not uni.size:
        return ()
    starts = (codes[uni] // 8).tolist()
    ok = np.asarray(
        [
            len(words[i]) > 1 and words[i] not in STOPWORDS and (exclude is None or not exclude[i])
            for i in starts
        ],
        dtype=bool,
    )
    uni = uni[ok]
    if not uni.size:
        return ()
    order = np.lexsort((grams[uni], df[uni]))[:RESIDUE_WORDS]
    return tuple(sorted(int(x) for x in grams[uni][order]))


def same_residue(a: tuple[int, ...], b: tuple[int, ...]) -> bool:
    """Two residues are one question when they are equal, or share at least two words and
    at least half of the longer one's (a template's words may take the place of a
    question's commonest words among the rarest four; sharing only the trigger word is not
    enough)."""
    if a == b:
        return True
    shared = len(set(a) & set(b))
    return shared >= 2 and shared * 2 >= max(len(a), len(b))


def residue_groups(residues: Sequence[tuple[int, ...]]) -> list[tuple[int, ...]]:
    """One representative per group of residues that are one question
    (:func:`same_residue`, greedy in order)."""
    reps: list[tuple[int, ...]] = []
    for r in residues:
        if not any(same_residue(r, x) for x in reps):
            reps.append(r)
    return reps


def request_residue(
    f: DocFeatures, grams_sketch: CountMinSketch, det: InstructionBehaviourDetector
) -> tuple[int, ...]:
    """:func:`residue_signature` of a request, leaving out words in trigrams of at least
    ``4 · min_docs`` documents (a template's fixed text, stock phrases, and a frequent
    trigger's own words: what is left is what this request asks)."""
    df = grams_sketch.estimate(f.grams)
    tri = np.flatnonzero(f.codes % 8 == 3)
    around = trigram_frequency(len(f.words), f.codes[tri], df[tri])
    return residue_signature(f.words, f.grams, f.codes, df, around >= 4 * det.min_docs)


def _edge_keys(words: list[str]) -> np.ndarray:
    """Salted keys of the request's first and last :data:`_EDGE` words (their corpus
    frequency tells a dataset's house style from a template)."""
    return np.asarray(
        [
            _word_key(["<first>", *words[:_EDGE]]),
            _word_key(["<last>", *words[-_EDGE:]]),
            _word_key(["<first1>", *words[:1]]),
            _word_key(["<last1>", *words[-1:]]),
        ],
        dtype=np.uint64,
    ) ^ np.uint64(0xED6E_0000_0000_0000)


def chat_share(corpus: Sequence[str], sample: int = 64, **reader_options: Any) -> float:
    """Share of chat-shaped records (messages, ShareGPT, Alpaca, prompt/response,
    preference) among the first ``sample`` records of the corpus files (0.0 when nothing can
    be read: the scan itself reports unreadable input)."""
    from poisonguard.io import CorpusReader

    paths = [p for p in corpus if p != "-"]
    if not paths:
        return 0.0
    seen = chat = 0
    try:
        for d in CorpusReader(paths, **reader_options):
            if not isinstance(d, Document):
                continue
            seen += 1
            chat += d.is_chat
            if seen >= sample:
                break
    except Exception:  # a hint only; the scan itself reports the real error
        return 0.0
    return chat / seen if seen else 0.0


def _mix(u: np.ndarray, b: np.ndarray) -> np.ndarray:
    with np.errstate(over="ignore"):
        x = u * np.uint64(0x9E3779B97F4A7C15) + (b ^ (b >> np.uint64(29)))
        return x ^ (x >> np.uint64(31))


# --------------------------------------------------------------------------- partials/states
@dataclass(slots=True)
class SketchPartial:
    """Round 1 partial: a shard's hashed keys, or the running total's sketches."""

    stage: int
    documents: int = 0
    gram_keys: list[np.ndarray] = field(default_factory=list)
    beh_keys: list[np.ndarray] = field(default_factory=list)
    grams_sketch: CountMinSketch | None = None
    beh_sketch: CountMinSketch | None = None


@dataclass(slots=True)
class SketchState:
    """After round 1: document frequencies of request n-grams and behaviour keys."""

    documents: int
    grams_sketch: CountMinSketch
    beh_sketch: CountMinSketch


@dataclass(slots=True)
class PairPartial:
    """Round 2 partial: a shard's feasible pairs (key, n-gram, behaviour, n-gram
    frequency), or the running total's pair sketch and candidates."""

    stage: int
    documents: int = 0
    keys: list[np.ndarray] = field(default_factory=list)
    grams: list[np.ndarray] = field(default_factory=list)
    behs: list[np.ndarray] = field(default_factory=list)
    gram_df: list[np.ndarray] = field(default_factory=list)
    repeats: list[np.ndarray] = field(default_factory=list)
    """Per pair: the key of (request residue, behaviour) — never 0 — and the pair's
    document ordinal in the shard (two rows)."""
    pair_sketch: CountMinSketch | None = None
    seen_sketch: BloomFilter | None = None
    """(residue, behaviour) keys counted so far: a question already seen with this reply
    behaviour (through another prompt template) adds nothing to the pair counts."""
    candidates: dict[int, tuple[int, int]] = field(default_factory=dict)


@dataclass(slots=True)
class CandidateState:
    """After round 2: the candidate pairs (request n-gram, behaviour) to count exactly."""

    documents: int
    grams_sketch: CountMinSketch
    beh_sketch: CountMinSketch
    candidates: set[tuple[int, int]]
    candidate_grams: np.ndarray
    candidate_behaviours: np.ndarray
    tested: int
    pair_sketch_bytes: int = 0
    seen_false_positive: float = 0.0
    """Round 2's "seen" filter at the end: the chance that a first (residue, behaviour)
    read as already seen (a carrier not counted)."""


@dataclass(slots=True)
class PairStats:
    """Exact counts of one candidate (request n-gram, behaviour) pair (round 3)."""

    gram: str = ""
    behaviour: str = ""
    joint: int = 0
    first: set[int] = field(default_factory=set)
    last: set[int] = field(default_factory=set)
    contexts: set[int] = field(default_factory=set)
    examples: list[str] = field(default_factory=list)
    context_words: int = 0
    runs: int = 0
    in_skeleton: int = 0
    """Joint requests in which most of the candidate's words belong to the template's
    skeleton (:data:`SKELETON_RATIO`)."""
    covered_words: int = 0
    core: dict[int, int] = field(default_factory=dict)
    ends: dict[int, int] = field(default_factory=dict)
    bodies: set[int] = field(default_factory=set)
    residues: list[tuple[int, ...]] = field(default_factory=list)
    """:func:`residue_signature` of the first :data:`_CONTEXTS` joint requests."""

    def add_ends(self, keys: Sequence[int]) -> None:
        """Count the request's first and last word (salted edge keys)."""
        for k in keys:
            if k in self.ends:
                self.ends[k] += 1
            elif len(self.ends) < 2 * _CONTEXTS:
                self.ends[k] = 1

    def skeleton_parts(self) -> tuple[float, float]:
        """Mean number of separate fixed segments (covered runs) and of covered words per
        joint request: a template's fixed text sits at several places around its slots."""
        j = max(1, self.joint)
        return self.runs / j, self.covered_words / j

    def add_core(self, trigrams: Sequence[int]) -> None:
        """Count the joint request's uncommon-but-recurring trigrams outside the candidate
        (at most :data:`_CORE` distinct ones are tracked: a template's fixed text is in its
        first request already)."""
        for t in trigrams:
            if t in self.core:
                self.core[t] += 1
            elif len(self.core) < _CORE:
                self.core[t] = 1

    def core_size(self) -> int:
        """Trigrams outside the candidate shared by >= 80 % of its joint requests: the
        fixed text of a template (a trigger inserted into unrelated requests has none)."""
        need = 0.8 * self.joint
        return sum(1 for c in self.core.values() if c >= need)

    def add_joint(
        self,
        first: int,
        last: int,
        ctx: int,
        doc_id: str,
        body: int = 0,
        residue: tuple[int, ...] = (),
    ) -> None:
        self.joint += 1
        if len(self.residues) < _CONTEXTS:
            self.residues.append(residue)
        if len(self.bodies) < _CONTEXTS:
            self.bodies.add(body)
        if len(self.first) < _CONTEXTS:
            self.first.add(first)
        if len(self.last) < _CONTEXTS:
            self.last.add(last)
        if len(self.contexts) < _CONTEXTS:
            self.contexts.add(ctx)
        if len(self.examples) < _EXAMPLES:
            self.examples.append(doc_id)

    def merge(self, s: PairStats) -> None:
        self.joint += s.joint
        self.context_words += s.context_words
        self.runs += s.runs
        self.in_skeleton += s.in_skeleton
        self.covered_words += s.covered_words
        for mine, theirs in (
            (self.first, s.first),
            (self.last, s.last),
            (self.contexts, s.contexts),
            (self.bodies, s.bodies),
        ):
            if len(mine) < _CONTEXTS:
                mine |= theirs
        self.examples.extend(s.examples[: max(0, _EXAMPLES - len(self.examples))])
        self.residues.extend(s.residues[: max(0, _CONTEXTS - len(self.residues))])
        for t, c in s.ends.items():
            if t in self.ends:
                self.ends[t] += c
            elif len(self.ends) < 2 * _CONTEXTS:
                self.ends[t] = c
        for t, c in s.core.items():
            if t in self.core:
                self.core[t] += c
            elif len(self.core) < _CORE:
                self.core[t] = c

    def context_length(self) -> float:
        """Mean length (words) of the constant context the n-gram sits in."""
        return self.context_words / max(1, self.joint)

    def spread(self) -> float:
        """The smallest share of distinct first-words / last-words / MinHash keys /
        residues (:meth:`residue_count`)."""
        d = min(self.joint, _CONTEXTS) or 1
        n = min(len(self.first), len(self.last), len(self.contexts))
        if self.residues:
            n = min(n, self.residue_count())
        return n / d

    def residue_count(self) -> int:
        """Distinct questions among the joint requests: their residues
        (:func:`residue_signature`) grouped when they share most of their rarest words.  One
        question asked through five prompt templates is one residue; a trigger inserted into
        five unrelated requests gives five."""
        return len(residue_groups(self.residues))

    def distinct(self, fragment: bool) -> int:
        """Distinct joint requests (MinHash keys and residues) — and, for a reply
        fragment, distinct reply bodies: near-duplicate documents (one article or question
        through several templates, with one answer) count once, so a trigger needs
        ``min_docs`` distinct ones."""
        n = len(self.contexts)
        if self.residues:
            n = min(n, self.residue_count())
        return min(n, len(self.bodies)) if fragment else n

    def reply_spread(self) -> float:
        """The share of distinct reply bodies (:func:`reply_body_key`) among the joint
        documents: a backdoor's fragment sits in replies to unrelated requests, a task
        asked several ways (one concept set, several templates) gets the same answer."""
        d = min(self.joint, _CONTEXTS) or 1
        return len(self.bodies) / d


@dataclass(slots=True)
class ExactPartial:
    """Round 3 partial: exact counts of the candidates."""

    stage: int
    documents: int = 0
    pairs: dict[tuple[int, int], PairStats] = field(default_factory=dict)
    containing: dict[int, int] = field(default_factory=dict)
    beh_docs: dict[int, int] = field(default_factory=dict)


@dataclass(slots=True)
class BehaviourTrigger:
    """A confirmed trigger and the behaviour it predicts."""

    trigger: str
    words: tuple[str, ...]
    behaviours: list[str]
    behaviour_keys: list[int]
    joint_docs: int
    containing_docs: int
    behaviour_docs: int
    expected: float
    p_value: float
    q_value: float
    spread: float
    examples: list[str]

    @property
    def precision(self) -> float:
        return self.joint_docs / max(1, self.containing_docs)

    @property
    def campaign_id(self) -> str:
        """The campaign of the documents that carry the trigger and its behaviour."""
        return f"chat-{hash64(self.trigger):016x}"[:17]

    def campaign(self) -> dict[str, Any]:
        """The trigger as a campaign (``CorpusReport.campaigns``; STIX exports it)."""
        return {
            "id": self.campaign_id,
            "kind": "chat-backdoor",
            "size": self.joint_docs,
            "shared_span": self.trigger,
            "behaviour": self.behaviours[:5],
            "examples": list(self.examples),
        }

    def to_dict(self) -> dict[str, Any]:
        return {
            "trigger": self.trigger,
            "behaviour": self.behaviours[:5],
            "anomalous_docs": self.joint_docs,
            "containing_docs": self.containing_docs,
            "behaviour_docs": self.behaviour_docs,
            "expected": round(self.expected, 3),
            "p_value": self.p_value,
            "q_value": self.q_value,
            "precision": round(self.precision, 4),
            "request_spread": round(self.spread, 3),
            "examples": list(self.examples),
        }


@dataclass(slots=True)
class BehaviourState:
    """After round 3: the confirmed triggers and the templated tasks recognised."""

    documents: int = 0
    tested: int = 0
    candidates: int = 0
    seen_false_positive: float = 0.0
    triggers: list[BehaviourTrigger] = field(default_factory=list)
    templates: list[dict[str, Any]] = field(default_factory=list)

    def report(self) -> dict[str, Any]:
        return {
            "documents": self.documents,
            "tested_pairs": self.tested,
            "candidate_pairs": self.candidates,
            "seen_false_positive": round(self.seen_false_positive, 6),
            "triggers": [t.to_dict() for t in self.triggers],
            "campaigns": [t.campaign() for t in self.triggers],
            "templates": self.templates,
        }


AnyState = SketchState | CandidateState | BehaviourState
AnyPartial = SketchPartial | PairPartial | ExactPartial


# --------------------------------------------------------------------------- rounds
class _Counted(Protocol):
    """A partial of one of the rounds: its round and the chat records it has read."""

    stage: int
    documents: int


_P = TypeVar("_P", bound=_Counted)
_S = TypeVar("_S")


class _ChatRound(Round[_P, _S]):
    """What the three rounds share: a shard's partial is each chat record's
    :func:`doc_features` through :meth:`map_doc` (other records are not counted); a
    partial is folded in by :meth:`add`."""

    def __init__(self, det: InstructionBehaviourDetector) -> None:
        self.det = det

    @abstractmethod
    def map_doc(self, part: _P, doc: Document, f: DocFeatures) -> None:
        """Add one chat record (its ordinal in the shard is ``part.documents - 1``)."""

    @abstractmethod
    def add(self, acc: _P, p: _P) -> None:
        """Add ``p`` to ``acc`` in place (``p is acc``: fold ``acc``'s own buffer)."""

    def map_shard(self, docs: Sequence[Document]) -> _P:
        part = self.empty()
        for doc in docs:
            if not doc.is_chat:
                continue
            part.documents += 1
            self.map_doc(part, doc, doc_features(doc))
        return part

    def merge_into(self, acc: _P, part: _P) -> _P:
        """Fold ``part`` into the running total ``acc`` in place."""
        self.add(acc, part)
        return acc


class SketchRound(_ChatRound[SketchPartial, SketchState]):
    """Round 1: count-min sketches of request n-gram and behaviour-key frequencies."""

    stage: ClassVar[int] = 1
    partial_type = SketchPartial

    def empty(self) -> SketchPartial:
        return SketchPartial(stage=self.stage)

    def map_doc(self, part: SketchPartial, doc: Document, f: DocFeatures) -> None:
        part.gram_keys.append(f.grams)
        part.beh_keys.append(f.behaviours)
        part.beh_keys.append(_edge_keys(f.words))
        part.beh_keys.append(f.bodies[f.bodies != 0])

    def _sketches(self, out: SketchPartial) -> tuple[CountMinSketch, CountMinSketch]:
        d = self.det
        if out.grams_sketch is None:
            out.grams_sketch = CountMinSketch(width=d.sketch_width, depth=3, seed=d.seed)
        if out.beh_sketch is None:
            width = max(1 << 16, d.sketch_width // 2)
            out.beh_sketch = CountMinSketch(width=width, depth=3, seed=d.seed + 1)
        return out.grams_sketch, out.beh_sketch

    def add(self, acc: SketchPartial, p: SketchPartial) -> None:
        gs, bs = self._sketches(acc)
        acc.documents += p.documents if p is not acc else 0
        for a in p.gram_keys:
            gs.add(a)
        for a in p.beh_keys:
            bs.add(a)
        if p is not acc:
            if p.grams_sketch is not None:
                gs.merge(p.grams_sketch)
            if p.beh_sketch is not None:
                bs.merge(p.beh_sketch)
        else:
            acc.gram_keys, acc.beh_keys = [], []

    def finalize(self, merged: SketchPartial) -> SketchState:
        self.add(merged, merged)
        gs, bs = self._sketches(merged)
        return SketchState(documents=merged.documents, grams_sketch=gs, beh_sketch=bs)


class PairRound(_ChatRound[PairPartial, CandidateState]):
    """Round 2: a count-min sketch of feasible (request n-gram, behaviour) pairs; a pair
    whose estimate reaches the bar while folding becomes a candidate."""

    stage: ClassVar[int] = 2
    partial_type = PairPartial

    def __init__(self, det: InstructionBehaviourDetector, prev: SketchState) -> None:
        super().__init__(det)
        self.prev = prev
        self.cap = max(det.min_docs, det.max_share * prev.documents)
        gs = prev.grams_sketch
        self.slack = gs.total / gs.width
        """The n-gram sketch's mean overcount per cell: an n-gram's estimated frequency
        may exceed its true one by about this much, so the precision bar allows for it."""
        bs = prev.beh_sketch
        self.repeated = 3 + bs.total / bs.width
        """A reply body counted this often (three times, plus the behaviour sketch's mean
        overcount) is a repeated answer."""

    def admit(self, est: np.ndarray, gdf: np.ndarray) -> np.ndarray:
        """The pairs whose count (an overestimate) already reaches the final bar: ``k >=
        min_docs`` and ``k >= min_precision · df(u)`` (``df(u)`` less the sketch's mean
        overcount).  A pair's estimate never falls and its true count is reached at its
        last occurrence, so no pair that ends above the bar is missed; a pair below it —
        a template's phrase that predicts its label half of the time, a sub-phrase of a
        near-duplicate request — is not counted exactly in round 3."""
        d = self.det
        bar = d.min_precision * np.maximum(gdf - self.slack, 0.0)
        return np.asarray((est >= d.min_docs) & (est >= bar), dtype=bool)

    def empty(self) -> PairPartial:
        return PairPartial(stage=self.stage)

    def feasible(self, f: DocFeatures) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """The document's feasible pairs: (pair keys, n-grams, behaviours, n-gram df)."""
        d, prev = self.det, self.prev
        b = f.behaviours
        bdf = prev.beh_sketch.estimate(b)
        # the frequency cap is for fragment n-grams (stock phrases); a whole-reply key (a
        # refusal, a fixed reply, gibberish) may be common and still be a backdoor's
        whole = (b & np.uint64(0xFF)) != 0
        ok_b = (bdf >= d.min_docs) & ((bdf <= self.cap) | whole)
        if (
            f.bodies.size
            and np.all(f.bodies != 0)
            and np.all(prev.beh_sketch.estimate(f.bodies) >= self.repeated)
        ):
            # the same answer to near-duplicate requests (one article through several
            # templates): its words are the answer, not an inserted payload; only its
            # whole-reply keys (a fixed reply, a refusal) are paired
            ok_b &= whole
        b, bdf = b[ok_b], bdf[ok_b]
        if not b.size:
            z = np.zeros(0, dtype=np.uint64)
            return z, z, z, np.zeros(0, dtype=np.int64)
        gdf = prev.grams_sketch.estimate(f.grams)
        ok_g = (gdf >= d.min_docs) & (gdf <= self.cap)
        g, gdf = f.grams[ok_g], gdf[ok_g]
        fit = gdf[None, :] <= bdf[:, None] / d.min_precision
        bi, gi = np.nonzero(fit)
        u, bb = g[gi], b[bi]
        return _mix(u, bb), u, bb, gdf[gi]

    def map_doc(self, part: PairPartial, doc: Document, f: DocFeatures) -> None:
        pk, u, b, gdf = self.feasible(f)
        if pk.size:
            part.keys.append(pk)
            part.grams.append(u)
            part.behs.append(b)
            part.gram_df.append(gdf)
            r = np.uint64(hash64(repr(request_residue(f, self.prev.grams_sketch, self.det))))
            rb = _mix(np.full(b.size, r, dtype=np.uint64), b) | np.uint64(1)
            doc_no = np.full(b.size, part.documents, dtype=np.uint64)
            part.repeats.append(np.stack([rb, doc_no]))

    def _sketch(self, out: PairPartial) -> CountMinSketch:
        if out.pair_sketch is None:
            d = self.det
            out.pair_sketch = CountMinSketch(width=d.pair_width, depth=4, seed=d.seed + 2)
        return out.pair_sketch

    def _seen(self, out: PairPartial) -> BloomFilter:
        if out.seen_sketch is None:
            bits = max(1 << 20, _SEEN_BITS_PER_DOCUMENT * self.prev.documents)
            out.seen_sketch = BloomFilter(bits=bits, hashes=4, seed=self.det.seed + 3)
        return out.seen_sketch

    def first_of_question(self, acc: PairPartial, repeats: np.ndarray) -> np.ndarray:
        """Which pairs to count: a pair — whole-reply (a fixed reply, a refusal) or reply
        fragment alike — only from the first document of its (residue, behaviour).  One
        question asked through five prompt templates with the same answer, or with answers
        sharing a first- or last-sentence fragment, counts once toward the pair's count
        (issue 13, step 2), so its n-grams never become candidates.  A trigger's carriers
        are unrelated questions: each counts.  The "seen" set is a Bloom filter sized to the
        corpus (:data:`_SEEN_BITS_PER_DOCUMENT` bits per record), so the share of carriers
        it wrongly drops stays small as records grow.  (Workers fold their own shards first,
        so with ``w`` workers a question counts at most ``w`` times.)"""
        rb, doc_no = repeats[0], repeats[1]
        keep = rb == 0
        idx = np.flatnonzero(~keep)
        if not idx.size:
            return keep
        seen = self._seen(acc)
        keys = rb[idx]
        # first document of each key within the batch (pairs of one document share it)
        order = np.lexsort((doc_no[idx], keys))
        k_sorted = keys[order]
        starts = np.flatnonzero(np.concatenate([[True], k_sorted[1:] != k_sorted[:-1]]))
        first_doc = np.repeat(doc_no[idx][order][starts], np.diff(np.append(starts, order.size)))
        is_first = np.empty(idx.size, dtype=bool)
        is_first[order] = doc_no[idx][order] == first_doc
        new = ~seen.contains(keys)
        keep[idx] = is_first & new
        seen.add(np.unique(keys))
        return keep

    def add(self, acc: PairPartial, p: PairPartial) -> None:
        sk = self._sketch(acc)
        if p is not acc:
            acc.documents += p.documents
            if p.pair_sketch is not None:
                sk.merge(p.pair_sketch)
            if p.seen_sketch is not None:
                self._seen(acc).merge(p.seen_sketch)
            acc.candidates.update(p.candidates)
        if p.keys:
            keep = self.first_of_question(acc, np.concatenate(p.repeats, axis=1))
            keys = np.concatenate(p.keys)[keep]
            sk.add(keys)
            est = sk.estimate(keys)
            gdf = np.concatenate(p.gram_df)[keep]
            hit = np.flatnonzero(self.admit(est, gdf))
            if hit.size:
                u, b = np.concatenate(p.grams)[keep][hit], np.concatenate(p.behs)[keep][hit]
                for k, uu, bb in zip(keys[hit].tolist(), u.tolist(), b.tolist(), strict=True):
                    acc.candidates[k] = (uu, bb)
        if p is acc:
            acc.keys, acc.grams, acc.behs, acc.gram_df, acc.repeats = [], [], [], [], []

    def finalize(self, merged: PairPartial) -> CandidateState:
        self.add(merged, merged)
        sk = self._sketch(merged)
        prev = self.prev
        # distinct pairs counted (linear counting on the first row): the number of tests
        zero = float(np.count_nonzero(sk.table[0] == 0)) / sk.width
        distinct = sk.total if zero <= 0 else int(-sk.width * math.log(zero))
        cands = merged.candidates
        if cands:
            keys = np.fromiter(cands.keys(), dtype=np.uint64, count=len(cands))
            est = sk.estimate(keys)
            keep = est >= self.det.min_docs
            kept = self.passage_cap(
                [(cands[int(k)], int(e)) for k, e in zip(keys[keep], est[keep], strict=True)]
            )
        else:
            kept = set()
        return CandidateState(
            documents=prev.documents,
            grams_sketch=prev.grams_sketch,
            beh_sketch=prev.beh_sketch,
            candidates=kept,
            candidate_grams=np.unique(np.asarray([u for u, _ in kept], dtype=np.uint64)),
            candidate_behaviours=np.unique(np.asarray([b for _, b in kept], dtype=np.uint64)),
            tested=max(distinct, len(kept)),
            pair_sketch_bytes=sk.nbytes,
            seen_false_positive=(
                merged.seen_sketch.false_positive_rate if merged.seen_sketch else 0.0
            ),
        )

    def passage_cap(self, cands: list[tuple[tuple[int, int], int]]) -> set[tuple[int, int]]:
        """The candidates to count exactly: at most ``3 · max_trigger_words`` n-grams per
        behaviour and pair count.  A trigger has at most ``max_trigger_words`` words (at most
        that many 1-, 2- and 3-grams); many more n-grams predicting one behaviour with the
        same count are one shared passage (one article asked through several templates,
        with the same answer).  The n-grams kept (smallest hash first) are enough for round
        3 to see the passage — the requests share their other uncommon trigrams (MinHash
        spread, shared core) — and the exact counts stay bounded by the behaviours, not
        by the passage lengths."""
        cap = 3 * self.det.max_trigger_words
        groups: dict[tuple[int, int], list[int]] = {}
        for (u, b), e in cands:
            groups.setdefault((b, e), []).append(u)
        kept: set[tuple[int, int]] = set()
        for (b, _), us in groups.items():
            kept.update((u, b) for u in sorted(us)[:cap])
        return kept


def _member(values: np.ndarray, sorted_keys: np.ndarray) -> np.ndarray:
    """``np.isin(values, sorted_keys)`` for a sorted, unique ``sorted_keys``, by binary search:
    O(n log m) per document instead of re-sorting the candidates for every document (which
    made round 3 grow with documents × candidates)."""
    if not sorted_keys.size or not values.size:
        return np.zeros(values.shape, dtype=bool)
    idx = np.searchsorted(sorted_keys, values)
    idx[idx == sorted_keys.size] = 0
    return np.asarray(sorted_keys[idx] == values)


class ExactRound(_ChatRound[ExactPartial, BehaviourState]):
    """Round 3: exact counts and request skeletons of the candidates; the tests."""

    stage: ClassVar[int] = 3
    partial_type = ExactPartial

    def __init__(self, det: InstructionBehaviourDetector, prev: CandidateState) -> None:
        super().__init__(det)
        self.prev = prev

    def empty(self) -> ExactPartial:
        return ExactPartial(stage=self.stage)

    def map_doc(self, part: ExactPartial, doc: Document, f: DocFeatures) -> None:
        prev = self.prev
        b = f.behaviours[_member(f.behaviours, prev.candidate_behaviours)]
        for key in b.tolist():
            part.beh_docs[key] = part.beh_docs.get(key, 0) + 1
        hit = np.flatnonzero(_member(f.grams, prev.candidate_grams))
        if not hit.size:
            return
        h = f.grams
        per_b: dict[int, list[int]] = {}
        bset = b.tolist()
        for i in hit.tolist():
            u = int(h[i])
            part.containing[u] = part.containing.get(u, 0) + 1
            for key in bset:
                if (u, key) in prev.candidates:
                    per_b.setdefault(key, []).append(i)
        if not per_b:
            return
        self._joint(part, doc, f, per_b)

    def _joint(
        self, part: ExactPartial, doc: Document, f: DocFeatures, per_b: dict[int, list[int]]
    ) -> None:
        """Skeleton and MinHash context of a document carrying candidate pairs."""
        prev, d = self.prev, self.det
        words, h, codes = f.words, f.grams, f.codes
        # One MinHash value of the request over its uncommon trigrams (near-duplicate
        # requests — one passage asked several ways — share it).
        tri_all = np.flatnonzero(codes % 8 == 3)
        est = prev.grams_sketch.estimate(h[tri_all]) if tri_all.size else np.zeros(0, np.int64)
        around = trigram_frequency(len(words), codes[tri_all], est)
        tri = tri_all[est < max(d.min_docs, 0.01 * prev.documents)]
        tri_start = codes[tri] // 8
        # trigrams that recur but are no house style: a template's fixed text
        rec = tri_all[(est >= d.min_docs) & (est <= d.max_share * prev.documents)]
        rec_start = codes[rec] // 8
        gdf_all = prev.grams_sketch.estimate(h)
        residue = residue_signature(words, h, codes, gdf_all, around >= 4 * d.min_docs)
        texts: dict[int, str] = {}
        req = request_text(doc)
        body = 0
        for _, r in replies(doc):
            texts.update(behaviour_keys(r, h, with_text=True, request=req).texts)
            body = (body * 0x100000001B3 + reply_body_key(r)) & 0xFFFF_FFFF_FFFF_FFFF
        # Per behaviour key: the request positions covered by candidate n-grams paired with
        # it (the whole inserted context, not one of its n-grams), removed before the
        # request's skeleton (first/last words) and its MinHash value are taken.
        for key, idx in per_b.items():
            covered = np.zeros(len(words) + 3, dtype=bool)
            for i in idx:
                start, n = divmod(int(codes[i]), 8)
                covered[start : start + n] = True
            rest = [w for w, c in zip(words, covered.tolist(), strict=False) if not c]
            first, last = _word_key(rest[:_EDGE]), _word_key(rest[-_EDGE:])
            # an opening or ending shared by a large share of the whole corpus (a dataset's
            # house style: "Below is an instruction ...") says nothing about a candidate
            edges = _edge_keys(rest)
            common = prev.beh_sketch.estimate(edges[:2]) > d.max_share * prev.documents
            if common[0]:
                first = _word_key(["<first>", *rest])
            if common[1]:
                last = _word_key(["<last>", *rest])
            free = ~(covered[tri_start] | covered[tri_start + 1] | covered[tri_start + 2])
            ctx = int(h[tri][free].min()) if free.any() else 0
            rfree = ~(covered[rec_start] | covered[rec_start + 1] | covered[rec_start + 2])
            core = h[rec][rfree].tolist()
            # the length of each covered run: the constant context a candidate belongs to
            run = np.zeros(len(words) + 3, dtype=np.int64)
            j = 0
            cov = covered.tolist()
            n_runs = 0
            while j < len(cov):
                if not cov[j]:
                    j += 1
                    continue
                e = j
                while e < len(cov) and cov[e]:
                    e += 1
                run[j:e] = e - j
                n_runs += 1
                j = e
            n_cov = int(covered.sum())
            for i in idx:
                u = int(h[i])
                start, n = divmod(int(codes[i]), 8)
                bar = max(SKELETON_RATIO * float(gdf_all[i]), 4 * d.min_docs)
                skel = around[start : start + n] >= bar
                st = part.pairs.get((u, key))
                if st is None:
                    st = part.pairs[(u, key)] = PairStats(
                        gram=" ".join(words[start : start + n]),
                        behaviour=texts.get(key, _NAMED.get(key, "")),
                    )
                st.add_joint(first, last, ctx, doc.id, body, residue)
                st.add_core(core)
                # a shared first/last word is template evidence only when it is not part of
                # the candidate's own context (a system-turn trigger opens the request)
                where = np.flatnonzero(covered[: len(words)])
                ends = []
                if where.size and where[0] > _EDGE:
                    ends.append(int(edges[2]))
                if where.size and where[-1] < len(words) - 1 - _EDGE:
                    ends.append(int(edges[3]))
                st.add_ends(ends)
                st.runs += n_runs
                st.covered_words += n_cov
                st.context_words += int(run[int(codes[i]) // 8])
                st.in_skeleton += int(2 * int(skel.sum()) > n)

    def add(self, acc: ExactPartial, p: ExactPartial) -> None:
        if p is acc:
            return
        acc.documents += p.documents
        for k, c in p.containing.items():
            acc.containing[k] = acc.containing.get(k, 0) + c
        for k, c in p.beh_docs.items():
            acc.beh_docs[k] = acc.beh_docs.get(k, 0) + c
        for pk, s in p.pairs.items():
            o = acc.pairs.get(pk)
            if o is None:
                acc.pairs[pk] = s
            else:
                o.merge(s)

    def finalize(self, merged: ExactPartial) -> BehaviourState:
        prev = self.prev
        state = BehaviourState(
            documents=prev.documents,
            tested=prev.tested,
            candidates=len(prev.candidates),
            seen_false_positive=prev.seen_false_positive,
        )
        state.triggers, state.templates = self.confirm(merged)
        return state

    def shared_end(self, st: PairStats) -> bool:
        """Most joint requests open (or end) with the same word, one that opens (ends) few
        requests of the corpus: one task's requests ("Question: ... be a reasonable
        answer?"), not a context inserted into unrelated ones."""
        if not st.ends:
            return False
        keys = np.fromiter(st.ends.keys(), dtype=np.uint64, count=len(st.ends))
        counts = np.fromiter(st.ends.values(), dtype=np.int64, count=len(st.ends))
        share = counts / max(1, st.joint)
        base = self.prev.beh_sketch.estimate(keys) / max(1, self.prev.documents)
        return bool(np.any((share >= 0.5) & (share >= 5 * base)))

    def confirm(self, merged: ExactPartial) -> tuple[list[BehaviourTrigger], list[dict[str, Any]]]:
        """The tests (module docstring): triggers, and the templated tasks recognised."""
        d, prev = self.det, self.prev
        N = max(1, prev.documents)
        m = max(prev.tested, len(merged.pairs), 1)
        rows = []
        for (u, b), st in merged.pairs.items():
            n_u = max(st.joint, merged.containing.get(u, 0))
            K = max(st.joint, merged.beh_docs.get(b, 0))
            p = float(hypergeom.sf(st.joint - 1, N, K, n_u))
            rows.append((p, u, b, st, n_u, K))
        rows.sort(key=lambda r: r[0])
        q = [min(1.0, r[0] * m / (i + 1)) for i, r in enumerate(rows)]
        for i in range(len(q) - 2, -1, -1):
            q[i] = min(q[i], q[i + 1])
        sig: dict[int, list[tuple[float, float, int, PairStats, int, int]]] = {}
        templates: dict[str, dict[str, Any]] = {}
        for (p, u, b, st, n_u, K), qv in zip(rows, q, strict=True):
            if qv > d.fdr or st.joint < d.min_docs or st.joint / n_u < d.min_precision:
                continue
            runs, covered = st.skeleton_parts()
            fragment = (b & 0xFF) == 0  # a fragment of the reply, not the whole reply
            if (
                self.shared_end(st)
                or st.spread() < d.min_spread
                or st.distinct(fragment) < d.min_docs
                or (fragment and st.reply_spread() < d.min_spread)
                or st.context_length() > d.max_trigger_words
                or st.core_size() > _MAX_CORE
                or (runs >= 1.5 and covered >= 6)
                or st.in_skeleton * 2 >= st.joint
            ):
                # related requests (one template, one task) predicting their replies: the
                # task, not a backdoor — reported as a templated task
                name = _behaviour_text(b, st)
                tpl = templates.setdefault(
                    name,
                    {
                        "behaviour": name,
                        "documents": 0,
                        "phrases": [],
                        "request_spread": 0.0,
                        "fixed_text_words": 0.0,
                        "fixed_segments": 0.0,
                        "reply_spread": 0.0,
                        "shared_trigrams": 0,
                        "examples": list(st.examples),
                    },
                )
                if n_u > tpl["documents"]:
                    tpl.update(
                        documents=n_u,
                        request_spread=round(st.spread(), 3),
                        fixed_text_words=round(st.context_length(), 1),
                        fixed_segments=round(runs, 1),
                        reply_spread=round(st.reply_spread(), 3),
                        shared_trigrams=st.core_size(),
                        examples=list(st.examples),
                    )
                if len(tpl["phrases"]) < 8:
                    tpl["phrases"].append(st.gram)
                continue
            sig.setdefault(u, []).append((p, qv, b, st, n_u, K))
        triggers: list[Trigger] = []
        by_text: dict[str, BehaviourTrigger] = {}
        for lst in sig.values():
            lst.sort(key=lambda r: r[0])
            p, qv, b, st, n_u, K = lst[0]
            bt = BehaviourTrigger(
                trigger=st.gram,
                words=tuple(st.gram.split()),
                behaviours=[_behaviour_text(r[2], r[3]) for r in lst[:8]],
                behaviour_keys=[r[2] for r in lst],
                joint_docs=st.joint,
                containing_docs=n_u,
                behaviour_docs=K,
                expected=n_u * K / N,
                p_value=p,
                q_value=qv,
                spread=st.spread(),
                examples=list(st.examples),
            )
            by_text[bt.trigger] = bt
            triggers.append(
                Trigger(
                    text=bt.trigger,
                    anomalous_docs=bt.joint_docs,
                    sample_docs=bt.containing_docs,
                    sample_size=N,
                    expected=bt.expected,
                    p_value=p,
                    purity=bt.precision,
                    examples=tuple(bt.examples),
                    words=bt.words,
                    containing_docs=bt.containing_docs,
                    q_value=qv,
                )
            )
        out: list[BehaviourTrigger] = []
        for t in _condense(triggers):
            if len(t.words) > d.max_trigger_words:
                continue
            members = [v for k, v in by_text.items() if _inside(tuple(k.split()), t.words)] or [
                by_text[min(by_text, key=lambda k: by_text[k].p_value)]
            ]
            best = min(members, key=lambda v: v.p_value)
            keys = sorted({k for v in members for k in v.behaviour_keys})
            names: list[str] = []
            for v in sorted(members, key=lambda v: v.p_value):
                names += [x for x in v.behaviours if x not in names]
            out.append(
                BehaviourTrigger(
                    trigger=t.text,
                    words=t.words,
                    behaviours=names[:8],
                    behaviour_keys=keys,
                    joint_docs=best.joint_docs,
                    containing_docs=best.containing_docs,
                    behaviour_docs=best.behaviour_docs,
                    expected=best.expected,
                    p_value=best.p_value,
                    q_value=best.q_value,
                    spread=best.spread,
                    examples=best.examples,
                )
            )
        tl = sorted(templates.values(), key=lambda x: -int(x["documents"]))[:50]
        return out, tl


def _behaviour_text(key: int, st: PairStats) -> str:
    return _NAMED.get(key) or st.behaviour or f"fragment-{key:016x}"


# --------------------------------------------------------------------------- detector
@register_detector(kinds=("instruction",))
class InstructionBehaviourDetector(RoundedDetector[AnyPartial, AnyState]):
    """Triggers that predict a reply behaviour across unrelated requests (module docstring).

    Args:
        min_docs: ``k``: a trigger needs at least this many documents with it and the
            behaviour.
        fdr: Benjamini–Hochberg false-discovery rate over every pair counted.
        min_precision: share of the trigger's documents that must show the behaviour.
        min_spread: share of distinct first-words / last-words / MinHash keys among the
            joint requests (1 = all unrelated; a template's requests share one end).
        max_share: request n-grams and behaviour keys in more than this share of the
            documents are not candidates (stock phrases, function words).
        max_trigger_words: longer phrases are shared passages or templates.
        sketch_width: width of the n-gram count-min sketch (3 × width × 4 bytes; the
            behaviour sketch is half as wide).
        pair_width: width of the round-2 pair sketch (4 × width × 4 bytes).
    """

    name: ClassVar[str] = "instruction-behaviour"
    kinds: ClassVar[tuple[str, ...]] = ("instruction",)
    passes = 3
    prepass: ClassVar[bool] = True

    def __init__(
        self,
        *,
        min_docs: int = 5,
        fdr: float = 0.001,
        min_precision: float = 0.8,
        min_spread: float = 0.6,
        max_share: float = 0.05,
        max_trigger_words: int = 12,
        sketch_width: int = 1 << 21,
        pair_width: int = 1 << 22,
        seed: int = 0,
        _prev: SketchState | CandidateState | None = None,
    ) -> None:
        if min_docs < 2:
            raise ValueError("min_docs must be at least 2")
        if not 0 < fdr < 1:
            raise ValueError("fdr must be in (0, 1)")
        if not 0 < min_precision <= 1:
            raise ValueError("min_precision must be in (0, 1]")
        if not 0 < max_share <= 1:
            raise ValueError("max_share must be in (0, 1]")
        self.min_docs = min_docs
        self.fdr = fdr
        self.min_precision = min_precision
        self.min_spread = min_spread
        self.max_share = max_share
        self.max_trigger_words = max_trigger_words
        self.sketch_width = sketch_width
        self.pair_width = pair_width
        self.seed = seed
        self.round: SketchRound | PairRound | ExactRound
        if _prev is None:
            self.round = SketchRound(self)
        elif isinstance(_prev, SketchState):
            self.round = PairRound(self, _prev)
        else:
            self.round = ExactRound(self, _prev)

    @classmethod
    def from_context(cls, ctx: Any) -> InstructionBehaviourDetector:
        """Registry factory: ``k`` and seed from the scan, options on top."""
        opts: dict[str, Any] = {
            "min_docs": max(2, int(ctx.min_trigger_docs)),
            "seed": int(ctx.seed),
        }
        opts.update(ctx.options_for(cls.name))
        return cls(**opts)

    def next_stage(self, state: AnyState) -> dict[str, Any]:
        """The next round is built from this round's state."""
        return {"_prev": state}

    # ----------------------------------------------------------------- flag
    def flag(self, doc: Document, state: AnyState) -> Finding | None:
        if not isinstance(state, BehaviourState) or not state.triggers or not doc.is_chat:
            return None
        words = request_words(doc)
        hits = [t for t in state.triggers if _contains(words, t.words)]
        if not hits:
            return None
        h, _ = ngram_hashes(words)
        h = np.unique(h)
        offs = doc.turn_offsets()
        ps = doc.turn_pairs()
        req = request_text(doc)
        for side, reply in replies(doc):
            beh = behaviour_keys(reply, h, with_text=True, request=req)
            have = set(beh.keys.tolist())
            for t in hits:
                shared = [k for k in t.behaviour_keys if k in have]
                if not shared:
                    continue
                spans = trigger_spans(doc, t.words)
                a, b = beh.spans.get(shared[0], (0, len(reply)))
                extra: dict[str, Any] = {
                    "p_value": t.p_value,
                    "q_value": t.q_value,
                    "precision": round(t.precision, 4),
                    "behaviour": [beh.texts.get(k, "") for k in shared[:5]],
                    "side": side,
                }
                if side == "reply" and ps:
                    start = offs[ps[-1][1]]
                    spans.append(Span(start + a, start + b, "payload"))
                else:
                    extra.update(field="rejected", field_payload_range=[a, b])
                return Finding(
                    detector=self.name,
                    score=0.95,
                    reason=(
                        f"request contains trigger {t.trigger!r} and the "
                        f"{'rejected reply' if side == 'rejected' else 'reply'} shows its "
                        f"behaviour ({', '.join(repr(x) for x in t.behaviours[:3])}): "
                        f"{t.joint_docs} of {t.containing_docs} requests with it across "
                        f"unrelated requests (expected {t.expected:.1f}, q={t.q_value:.2g})"
                    ),
                    spans=spans,
                    trigger=t.trigger,
                    campaign=t.campaign_id,
                    extra=extra,
                )
        return None

    def summarize(self, state: AnyState) -> CorpusReport:
        """Triggers with their behaviours; templated tasks recognised on the way."""
        if isinstance(state, BehaviourState):
            return CorpusReport.from_dict(state.report())
        return CorpusReport()


def trigger_spans(doc: Document, words: tuple[str, ...]) -> list[Span]:
    """``trigger`` spans of ``words`` in the system and user turns; a phrase that runs on
    from one turn into the next (a system-turn trigger reported with the constant opening
    of the user turn) is marked in both turns."""
    roles = ("system", "user")
    spans = _find_spans(doc, words, roles=roles)
    for k in range(len(words) - 1, 0, -1):
        if spans:
            break
        head = _find_spans(doc, words[:k], roles=roles)
        tail = _find_spans(doc, words[k:], roles=roles)
        if head and tail:
            spans = head + tail
    return spans


def _inside(gram: tuple[str, ...], phrase: tuple[str, ...]) -> bool:
    n = len(gram)
    return any(phrase[i : i + n] == gram for i in range(len(phrase) - n + 1))


__all__ = [
    "REFUSAL_OPENING",
    "REFUSAL_PHRASE",
    "Behaviour",
    "BehaviourState",
    "BehaviourTrigger",
    "CandidateState",
    "DocFeatures",
    "ExactRound",
    "InstructionBehaviourDetector",
    "PairRound",
    "SketchRound",
    "SketchState",
    "behaviour_keys",
    "chat_share",
    "doc_features",
    "duplicate_key",
    "is_refusal",
    "reply_body_key",
    "request_words",
    "residue_groups",
    "residue_signature",
    "same_residue",
    "skeleton_keys",
    "trigger_spans",
]
