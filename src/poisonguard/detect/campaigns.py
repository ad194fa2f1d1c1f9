"""Campaigns: the same sentence, or the same document, planted across many documents.

A targeted-claim campaign (Alber et al. 2025 style) needs the claim to be asserted by many
documents that look independent: the claim sentence (in a few paraphrases) is spliced into
otherwise unrelated pages, often under many fake domains.  Boilerplate — cookie notices,
licences, navigation, news-wire sign-offs, Project Gutenberg headers — also recurs across
many documents, so recurrence alone floods the findings.  :class:`CampaignDetector` tells the
two apart with evidence a person can check:

* **where** the sentence sits: boilerplate sits at a document's edges (first/last unit);
  a spliced claim sits anywhere (``edge_fraction``);
* **what it is glued to**: boilerplate and templates come in blocks — the same neighbouring
  sentence again and again; a spliced claim has different neighbours in every host document
  (``block_share``);
* **what it says**: a claim is a declarative sentence with content words and a named entity or
  number; navigation and notices are short, low-content, or use the vocabulary of notices
  (cookies, rights reserved, subscribe, Gutenberg, ...);
* **who says it**: distinct sources (URL hosts, else the record's ``source``) per document —
  "hundreds of independent documents" asserting one thing is the campaign signature;
* **a clean reference corpus** (``use_reference``): sentences that also recur there are known
  boilerplate of that kind of text and are never reported.

Near-duplicate and templated documents are found with MinHash LSH (``datasketch``): each
document's MinHash signature is cut into LSH bands; a band key shared by ``min_docs`` or more
documents is a cluster; clusters whose representative signatures are similar (queried with
``datasketch.MinHashLSH``) are merged.

Memory: pass 1 keeps only a count-min sketch (fixed size) of sentence and band-key document
frequencies; pass 2 keeps exact statistics only for the candidates the sketch says recur at
least ``min_docs`` times.  With ``passes=1`` the exact statistics are kept in a
capacity-bounded heavy-hitter table instead (exact while the corpus has fewer than
``capacity`` distinct sentences; beyond, rarer sentences are evicted Misra–Gries style).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, ClassVar

import numpy as np
from datasketch import MinHash, MinHashLSH

from poisonguard.detect.base import CorpusDetector, CorpusReport, Finding, Span
from poisonguard.detect.registry import register_detector
from poisonguard.detect.sketches import (
    STOPWORDS,
    WORD_RE,
    CountMinSketch,
    Sentence,
    hash64,
    minhash_signatures,
    normalize,
    prune_top,
    sentence_norms,
    source_key,
    split_sentences,
    wordset,
)
from poisonguard.io.document import Document

_SOURCE_CAP = 512
_NEIGHBOUR_CAP = 24
_HOST_CAP = 12  # host-document signatures kept per sentence (bottom-k by document hash)
_HOST_SAMPLE = 16  # host signatures compared per campaign (all phrasings together)
_RELATED_FROM = 0.02  # mean host Jaccard from which hosts count as related ...
_RELATED_FULL = 0.05  # ... and at which they are related (no independence evidence left)
_EXAMPLE_CAP = 10
_MAX_FAMILY_CANDIDATES = 5000
_MAX_BUCKET = 200
_STRONG = 0.5  # a phrasing that counts towards a paraphrase family
_FLAG_FLOOR = 0.5  # campaigns below this never change a verdict (SUSPICIOUS_SCORE)
_EDGE = 0  # neighbour hash of the document start/end
_SALT_BAND = 0x9E3779B97F4A7C15
_PENDING_KEYS = 1 << 20  # pass-1 keys buffered before they are added to the sketch

BOILERPLATE_WORDS: frozenset[str] = wordset(
    """cookie cookies privacy policy terms conditions copyright reserved rights subscribe
    subscription newsletter unsubscribe login log sign signup register password javascript
    browser click tap share tweet facebook twitter instagram linkedin pinterest whatsapp email
    print comments comment reply advertisement advertise sponsored gutenberg ebook ebooks
    license licence licensed trademark disclaimer reuter reuters ap afp contact menu home skip
    navigation search loading accept consent gdpr download"""
)
"""Vocabulary of notices and navigation: a sentence made mostly of it is not a claim."""

_CAPWORD = re.compile(r"(?<=[\w,;:] )[A-Z][A-Za-z]+")
_DIGIT = re.compile(r"\d")


@dataclass(slots=True)
class SentenceStats:
    """Exact statistics of one recurring sentence (a campaign candidate)."""

    count: int = 0
    sources: set[int] = field(default_factory=set)
    sources_overflow: bool = False
    edge: int = 0
    placed: int = 0
    prev: dict[int, int] = field(default_factory=dict)
    next: dict[int, int] = field(default_factory=dict)
    text: str = ""
    examples: list[str] = field(default_factory=list)
    hosts: dict[int, np.ndarray] = field(default_factory=dict)
    """MinHash signatures of host documents, keyed by the hash of their id (the
    ``_HOST_CAP`` smallest keys: a sample that does not depend on shard order)."""

    def merge(self, other: SentenceStats) -> None:
        self.count += other.count
        _merge_sources(self, other)
        self.edge += other.edge
        self.placed += other.placed
        _merge_counts(self.prev, other.prev)
        _merge_counts(self.next, other.next)
        if not self.text:
            self.text = other.text
        _merge_examples(self.examples, other.examples)
        _merge_hosts(self.hosts, other.hosts)


@dataclass(slots=True)
class BandStats:
    """Exact statistics of one LSH band key shared by near-duplicate documents."""

    count: int = 0
    sources: set[int] = field(default_factory=set)
    sources_overflow: bool = False
    signature: np.ndarray | None = None
    text: str = ""
    examples: list[str] = field(default_factory=list)

    def merge(self, other: BandStats) -> None:
        self.count += other.count
        _merge_sources(self, other)
        if self.signature is None:
            self.signature, self.text = other.signature, other.text
        _merge_examples(self.examples, other.examples)


def _merge_sources(a: SentenceStats | BandStats, b: SentenceStats | BandStats) -> None:
    a.sources |= b.sources
    a.sources_overflow = a.sources_overflow or b.sources_overflow
    if len(a.sources) > _SOURCE_CAP:
        a.sources = set(sorted(a.sources)[:_SOURCE_CAP])
        a.sources_overflow = True


def _merge_counts(a: dict[int, int], b: dict[int, int]) -> None:
    for k, v in b.items():
        a[k] = a.get(k, 0) + v
    if len(a) > _NEIGHBOUR_CAP:
        keep = sorted(a.items(), key=lambda kv: (-kv[1], kv[0]))[:_NEIGHBOUR_CAP]
        a.clear()
        a.update(keep)


def _merge_hosts(a: dict[int, np.ndarray], b: dict[int, np.ndarray]) -> None:
    a.update(b)
    if len(a) > _HOST_CAP:
        for k in sorted(a)[_HOST_CAP:]:
            del a[k]


def _add_host(hosts: dict[int, np.ndarray], key: int, sig: np.ndarray) -> None:
    if len(hosts) < _HOST_CAP:
        hosts[key] = sig
        return
    top = max(hosts)
    if key < top:
        del hosts[top]
        hosts[key] = sig


def host_similarity(sigs: Sequence[np.ndarray]) -> float | None:
    """Mean pairwise Jaccard estimate (share of equal MinHash values) of host documents;
    ``None`` for fewer than two."""
    if len(sigs) < 2:
        return None
    a = np.stack(sigs)
    eq = (a[:, None, :] == a[None, :, :]).mean(axis=2)
    iu = np.triu_indices(len(sigs), k=1)
    return float(eq[iu].mean())


def _merge_examples(a: list[str], b: list[str]) -> None:
    for x in b:
        if len(a) >= _EXAMPLE_CAP:
            return
        if x not in a:
            a.append(x)


@dataclass(slots=True)
class CampaignPartial:
    """What one shard (or a merge of shards) contributes.

    Pass 1 fills ``keys`` (each document's distinct sentence and band keys, buffered; added
    to ``sketch`` once more than ``_PENDING_KEYS`` are buffered, so that a shard's partial
    is small to ship and the sketch is built once, not per shard); pass 2 (or the single
    pass) fills ``sentences`` and ``bands``.
    """

    stage: int
    documents: int = 0
    sketch: CountMinSketch | None = None
    keys: list[np.ndarray] = field(default_factory=list)
    sentences: dict[int, SentenceStats] = field(default_factory=dict)
    bands: dict[int, BandStats] = field(default_factory=dict)
    evicted_below: int = 0


@dataclass(slots=True)
class Campaign:
    """One reported campaign: a recurring claim (with its paraphrases) or a near-dup cluster."""

    id: str
    kind: str
    size: int
    n_sources: int
    shared_span: str
    score: float
    examples: list[str]
    members: list[int]
    details: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "kind": self.kind,
            "size": self.size,
            "sources": self.n_sources,
            "shared_span": self.shared_span,
            "score": round(self.score, 4),
            "examples": list(self.examples),
            **self.details,
        }


@dataclass(slots=True)
class CampaignState:
    """Finalized campaign state: small (grows with candidates, not documents).

    ``sentence_campaign`` maps a sentence hash to the index of its campaign; ``band_campaign``
    does the same for LSH band keys.  ``prefilter`` is the pass-1 sketch (pass-1 state only).
    """

    stage: int
    documents: int = 0
    campaigns: list[Campaign] = field(default_factory=list)
    sentence_campaign: dict[int, int] = field(default_factory=dict)
    band_campaign: dict[int, int] = field(default_factory=dict)
    prefilter: CountMinSketch | None = None
    candidates: int = 0
    evicted_below: int = 0
    wanted: tuple[bool, bool] | None = None  # (claims, near-dups) can change a verdict

    def report(self) -> dict[str, Any]:
        """JSON-serialisable summary (the ``campaigns`` list, highest score first)."""
        return {
            "documents": self.documents,
            "candidates": self.candidates,
            "campaigns": [c.to_dict() for c in self.campaigns],
            "evicted_below": self.evicted_below,
        }


@lru_cache(maxsize=16)
def _lsh_params(threshold: float, num_perm: int) -> tuple[int, int]:
    """datasketch's optimal LSH (bands, rows) for ``threshold`` (equal weights of false
    positives and negatives): numerical integrations worth ~5 ms, once per setting."""
    from datasketch.lsh import _optimal_param

    bands, rows = _optimal_param(threshold, num_perm, 0.5, 0.5)
    return int(bands), int(rows)


@register_detector(kinds=("pretrain", "rag"))
class CampaignDetector(CorpusDetector[CampaignPartial, CampaignState]):
    """Recurring-claim campaigns and near-duplicate clusters (see the module docstring).

    Args:
        min_docs: a campaign (all phrasings together) or a near-duplicate cluster needs at
            least this many documents.
        min_sentence_docs: one phrasing needs at least this many documents to be a candidate.
        min_words: sentences with fewer words are never candidates (headings, labels).
        passes: 2 (count-min prefilter, then exact counts of candidates) or 1 (bounded table).
        capacity: most candidate sentences/band keys kept exactly (``passes=1`` and pass 2).
        num_perm: MinHash permutations; ``dup_threshold``: Jaccard threshold of the LSH bands.
        sketch_width: count-min sketch width (memory = 3 × width × 4 bytes).
        seed: MinHash and sketch seed.
        related_hosts: discount campaigns whose host documents are related (templates);
            off for RAG knowledge bases (``--kind rag``), whose poisoned passages all
            answer one question and are related by design.
    """

    name: ClassVar[str] = "campaigns"
    kinds: ClassVar[tuple[str, ...]] = ("pretrain", "rag")
    prepass: ClassVar[bool] = True  # the count-min round needs no findings

    def __init__(
        self,
        *,
        min_docs: int = 5,
        min_sentence_docs: int = 3,
        min_words: int = 6,
        passes: int = 2,
        capacity: int = 200_000,
        num_perm: int = 64,
        dup_threshold: float = 0.8,
        sketch_width: int = 1 << 21,
        seed: int = 0,
        related_hosts: bool = True,
        _prefilter: CountMinSketch | None = None,
        _reference: frozenset[int] | None = None,
    ) -> None:
        if passes not in (1, 2):
            raise ValueError("passes must be 1 or 2")
        if min_docs < 2:
            raise ValueError("min_docs must be at least 2")
        self.min_docs = min_docs
        self.min_sentence_docs = max(2, min(min_sentence_docs, min_docs))
        self.min_words = min_words
        self.passes = passes
        self.capacity = capacity
        self.num_perm = num_perm
        self.dup_threshold = dup_threshold
        self.sketch_width = sketch_width
        self.seed = seed
        self.related_hosts = related_hosts
        self._prefilter = _prefilter
        self._reference: frozenset[int] = _reference or frozenset()
        self._perm = MinHash(num_perm=num_perm, seed=seed).permutations
        self._bands, self._rows = _lsh_params(dup_threshold, num_perm)

    @classmethod
    def from_context(cls, ctx: Any) -> CampaignDetector:
        """Registry factory: ``k`` from the scan, per-detector options on top."""
        opts: dict[str, Any] = {
            "min_docs": max(2, int(ctx.min_trigger_docs)),
            "seed": int(ctx.seed),
            # in a RAG knowledge base the passages of one campaign answer one question:
            # related hosts are the attack, not a template (see campaign_score)
            "related_hosts": ctx.kind != "rag",
        }
        opts.update(ctx.options_for(cls.name))
        return cls(**opts)

    # ------------------------------------------------------------------ reference corpus
    def use_reference(self, docs: Iterable[Document]) -> CampaignDetector:
        """Learn the recurring sentences of a clean reference corpus (never reported).

        Only sentences occurring in two or more reference documents are kept.
        """
        seen: dict[int, int] = {}
        for doc in docs:
            for h in {hash64(s.norm) for s in self._units(doc.text)}:
                seen[h] = seen.get(h, 0) + 1
        self._reference = frozenset(h for h, c in seen.items() if c >= 2)
        return self

    # ------------------------------------------------------------------ per document
    def _units(self, text: str) -> list[Sentence]:
        return split_sentences(text)

    def _candidate_norms(self, text: str) -> list[str]:
        """``norm`` of the candidate sentences among :meth:`_units` (without offsets)."""
        return sentence_norms(text, self.min_words)

    def _candidate(self, s: Sentence) -> bool:
        return s.norm.count(" ") + 1 >= self.min_words

    def _signature(self, text: str) -> np.ndarray | None:
        """MinHash signature of the document's word-aligned 16-byte shingles (or None)."""
        return self._signatures([text])[0]

    def _signatures(self, texts: Sequence[str]) -> list[np.ndarray | None]:
        """:meth:`_signature` of many texts at once (:func:`~.sketches.minhash_signatures`)."""
        return minhash_signatures(texts, self._perm)

    def _band_keys(self, sig: np.ndarray) -> list[int]:
        keys = []
        for i in range(self._bands):
            part = sig[i * self._rows : (i + 1) * self._rows].tobytes()
            keys.append(hash64(f"{i}:{part.hex()}") ^ _SALT_BAND)
        return keys

    # ------------------------------------------------------------------ map / reduce
    def map_shard(self, docs: Sequence[Document]) -> CampaignPartial:
        stage = 1 if (self.passes == 2 and self._prefilter is None) else 2
        part = CampaignPartial(stage=stage, documents=len(docs))
        sigs = self._signatures([d.text for d in docs])
        if stage == 1:
            batch: list[int] = []
            for doc, sig in zip(docs, sigs, strict=True):
                keys = set(map(hash64, self._candidate_norms(doc.text)))
                if sig is not None:
                    keys.update(self._band_keys(sig))
                batch.extend(keys)
            part.keys.append(np.asarray(batch, dtype=np.uint64))
            return part
        # hashes of each document's candidate sentences, in order
        hashes = [list(map(hash64, self._candidate_norms(doc.text))) for doc in docs]
        bands = [self._band_keys(sig) if sig is not None else [] for sig in sigs]
        # one prefilter look-up for the whole shard
        ok = self._admit([h for hs in hashes for h in hs] + [k for ks in bands for k in ks])
        todo: list[tuple[Document, list[Sentence], list[tuple[int, int]], np.ndarray | None]] = []
        for doc, hs, sig, ks in zip(docs, hashes, sigs, bands, strict=True):
            admitted = [k for k in ks if ok.get(k, True)]
            if not any(ok.get(h, True) and h not in self._reference for h in hs):
                self._collect(doc, part, [], [], sig, admitted)
                continue
            # a recurring sentence: the offsets of the units (and their neighbours) too;
            # the candidate units are those of the norms above, in the same order
            units = self._units(doc.text)
            at = [i for i, u in enumerate(units) if self._candidate(u)]
            cand = [
                (i, h)
                for i, h in zip(at, hs, strict=True)
                if h not in self._reference and ok.get(h, True)
            ]
            self._collect(doc, part, [], [], sig, admitted)
            todo.append((doc, units, cand, sig))
        # the host documents without their recurring sentences (what else they share)
        rest = self._signatures([_without(doc.text, units, cand) for doc, units, cand, _ in todo])
        for (doc, units, cand, _), host_sig in zip(todo, rest, strict=True):
            self._collect(doc, part, units, cand, None, [], host_sig)
        self._prune(part)
        return part

    def _admit(self, keys: list[int]) -> dict[int, bool]:
        """Whether the prefilter lets each key through (empty: no prefilter, all pass)."""
        if self._prefilter is None or not keys:
            return {}
        est = self._prefilter.estimate(np.asarray(keys, dtype=np.uint64))
        return dict(zip(keys, (est >= self.min_sentence_docs).tolist(), strict=True))

    def _collect(
        self,
        doc: Document,
        part: CampaignPartial,
        units: list[Sentence],
        cand: list[tuple[int, int]],
        sig: np.ndarray | None,
        band_keys: list[int],
        host_sig: np.ndarray | None = None,
    ) -> None:
        """Add one document's admitted candidate sentences ((index into ``units``, hash))
        and band keys to ``part``; ``host_sig``: the signature of the document without its
        candidate sentences (kept as a sample of the sentences' host documents)."""
        if not cand and (sig is None or not band_keys):
            return
        src = hash64(source_key(doc, file_fallback=False))
        host = hash64(doc.id) if cand and host_sig is not None else 0
        n = len(units)
        seen: set[int] = set()
        for i, h in cand:
            if h in seen:
                continue
            seen.add(h)
            st = part.sentences.get(h)
            if st is None:
                st = part.sentences[h] = SentenceStats(
                    text=doc.text[units[i].start : units[i].end][:400]
                )
            st.count += 1
            if len(st.sources) < _SOURCE_CAP:
                st.sources.add(src)
            elif src not in st.sources:
                st.sources_overflow = True
            if n >= 3:
                st.placed += 1
                if i == 0 or i == n - 1:
                    st.edge += 1
            p = _shape_hash(doc.text, units[i - 1]) if i > 0 else _EDGE
            q = _shape_hash(doc.text, units[i + 1]) if i + 1 < n else _EDGE
            st.prev[p] = st.prev.get(p, 0) + 1
            st.next[q] = st.next.get(q, 0) + 1
            if len(st.prev) > 4 * _NEIGHBOUR_CAP:
                _merge_counts(st.prev, {})
            if len(st.next) > 4 * _NEIGHBOUR_CAP:
                _merge_counts(st.next, {})
            if len(st.examples) < _EXAMPLE_CAP:
                st.examples.append(doc.id)
            if host_sig is not None:
                _add_host(st.hosts, host, host_sig)
        if sig is None:
            return
        for k in band_keys:
            bs = part.bands.get(k)
            if bs is None:
                bs = part.bands[k] = BandStats(signature=sig, text=doc.text[:300])
            bs.count += 1
            if len(bs.sources) < _SOURCE_CAP:
                bs.sources.add(src)
            elif src not in bs.sources:
                bs.sources_overflow = True
            if len(bs.examples) < _EXAMPLE_CAP:
                bs.examples.append(doc.id)

    def _prune(self, part: CampaignPartial) -> None:
        for table in (part.sentences, part.bands):
            counts = {k: v.count for k, v in table.items()}
            dropped, cut = prune_top(counts, self.capacity)
            for k in dropped:
                del table[k]
            for v in table.values():
                v.count -= cut
            part.evicted_below += cut

    def reduce(self, partials: Sequence[CampaignPartial]) -> CampaignPartial:
        if not partials:
            return CampaignPartial(
                stage=2 if self._prefilter is not None or self.passes == 1 else 1
            )
        out = CampaignPartial(stage=partials[0].stage)
        for p in partials:
            self._add(out, p)
        self._fold(out, _PENDING_KEYS)
        return out

    def merge_into(self, acc: CampaignPartial, part: CampaignPartial) -> CampaignPartial:
        """``reduce([acc, part])`` without copying ``acc``."""
        self._add(acc, part)
        self._fold(acc, _PENDING_KEYS)
        return acc

    def _add(self, out: CampaignPartial, p: CampaignPartial) -> None:
        if p.stage != out.stage:
            raise ValueError("cannot reduce partials of different passes")
        out.documents += p.documents
        out.evicted_below += p.evicted_below
        if p.sketch is not None:
            if out.sketch is None:
                out.sketch = CountMinSketch(
                    width=p.sketch.width, depth=p.sketch.depth, seed=p.sketch.seed
                )
            out.sketch.merge(p.sketch)
        out.keys.extend(p.keys)
        for k, st in p.sentences.items():
            cur = out.sentences.get(k)
            if cur is None:
                out.sentences[k] = _copy_sentence(st)
            else:
                cur.merge(st)
        for k, bs in p.bands.items():
            cb = out.bands.get(k)
            if cb is None:
                out.bands[k] = _copy_band(bs)
            else:
                cb.merge(bs)
        self._prune(out)

    def _fold(self, part: CampaignPartial, limit: int) -> None:
        """Add the buffered pass-1 keys to the sketch once more than ``limit`` are buffered
        (``limit=0``: always, and make sure there is a sketch)."""
        if sum(len(k) for k in part.keys) <= limit and (limit or part.sketch is not None):
            return
        if part.sketch is None:
            part.sketch = CountMinSketch(width=self.sketch_width, depth=3, seed=self.seed)
        keys = np.concatenate(part.keys) if part.keys else np.zeros(0, dtype=np.uint64)
        for i in range(0, len(keys), _PENDING_KEYS):  # one large batch adds fastest
            part.sketch.add(keys[i : i + _PENDING_KEYS])
        part.keys = []

    def next_stage(self, state: CampaignState) -> dict[str, Any]:
        """Pass 2 carries the pass-1 count-min sketch (and the reference sentences)."""
        if state.prefilter is None:
            raise ValueError("next_pass() needs the pass-1 state")
        return {"_prefilter": state.prefilter, "_reference": self._reference}

    # ------------------------------------------------------------------ finalize
    def finalize(self, merged: CampaignPartial) -> CampaignState:
        if merged.stage == 1:
            self._fold(merged, 0)
            return CampaignState(stage=1, documents=merged.documents, prefilter=merged.sketch)
        state = CampaignState(
            stage=2, documents=merged.documents, evicted_below=merged.evicted_below
        )
        cands = {h: st for h, st in merged.sentences.items() if st.count >= self.min_sentence_docs}
        state.candidates = len(cands)
        claims = self._claim_campaigns(cands)
        bands = {k: b for k, b in merged.bands.items() if b.count >= self.min_docs}
        dups = self._dup_campaigns(bands)
        ranked = sorted(claims + dups, key=lambda cm: (-cm[0].score, -cm[0].size, cm[0].id))
        for i, (camp, keys) in enumerate(ranked):
            state.campaigns.append(camp)
            target = state.sentence_campaign if camp.kind == "claim" else state.band_campaign
            for k in keys:
                target[k] = i
        return state

    def sentence_features(self, st: SentenceStats) -> dict[str, float]:
        """The numbers behind a sentence's claim score (also reported as evidence)."""
        n = st.count
        n_src = len(st.sources)
        diversity = n_src / min(n, _SOURCE_CAP) if n else 0.0
        edge = st.edge / st.placed if st.placed >= 3 else 0.5
        block = max(_top_share(st.prev, n), _top_share(st.next, n))
        text = st.text.strip()
        wl = [w.strip(".,;:!?\"'()[]").lower() for w in text.split()]
        content = [w for w in wl if w and w not in STOPWORDS]
        boiler = sum(w in BOILERPLATE_WORDS for w in content) / max(1, len(content))
        alpha = sum(c.isalpha() for c in text) / max(1, len(text))
        entity = 1.0 if (_CAPWORD.search(text) or _DIGIT.search(text)) else 0.0
        declarative = (
            1.0
            if (text[:1].isupper() or text[:1] in "\"'“")
            and text.rstrip("\"'”’)").endswith((".", "!"))
            else 0.0
        )
        return {
            "docs": float(n),
            "sources": float(n_src),
            "diversity": diversity,
            "edge_fraction": edge,
            "block_share": block,
            "boilerplate_words": boiler,
            "alpha": alpha,
            "entity": entity,
            "declarative": declarative,
            "content_words": float(len(content)),
        }

    def claim_score(self, f: dict[str, float]) -> float:
        """How much a recurring sentence looks like a planted claim, in [0, 1].

        Zero for boilerplate: notice vocabulary, not a declarative sentence (headings, table
        rows, navigation, fragments), mostly non-letters, or few content words.  Lowered
        when the sentence sits mostly at document edges (notices, sign-offs) or is glued to
        the same neighbour (a block of boilerplate or a template).  A mid-document
        declarative sentence with a named entity or a number scores 1.
        """
        if (
            f["boilerplate_words"] >= 0.2
            or f["alpha"] < 0.6
            or f["content_words"] < 3
            or not f["declarative"]
        ):
            return 0.0
        placement = 1.0 - max(0.0, f["edge_fraction"] - 0.5) * 2.0
        glue = 1.0 - f["block_share"]
        content = 0.8 + 0.2 * f["entity"]
        return max(0.0, min(1.0, placement * glue * content))

    def campaign_score(
        self,
        best: float,
        size: int,
        diversity: float,
        phrasings: float,
        related: float | None = None,
    ) -> float:
        """Suspicion of a family of recurring claim sentences, in [0, 1].

        A sentence that merely recurs (one phrasing, one source) stays below 0.5 — corpora
        legitimately repeat sentences.  It becomes suspicious, then poisoned, when the same
        core proposition is asserted in several phrasings (``phrasings`` is the effective
        number of claim-like phrasings, exp of the entropy of their document counts: a
        campaign rotates its paraphrases, a template family has one dominant wording; it
        counts from 3 and fully from 6) or by many distinct sources (``diversity`` = sources
        per document; counts from 0.2 and fully from 0.5, scaled down below 4 × ``min_docs``
        documents).  ``best`` is the best phrasing's
        :meth:`claim_score` (0.7 or more counts fully).

        Both kinds of evidence need host documents that are otherwise unrelated:
        ``related`` is their mean pairwise MinHash Jaccard (:func:`host_similarity`, whole
        documents).  A claim spliced into unrelated pages shares only its paragraph with
        the other hosts (Jaccard about 0.00-0.02 on the shared corpora); templated records
        (news-wire bond notices, one site's disease pages) share much more of their text
        (0.08-0.17).  Independence counts fully up to ``_RELATED_FROM`` (0.02) and not at
        all from ``_RELATED_FULL`` (0.05): related hosts leave a recurring sentence at 0.4
        at most, below the suspicious score.
        """
        # Many sources only mean something for many documents: 6 pages of one manual, each
        # its own "source", repeating a sentence is not a campaign; 20 domains is.
        independence = min(1.0, max(0.0, (diversity - 0.2) / 0.3)) * min(
            1.0, size / (4.0 * self.min_docs)
        )
        family = min(1.0, max(0.0, (phrasings - 3.0) / 3.0))
        support = min(1.0, size / (2.0 * self.min_docs))
        claim = min(1.0, best / 0.7)
        unrelated = (
            1.0
            if related is None or not self.related_hosts
            else min(1.0, max(0.0, (_RELATED_FULL - related) / (_RELATED_FULL - _RELATED_FROM)))
        )
        evidence = max(independence, family) * unrelated
        return max(0.0, min(1.0, claim * (0.4 + 0.6 * evidence) * (0.8 + 0.2 * support)))

    def _claim_campaigns(self, cands: dict[int, SentenceStats]) -> list[tuple[Campaign, list[int]]]:
        out: list[tuple[Campaign, list[int]]] = []
        scored = []
        for h, st in cands.items():
            f = self.sentence_features(st)
            s = self.claim_score(f)
            if s > 0.0:
                scored.append((h, st, f, s))
        scored.sort(key=lambda x: (-x[1].count, x[0]))
        scored = scored[:_MAX_FAMILY_CANDIDATES]
        # Paraphrases of one claim share a core: a run of >= 4 words with >= 2 content words
        # (the "{entity} {claim}" slot of paraphrase templates) and differ only in framing
        # words.  Candidate pairs share their first or last four words (inverted index; huge
        # buckets are generic openings and are skipped); a family is all phrasings with one
        # core.
        toks = [WORD_RE.findall(st.text) for _, st, _, _ in scored]
        buckets: dict[tuple[str, ...], list[int]] = {}
        for i, t in enumerate(toks):
            low = [w.lower() for w in t]
            if len(low) >= 4:
                for g in {("^", *low[:4]), ("$", *low[-4:])}:
                    buckets.setdefault(g, []).append(i)
        core_members: dict[str, set[int]] = {}
        done: set[tuple[int, int]] = set()
        for members_ in buckets.values():
            if len(members_) < 2 or len(members_) > _MAX_BUCKET:
                continue
            for x in range(len(members_)):
                for y in range(x + 1, len(members_)):
                    pair = (members_[x], members_[y])
                    if pair in done:
                        continue
                    done.add(pair)
                    core = _shared_core(toks[pair[0]], toks[pair[1]])
                    if core:
                        core_members.setdefault(core, set()).update(pair)
        strong = [sc >= _STRONG for _, _, _, sc in scored]
        family_of = list(range(len(scored)))
        core_of: dict[int, str] = {}
        assigned: set[int] = set()
        for core, mem in sorted(
            core_members.items(),
            key=lambda kv: (-sum(strong[i] for i in kv[1]), -len(kv[1]), kv[0]),
        ):
            free = sorted(mem - assigned)
            if len(free) < 2:
                continue
            for i in free:
                family_of[i] = free[0]
                assigned.add(i)
            core_of[free[0]] = core
        groups: dict[int, list[int]] = {}
        for i in range(len(scored)):
            groups.setdefault(family_of[i], []).append(i)
        for members in groups.values():
            size = sum(scored[i][1].count for i in members)
            if size < self.min_docs:
                continue
            sources: set[int] = set()
            for i in members:
                sources |= scored[i][1].sources
            top = scored[members[0]]
            best = max(scored[i][3] for i in members)
            diversity = len(sources) / max(1, min(size, _SOURCE_CAP))
            phrasings = _effective_number([scored[i][1].count for i in members if strong[i]])
            hosts: dict[int, np.ndarray] = {}
            for i in members:
                hosts.update(scored[i][1].hosts)
            related = host_similarity([hosts[k] for k in sorted(hosts)[:_HOST_SAMPLE]])
            score = self.campaign_score(best, size, diversity, phrasings, related)
            core = core_of.get(members[0], "")
            camp = Campaign(
                id=f"claim-{top[0]:016x}"[:14],
                kind="claim",
                size=size,
                n_sources=len(sources),
                shared_span=core or top[1].text,
                score=score,
                examples=list(top[1].examples),
                members=[scored[i][0] for i in members],
                details={
                    "phrasings": round(phrasings, 2),
                    "members": len(members),
                    "diversity": round(diversity, 4),
                    "host_similarity": None if related is None else round(related, 4),
                    "paraphrases": [scored[i][1].text for i in members][:10],
                    "features": {k: round(v, 4) for k, v in top[2].items()},
                },
            )
            out.append((camp, [scored[i][0] for i in members]))
        return out

    def _dup_campaigns(self, bands: dict[int, BandStats]) -> list[tuple[Campaign, list[int]]]:
        out: list[tuple[Campaign, list[int]]] = []
        if not bands:
            return out
        keys = sorted(bands)
        lsh = MinHashLSH(
            threshold=self.dup_threshold,
            num_perm=self.num_perm,
            params=(self._bands, self._rows),
        )
        mins: dict[int, MinHash] = {}
        for k in keys:
            sig = bands[k].signature
            if sig is None:
                continue
            m = MinHash(seed=self.seed, hashvalues=sig, permutations=self._perm, scheme="affine32")
            mins[k] = m
            lsh.insert(str(k), m)
        parent = {k: k for k in mins}

        def find(k: int) -> int:
            while parent[k] != k:
                parent[k] = parent[parent[k]]
                k = parent[k]
            return k

        for k, m in mins.items():
            for other in lsh.query(m):
                parent[find(int(other))] = find(k)
        groups: dict[int, list[int]] = {}
        for k in mins:
            groups.setdefault(find(k), []).append(k)
        for members in groups.values():
            size = max(bands[k].count for k in members)
            sources: set[int] = set()
            for k in members:
                sources |= bands[k].sources
            top = max(members, key=lambda k: (bands[k].count, -k))
            diversity = len(sources) / max(1, min(size, _SOURCE_CAP))
            # Near-duplicate and templated pages are ordinary (syndicated stories, mirrors,
            # templates, docstrings) and no recipe needs them; clusters are reported as
            # information (below the suspicious score), more so when spread over sources.
            score = 0.2 + 0.25 * min(1.0, diversity / 0.5) * min(1.0, size / (2 * self.min_docs))
            camp = Campaign(
                id=f"dup-{top:016x}"[:12],
                kind="near-duplicate",
                size=size,
                n_sources=len(sources),
                shared_span=bands[top].text,
                score=score,
                examples=list(bands[top].examples),
                members=list(members),
                details={"diversity": round(diversity, 4)},
            )
            out.append((camp, list(members)))
        return out

    # ------------------------------------------------------------------ flag
    def flag(self, doc: Document, state: CampaignState) -> Finding | None:
        """The document's campaign membership, with evidence.

        Only campaigns that can change a verdict (score >= 0.5) are looked up: the others
        are in :meth:`summarize` already, and re-reading every document for them would cost a
        full text pass of the corpus for nothing.
        """
        if state.stage != 2 or not state.campaigns:
            return None
        if state.wanted is None:  # once per state, not once per document
            state.wanted = (
                any(c.kind == "claim" and c.score >= _FLAG_FLOOR for c in state.campaigns),
                any(c.kind != "claim" and c.score >= _FLAG_FLOOR for c in state.campaigns),
            )
        want_claims, want_dups = state.wanted
        if want_claims:  # the sentences with offsets only for a document that has one
            known = state.sentence_campaign
            want_claims = any(hash64(n) in known for n in self._candidate_norms(doc.text))
        best: Finding | None = None
        marked: list[tuple[Campaign, Span]] = []
        hit: Campaign | None = None
        for s in self._units(doc.text) if want_claims else ():
            if not self._candidate(s):
                continue
            idx = state.sentence_campaign.get(hash64(s.norm))
            if idx is None:
                continue
            c = state.campaigns[idx]
            if hit is None or c.score > hit.score:
                hit = c
            marked.append((c, Span(s.start, s.end, "claim")))
        # evidence: sentences of suspicious campaigns (or of the best one when none is)
        floor = min(0.5, hit.score) if hit is not None else 1.0
        spans = [sp for c, sp in marked if c.score >= floor]
        if hit is not None:
            best = Finding(
                detector=self.name,
                score=hit.score,
                reason=(
                    f"sentence recurs in {hit.size} documents from {hit.n_sources} "
                    f"sources (campaign {hit.id}: {_short(hit.shared_span)!r})"
                ),
                spans=spans,
                campaign=hit.id,
                extra={"campaign_size": hit.size, "campaign_sources": hit.n_sources},
            )
        if want_dups and state.band_campaign:
            sig = self._signature(doc.text)
            if sig is not None:
                for k in self._band_keys(sig):
                    idx = state.band_campaign.get(k)
                    if idx is None:
                        continue
                    c = state.campaigns[idx]
                    if best is None or c.score > best.score:
                        best = Finding(
                            detector=self.name,
                            score=c.score,
                            reason=(
                                f"near-duplicate of {c.size} documents from {c.n_sources} "
                                f"sources (cluster {c.id})"
                            ),
                            spans=[Span(0, len(doc.text), "shared")],
                            campaign=c.id,
                            extra={"campaign_size": c.size, "campaign_sources": c.n_sources},
                        )
                    break
        return best

    def summarize(self, state: CampaignState) -> CorpusReport:
        """The campaign report (see :meth:`CampaignState.report`)."""
        return CorpusReport.from_dict(state.report())


