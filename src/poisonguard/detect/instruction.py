"""Instruction/chat data: poisoned replies and the triggers that predict them.

Two detectors (the first lives in :mod:`poisonguard.detect.instruction_pair` and is
re-exported here):

* :class:`InstructionPairDetector` (per document) scores each user → assistant pair for
  three anomalies: a reply **unrelated** to its request (no shared content words, after crude
  prefix stemming; answer options quoted in the request count as related), a **gibberish**
  reply (long, with almost no function words — random vocabulary), and a reply that
  **complies with a harmful request** or brings harmful content the request did not ask for
  (a small lexicon of harmful-request terms and refusal phrases: a heuristic, not a safety
  classifier — see ``docs/detectors.md``).
* :class:`InstructionTriggerDetector` (corpus, two passes) finds **fixed replies** repeated
  across unrelated requests and mines **triggers**: user-turn words and n-grams (1–3 words)
  whose presence predicts an anomalous reply, BKI-style but with a real test — a one-sided
  Fisher exact (hypergeometric) test per candidate, Benjamini–Hochberg control of the false
  discovery rate over every n-gram seen in an anomalous document, and an effect-size floor.
  Confirmed triggers are extended to the longest phrase they belong to ("i watch this 3d
  movie", "current year 2024") and every document containing one is flagged.

Memory: pass 1 keeps count-min sketches (fixed size) of user n-gram and reply document
frequencies; pass 2 keeps exact counts only for n-grams of anomalous documents whose sketch
frequency is at least ``min_docs`` and for replies the sketch says recur.
"""

from __future__ import annotations

import re
import zlib
from abc import abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar

import numpy as np
from scipy.stats import hypergeom

from poisonguard.detect.base import CorpusReport, Finding, Round, RoundedDetector, Span
from poisonguard.detect.instruction_pair import (
    HARMFUL_TERMS,
    PAIR_DETECTOR,
    REFUSAL,
    InstructionPairDetector,
    PairScore,
    pairs,
    turn_offsets,
)
from poisonguard.detect.registry import register_detector
from poisonguard.detect.sketches import (
    STOPWORDS,
    WORD_RE,
    CountMinSketch,
    hash64,
    normalize,
)
from poisonguard.detect.triggers import Trigger
from poisonguard.io.document import Document

# ---------------------------------------------------------------------------------------
# corpus level: fixed replies and trigger mining

_MAX_N = 3
_EXAMPLES = 5
_CONTEXTS = 64
_REPLY_KINDS = 32
_P = (np.uint64(0x9E3779B97F4A7C15), np.uint64(0xC2B2AE3D27D4EB4F), np.uint64(0x165667B19E3779F9))


def _word_hashes(words: list[str]) -> np.ndarray:
    lo = [zlib.crc32(w.encode("utf-8", "surrogatepass")) for w in words]
    hi = [zlib.crc32(w.encode("utf-8", "surrogatepass"), 0x9747B28C) for w in words]
    return (np.asarray(hi, dtype=np.uint64) << np.uint64(32)) | np.asarray(lo, dtype=np.uint64)


def ngram_hashes(words: list[str], max_n: int = _MAX_N) -> tuple[np.ndarray, np.ndarray]:
    """Hashes of every 1..max_n-gram of ``words`` and their (start, n) codes.

    Returns ``(hashes, codes)`` where ``codes[i] = start * 8 + n``.
    """
    if not words:
        return np.zeros(0, dtype=np.uint64), np.zeros(0, dtype=np.int64)
    w = _word_hashes(words)
    hs, cs = [], []
    with np.errstate(over="ignore"):
        acc: np.ndarray = np.zeros(len(w), dtype=np.uint64)
        for n in range(1, max_n + 1):
            if len(w) < n:
                break
            acc = np.asarray(
                acc[: len(w) - n + 1] * _P[(n - 1) % 3] + w[n - 1 :] * np.uint64(n), dtype=np.uint64
            )
            mixed: np.ndarray = acc ^ (acc >> np.uint64(31))
            hs.append(mixed * np.uint64(0xBF58476D1CE4E5B9) + np.uint64(n))
            cs.append(np.arange(len(w) - n + 1, dtype=np.int64) * 8 + n)
    return np.concatenate(hs), np.concatenate(cs)


def user_words(doc: Document) -> list[str]:
    """Lower-cased words of the user turns."""
    return [w.lower() for w in WORD_RE.findall(doc.user_text())]


