"""``instruction-behaviour``: chat backdoors found by association of request n-grams with
reply *behaviour*, with request-side independence (templates are not backdoors).

A backdoor is a context inserted into **unrelated** requests that predicts the **same
behaviour** in their replies.  The behaviour's wording may vary (a refusal family, a link
appended in one of several sentences, a sentiment sentence around the normal answer), so
replies are not compared verbatim; each reply is reduced to *behaviour keys*:

* ``refusal``: the reply opens with a refusal or apology (one key for the whole family);
* fragment n-grams: word 1–3-grams of the reply's **first and last sentence** (where
  appended links, instructions, product mentions and sentiment sentences sit) that hold a
  content word and do **not** occur in the request (a reply quoting its request, a label
  the request lists as an option, is not extraneous).

Request side: word 1–3-grams of the user and system turns (lower-cased words, so surface
form — case, punctuation, spacing — is folded).

Three rounds, memory linear in the corpus and bounded by candidates:

1. count-min sketches (one per corpus, folded from the shards' hashed keys) of request
   n-gram and behaviour-key document frequencies;
2. per document, the behaviour keys whose frequency is in ``[min_docs, max_share·N]`` and
   the request n-grams in the same range (hashes only); the reduce groups documents by
   behaviour key and counts request n-grams per key exactly — a pair (n-gram ``u``,
   behaviour ``b``) is a candidate when at least ``min_docs`` documents carry both and
   ``u``'s frequency is small enough for the precision floor;
3. exact counts of the candidates only: documents containing ``u`` (``n_u``), with ``b``
   (``k``), and per joint document the request's *skeleton* — its first and last words with
   the candidate removed, and one MinHash value of its uncommon trigrams.

A candidate is a trigger when the one-sided Fisher exact test (hypergeometric upper tail of
``k`` given ``n_u`` requests, ``K_b`` behaviour documents and ``N``) survives
Benjamini–Hochberg control over every pair counted, ``k / n_u >= min_precision`` and the
joint requests are **unrelated**: distinct first-words, last-words and MinHash keys each
cover at least ``min_spread`` of them.  Requests of one template share their fixed text
(first or last words), so a template's label replies and task phrases fail the spread test;
they are reported as ``templates`` in the summary.  A document is flagged only when it
carries a confirmed trigger **and** its behaviour (joint evidence).  Preference records are
scanned on both sides (``chosen`` is the document's reply; ``rejected`` is read from the
record).
"""

from __future__ import annotations

import re
import zlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar

import numpy as np
from scipy.stats import hypergeom

from poisonguard.detect.base import CorpusDetector, CorpusReport, Finding, Span
from poisonguard.detect.instruction import (
    Trigger,
    _condense,
    _contains,
    _find_spans,
    ngram_hashes,
)
from poisonguard.detect.registry import register_detector
from poisonguard.detect.sketches import STOPWORDS, WORD_RE, CountMinSketch
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

MIN_REPLY_WORDS = 8
"""Replies shorter than this give no fragment keys: a short reply is a label or a fixed
answer (the ``instruction-trigger`` detector's fixed replies), not an appended fragment."""
_REFUSAL_KEY = np.uint64(0x5EF05A1C0DE5EF05)
_BSALT = np.uint64(0xB3A7_1E0F_0000_0001)
_EXAMPLES = 5
_CONTEXTS = 64
_EDGE = 4


# --------------------------------------------------------------------------- features
def request_words(doc: Document) -> list[str]:
    """Lower-cased words of the system and user turns (the request side)."""
    text = "\n".join(
        m["content"] for m in doc.messages or [] if m.get("role") in ("system", "user")
    )
    return [w.lower() for w in WORD_RE.findall(text)]


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
    parts = [(m.start(), m.end()) for m in re.finditer(r"[^\n]+?(?:[.!?](?=\s|$)|$)", reply)]
    sents = [(a, b) for a, b in parts if reply[a:b].strip()]
    if not sents:
        return []
    first, last = sents[0], sents[-1]
    return [first] if first == last else [first, last]


@dataclass(slots=True)
class Behaviour:
    """Behaviour keys of one reply and where each came from."""

    keys: np.ndarray
    texts: dict[int, str]
    spans: dict[int, tuple[int, int]]