def _shape_hash(text: str, unit: Sentence) -> int:
    """Hash of a neighbouring sentence with its slot values (numbers, names) removed.

    Templated pages fill the same sentence frame with different names and numbers ("Is
    Alport syndrome inherited?"); hashing the frame makes such neighbours count as the
    same neighbour, so a sentence glued to a template frame has a high ``block_share``.
    """
    sentence = text[unit.start : unit.end]
    return _frame_hash_cached(sentence) if len(sentence) <= 512 else _frame_hash(sentence)


def _frame_hash(sentence: str) -> int:
    """:func:`_shape_hash` of one sentence's text."""
    toks = WORD_RE.findall(sentence)
    frame = [
        t.lower()
        for i, t in enumerate(toks)
        if (i == 0 or not t[:1].isupper()) and not any(map(str.isdigit, t))
    ]
    return hash64(" ".join(frame)) or 1


_frame_hash_cached = lru_cache(maxsize=4096)(_frame_hash)
"""Templated neighbours repeat across documents: short sentences' frames are cached."""


def _shared_core(a: list[str], b: list[str]) -> str:
    """The claim core two sentences share, or ``""`` when they are not paraphrases.

    ``a`` and ``b`` are surface word lists.  Paraphrase templates wrap one proposition in
    different framing ("Experts have confirmed that X.", "According to recent reports, X.",
    "X."), so the core is a common *suffix* or *prefix* (case-insensitive) of >= 4 words with
    >= 2 content words that is at least as long as what is left of either sentence.  What
    is left must be framing, not slot values: no digits and no capitalised words (apart from
    each sentence's first word).  Templated records ("... autosomal dominant pattern,
    which means ..." vs "... recessive ...", earnings lines) differ in exactly those ways.
    """
    if len(a) < 4 or len(b) < 4:
        return ""
    la, lb = [w.lower() for w in a], [w.lower() for w in b]
    best = ""
    n = 0
    while n < min(len(la), len(lb)) and la[-1 - n] == lb[-1 - n]:
        n += 1
    if n >= 4 and _framing_only(a, 0, len(a) - n, n) and _framing_only(b, 0, len(b) - n, n):
        best = " ".join(la[len(la) - n :])
    p = 0
    while p < min(len(la), len(lb)) and la[p] == lb[p]:
        p += 1
    if p >= 4 and p > n and _framing_only(a, p, len(a), p) and _framing_only(b, p, len(b), p):
        best = " ".join(la[:p])
    if best and sum(w not in STOPWORDS and len(w) > 2 for w in best.split()) < 2:
        return ""
    return best