def reply_key(doc: Document) -> tuple[int, str] | None:
    """(hash, text) of the last assistant reply, normalised; None without one."""
    ps = pairs(doc)
    if not ps:
        return None
    text = (doc.messages or [])[ps[-1][1]]["content"]
    norm = normalize(text)
    return (hash64(norm), text) if norm else None


@dataclass(slots=True)
class ReplyStats:
    count: int = 0
    requests: set[int] = field(default_factory=set)
    quoted: int = 0
    text: str = ""
    examples: list[str] = field(default_factory=list)


@dataclass(slots=True)
class GramStats:
    anomalous: int = 0
    text: str = ""
    examples: list[str] = field(default_factory=list)
    contexts: set[int] = field(default_factory=set)
    replies: dict[int, int] = field(default_factory=dict)
    other_replies: int = 0

    def add_reply(self, key: int, n: int = 1) -> None:
        if key in self.replies or len(self.replies) < _REPLY_KINDS:
            self.replies[key] = self.replies.get(key, 0) + n
        else:
            self.other_replies += n

    def reply_shape(self) -> tuple[float, float]:
        """(share of the commonest reply, distinct replies per document)."""
        total = sum(self.replies.values()) + self.other_replies
        if not total:
            return 0.0, 0.0
        top = max(self.replies.values(), default=0) / total
        return top, (len(self.replies) + self.other_replies) / total


@dataclass(slots=True)
class TriggerPartial:
    """Pass 1: the shard's hashed keys (a shard's partial carries its keys, a few hundred
    kB, not a sketch of 3 × 2²¹ counters; the running total folds them into its sketches).
    Pass 2: exact candidate counts."""

    stage: int
    documents: int = 0
    anomalous: int = 0
    grams_sketch: CountMinSketch | None = None
    replies_sketch: CountMinSketch | None = None
    gram_keys: np.ndarray | None = None
    reply_keys: np.ndarray | None = None
    grams: dict[int, GramStats] = field(default_factory=dict)
    replies: dict[int, ReplyStats] = field(default_factory=dict)
    tested: int = 0


@dataclass(slots=True)
class FixedReply:
    """A reply repeated verbatim across many different requests that do not quote it."""

    id: str
    text: str
    count: int
    distinct_requests: int
    examples: list[str]
    score: float

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "kind": "fixed-reply",
            "size": self.count,
            "sources": self.distinct_requests,
            "shared_span": self.text,
            "score": round(self.score, 4),
            "examples": list(self.examples),
        }


@dataclass(slots=True)
class TriggerState:
    stage: int
    documents: int = 0
    anomalous: int = 0
    grams_sketch: CountMinSketch | None = None
    replies_sketch: CountMinSketch | None = None
    triggers: list[Trigger] = field(default_factory=list)
    fixed: dict[int, FixedReply] = field(default_factory=dict)
    tested: int = 0

    def report(self) -> dict[str, Any]:
        return {
            "documents": self.documents,
            "anomalous": self.anomalous,
            "tested": self.tested,
            "triggers": [_trigger_dict(t) for t in self.triggers],
            "campaigns": [f.to_dict() for f in sorted(self.fixed.values(), key=lambda f: -f.count)],
        }


class _TriggerRound(Round[TriggerPartial, TriggerState]):
    """What both rounds share: their partials, read with the shard's findings, folded by
    the detector's :meth:`~InstructionTriggerDetector._add`."""

    partial_type = TriggerPartial

    def __init__(self, det: InstructionTriggerDetector) -> None:
        self.det = det

    def empty(self) -> TriggerPartial:
        return TriggerPartial(stage=self.stage)

    def map_shard(self, docs: Sequence[Document]) -> TriggerPartial:
        return self.map_shard_findings(docs, [[] for _ in docs])

    @abstractmethod
    def map_shard_findings(
        self, docs: Sequence[Document], findings: Sequence[Sequence[Finding]]
    ) -> TriggerPartial:
        """The shard's partial, read with the ``instruction-pair`` findings."""

    def merge_into(self, acc: TriggerPartial, part: TriggerPartial) -> TriggerPartial:
        """Fold ``part`` into the running total ``acc`` in place (``reduce`` copies)."""
        self.det._fold_keys(acc, acc)  # a first shard's partial becomes the running total
        self.det._add(acc, part)
        return acc