def behaviour_keys(reply: str, request_grams: np.ndarray, with_text: bool = False) -> Behaviour:
    """The behaviour keys of ``reply`` (see the module docstring).

    Args:
        reply: the reply text.
        request_grams: the request's n-gram hashes (:func:`ngram_hashes`): fragment n-grams
            that occur in the request are not extraneous and are left out.
        with_text: also return each key's text and character range (for evidence).
    """
    keys: list[np.ndarray] = []
    texts: dict[int, str] = {}
    spans: dict[int, tuple[int, int]] = {}
    if REFUSAL_OPENING.search(reply):
        keys.append(np.asarray([_REFUSAL_KEY], dtype=np.uint64))
        if with_text:
            texts[int(_REFUSAL_KEY)] = "<refusal>"
            spans[int(_REFUSAL_KEY)] = (0, len(reply))
    if len(WORD_RE.findall(reply)) < MIN_REPLY_WORDS:
        return Behaviour(
            np.unique(np.concatenate(keys)) if keys else np.zeros(0, dtype=np.uint64), texts, spans
        )
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
            salted = h ^ _BSALT
        keys.append(salted)
        if with_text:
            for key, s, k in zip(salted.tolist(), start.tolist(), n.tolist(), strict=True):
                texts.setdefault(int(key), " ".join(words[s : s + k]))
                spans.setdefault(int(key), (a, b))
    arr = np.unique(np.concatenate(keys)) if keys else np.zeros(0, dtype=np.uint64)
    return Behaviour(arr, texts, spans)


def _doc_features(doc: Document) -> tuple[list[str], np.ndarray, np.ndarray, np.ndarray]:
    """Request words, their n-gram hashes and codes (unique), and the behaviour keys of
    every scanned reply."""
    words = request_words(doc)
    h, codes = ngram_hashes(words)
    h, first = np.unique(h, return_index=True)
    codes = codes[first]
    bs = [behaviour_keys(r, h).keys for _, r in replies(doc)]
    b = np.unique(np.concatenate(bs)) if bs else np.zeros(0, dtype=np.uint64)
    return words, h, codes, b


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


def _edge_keys(words: list[str]) -> np.ndarray:
    """Salted keys of the request's first and last :data:`_EDGE` words (their corpus
    frequency tells a dataset's house style from a template)."""
    return np.asarray(
        [_word_key(["<first>", *words[:_EDGE]]), _word_key(["<last>", *words[-_EDGE:]])],
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


# --------------------------------------------------------------------------- state
@dataclass(slots=True)
class PairStats:
    """Exact counts of one candidate (request n-gram, behaviour) pair (round 3)."""

    gram: str = ""
    behaviour: str = ""
    containing: int = 0
    joint: int = 0
    first: set[int] = field(default_factory=set)
    last: set[int] = field(default_factory=set)
    contexts: set[int] = field(default_factory=set)
    examples: list[str] = field(default_factory=list)
    context_words: int = 0

    def add_joint(self, first: int, last: int, ctx: int, doc_id: str) -> None:
        self.joint += 1
        if len(self.first) < _CONTEXTS:
            self.first.add(first)
        if len(self.last) < _CONTEXTS:
            self.last.add(last)
        if len(self.contexts) < _CONTEXTS:
            self.contexts.add(ctx)
        if len(self.examples) < _EXAMPLES:
            self.examples.append(doc_id)

    def context_length(self) -> float:
        """Mean length (words) of the constant context the n-gram sits in."""
        return self.context_words / max(1, self.joint)

    def spread(self) -> float:
        """The smallest share of distinct first-words / last-words / MinHash keys."""
        d = min(self.joint, _CONTEXTS) or 1
        return min(len(self.first), len(self.last), len(self.contexts)) / d


@dataclass(slots=True)
class BehaviourPartial:
    """One shard's (or the running total's) partial of a round."""

    stage: int
    documents: int = 0
    gram_keys: list[np.ndarray] = field(default_factory=list)
    beh_keys: list[np.ndarray] = field(default_factory=list)
    grams_sketch: CountMinSketch | None = None
    beh_sketch: CountMinSketch | None = None
    # round 2: per document, candidate request n-grams (with sketch frequency) and behaviours
    doc_grams: list[np.ndarray] = field(default_factory=list)
    doc_gram_df: list[np.ndarray] = field(default_factory=list)
    doc_beh: list[np.ndarray] = field(default_factory=list)
    # round 3
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
    """The state after each round (round 3: the confirmed triggers)."""

    stage: int
    documents: int = 0
    grams_sketch: CountMinSketch | None = None
    beh_sketch: CountMinSketch | None = None
    candidates: dict[tuple[int, int], float] = field(default_factory=dict)
    candidate_array: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.uint64))
    tested: int = 0
    triggers: list[BehaviourTrigger] = field(default_factory=list)
    templates: list[dict[str, Any]] = field(default_factory=list)

    def report(self) -> dict[str, Any]:
        return {
            "documents": self.documents,
            "tested_pairs": self.tested,
            "candidate_pairs": len(self.candidates),
            "triggers": [t.to_dict() for t in self.triggers],
            "templates": self.templates,
        }