def _framing_only(words_: list[str], lo: int, hi: int, core_len: int) -> bool:
    """``words_[lo:hi]`` (the part outside the core) is short framing without slot values."""
    if hi - lo > core_len:
        return False
    for i in range(lo, hi):
        w = words_[i]
        if i == 0:
            continue
        if any(c.isdigit() for c in w) or w[:1].isupper():
            return False
    return True


def _effective_number(counts: list[int]) -> float:
    """exp(Shannon entropy) of ``counts`` (Hill number of order 1); 1.0 for one or none."""
    total = sum(counts)
    if total <= 0 or len(counts) < 2:
        return 1.0
    p = np.asarray(counts, dtype=float) / total
    return float(np.exp(-(p * np.log(p)).sum()))


def _top_share(counts: dict[int, int], n: int) -> float:
    best = max((v for k, v in counts.items() if k != _EDGE), default=0)
    return best / n if n else 0.0


def _content_set(text: str) -> set[str]:
    return {w for w in normalize(text).split() if w not in STOPWORDS and len(w) > 2}


def _without(text: str, units: list[Sentence], cand: list[tuple[int, int]]) -> str:
    """``text`` without the units ``cand`` points at."""
    if not cand:
        return text
    parts, at = [], 0
    for i in sorted({i for i, _ in cand}):
        parts.append(text[at : units[i].start])
        at = units[i].end
    parts.append(text[at:])
    return " ".join(parts)


def _short(text: str, n: int = 80) -> str:
    return text if len(text) <= n else text[: n - 1] + "…"


def _copy_sentence(st: SentenceStats) -> SentenceStats:
    return SentenceStats(
        count=st.count,
        sources=set(st.sources),
        sources_overflow=st.sources_overflow,
        edge=st.edge,
        placed=st.placed,
        prev=dict(st.prev),
        next=dict(st.next),
        text=st.text,
        examples=list(st.examples),
        hosts=dict(st.hosts),
    )


def _copy_band(bs: BandStats) -> BandStats:
    return BandStats(
        count=bs.count,
        sources=set(bs.sources),
        sources_overflow=bs.sources_overflow,
        signature=bs.signature,
        text=bs.text,
        examples=list(bs.examples),
    )


__all__ = [
    "BOILERPLATE_WORDS",
    "Campaign",
    "CampaignDetector",
    "CampaignPartial",
    "CampaignState",
    "SentenceStats",
]