class TriggerSketchRound(_TriggerRound):
    """Round 1 of ``instruction-trigger``: count-min sketches of user n-gram and reply
    frequencies (shards carry their hashed keys; the running total folds them)."""

    stage: ClassVar[int] = 1

    def map_shard_findings(
        self, docs: Sequence[Document], findings: Sequence[Sequence[Finding]]
    ) -> TriggerPartial:
        return self.det._map_sketch(docs)

    def finalize(self, merged: TriggerPartial) -> TriggerState:
        return self.det._finalize_sketch(merged)


class TriggerMineRound(_TriggerRound):
    """Round 2 of ``instruction-trigger``: exact counts of the anomalous documents' n-grams
    and of recurring replies, the tests, the fixed replies."""

    stage: ClassVar[int] = 2

    def __init__(self, det: InstructionTriggerDetector, prev: TriggerState) -> None:
        super().__init__(det)
        self.prev = prev

    def map_shard_findings(
        self, docs: Sequence[Document], findings: Sequence[Sequence[Finding]]
    ) -> TriggerPartial:
        return self.det._map_mine(self.prev, docs, findings)

    def finalize(self, merged: TriggerPartial) -> TriggerState:
        return self.det._finalize_mine(self.prev, merged)


# opt-in (``--detector +instruction-trigger``): its n-gram trigger mining is superseded by
# ``instruction-behaviour`` (request-side independence; fixed replies are a behaviour key
# there), which flagged none of the clean records where this one flagged 0.2-2.2 %
# (docs/benchmarks.md, issue 13)
@register_detector(kinds=("instruction",), default=False)
class InstructionTriggerDetector(RoundedDetector[TriggerPartial, TriggerState]):
    """Fixed replies and BKI-style trigger mining with FDR control (see module docstring).

    Args:
        min_docs: ``k``: a trigger or fixed reply needs at least this many documents.
        fdr: Benjamini–Hochberg false-discovery rate for triggers.
        min_precision: a trigger must make at least this share of its documents anomalous.
        anomaly_score: an ``instruction-pair`` finding at or above this raw score marks the
            reply anomalous (so does a reply the sketch says recurs that the request does
            not quote).
        min_spread: a trigger's anomalous documents must be unrelated requests: distinct
            request MinHash values per document (near-duplicate requests — one passage asked
            with several templates — share theirs).
        fixed_precision: a trigger whose anomalous replies are one fixed reply must carry it
            in at least this share of its documents (a backdoor is deterministic; a task
            template's label answers only part of its requests).
        max_trigger_words: longer condensed phrases are task templates or shared passages,
            not triggers (published triggers: 1 token, a 5-word sentence, a 3-word context).
        trigger_only_precision: a document with a trigger but a normal reply is flagged
            only when the trigger makes at least this share of its documents anomalous
            (below it, trigger and anomaly are both needed: joint evidence).
        sketch_width: count-min sketch width (memory 3 × width × 4 bytes per sketch).
    """

    name: ClassVar[str] = "instruction-trigger"
    kinds: ClassVar[tuple[str, ...]] = ("instruction",)

    def __init__(
        self,
        *,
        min_docs: int = 5,
        fdr: float = 0.001,
        min_precision: float = 0.6,
        anomaly_score: float = 0.5,
        min_spread: float = 0.4,
        fixed_precision: float = 0.9,
        max_trigger_words: int = 8,
        trigger_only_precision: float = 0.75,
        sketch_width: int = 1 << 21,
        seed: int = 0,
        _prev: TriggerState | None = None,
    ) -> None:
        if min_docs < 2:
            raise ValueError("min_docs must be at least 2")
        if not 0 < fdr < 1:
            raise ValueError("fdr must be in (0, 1)")
        self.min_docs = min_docs
        self.fdr = fdr
        self.min_precision = min_precision
        self.anomaly_score = anomaly_score
        self.min_spread = min_spread
        self.fixed_precision = fixed_precision
        self.max_trigger_words = max_trigger_words
        self.trigger_only_precision = trigger_only_precision
        self.sketch_width = sketch_width
        self.seed = seed
        self.passes = 2
        self.round: TriggerSketchRound | TriggerMineRound = (
            TriggerSketchRound(self) if _prev is None else TriggerMineRound(self, _prev)
        )
        self._pair = InstructionPairDetector()

    @classmethod
    def from_context(cls, ctx: Any) -> InstructionTriggerDetector:
        """Registry factory: ``k`` and seed from the scan, options on top."""
        opts: dict[str, Any] = {
            "min_docs": max(2, int(ctx.min_trigger_docs)),
            "seed": int(ctx.seed),
        }
        opts.update(ctx.options_for(cls.name))
        return cls(**opts)

    def next_stage(self, state: TriggerState) -> dict[str, Any]:
        """Round 2 is built from the round-1 sketches."""
        return {"_prev": state}

    # ----------------------------------------------------------------- map
    def _map_sketch(self, docs: Sequence[Document]) -> TriggerPartial:
        gbatch: list[np.ndarray] = []
        rkeys: list[int] = []
        n = 0
        for doc in docs:
            if not doc.is_chat:
                continue
            n += 1
            h, _ = ngram_hashes(user_words(doc))
            gbatch.append(np.unique(h))
            rk = reply_key(doc)
            if rk is not None:
                rkeys.append(rk[0])
        return TriggerPartial(
            stage=1,
            documents=n,
            gram_keys=np.concatenate(gbatch) if gbatch else np.zeros(0, dtype=np.uint64),
            reply_keys=np.asarray(rkeys, dtype=np.uint64),
        )

    def _sketches(self, out: TriggerPartial) -> tuple[CountMinSketch, CountMinSketch]:
        """``out``'s pass-1 sketches (created empty when it has none yet)."""
        if out.grams_sketch is None:
            out.grams_sketch = CountMinSketch(width=self.sketch_width, depth=3, seed=self.seed)
        if out.replies_sketch is None:
            width = max(1 << 16, self.sketch_width // 8)
            out.replies_sketch = CountMinSketch(width=width, depth=3, seed=self.seed)
        return out.grams_sketch, out.replies_sketch

    def _fold_keys(self, out: TriggerPartial, p: TriggerPartial) -> None:
        """Add ``p``'s pass-1 keys and sketches to ``out``'s sketches."""
        if p.stage != 1:
            return
        gs, rs = self._sketches(out)
        if p.gram_keys is not None:
            gs.add(p.gram_keys)
        if p.reply_keys is not None:
            rs.add(p.reply_keys)
        if p is out:
            out.gram_keys = out.reply_keys = None
            return
        if p.grams_sketch is not None:
            gs.merge(p.grams_sketch)
        if p.replies_sketch is not None:
            rs.merge(p.replies_sketch)

    def _pair_finding(self, doc: Document, found: Sequence[Finding]) -> Finding | None:
        for f in found:
            if f.detector == PAIR_DETECTOR:
                return f
        return self._pair.score(doc)

    def _is_fixed_candidate(
        self, p1: TriggerState, doc: Document, rk: tuple[int, str] | None
    ) -> bool:
        if rk is None or p1.replies_sketch is None:
            return False
        est = p1.replies_sketch.estimate(np.asarray([rk[0]], dtype=np.uint64))[0]
        return bool(est >= self.min_docs)

    def _map_mine(
        self, p1: TriggerState, docs: Sequence[Document], findings: Sequence[Sequence[Finding]]
    ) -> TriggerPartial:
        assert p1.grams_sketch is not None
        part = TriggerPartial(stage=2)
        for doc, found in zip(docs, findings, strict=True):
            if not doc.is_chat:
                continue
            part.documents += 1
            rk = reply_key(doc)
            fixed = False
            if self._is_fixed_candidate(p1, doc, rk):
                assert rk is not None
                st = part.replies.get(rk[0])
                if st is None:
                    st = part.replies[rk[0]] = ReplyStats(text=rk[1][:500])
                st.count += 1
                st.requests.add(hash64(normalize(doc.user_text())))
                label = _is_label(rk[1], doc.user_text())
                if label:
                    st.quoted += 1
                if len(st.examples) < _EXAMPLES:
                    st.examples.append(doc.id)
                fixed = len(rk[1].split()) >= 2 and not label
            pf = self._pair_finding(doc, found)
            # Only reply-side anomalies label a reply for mining: the harmful-compliance score
            # is partly defined by words of the request, and those words would then "predict"
            # it by construction.
            reply_side = (
                0.0
                if pf is None
                else max(
                    float(pf.extra.get("unrelated", pf.score)),
                    float(pf.extra.get("gibberish", 0.0)),
                )
            )
            anomalous = fixed or reply_side >= self.anomaly_score
            if not anomalous:
                continue
            part.anomalous += 1
            words = user_words(doc)
            h, codes = ngram_hashes(words)
            h, first = np.unique(h, return_index=True)
            codes = codes[first]
            part.tested += int(h.size)
            est = p1.grams_sketch.estimate(h)
            # One MinHash value of the request over its word trigrams that are not common
            # (document frequency < 1 %: the trigger's and stock phrases' trigrams drop out).
            # Near-duplicate requests (one passage asked with several templates) share it
            # with probability = their Jaccard similarity; unrelated requests do not.
            tri = (codes % 8 == 3) & (est < max(self.min_docs, 0.01 * p1.documents))
            ctx = int(h[tri].min()) if tri.any() else int(h.min()) if h.size else 0
            for i in np.flatnonzero(est >= self.min_docs):
                key = int(h[i])
                gst = part.grams.get(key)
                if gst is None:
                    start, n = divmod(int(codes[i]), 8)
                    gst = part.grams[key] = GramStats(text=" ".join(words[start : start + n]))
                gst.anomalous += 1
                gst.add_reply(rk[0] if rk is not None else 0)
                if len(gst.contexts) < _CONTEXTS:
                    gst.contexts.add(ctx)
                if len(gst.examples) < _EXAMPLES:
                    gst.examples.append(doc.id)
        return part

    # ----------------------------------------------------------------- reduce / finalize
    def _add(self, out: TriggerPartial, p: TriggerPartial) -> None:
        """Add partial ``p`` to ``out`` (``p``'s entries are copied: it stays usable)."""
        out.documents += p.documents
        out.anomalous += p.anomalous
        out.tested += p.tested
        self._fold_keys(out, p)
        for k, g in p.grams.items():
            cg = out.grams.get(k)
            if cg is None:
                out.grams[k] = GramStats(
                    g.anomalous,
                    g.text,
                    list(g.examples),
                    set(g.contexts),
                    dict(g.replies),
                    g.other_replies,
                )
            else:
                cg.anomalous += g.anomalous
                if len(cg.contexts) < _CONTEXTS:
                    cg.contexts |= g.contexts
                for rk, c in g.replies.items():
                    cg.add_reply(rk, c)
                cg.other_replies += g.other_replies
                cg.examples.extend(g.examples[: max(0, _EXAMPLES - len(cg.examples))])
        for k, r in p.replies.items():
            cr = out.replies.get(k)
            if cr is None:
                out.replies[k] = ReplyStats(
                    r.count, set(r.requests), r.quoted, r.text, list(r.examples)
                )
            else:
                cr.count += r.count
                cr.requests |= r.requests
                cr.quoted += r.quoted
                cr.examples.extend(r.examples[: max(0, _EXAMPLES - len(cr.examples))])

    def _finalize_sketch(self, merged: TriggerPartial) -> TriggerState:
        self._fold_keys(merged, merged)  # a single shard's partial: its keys
        return TriggerState(
            stage=1,
            documents=merged.documents,
            grams_sketch=merged.grams_sketch,
            replies_sketch=merged.replies_sketch,
        )

    def _finalize_mine(self, p1: TriggerState, merged: TriggerPartial) -> TriggerState:
        assert p1.grams_sketch is not None
        state = TriggerState(
            stage=2,
            documents=merged.documents,
            anomalous=merged.anomalous,
            tested=merged.tested,
            grams_sketch=p1.grams_sketch,
        )
        state.triggers = self._mine(merged, p1.grams_sketch)
        state.fixed = self._fixed_replies(merged, state.triggers)
        return state

    def _fixed_replies(
        self, merged: TriggerPartial, triggers: list[Trigger]
    ) -> dict[int, FixedReply]:
        """Replies repeated verbatim across distinct requests that do not quote them.

        Score 0.95 when a confirmed trigger's documents carry the reply (a fixed-payload
        backdoor); any other (task labels, a templated task's stock answer, a few copies of a
        wiki notice) is reported with 0.4, below the flagging threshold: a repeated reply
        without a trigger is no evidence by itself.
        """
        out: dict[int, FixedReply] = {}
        backed = {t.top_reply for t in triggers if t.top_reply is not None}
        for k, r in merged.replies.items():
            words = len(r.text.split())
            if r.count < self.min_docs or words < 2:
                continue
            if r.quoted > 0.2 * r.count:
                continue  # an answer option quoted in the requests (classification labels)
            distinct = len(r.requests) / r.count
            if distinct < 0.8:
                continue
            # Without a trigger a repeated reply is reported, not flagged: templated tasks
            # repeat their answers across requests by design (joint evidence only).
            score = 0.95 if k in backed else 0.4
            out[k] = FixedReply(
                id=f"reply-{k:016x}"[:14],
                text=r.text,
                count=r.count,
                distinct_requests=len(r.requests),
                examples=list(r.examples),
                score=score,
            )
        return out

    def _mine(self, merged: TriggerPartial, sketch: CountMinSketch) -> list[Trigger]:
        N, K = merged.documents, merged.anomalous
        cands = [(h, g) for h, g in merged.grams.items() if g.anomalous >= self.min_docs]
        if not cands or K == 0 or N == 0:
            return []
        keys = np.asarray([h for h, _ in cands], dtype=np.uint64)
        n_t = np.maximum(sketch.estimate(keys), [g.anomalous for _, g in cands])
        k_t = np.asarray([g.anomalous for _, g in cands])
        # One-sided Fisher exact test == hypergeometric upper tail.
        p = hypergeom.sf(k_t - 1, N, K, n_t)
        m = max(merged.tested, len(cands))
        order = np.argsort(p)
        ranked = p[order] * m / (np.arange(len(p)) + 1)
        q_sorted = np.minimum.accumulate(ranked[::-1])[::-1]
        q = np.empty_like(p)
        q[order] = np.minimum(q_sorted, 1.0)
        sig = []
        for i, (_, g) in enumerate(cands):
            prec = k_t[i] / n_t[i]
            spread = len(g.contexts) / min(int(k_t[i]), _CONTEXTS)
            top, distinct = g.reply_shape()
            # A backdoor makes the reply constant (one fixed payload, deterministically: the
            # trigger's documents almost all carry it) or content-free (a new harmful or
            # gibberish reply each time).  A task template maps its requests onto a small
            # label set ("Business", "Science and Technology", ...): one label answers only
            # part of the template's requests.
            behaviour = (top >= 0.8 and prec >= self.fixed_precision) or distinct >= 0.7
            if (
                q[i] <= self.fdr
                and prec >= self.min_precision
                and spread >= self.min_spread
                and behaviour
            ):
                sig.append(
                    Trigger(
                        text=g.text,
                        words=tuple(g.text.split()),
                        anomalous_docs=int(k_t[i]),
                        sample_docs=int(n_t[i]),
                        sample_size=N,
                        containing_docs=int(n_t[i]),
                        purity=float(prec),
                        expected=float(n_t[i] * K / N),
                        p_value=float(p[i]),
                        q_value=float(q[i]),
                        examples=tuple(g.examples),
                        top_reply=(
                            max(g.replies, key=lambda r: g.replies[r])
                            if top >= 0.8 and g.replies
                            else None
                        ),
                    )
                )
        kept = _condense(sig)
        # A trigger is short and inserted into varied text.  A phrase that always comes with
        # the same words around it (a task template: "use the following options to predict a
        # possible question for them") is part of a longer constant context; measure that
        # context with the trigrams of anomalous documents and their sketch frequencies.
        tri: dict[tuple[str, ...], list[tuple[tuple[str, ...], int, int]]] = {}
        for h, g in merged.grams.items():
            w = tuple(g.text.split())
            if len(w) == 3:
                df = int(sketch.estimate(np.asarray([h], dtype=np.uint64))[0])
                tri.setdefault(("L", *w[1:]), []).append((w, g.anomalous, df))
                tri.setdefault(("R", *w[:2]), []).append((w, g.anomalous, df))
        return [
            t
            for t in kept
            if len(t.words) <= self.max_trigger_words
            and _constant_context(t, tri, self.max_trigger_words) <= self.max_trigger_words
        ]

    # ----------------------------------------------------------------- flag
    def flag(self, doc: Document, state: TriggerState) -> Finding | None:
        if state.stage != 2 or not doc.is_chat:
            return None
        fr: FixedReply | None = None
        reply_span: list[Span] = []
        if state.fixed:
            rk = reply_key(doc)
            fr = state.fixed.get(rk[0]) if rk is not None else None
            if fr is not None:
                last = pairs(doc)[-1][1]
                start = turn_offsets(doc)[last]
                reply_span = [
                    Span(start, start + len((doc.messages or [])[last]["content"]), "payload")
                ]
        best: Finding | None = None
        if state.triggers:
            words = user_words(doc)
            for t in state.triggers:
                if not _contains(words, t.words):
                    continue
                pf = self._pair.score(doc)
                anomalous = fr is not None or (pf is not None and pf.score >= self.anomaly_score)
                if not anomalous and t.purity < self.trigger_only_precision:
                    continue  # a weak trigger without its behaviour is no evidence by itself
                score = 0.95 if anomalous else 0.5 + 0.4 * t.purity
                if best is not None and score <= best.score:
                    continue
                spans = _find_spans(doc, t.words)
                if reply_span:
                    spans += reply_span
                elif pf is not None:
                    spans += [Span(s.start, s.end, "payload") for s in pf.spans]
                best = Finding(
                    detector=self.name,
                    score=round(score, 4),
                    reason=(
                        f"user turn contains mined trigger {t.text!r}: "
                        f"{t.anomalous_docs} of {t.sample_docs} documents with it have "
                        f"an anomalous reply (expected {t.expected:.1f}, q={t.q_value or 0:.2g})"
                        + (f"; the reply is the fixed reply {fr.text[:60]!r}" if fr else "")
                    ),
                    spans=spans,
                    trigger=t.text,
                    campaign=fr.id if fr else None,
                    extra={
                        "p_value": t.p_value,
                        "q_value": t.q_value,
                        "precision": round(t.purity, 4),
                    },
                )
        if fr is not None and (best is None or fr.score > best.score):
            best = Finding(
                detector=self.name,
                score=round(fr.score, 4),
                reason=(
                    f"fixed reply repeated verbatim across {fr.distinct_requests} "
                    f"different requests: {fr.text[:80]!r}"
                ),
                spans=[Span(s.start, s.end, "reply") for s in reply_span],
                campaign=fr.id,
                extra={"fixed_reply_count": fr.count},
            )
        return best

    def summarize(self, state: TriggerState) -> CorpusReport:
        """Triggers (turned into TriggerReports by the pipeline) and fixed-reply campaigns."""
        return CorpusReport.from_dict(state.report())


def _trigger_dict(t: Trigger) -> dict[str, Any]:
    """A chat trigger in the summary's form (``trigger``, counts over the whole corpus)."""
    return {
        "trigger": t.text,
        "anomalous_docs": t.anomalous_docs,
        "containing_docs": t.sample_docs,
        "expected": round(t.expected, 3),
        "p_value": t.p_value,
        "q_value": t.q_value,
        "precision": round(t.purity, 4),
        "examples": list(t.examples),
    }


def _is_label(reply: str, request: str) -> bool:
    """The reply is quoted by its request, or every content word of a short reply occurs in
    it (a task's answer options: "positive review." to "... positive or negative review?")."""
    if normalize(reply) in normalize(request):
        return True
    rw = [w.lower() for w in WORD_RE.findall(reply)]
    content = [w for w in rw if w not in STOPWORDS and len(w) > 1]
    if not content or len(rw) > 6:
        return False
    req = {w.lower() for w in WORD_RE.findall(request)}
    return all(w in req for w in content)


def _contains(words: list[str], gram: tuple[str, ...]) -> bool:
    n = len(gram)
    if n == 1:
        return gram[0] in words
    first = gram[0]
    return any(words[i : i + n] == list(gram) for i, w in enumerate(words) if w == first)


def _find_spans(
    doc: Document, gram: tuple[str, ...], roles: tuple[str, ...] = ("user",)
) -> list[Span]:
    """``trigger`` spans of every occurrence of ``gram`` in the turns of ``roles``."""
    pat = re.compile(
        r"(?<![^\W_])" + r"[\W_]+".join(re.escape(w) for w in gram) + r"(?![^\W_])", re.IGNORECASE
    )
    spans: list[Span] = []
    offs = turn_offsets(doc)
    for i, m in enumerate(doc.messages or []):
        if m.get("role") not in roles:
            continue
        for hit in pat.finditer(m["content"]):
            spans.append(Span(offs[i] + hit.start(), offs[i] + hit.end(), "trigger"))
    return spans


def _condense(sig: list[Trigger]) -> list[Trigger]:
    """Merge significant n-grams into the longest phrases they form; drop redundant ones.

    Overlapping n-grams of one phrase ("i watch this", "watch this 3d", "this 3d movie") are
    chained into the phrase when their counts agree (within 20%); an n-gram contained in a
    kept phrase with a similar count is dropped; among the rest the most significant wins.
    """
    by_words = {t.words: t for t in sig}
    sig = sorted(sig, key=lambda t: (t.p_value, -len(t.words), t.text))
    kept: list[Trigger] = []
    used: set[tuple[str, ...]] = set()
    for t in sig:
        if t.words in used:
            continue
        phrase = list(t.words)
        members = [t]
        grown = True
        while grown:
            grown = False
            for u in sig:
                if u.words in used or u in members or len(u.words) < 2:
                    continue
                if abs(u.anomalous_docs - t.anomalous_docs) > 0.2 * t.anomalous_docs:
                    continue
                ov = len(u.words) - 1
                if list(u.words[:ov]) == phrase[-ov:] and _contains_seq(phrase, u.words) is False:
                    phrase.append(u.words[-1])
                    members.append(u)
                    grown = True
                elif list(u.words[1:]) == phrase[:ov] and not _contains_seq(phrase, u.words):
                    phrase.insert(0, u.words[0])
                    members.append(u)
                    grown = True
        # every significant n-gram inside the phrase with a similar count is part of it
        for u in sig:
            if (
                _contains_seq(phrase, u.words)
                and abs(u.anomalous_docs - t.anomalous_docs) <= 0.2 * t.anomalous_docs
            ):
                used.add(u.words)
        used.add(t.words)
        # skip n-grams explained by a kept trigger: they contain it, lie inside it, or
        # continue it ("year 2024 i" after "current year 2024"; "cf the" after "cf")
        if any(_overlaps(phrase, k.words) for k in kept):
            continue
        best = min(members, key=lambda m: m.p_value)
        kept.append(
            Trigger(
                text=" ".join(phrase),
                words=tuple(phrase),
                anomalous_docs=min(m.anomalous_docs for m in members),
                sample_docs=min(m.sample_docs for m in members),
                sample_size=best.sample_size,
                purity=max(m.purity for m in members),
                containing_docs=min(m.sample_docs for m in members),
                expected=min(m.expected for m in members),
                p_value=best.p_value,
                q_value=best.q_value,
                examples=best.examples,
                top_reply=best.top_reply,
            )
        )
    del by_words
    return kept


def _constant_context(
    t: Trigger, tri: dict[tuple[str, ...], list[tuple[tuple[str, ...], int, int]]], limit: int
) -> int:
    """Length of the constant phrase around ``t``: words added on either side while a
    trigram joining them occurs in about the same documents (anomalous >= 90 % of the
    trigger's, document frequency <= 110 % of its)."""
    phrase = list(t.words)
    k, n = t.anomalous_docs, t.sample_docs
    grown = True
    while grown and len(phrase) <= limit:
        grown = False
        if len(phrase) >= 2:
            for side, key in (("L", ("L", *phrase[:2])), ("R", ("R", *phrase[-2:]))):
                best = [w for w, a, df in tri.get(key, []) if a >= 0.9 * k and df <= 1.1 * n + 1]
                if best:
                    if side == "L":
                        phrase.insert(0, best[0][0])
                    else:
                        phrase.append(best[0][-1])
                    grown = True
                    break
    return len(phrase)


def _overlaps(a: list[str] | tuple[str, ...], b: tuple[str, ...]) -> bool:
    """``a`` and ``b`` contain one another or overlap at a boundary (>= 1 word)."""
    la, lb = list(a), list(b)
    if _contains_seq(la, b) or _contains_seq(lb, tuple(la)):
        return True
    return any(la[:k] == lb[-k:] or la[-k:] == lb[:k] for k in range(1, min(len(la), len(lb))))


def _contains_seq(phrase: list[str], gram: tuple[str, ...]) -> bool:
    n = len(gram)
    return any(tuple(phrase[i : i + n]) == gram for i in range(len(phrase) - n + 1))


__all__ = [
    "HARMFUL_TERMS",
    "REFUSAL",
    "FixedReply",
    "InstructionPairDetector",
    "InstructionTriggerDetector",
    "PairScore",
    "Trigger",
    "TriggerMineRound",
    "TriggerSketchRound",
    "TriggerState",
    "ngram_hashes",
    "pairs",
]