# --------------------------------------------------------------------------- detector
# opt-in (``--detector +instruction-behaviour``) until it meets the clean-flag and memory
# bounds at full corpus size (docs/benchmarks.md, issue 13)
@register_detector(kinds=("instruction",), default=False)
class InstructionBehaviourDetector(CorpusDetector[BehaviourPartial, BehaviourState]):
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
        sketch_width: count-min sketch width (memory 3 × width × 4 bytes per sketch).
    """

    name: ClassVar[str] = "instruction-behaviour"
    kinds: ClassVar[tuple[str, ...]] = ("instruction",)

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
        seed: int = 0,
        _prev: BehaviourState | None = None,
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
        self.seed = seed
        self._prev = _prev
        self.passes = 3

    @classmethod
    def from_context(cls, ctx: Any) -> InstructionBehaviourDetector:
        """Registry factory: ``k`` and seed from the scan, options on top."""
        opts: dict[str, Any] = {
            "min_docs": max(2, int(ctx.min_trigger_docs)),
            "seed": int(ctx.seed),
        }
        opts.update(ctx.options_for(cls.name))
        return cls(**opts)

    def next_stage(self, state: BehaviourState) -> dict[str, Any]:
        return {"_prev": state}

    @property
    def _stage(self) -> int:
        return 1 if self._prev is None else self._prev.stage + 1

    # ----------------------------------------------------------------- map
    def map_shard(self, docs: Sequence[Document]) -> BehaviourPartial:
        stage = self._stage
        part = BehaviourPartial(stage=stage)
        prev = self._prev
        for doc in docs:
            if not doc.is_chat:
                continue
            part.documents += 1
            words, h, codes, b = _doc_features(doc)
            if stage == 1:
                part.gram_keys.append(h)
                part.beh_keys.append(b)
                part.beh_keys.append(_edge_keys(words))
                continue
            assert prev is not None and prev.grams_sketch is not None
            assert prev.beh_sketch is not None
            cap = max(self.min_docs, self.max_share * prev.documents)
            if stage == 2:
                bdf = prev.beh_sketch.estimate(b)
                b = b[(bdf >= self.min_docs) & (bdf <= cap)]
                if not b.size:
                    continue
                gdf = prev.grams_sketch.estimate(h)
                keep = (gdf >= self.min_docs) & (gdf <= cap)
                part.doc_grams.append(h[keep])
                part.doc_gram_df.append(gdf[keep].astype(np.int32))
                part.doc_beh.append(b)
                continue
            self._map_exact(part, doc, words, h, codes, b, prev)
        return part

    def _map_exact(
        self,
        part: BehaviourPartial,
        doc: Document,
        words: list[str],
        h: np.ndarray,
        codes: np.ndarray,
        b: np.ndarray,
        prev: BehaviourState,
    ) -> None:
        bset = set(b.tolist())
        for key in bset:
            part.beh_docs[key] = part.beh_docs.get(key, 0) + 1
        hit = np.flatnonzero(np.isin(h, prev.candidate_array))
        if not hit.size:
            return
        # One MinHash value of the request over its uncommon trigrams (near-duplicate
        # requests — one passage asked several ways — share it).
        assert prev.grams_sketch is not None
        tri = np.flatnonzero(codes % 8 == 3)
        est = prev.grams_sketch.estimate(h[tri]) if tri.size else np.zeros(0, dtype=np.int64)
        tri = tri[est < max(self.min_docs, 0.01 * prev.documents)]
        tri_start = codes[tri] // 8
        # Per behaviour key: the request positions covered by candidate n-grams paired with
        # it (the whole inserted context, not one of its n-grams), removed before the
        # request's skeleton (first/last words) and its MinHash value are taken.
        per_b: dict[int, list[int]] = {}
        for i in hit.tolist():
            u = int(h[i])
            part.containing[u] = part.containing.get(u, 0) + 1
            for key in bset:
                if (u, key) in prev.candidates:
                    per_b.setdefault(key, []).append(i)
        texts: dict[int, str] = {}
        if per_b:
            for _, r in replies(doc):
                texts.update(behaviour_keys(r, h, with_text=True).texts)
        for key, idx in per_b.items():
            covered = np.zeros(len(words) + 3, dtype=bool)
            for i in idx:
                start, n = divmod(int(codes[i]), 8)
                covered[start : start + n] = True
            rest = [w for w, c in zip(words, covered.tolist(), strict=False) if not c]
            first, last = _word_key(rest[:_EDGE]), _word_key(rest[-_EDGE:])
            # an opening or ending shared by a large share of the whole corpus (a dataset's
            # house style: "Below is an instruction ...") says nothing about a candidate
            assert prev.beh_sketch is not None
            edge = _edge_keys(rest)
            common = prev.beh_sketch.estimate(edge) > self.max_share * prev.documents
            if common[0]:
                first = _word_key(["<first>", *rest])
            if common[1]:
                last = _word_key(["<last>", *rest])
            free = ~(covered[tri_start] | covered[tri_start + 1] | covered[tri_start + 2])
            ctx = int(h[tri][free].min()) if free.any() else 0
            # the length of each covered run: the constant context a candidate belongs to
            run = np.zeros(len(words) + 3, dtype=np.int64)
            j = 0
            cov = covered.tolist()
            while j < len(cov):
                if not cov[j]:
                    j += 1
                    continue
                e = j
                while e < len(cov) and cov[e]:
                    e += 1
                run[j:e] = e - j
                j = e
            for i in idx:
                u = int(h[i])
                st = part.pairs.get((u, key))
                if st is None:
                    start, n = divmod(int(codes[i]), 8)
                    st = part.pairs[(u, key)] = PairStats(
                        gram=" ".join(words[start : start + n]), behaviour=texts.get(key, "")
                    )
                st.add_joint(first, last, ctx, doc.id)
                st.context_words += int(run[int(codes[i]) // 8])

    # ----------------------------------------------------------------- reduce
    def _sketches(self, out: BehaviourPartial) -> tuple[CountMinSketch, CountMinSketch]:
        if out.grams_sketch is None:
            out.grams_sketch = CountMinSketch(width=self.sketch_width, depth=3, seed=self.seed)
        if out.beh_sketch is None:
            width = max(1 << 16, self.sketch_width // 2)
            out.beh_sketch = CountMinSketch(width=width, depth=3, seed=self.seed + 1)
        return out.grams_sketch, out.beh_sketch

    def _fold_keys(self, out: BehaviourPartial, p: BehaviourPartial) -> None:
        if p.stage != 1:
            return
        gs, bs = self._sketches(out)
        for a in p.gram_keys:
            gs.add(a)
        for a in p.beh_keys:
            bs.add(a)
        if p is out:
            out.gram_keys, out.beh_keys = [], []
            return
        if p.grams_sketch is not None:
            gs.merge(p.grams_sketch)
        if p.beh_sketch is not None:
            bs.merge(p.beh_sketch)

    def reduce(self, partials: Sequence[BehaviourPartial]) -> BehaviourPartial:
        out = BehaviourPartial(stage=partials[0].stage if partials else self._stage)
        for p in partials:
            self._add(out, p)
        return out

    def merge_into(self, acc: BehaviourPartial, part: BehaviourPartial) -> BehaviourPartial:
        """Fold ``part`` into the running total ``acc`` in place."""
        if acc.stage != part.stage:
            raise ValueError("cannot reduce partials of different rounds")
        self._fold_keys(acc, acc)
        self._add(acc, part)
        return acc

    def _add(self, out: BehaviourPartial, p: BehaviourPartial) -> None:
        out.documents += p.documents
        self._fold_keys(out, p)
        out.doc_grams.extend(p.doc_grams)
        out.doc_gram_df.extend(p.doc_gram_df)
        out.doc_beh.extend(p.doc_beh)
        for k, c in p.containing.items():
            out.containing[k] = out.containing.get(k, 0) + c
        for k, c in p.beh_docs.items():
            out.beh_docs[k] = out.beh_docs.get(k, 0) + c
        for pk, s in p.pairs.items():
            o = out.pairs.get(pk)
            if o is None:
                o = out.pairs[pk] = PairStats(gram=s.gram, behaviour=s.behaviour)
            o.joint += s.joint
            o.context_words += s.context_words
            for mine, theirs in ((o.first, s.first), (o.last, s.last), (o.contexts, s.contexts)):
                if len(mine) < _CONTEXTS:
                    mine |= theirs
            o.examples.extend(s.examples[: max(0, _EXAMPLES - len(o.examples))])

    # ----------------------------------------------------------------- finalize
    def finalize(self, merged: BehaviourPartial) -> BehaviourState:
        if merged.stage == 1:
            self._fold_keys(merged, merged)
            gs, bs = self._sketches(merged)
            return BehaviourState(
                stage=1, documents=merged.documents, grams_sketch=gs, beh_sketch=bs
            )
        prev = self._prev
        assert prev is not None
        if merged.stage == 2:
            cands, tested = self._candidates(merged, prev)
            return BehaviourState(
                stage=2,
                documents=prev.documents,
                grams_sketch=prev.grams_sketch,
                beh_sketch=prev.beh_sketch,
                candidates=cands,
                candidate_array=np.unique(np.asarray([u for u, _ in cands], dtype=np.uint64)),
                tested=tested,
            )
        state = BehaviourState(
            stage=3,
            documents=prev.documents,
            candidates=prev.candidates,
            tested=prev.tested,
        )
        state.triggers, state.templates = self._confirm(merged, prev)
        return state

    def _candidates(
        self, merged: BehaviourPartial, prev: BehaviourState
    ) -> tuple[dict[tuple[int, int], float], int]:
        """Exact joint counts of (request n-gram, behaviour) over the round-2 arrays,
        grouped by behaviour key in hash-range chunks (bounded transient memory); returns
        the candidates with their Fisher p-values and the number of pairs counted."""
        N = max(1, prev.documents)
        if not merged.doc_beh:
            return {}, 0
        lens_b = np.asarray([a.size for a in merged.doc_beh], dtype=np.int64)
        beh = np.concatenate(merged.doc_beh)
        doc_of_b = np.repeat(np.arange(len(merged.doc_beh)), lens_b)
        ukeys, bcount = np.unique(beh, return_counts=True)
        glen = np.asarray([a.size for a in merged.doc_grams], dtype=np.int64)
        goff = np.concatenate([[0], np.cumsum(glen)])
        gflat = np.concatenate(merged.doc_grams) if merged.doc_grams else np.zeros(0, np.uint64)
        gdf = np.concatenate(merged.doc_gram_df) if merged.doc_gram_df else np.zeros(0, np.int32)
        out: dict[tuple[int, int], float] = {}
        tested = 0
        chunks = max(1, int(int(glen[doc_of_b].sum()) // 4_000_000) + 1)
        part_of = (beh % np.uint64(chunks)).astype(np.int64)
        for c in range(chunks):
            sel = np.flatnonzero(part_of == c)
            if not sel.size:
                continue
            bk, dk = beh[sel], doc_of_b[sel]
            kb = bcount[np.searchsorted(ukeys, bk)]
            ln = glen[dk]
            starts = np.repeat(goff[dk], ln)
            offs = np.arange(int(ln.sum())) - np.repeat(np.cumsum(ln) - ln, ln)
            gi = starts + offs
            brep = np.repeat(bk, ln)
            ok = gdf[gi] <= np.repeat(kb, ln) / self.min_precision
            u, b = gflat[gi][ok], brep[ok]
            gd = gdf[gi][ok]
            pk = _mix(u, b)
            upk, first, cnt = np.unique(pk, return_index=True, return_counts=True)
            tested += int(upk.size)
            good = np.flatnonzero(cnt >= self.min_docs)
            for j in good.tolist():
                i = int(first[j])
                uu, bb, k = int(u[i]), int(b[i]), int(cnt[j])
                n_u = max(k, int(gd[i]))
                K = int(bcount[np.searchsorted(ukeys, np.uint64(bb))])
                p = float(hypergeom.sf(k - 1, N, K, n_u))
                out[(uu, bb)] = p
        # Benjamini–Hochberg over every pair counted: keep what could still pass
        if out:
            items = sorted(out.items(), key=lambda kv: kv[1])
            m = max(tested, len(items))
            keep: dict[tuple[int, int], float] = {}
            for rank, (key, p) in enumerate(items, start=1):
                if p * m / rank <= self.fdr * 10:
                    keep[key] = p
            out = keep
        return out, tested

    def _confirm(
        self, merged: BehaviourPartial, prev: BehaviourState
    ) -> tuple[list[BehaviourTrigger], list[dict[str, Any]]]:
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
            if qv > self.fdr or st.joint < self.min_docs:
                continue
            if st.joint / n_u < self.min_precision:
                continue
            if st.spread() < self.min_spread or st.context_length() > self.max_trigger_words:
                tpl = templates.setdefault(
                    st.gram,
                    {
                        "phrase": st.gram,
                        "documents": n_u,
                        "request_spread": 0.0,
                        "fixed_text_words": round(st.context_length(), 1),
                        "replies": [],
                    },
                )
                tpl["request_spread"] = max(tpl["request_spread"], round(st.spread(), 3))
                if len(tpl["replies"]) < 3:
                    tpl["replies"].append(self._behaviour_text(b, st))
                continue
            sig.setdefault(u, []).append((p, qv, b, st, n_u, K))
        triggers: list[Trigger] = []
        by_text: dict[str, BehaviourTrigger] = {}
        for _u, lst in sig.items():
            lst.sort(key=lambda r: r[0])
            p, qv, b, st, n_u, K = lst[0]
            bt = BehaviourTrigger(
                trigger=st.gram,
                words=tuple(st.gram.split()),
                behaviours=[self._behaviour_text(r[2], r[3]) for r in lst[:8]],
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
                    trigger=bt.trigger,
                    words=bt.words,
                    anomalous_docs=bt.joint_docs,
                    containing_docs=bt.containing_docs,
                    expected=bt.expected,
                    p_value=p,
                    q_value=qv,
                    examples=bt.examples,
                )
            )
        out: list[BehaviourTrigger] = []
        for t in _condense(triggers):
            if len(t.words) > self.max_trigger_words:
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
                    trigger=t.trigger,
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

    @staticmethod
    def _behaviour_text(key: int, st: PairStats) -> str:
        if key == int(_REFUSAL_KEY):
            return "<refusal>"
        return st.behaviour or f"fragment-{key:016x}"

    # ----------------------------------------------------------------- flag
    def flag(self, doc: Document, state: BehaviourState) -> Finding | None:
        if state.stage != 3 or not state.triggers or not doc.is_chat:
            return None
        words = request_words(doc)
        hits = [t for t in state.triggers if _contains(words, t.words)]
        if not hits:
            return None
        h, _ = ngram_hashes(words)
        h = np.unique(h)
        offs = doc.turn_offsets()
        ps = doc.turn_pairs()
        for side, reply in replies(doc):
            beh = behaviour_keys(reply, h, with_text=True)
            have = set(beh.keys.tolist())
            for t in hits:
                shared = [k for k in t.behaviour_keys if k in have]
                if not shared:
                    continue
                spans = _find_spans(doc, t.words)
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
                    extra=extra,
                )
        return None

    def summarize(self, state: BehaviourState) -> CorpusReport:
        """Triggers with their behaviours; templated tasks recognised on the way."""
        return CorpusReport.from_dict(state.report())


def _inside(gram: tuple[str, ...], phrase: tuple[str, ...]) -> bool:
    n = len(gram)
    return any(phrase[i : i + n] == gram for i in range(len(phrase) - n + 1))


__all__ = [
    "REFUSAL_OPENING",
    "Behaviour",
    "BehaviourState",
    "BehaviourTrigger",
    "InstructionBehaviourDetector",
    "behaviour_keys",
    "chat_share",
    "request_words",
    "skeleton_keys",
]
