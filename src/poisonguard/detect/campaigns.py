"""Claim campaigns: the same claim planted across many unrelated documents (``campaigns``).

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

Near-duplicate and templated documents are the ``near-duplicates`` detector's
(:mod:`poisonguard.detect.campaigns_dups`).

Memory: pass 1 keeps only count-min sketches (fixed size) of sentence document frequencies
(and, with ``semantic``, of the semantic keys and stem frequencies, each in its own sketch);
pass 2 keeps exact statistics only for the candidates the sketch says recur at least
``min_sentence_docs`` times (:mod:`poisonguard.detect.campaigns_base`).  With ``passes=1``
the exact statistics are kept in a capacity-bounded heavy-hitter table instead (exact
while the corpus has fewer than ``capacity`` distinct sentences; beyond, rarer sentences are
evicted Misra–Gries style).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, ClassVar

import numpy as np
from datasketch import MinHash

from poisonguard.detect import campaigns_payload as pay
from poisonguard.detect import campaigns_semantic as sem
from poisonguard.detect.base import Finding, Span
from poisonguard.detect.campaigns_base import (
    CAMPAIGN_SCORE,
    FLAG_FLOOR,
    SOURCE_CAP,
    Campaign,
    CampaignPartial,
    CampaignRounds,
    CampaignState,
    Sketches,
    add_source,
    check_rounds,
    merge_examples,
    merge_sources,
    rank_campaigns,
)
from poisonguard.detect.registry import register_detector
from poisonguard.detect.sketches import (
    STOPWORDS,
    WORD_RE,
    KeyMemo,
    RowMemo,
    Sentence,
    fold,
    hash64,
    hash64_list,
    host_similarity,
    minhash_signatures,
    normalize,
    sentence_norms,
    sentence_norms_units,
    source_key,
    split_sentences,
    wordset,
)
from poisonguard.io.document import Document

_NEIGHBOUR_CAP = 24
_HOST_CAP = 12  # host-document signatures kept per sentence (bottom-k by document hash)
_HOST_SAMPLE = 16  # host signatures compared per campaign (all phrasings together)
_RELATED_FROM = 0.02  # mean host Jaccard from which hosts count as related ...
_RELATED_FULL = 0.05  # ... and at which they are related (no independence evidence left)
_MAX_FAMILY_CANDIDATES = 5000
_MAX_BUCKET = 200
_STRONG = 0.5  # a phrasing that counts towards a paraphrase family
_EDGE = 0  # neighbour hash of the document start/end
_NO_SOURCE = hash64("")  # the source of a document that names none
_Known = tuple[list[int], np.ndarray, np.ndarray] | bool | None
"""A document's remembered claim-like rows, their keys and estimates (``CampaignDetector.
_semantic_hits``); False: nothing to read; None: not remembered."""

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
    part: str = ""
    """``""``: a whole sentence; ``"^ "`` / ``"$ "`` / ``"~ "``: the head / tail / an
    anchored key of a long unit (:func:`~.campaigns_payload.unit_keys`)."""
    before: list[str] = field(default_factory=list)
    """The text before the key in a few hosts (non-claim keys only; the recurring span's
    lead, :func:`~.campaigns_payload.common_lead`)."""
    docs: set[int] = field(default_factory=set)
    """Hashes of the documents of a head, tail or anchored key or of a unit that is not
    claim-shaped (the :data:`~.campaigns_payload.DOC_CAP` smallest;
    :func:`~.campaigns_payload.key_families`)."""
    loose: bool = False
    """A key whose documents are kept (:attr:`docs`): a head, tail or anchored key, or a
    unit that is not claim-shaped (a payload's own sentence)."""

    def merge(self, other: SentenceStats) -> None:
        self.count += other.count
        merge_sources(self, other)
        self.edge += other.edge
        self.placed += other.placed
        _merge_counts(self.prev, other.prev)
        _merge_counts(self.next, other.next)
        if not self.text:
            self.text = other.text
        merge_examples(self.examples, other.examples)
        _merge_hosts(self.hosts, other.hosts)
        self.part = self.part or other.part
        self.before.extend(other.before[: pay.BEFORE_CAP - len(self.before)])
        pay.merge_docs(self.docs, other.docs)
        self.loose = self.loose or other.loose

    def copy(self) -> SentenceStats:
        return SentenceStats(
            count=self.count,
            sources=set(self.sources),
            sources_overflow=self.sources_overflow,
            edge=self.edge,
            placed=self.placed,
            prev=dict(self.prev),
            next=dict(self.next),
            text=self.text,
            examples=list(self.examples),
            hosts=dict(self.hosts),
            part=self.part,
            before=list(self.before),
            docs=set(self.docs),
            loose=self.loose,
        )


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


@register_detector(kinds=("pretrain", "rag"))
class CampaignDetector(CampaignRounds):
    """Recurring-claim campaigns across unrelated hosts (see the module docstring).

    Args:
        min_docs: a campaign (all phrasings together) needs at least this many documents.
        min_sentence_docs: one phrasing needs at least this many documents to be a candidate.
        min_words: sentences with fewer words are never candidates (headings, labels).
        passes: 2 (count-min prefilter, then exact counts of candidates) or 1 (bounded table).
        capacity: most candidate sentences kept exactly (``passes=1`` and pass 2).
        num_perm: MinHash permutations of the host signatures (the independence test).
        sketch_width: width of the exact-sentence count-min sketch (memory = 3 × width × 4
            bytes; with ``semantic``, a sketch twice as wide for the semantic keys and one as
            wide for stem frequencies: 12 × width × 4 bytes in all).
        seed: MinHash and sketch seed.
        related_hosts: discount campaigns whose host documents are related (templates);
            off for RAG knowledge bases (``--kind rag``), whose poisoned passages all
            answer one question and are related by design.
        semantic: also group claim-like sentences by meaning (order-free content-word
            sketches, bursting rare terms; :mod:`~poisonguard.detect.campaigns_semantic`).
        embeddings: confirm semantic clusters that pass every other test with the offline
            MiniLM of the ``embeddings`` extra when it is installed (skipped otherwise).
        payload: the recurring-payload route (:mod:`~.campaigns_payload`: one fixed,
            unnatural non-claim payload recurring verbatim in unrelated hosts, keyed by the
            head, tail and anchored words of long units). Opt-in (``--profile thorough``):
            its keys cost 13 % of the default scan's CPU on medical pages, which took the
            default scan under 10x the datatrove chain (2026-12-05, ``docs/benchmarks.md``).
    """

    name: ClassVar[str] = "campaigns"
    kinds: ClassVar[tuple[str, ...]] = ("pretrain", "rag")

    def __init__(
        self,
        *,
        min_docs: int = 5,
        min_sentence_docs: int = 3,
        min_words: int = 6,
        passes: int = 2,
        capacity: int = 200_000,
        num_perm: int = 64,
        sketch_width: int = 1 << 21,
        seed: int = 0,
        related_hosts: bool = True,
        semantic: bool = False,
        embeddings: bool = True,
        payload: bool = False,
        _prefilter: Sketches | None = None,
        _reference: frozenset[int] | None = None,
        _memo: KeyMemo | None = None,
        _claim_memo: RowMemo | None = None,
        _long_memo: KeyMemo | None = None,
    ) -> None:
        check_rounds(passes, min_docs)
        self.min_docs = min_docs
        self.min_sentence_docs = max(2, min(min_sentence_docs, min_docs))
        self.min_words = min_words
        self.passes = passes
        self.capacity = capacity
        self.num_perm = num_perm
        self.sketch_width = sketch_width
        self.seed = seed
        self.related_hosts = related_hosts
        self.semantic = semantic
        self.embeddings = embeddings
        self.payload = payload
        self._sem_perm = sem.permutations(seed)
        self._start_round(_prefilter)
        self._reference: frozenset[int] = _reference or frozenset()
        self._memo = _memo if _memo is not None else KeyMemo()
        self._claim_memo = _claim_memo if _claim_memo is not None else RowMemo()
        # each document's head and tail keys of long units: (unit index, hash) pairs, flat
        self._long_memo = _long_memo if _long_memo is not None else KeyMemo()
        self._perm = MinHash(num_perm=num_perm, seed=seed).permutations

    def channels(self) -> dict[str, int]:
        """Count-round channels: exact sentence hashes; with ``semantic``, the sentences'
        content-word sketch keys (twice as wide: 16 per sentence) and the stems' document
        frequencies (for the bursting-term test), each in its own sketch."""
        out = {"sentences": self.sketch_width}
        if self.semantic:
            out["claims"] = 2 * self.sketch_width
            out["stems"] = self.sketch_width
        return out

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
        # the units the count round split the text into, when remembered (same sentences)
        return split_sentences(text, self._memo.units_of(text))

    def _candidate_norms(self, text: str) -> list[str]:
        """``norm`` of the candidate sentences among :meth:`_units` (without offsets)."""
        return sentence_norms(text, self.min_words)

    def _candidate_hashes(self, text: str) -> list[int]:
        """:func:`~.sketches.hash64` of :meth:`_candidate_norms`, remembered by the count
        round (:class:`~.sketches.KeyMemo`) or computed."""
        got = self._memo.get(text)
        return list(map(hash64, self._candidate_norms(text))) if got is None else got

    def _long_hashes(self, text: str, norms: list[str] | None = None) -> list[tuple[int, int]]:
        """(candidate index, hash) of the head and tail keys of the long candidate units
        (:func:`~.campaigns_payload.long_keys`), remembered by the count round or computed
        (from ``norms``, the candidate norms, when given)."""
        if not self.payload:
            return []
        got = self._long_memo.get(text)
        if got is not None:
            return list(zip(got[::2], got[1::2], strict=True))
        idx, keys = pay.long_keys(self._candidate_norms(text) if norms is None else norms)
        return list(zip(idx, hash64_list(keys), strict=True))

    def _candidate(self, s: Sentence) -> bool:
        return s.norm.count(" ") + 1 >= self.min_words

    def _signatures(self, texts: Sequence[str]) -> list[np.ndarray | None]:
        """MinHash signatures (:func:`~.sketches.minhash_signatures`) of many texts."""
        return minhash_signatures(texts, self._perm)

    # ------------------------------------------------------------------ map
    def _pass1_keys(self, docs: Sequence[Document]) -> dict[str, list[int] | np.ndarray]:
        batch: list[int] = []
        sem_sets: list[list[frozenset[str]]] = []
        sem_rows: list[list[int]] = []
        words: list[str] = []  # each document's distinct stems (one df_keys call)
        split = [sentence_norms_units(doc.text, self.min_words) for doc in docs]
        hashes = hash64_list([n for norms, _ in split for n in norms])  # one batch
        longs = [pay.long_keys(norms) if self.payload else ([], []) for norms, _ in split]
        long_hashes = hash64_list([k for _, keys in longs for k in keys])
        at_hash = at_long = 0
        for doc, (norms, units), (li, _) in zip(docs, split, longs, strict=True):
            hs = hashes[at_hash : at_hash + len(norms)]
            at_hash += len(norms)
            lh = long_hashes[at_long : at_long + len(li)]
            at_long += len(li)
            if self.passes == 2:
                self._memo.put(doc.text, hs, units)
                self._long_memo.put(doc.text, _flat(li, lh))
            batch.extend(set(hs) | set(lh))
            if self.semantic:
                stems = [sem.content_stems_of(n) for n in norms]
                like = [
                    i
                    for i, (n, st) in enumerate(zip(norms, stems, strict=True))
                    if sem.claim_like(n, st)
                ]
                sem_rows.append(like)
                sem_sets.append([stems[i] for i in like])
                every = frozenset().union(*stems) if stems else frozenset()
                words.extend(sorted(every))
        if self.semantic:
            flat = [st for sets in sem_sets for st in sets]
            keys = sem.sketch_keys([sorted(st) for st in flat], self._sem_perm)
            at = 0
            claims: list[np.ndarray] = []
            for doc, like, sets in zip(docs, sem_rows, sem_sets, strict=True):
                rows = keys[at : at + len(sets)]
                claims.append(np.unique(rows))
                at += len(sets)
                if self.passes == 2:
                    # pass 2 reads these rows to skip the documents none of whose keys recur
                    self._claim_memo.put(doc.text, like, rows)
            return {
                "sentences": batch,
                "claims": np.concatenate(claims) if claims else np.zeros(0, np.uint64),
                "stems": sem.df_keys(words),
            }
        return {"sentences": batch}

    @property
    def _claim_floor(self) -> int:
        """Documents a semantic key needs to be counted exactly (``2 × min_docs``)."""
        return 2 * self.min_docs

    def _pass2(self, docs: Sequence[Document], part: CampaignPartial) -> None:
        # hashes of each document's candidate sentences, in order (the semantic claims need
        # the sentences themselves; else the count round's hashes when remembered)
        # the semantic claims read a document's sentences only when one of its sketch keys
        # recurs (remembered keys: one count-min look-up for the shard) or its keys were
        # not remembered; the others have nothing to add (same result as reading them all)
        found = self._semantic_hits(docs) if self.semantic else [False] * len(docs)
        norms = [
            self._candidate_norms(doc.text) if f is not False else []
            for doc, f in zip(docs, found, strict=True)
        ]
        hashes = [
            list(map(hash64, ns)) if f is not False else self._candidate_hashes(doc.text)
            for doc, ns, f in zip(docs, norms, found, strict=True)
        ]
        longs = [
            self._long_hashes(doc.text, ns if f is not False else None)
            for doc, ns, f in zip(docs, norms, found, strict=True)
        ]
        # one prefilter look-up for the whole shard; a head, tail or anchored key only from
        # the payload test's floor (2 k documents: it never passes below that, and the
        # count-min estimate never reads under the count), so the long units that recur in
        # a few documents (templates' frames) cost no host reading
        ok = self._admit([h for hs in hashes for h in hs], "sentences", self.min_sentence_docs)
        if self.payload:
            ok.update(
                self._admit([h for lh in longs for _, h in lh], "sentences", 2 * self.min_docs)
            )
        todo: list[tuple[Document, list[Sentence], list[tuple[int, int]], set[int]]] = []
        for doc, ns, hs, lh, f in zip(docs, norms, hashes, longs, found, strict=True):
            if f is not False:
                self._semantic_doc(doc, part, ns, [ok.get(h, True) for h in hs], f)
            lh = [(i, h) for i, h in lh if ok.get(h, True) and h not in self._reference]
            if not lh and not any(ok.get(h, True) and h not in self._reference for h in hs):
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
            todo.append((doc, units, cand + [(at[i], h) for i, h in lh], {h for _, h in lh}))
        # the host documents without their recurring sentences (what else they share)
        rest = self._signatures(
            [_host_text(doc.text, units, cand, bool(lg)) for doc, units, cand, lg in todo]
        )
        for (doc, units, cand, long_), host_sig in zip(todo, rest, strict=True):
            self._collect(doc, part, units, cand, host_sig, long_)

    def _semantic_hits(self, docs: Sequence[Document]) -> list[_Known]:
        """Per document: ``False`` when the semantic claims have nothing to read in it (no
        count round, or none of its remembered sketch keys reaches the floor), ``None``
        when its keys were not remembered (read it), else its remembered claim-like rows,
        their keys and the keys' estimates (one count-min look-up for all of them)."""
        sk = None if self._sketches is None else self._sketches.get("claims")
        if sk is None:
            return [False] * len(docs)
        got = [self._claim_memo.get(doc.text) for doc in docs]
        mem = [g[1] for g in got if g is not None]
        est = sk.estimate(np.concatenate(mem).ravel()) if mem else np.zeros(0, np.int64)
        out: list[_Known] = []
        at = 0
        for g in got:
            if g is None:
                out.append(None)
                continue
            like, keys = g
            e = est[at : at + keys.size].reshape(keys.shape)
            at += keys.size
            hit = bool(keys.size) and bool((e >= self._claim_floor).any())
            out.append((like.tolist(), keys, e) if hit else False)
        return out

    def _semantic_doc(
        self,
        doc: Document,
        part: CampaignPartial,
        norms: list[str],
        recurring: list[bool],
        known: _Known = None,
    ) -> None:
        """Pass 2 of the semantic claims: the document's claim-like sentences whose sketch
        keys recur (pass-1 estimate >= ``2 × min_docs``), with their evidence.  ``norms``:
        its candidate sentences; ``recurring``: whether each recurs exactly (pass 1);
        ``known``: its claim-like rows, their keys and estimates as :meth:`_semantic_hits`
        found them (None: compute them)."""
        stems = [sem.content_stems_of(n) for n in norms]
        sk = None if self._sketches is None else self._sketches.get("claims")
        if isinstance(known, tuple):
            like, keys, est = known
        else:
            like = [
                i
                for i, (n, st) in enumerate(zip(norms, stems, strict=True))
                if sem.claim_like(n, st)
            ]
            if not like or sk is None:
                return
            keys = sem.sketch_keys([sorted(stems[i]) for i in like], self._sem_perm)
            est = sk.estimate(keys.ravel()).reshape(keys.shape)
        hit = est >= self._claim_floor
        rows = [r for r in range(len(like)) if hit[r].any()]
        if not rows:
            return
        members = {like[r] for r in rows}
        sh = [hash64(norms[like[r]]) for r in rows]
        host = hash64(doc.id)
        # the offsets (and the host signature) only for the sampled sentences and hosts: a
        # sentence whose hash, a host whose id hash, is in the lowest 1/8 of the range
        sampled = [h < sem.SENTENCE_GATE for h in sh]
        units: list[Sentence] = []
        at: list[int] = []
        host_sig: np.ndarray | None = None
        if host < sem.SAMPLE_GATE or any(sampled):
            units = self._units(doc.text)
            at = [i for i, u in enumerate(units) if self._candidate(u)]
        if host < sem.SAMPLE_GATE:
            # the host without every recurring sentence (semantic members, exact candidates)
            cut = [(at[i], 0) for i in range(len(norms)) if i in members or recurring[i]]
            host_sig = self._signatures([_without(doc.text, units, cut)])[0]
        rest = frozenset().union(*(stems[i] for i in range(len(norms)) if i not in members))
        # what the host is about (the rarest stems of its candidate sentences, recurring
        # ones included, the member sentence itself not): the topic test of the hosts.  The
        # same units as the stem sketch counts — short lines ("Reuter", a page's question)
        # are not in its rates, so they must not be in the hosts' terms either.  Without
        # the member sentence: a claim's other aliases (*zoster* in the hosts of a
        # "Shingrix …" key) are the claim, not what its hosts are about
        topics: dict[int, tuple[str, ...]] = {}
        if host < sem.SAMPLE_GATE:
            df = self._sketches.get("stems") if self._sketches else None
            rates = sem.stem_rates(frozenset().union(*stems), df)
            for r in rows:
                i = like[r]
                others = frozenset().union(*(st for j, st in enumerate(stems) if j != i))
                topics[r] = sem.host_terms_of(others, rates)
        src = hash64(source_key(doc, file_fallback=False))
        n_units = len(units)
        unit_stems: list[frozenset[str]] | None = None
        member_units: set[int] | None = None
        counted: set[int] = set()
        for r, h, take in zip(rows, sh, sampled, strict=True):
            i = like[r]
            sample: sem.Member | None = None
            if take:
                j = at[i]
                u = units[j]
                fit = len(stems[i] & rest) / max(1, len(stems[i]))
                if unit_stems is None:
                    unit_stems = [sem.content_stems_of(x.norm) for x in units]
                # the sentence's stems that the rest of its document uses too (short lines
                # such as a page's question included): a page *about* the claim's entity
                elsewhere = stems[i] & frozenset().union(
                    *(x for jj, x in enumerate(unit_stems) if jj != j)
                )
                # ... in units that are no recurring claim-like sentence themselves, and
                # the recurring ones that name one of its stems (at most four): a host given
                # two sentences of one campaign names its rare word twice, a page about the
                # word names it in sentences that do not say the claim (:func:`.judge`)
                if member_units is None:
                    member_units = {at[m] for m in members}
                apart = stems[i] & frozenset().union(
                    *(x for jj, x in enumerate(unit_stems) if jj != j and jj not in member_units)
                )
                beside = tuple(
                    tuple(sorted(unit_stems[jj]))
                    for jj in sorted(member_units - {j})
                    if stems[i] & unit_stems[jj]
                )[:4]
                edge = (j == 0 or j == n_units - 1) if n_units >= 3 else None
                # the neighbours' frames: a templated paragraph glues its slot sentence to
                # the same sentences in every host, a spliced claim to different ones
                around = (
                    _shape_hash(doc.text, units[j - 1]) if j > 0 else _EDGE,
                    _shape_hash(doc.text, units[j + 1]) if j + 1 < n_units else _EDGE,
                )
                sample = sem.Member(
                    doc.text[u.start : u.end],
                    stems[i],
                    fit,
                    edge,
                    around,
                    elsewhere,
                    host,
                    apart,
                    beside,
                )
            # the sentence each sampled host of its keys is a member by (one tuple per row)
            said = tuple(sorted(stems[i])) if host < sem.SAMPLE_GATE else ()
            for k in set(keys[r][hit[r]].tolist()):
                st = part.claims.get(k)
                if st is None:
                    st = part.claims[k] = sem.ClaimKeyStats()
                if k not in counted:
                    counted.add(k)
                    st.count += 1
                    add_source(st, src)
                    if len(st.examples) < 10:
                        st.examples.append(doc.id)
                    if host < sem.SAMPLE_GATE:
                        sem.add_host(st, host, host_sig, topics[r], said)
                st.repeats += 1
                if sample is not None:
                    sem.add_sample(st, h, *sample)

    def _collect(
        self,
        doc: Document,
        part: CampaignPartial,
        units: list[Sentence],
        cand: list[tuple[int, int]],
        host_sig: np.ndarray | None = None,
        long_: set[int] | frozenset[int] = frozenset(),
    ) -> None:
        """Add one document's admitted candidate sentences ((index into ``units``, hash))
        to ``part``; ``host_sig``: the signature of the document without its candidate
        sentences (kept as a sample of the sentences' host documents); ``long_``: the
        hashes among ``cand`` that are head or tail keys of their unit."""
        if not cand:
            return
        src = hash64(source_key(doc, file_fallback=False))
        host = hash64(doc.id) if host_sig is not None or self.payload else 0
        n = len(units)
        seen: set[int] = set()
        for i, h in cand:
            if h in seen:
                continue
            seen.add(h)
            st = part.sentences.get(h)
            if st is None or len(st.before) < pay.BEFORE_CAP:
                # the key's offsets only where its text or lead is still wanted (reading a
                # long unit's keys again is the costly part)
                a, b, key = self._key_span(doc.text, units[i], h in long_, h)
                if st is None:
                    st = part.sentences[h] = SentenceStats(text=doc.text[a:b][:400], part=key)
                    st.loose = self.payload and (bool(key) or not _claim_shaped(st.text))
                if len(st.before) < pay.BEFORE_CAP and (key or not _claim_shaped(st.text)):
                    st.before.append(doc.text[max(0, a - pay.BEFORE_CHARS) : a])
            st.count += 1
            add_source(st, src)
            if st.loose:
                pay.add_doc(st.docs, host)
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
            if len(st.examples) < 10:
                st.examples.append(doc.id)
            if host_sig is not None:
                _add_host(st.hosts, host, host_sig)

    def _key_span(self, text: str, unit: Sentence, is_long: bool, h: int) -> tuple[int, int, str]:
        """Offsets of key ``h`` in ``text`` and its part (:attr:`SentenceStats.part`): the
        unit for a sentence key, the key's words for a head, tail or anchored key."""
        if not is_long:
            return unit.start, unit.end, ""
        keys = pay.unit_keys(unit.norm)
        hs = hash64_list([k for k, _ in keys])
        key, first = next((kf for kf, kh in zip(keys, hs, strict=True) if kh == h), keys[-1])
        folded = fold(text[unit.start : unit.end])
        n_words = pay.MID_WORDS if key.startswith(pay.MID) else pay.EDGE_WORDS
        a, b = pay.key_span(text, unit.start, unit.end, first, folded, n_words)
        return a, b, key[:2]

    def next_stage(self, state: CampaignState) -> dict[str, Any]:
        """Pass 2 carries the pass-1 count-min sketch and the reference sentences."""
        return {
            **super().next_stage(state),
            "_reference": self._reference,
            "_memo": self._memo,
            "_claim_memo": self._claim_memo,
            "_long_memo": self._long_memo,
        }

    # ------------------------------------------------------------------ finalize
    def _campaigns(self, merged: CampaignPartial, state: CampaignState) -> None:
        cands = {h: st for h, st in merged.sentences.items() if st.count >= self.min_sentence_docs}
        state.candidates = len(cands)
        claims = self._claim_campaigns({h: st for h, st in cands.items() if not st.part})
        found = [(c, m, state.sentence_campaign) for c, m in claims]
        found += [
            (c, m, state.sentence_campaign)
            for c, m in self._payload_campaigns(cands, merged.documents)
        ]
        if self.semantic:
            found += [(c, m, state.claim_campaign) for c, m in self._semantic_campaigns(merged)]
        rank_campaigns(state, found)

    def _semantic_campaigns(self, merged: CampaignPartial) -> list[tuple[Campaign, list[int]]]:
        """Clusters of semantic keys, judged (:func:`~.campaigns_semantic.judge`); those
        that pass the campaign test, and the 20 largest others as information."""
        df = None if self._sketches is None else self._sketches.get("stems")
        cls = sem.clusters(merged.claims, self._claim_floor)
        kw: dict[str, Any] = {
            "min_docs": self.min_docs,
            "related_hosts": self.related_hosts,
            "use_embeddings": self.embeddings,
            "boilerplate": BOILERPLATE_WORDS,
            "n_docs": merged.documents,
        }
        verdicts = [sem.judge(cl, df, **kw) for cl in cls]
        # sub-claims of one campaign that pass everything but the bursting term, judged
        # with the other clusters naming the same rare entity
        for i, (pool, pool_size, others) in sem.entity_pools([v[2] for v in verdicts]).items():
            score, passed, ev = sem.judge(cls[i], df, pool=pool, pool_size=pool_size, **kw)
            if passed:
                ev["entity_pooled_with"] = sorted(sem.campaign_id(cls[j]) for j in others)
                verdicts[i] = (score, passed, ev)
        # sub-claims whose every member is anchored (short one-claim articles), judged on
        # every member for the sibling test
        sem.anchored_sub_claims(cls, verdicts, lambda cl: sem.judge(cl, df, all_members=True, **kw))
        # sub-claims asserted in the documents of a fabricated-article campaign that passed
        sibs = sem.siblings(cls, [v[2] for v in verdicts], [v[1] for v in verdicts])
        for i, j in sibs.items():
            verdicts[i] = _as_sibling(verdicts[i][2], sem.campaign_id(cls[j]))
        # claims whose own words rotate, grouped around the rare word that bursts in them
        # (:func:`~.campaigns_semantic.bursts`): judged as spliced claims or on the
        # hostless route (task G4), on their own
        # (not around a word of a cluster that passes: the campaign is taken already, and
        # its word's other sentences — brand lists, *ibuprofen (Advil, Motrin)* — would
        # fill the places in turn with the claim's own words)
        known = {
            w
            for _, passed, ev in verdicts
            if passed
            for w in (*ev["core"], *ev["entity"], *ev["rare_terms"])
        }
        judged_first = (cls[:], [v[2] for v in verdicts], [v[1] for v in verdicts])
        burst_sibs: dict[int, int] = {}
        for cl in sem.bursts(
            merged.claims, self._claim_floor, df, merged.documents, 6 * self.min_docs
        ):
            if known & cl.slots[0]:
                # ... unless it holds the sub-claims of the fabricated-article campaign
                # whose word it is (task M2): then it is that campaign's sibling
                _, _, ev = sem.judge(cl, df, **kw)
                parent = sem.burst_sibling(cl, ev, *judged_first)
                if parent is not None:
                    burst_sibs[len(cls)] = parent
                    cls.append(cl)
                    verdicts.append(_as_sibling(ev, sem.campaign_id(cls[parent])))
                continue
            cls.append(cl)
            verdicts.append(sem.judge(cl, df, **kw))
        self._mutual_sub_claims(cls, verdicts, df, kw)
        sibs.update(self._sub_claims(cls, verdicts, df, kw))
        sem.campaign_names([ev for _, passed, ev in verdicts if passed])
        for cl, (_, passed, ev) in zip(cls, verdicts, strict=True):
            if passed and cl.slots:  # a burst is named by any word of its places
                ev["names"] = sorted(set(ev["names"]).union(*map(set, ev["slots"])))
        for i, j in sibs.items():  # a sibling is marked where it names its campaign
            ev = verdicts[i][2]
            ev["names"] = sorted(set(ev["names"]) | set(verdicts[j][2]["names"]))
        # an alias of common words a spliced claim is said with in place of part of its
        # core (:func:`~.campaigns_semantic.stand_ins`): a sentence saying the rest of the
        # core with it, and a key of the campaign, is its member; a sub-claim's sentence
        # saying a stand-in of its campaign (the clusters whose names meet) names it
        for cl, (_, passed, ev) in zip(cls, verdicts, strict=True):
            if passed and not cl.slots and ev.get("family") == "spliced-claims":
                found = sem.stand_ins(cl.samples.values(), ev["core"], ev["names"])
                if found:
                    ev["stand_in"] = [{"said": sorted(a), "words": sorted(w)} for a, w in found]
        for _, passed, ev in verdicts:
            if passed:
                mine = set(ev["names"])
                ev["stand_ins"] = sorted(
                    {
                        tuple(x["words"])
                        for _, p, other in verdicts
                        if p and mine & set(other["names"])
                        for x in other.get("stand_in", ())
                    }
                )
        for i, j in burst_sibs.items():
            # ... a burst sibling where it names its word and its page another of the
            # campaign's entity words (not its rare terms: a brand list's words)
            ev = verdicts[i][2]
            ev["names"] = sorted(set(verdicts[j][2]["entity"]) - cls[i].slots[0])
            ev["sibling_needs"] = sorted(cls[i].slots[0])
        # a passing burst of a campaign's closer (*…, something worth knowing before any
        # decision*): marked, like a burst sibling, only where its page names the campaign
        closers = sem.burst_sub_claims(cls, [v[2] for v in verdicts], [v[1] for v in verdicts])
        for i, j in closers.items():
            ev = verdicts[i][2]
            ev["sibling_of"] = sem.campaign_id(cls[j])
            ev["names"] = sorted(set(verdicts[j][2]["entity"]) - cls[i].slots[0])
            ev["sibling_needs"] = sorted(cls[i].slots[0])
        for i in (*burst_sibs, *closers):
            # ... unless no page but the campaign's names the burst's word (a made-up
            # name): then the word is the campaign wherever it is said
            ev = verdicts[i][2]
            ev["word_is_campaigns"] = sem.word_is_campaigns(
                df, cls[i].slots[0], float(ev.get("claim_documents", 0))
            )
        judged = [
            (passed, cl, sem.campaign(cl, score, ev))
            for cl, (score, passed, ev) in zip(cls, verdicts, strict=True)
        ]
        # a burst does not take the keys of a passing cluster (the later campaign would
        # take a key's mark): it is read through its names as well
        taken = {k for p, cl, _ in judged if p and not cl.slots for k in cl.keys}
        keep = [
            (c, [k for k in cl.keys if k not in taken] if cl.slots else cl.keys)
            for p, cl, c in judged
            if p
        ]
        rest = sorted((x for x in judged if not x[0]), key=lambda x: (-x[1].size, x[2].id))
        keep += [(c, []) for _, _, c in rest[:20]]  # reported only: no keys, never flagged
        return keep

    @staticmethod
    def _judge_with(
        cl: sem.ClaimCluster,
        campaign: dict[str, Any],
        df: Any,
        kw: dict[str, Any],
        hosts: dict[int, np.ndarray | None] | None = None,
    ) -> tuple[float, bool, dict[str, Any]]:
        """``cl`` judged again as a sub-claim of the campaign whose evidence is ``campaign``:
        its documents and rare terms pooled, its words (core, entity, rare terms) left out
        of ``cl``'s hosts' topic terms (:func:`~.campaigns_semantic.judge`); ``hosts``: the
        campaign's sampled hosts, lent where ``cl`` has too few of its own
        (:func:`~.campaigns_semantic.lent_hosts`)."""
        words = frozenset((*campaign["core"], *campaign["entity"], *campaign["rare_terms"]))
        return sem.judge(
            cl,
            df,
            pool=campaign["rare_terms"],
            pool_size=float(campaign["claim_documents"]),
            campaign=words,
            campaign_hosts=hosts,
            **kw,
        )

    @staticmethod
    def _mutual_sub_claims(
        cls: list[sem.ClaimCluster],
        verdicts: list[tuple[float, bool, dict[str, Any]]],
        df: Any,
        kw: dict[str, Any],
    ) -> None:
        """Pairs of sub-claims that fail only through each other's words
        (:func:`~.campaigns_semantic.mutual_sub_claims`): each judged again with the other as
        its campaign; both pass or neither.  Updates ``verdicts``."""
        first = [v[2] for v in verdicts]
        for i, j in sem.mutual_sub_claims(cls, first, [v[1] for v in verdicts]):
            if verdicts[i][1] or verdicts[j][1]:
                continue  # one passed already with another partner
            again = [
                CampaignDetector._judge_with(cls[a], first[b], df, kw) for a, b in ((i, j), (j, i))
            ]
            if all(passed for _, passed, _ in again):
                for (a, b), (score, passed, ev) in zip(((i, j), (j, i)), again, strict=True):
                    ev.update(mutual_with=sem.campaign_id(cls[b]), failed_alone=first[a]["failed"])
                    verdicts[a] = (score, passed, ev)

    @staticmethod
    def _sub_claims(
        cls: list[sem.ClaimCluster],
        verdicts: list[tuple[float, bool, dict[str, Any]]],
        df: Any,
        kw: dict[str, Any],
    ) -> dict[int, int]:
        """Minority sub-claims of a spliced-claim campaign that passed
        (:func:`~.campaigns_semantic.sub_claims`), judged again with the campaign: its
        documents and rare terms pooled, its words left out of their hosts' topic terms, its
        sampled hosts lent where the sub-claim has too few of its own.  Updates
        ``verdicts`` for those that pass; returns {sub-claim: campaign}.  The flag
        pass marks a sub-claim's sentence where it names its campaign (``sibling_of``)."""
        out: dict[int, int] = {}
        subs = sem.sub_claims(cls, [v[2] for v in verdicts], [v[1] for v in verdicts])
        for i, j in subs.items():
            score, passed, ev = CampaignDetector._judge_with(
                cls[i], verdicts[j][2], df, kw, hosts=cls[j].hosts
            )
            if passed:
                ev.update(
                    sibling_of=sem.campaign_id(cls[j]),
                    failed_alone=verdicts[i][2]["failed"],
                    sub_claim_names_campaign=verdicts[i][2]["sub_claim_names_campaign"],
                )
                verdicts[i] = (score, passed, ev)
                out[i] = j
        return out

    def sentence_features(self, st: SentenceStats) -> dict[str, float]:
        """The numbers behind a sentence's claim score (also reported as evidence)."""
        n = st.count
        n_src = len(st.sources)
        diversity = n_src / min(n, SOURCE_CAP) if n else 0.0
        edge = st.edge / st.placed if st.placed >= 3 else 0.5
        block = max(_top_share(st.prev, n), _top_share(st.next, n))
        text = st.text.strip()
        wl = [w.strip(".,;:!?\"'()[]").lower() for w in text.split()]
        content = [w for w in wl if w and w not in STOPWORDS]
        boiler = sum(w in BOILERPLATE_WORDS for w in content) / max(1, len(content))
        alpha = sum(c.isalpha() for c in text) / max(1, len(text))
        entity = 1.0 if (_CAPWORD.search(text) or _DIGIT.search(text)) else 0.0
        declarative = 1.0 if _claim_shaped(text) else 0.0
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

    def campaign_test(
        self,
        best: float,
        size: int,
        diversity: float,
        phrasings: float,
        related: float | None,
    ) -> bool:
        """Whether a claim family passes the campaign test: a claim-like sentence family
        (``best`` >= 0.7) in at least ``2 × min_docs`` host documents that are unrelated once
        the family is cut out (``related`` <= 0.02 measured on >= 2 hosts; never for RAG,
        where related hosts are the attack's design and the test cannot tell), with full
        independence evidence (``diversity`` >= 0.5) or a rotating paraphrase family
        (``phrasings`` >= 6).  A family that passes makes its members *poisoned*
        (:data:`~.campaigns_base.CAMPAIGN_SCORE`); the others keep :meth:`campaign_score`.
        """
        return (
            self.related_hosts
            and related is not None
            and related <= _RELATED_FROM
            and best >= 0.7
            and size >= 2 * self.min_docs
            and (diversity >= 0.5 or phrasings >= 6.0)
        )

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
            diversity = len(sources) / max(1, min(size, SOURCE_CAP))
            # template slots are no phrasings: wordings that differ in one word at one place
            # (MedQuAD's "It is inherited in an autosomal {dominant, recessive} {manner,
            # pattern, fashion}.") are counted as one, chained (:func:`_slot_merged`)
            phr = [i for i in members if strong[i]]
            phrasings = _effective_number(
                _slot_merged([toks[i] for i in phr], [scored[i][1].count for i in phr])
            )
            hosts: dict[int, np.ndarray] = {}
            for i in members:
                hosts.update(scored[i][1].hosts)
            related = host_similarity([hosts[k] for k in sorted(hosts)[:_HOST_SAMPLE]])
            score = self.campaign_score(best, size, diversity, phrasings, related)
            passed = self.campaign_test(best, size, diversity, phrasings, related)
            if passed:
                score = max(score, CAMPAIGN_SCORE)
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
                    "wordings": len(phr),  # strong phrasings before slots were merged
                    "members": len(members),
                    "diversity": round(diversity, 4),
                    "host_similarity": None if related is None else round(related, 4),
                    "campaign_test": passed,
                    "paraphrases": [scored[i][1].text for i in members][:10],
                    "features": {k: round(v, 4) for k, v in top[2].items()},
                },
            )
            out.append((camp, [scored[i][0] for i in members]))
        return out

    def _payload_campaigns(
        self, cands: dict[int, SentenceStats], n_docs: int = 0
    ) -> list[tuple[Campaign, list[int]]]:
        """Recurring payload spans (:mod:`~.campaigns_payload`): the non-claim keys (whole
        units that are no claim, head and tail keys of long units) grouped by the documents
        they recur in, the groups whose documents overlap joined into families
        (:func:`~.campaigns_payload.key_families`: a payload edited in every copy), each
        family read as one span (its lead and its longest key); the families that pass
        :func:`~.campaigns_payload.payload_test` (the others are not reported: recurring
        non-claims are mostly boilerplate)."""
        groups: dict[tuple[int, tuple[str, ...]], list[tuple[int, SentenceStats]]] = {}
        for h, st in cands.items():
            if st.count < 2 * self.min_docs or len(st.before) < 2:
                continue
            if not st.part and self.claim_score(self.sentence_features(st)) > 0.0:
                continue  # a claim: the claim route's
            groups.setdefault((st.count, tuple(sorted(st.examples))), []).append((h, st))
        out: list[tuple[Campaign, list[int]]] = []
        # the sources the candidates' hosts name in all: a corpus that names fewer than
        # half of a campaign's size (one site's pages, one data set's name) cannot show
        # the sources test anything, so only the hosts' unrelated text speaks there
        named: set[int] = set()
        for st in cands.values():
            if len(named) > SOURCE_CAP:
                break
            named |= st.sources
        named.discard(_NO_SOURCE)
        atoms = [members for _, members in sorted(groups.items())]
        docs = [set().union(*(st.docs for _, st in members)) for members in atoms]
        sizes = [members[0][1].count for members in atoms]
        for fam in pay.key_families(docs, sizes, self.min_docs, n_docs):
            members = [m for g in fam for m in atoms[g]]
            # the family's documents: all its keys' (a lower bound once the samples are
            # capped: never fewer than its largest key group's)
            size = max(
                max(atoms[g][0][1].count for g in fam),
                len(set().union(*map(docs.__getitem__, fam))),
            )
            leads = {h: pay.common_lead(st.before) for h, st in members}
            parts = [atoms[g] for g in fam] if len(fam) > 1 else None
            got = self._payload_judge(members, size, leads, named, parts)
            if not got["passed"]:
                continue
            h0, top, span, complete = got["h0"], got["top"], got["span"], got["complete"]
            sources, diversity, unnamed = got["sources"], got["diversity"], got["unnamed"]
            related, edge, f, odd = got["related"], got["edge"], got["f"], got["odd"]
            # the trigger's phrasings where the hosts' payload starts (its words: the keys'
            # and the leads'); a family of edited copies has no lead that reaches it
            vocab = pay.vocabulary([leads[h][0] + " " + st.text for h, st in members])
            phrasings = pay.trigger_leads([b for _, st in members for b in st.before], vocab)
            camp = Campaign(
                id=f"payload-{h0:016x}"[:16],
                kind="payload",
                size=size,
                n_sources=len(sources),
                shared_span=span.text,
                score=CAMPAIGN_SCORE,
                examples=list(top.examples),
                members=[h for h, _ in members],
                details={
                    "opening": pay.opening(span.text),
                    "lead_complete": complete,
                    "keys": len(members),
                    "key_groups": len(fam),
                    "phrasings": phrasings[:8],
                    # where the span starts before a key (its lead's length and hash): the
                    # start a document's own trigger is read at (:meth:`_payload_finding`)
                    "starts": sorted(
                        {
                            (len(leads[h][0]), hash64(leads[h][0]))
                            for h, st in members
                            # a lead, or none before a unit or its head key (the unit
                            # starts the span)
                            if leads[h][1] and (leads[h][0] or st.part in ("", pay.HEAD))
                        }
                    ),
                    "diversity": None if unnamed else round(diversity, 4),
                    "host_similarity": None if related is None else round(related, 4),
                    "host_similarity_all_pairs": (
                        None if got["related_all"] is None else round(got["related_all"], 4)
                    ),
                    "edge_fraction": round(edge, 4),
                    "campaign_test": True,
                    "features": {k: round(v, 4) for k, v in f.items()},
                    "unnatural": odd,
                },
            )
            out.append((camp, [h for h, _ in members]))
        return out

    def _payload_judge(
        self,
        members: list[tuple[int, SentenceStats]],
        size: int,
        leads: dict[int, tuple[str, bool]],
        named: set[int],
        parts: list[list[tuple[int, SentenceStats]]] | None,
    ) -> dict[str, Any]:
        """The payload test (:func:`~.campaigns_payload.payload_test`) of one key group or
        of a family of them (``parts``: its key groups; :meth:`_payload_campaigns`), with
        its evidence: the span read is its lead and its best key; a family's is unnatural
        when its best span is, or one of its groups' own spans of
        :data:`~.campaigns_payload.EDGE_WORDS` words or more (as each group was read before
        families; a shorter one turns on a single glued word), or its spans read together;
        it is as long as its distinct words."""
        h0, top = _best_member(members, leads)
        lead, complete = leads[h0]
        span = top.copy()
        span.text = lead + top.text
        f = self.sentence_features(span)
        odd = pay.unnatural(span.text)
        # an edited payload's spans (its best span may be a short one: the hosts' leads stop
        # at the last edit before a key)
        spans = [leads[h][0] + st.text for h, st in members] if parts else []
        if parts and not odd["unnatural"]:
            own = [leads[h][0] + st.text for h, st in (_best_member(p, leads) for p in parts)]
            alone = [pay.unnatural(t) for t in own if len(t.split()) >= pay.EDGE_WORDS]
            odd = max([*alone, pay.unnatural_pooled(spans)], key=lambda o: o["unnatural"])
        sources: set[int] = set()
        hosts: dict[int, np.ndarray] = {}
        for _, st in members:
            sources |= st.sources
            hosts.update(st.hosts)
        sigs = [hosts[k] for k in sorted(hosts)[:_HOST_SAMPLE]]
        # the claim route's trimmed mean (the most similar tenth of the pairs left out): a
        # payload edited in every copy leaves some of its units in the hosts — none recurs
        # whole and none sits next to a recurring unit, so neither is cut out — and the
        # hosts that keep the same remnant are a few similar pairs among unrelated ones
        # (``heldout-fog-salad-fixed-edits7-spacer-end-news``: one remnant in 45 of 250
        # short hosts, mean 0.033, trimmed 0.010); a template or syndicated story makes
        # most pairs similar, which the trimmed mean still sees
        related = sem.trimmed_host_similarity(sigs)
        related_all = host_similarity(sigs)
        diversity = len(sources) / max(1, min(size, SOURCE_CAP))
        # no host names its source, or the corpus names too few
        unnamed = sources == {_NO_SOURCE} or len(named) < 0.5 * min(size, SOURCE_CAP)
        edge = min(self.sentence_features(st)["edge_fraction"] for _, st in members)
        passed = pay.payload_test(
            size=size,
            min_docs=self.min_docs,
            diversity=None if unnamed else diversity,
            related=related,
            related_hosts=self.related_hosts,
            edge=edge,
            span_chars=max(len(span.text), pay.family_chars(spans)),
            boilerplate=f["boilerplate_words"],
            alpha=f["alpha"],
            content_words=f["content_words"],
            unnatural_=bool(odd["unnatural"]),
        )
        return {
            "passed": passed,
            "h0": h0,
            "top": top,
            "span": span,
            "complete": complete,
            "sources": sources,
            "diversity": diversity,
            "unnamed": unnamed,
            "related": related,
            "related_all": related_all,
            "edge": edge,
            "f": f,
            "odd": odd,
        }

    # ------------------------------------------------------------------ flag
    def flag(self, doc: Document, state: CampaignState) -> Finding | None:
        """The document's campaign membership, with evidence.

        Only campaigns that can change a verdict (score >= 0.5) are looked up: the others
        are in :meth:`summarize` already, and re-reading every document for them would cost a
        full text pass of the corpus for nothing.  A document is looked at for a semantic
        campaign only when its text contains :data:`~.campaigns_semantic.CARRY` of the
        campaign's core stems, or every word of one of its stand-ins and the core words
        said with it (:func:`~.campaigns_semantic.stand_ins`).
        """
        if state.stage != 2 or not state.campaigns:
            return None
        if state.wanted is None:  # once per state, not once per document
            state.wanted = (
                any(
                    c.score >= FLAG_FLOOR and c.kind in ("claim", "payload")
                    for c in state.campaigns
                ),
                any(c.score >= FLAG_FLOOR and c.kind == "semantic-claim" for c in state.campaigns),
            )
        want_claims, want_sem = state.wanted
        if want_claims:  # the sentences with offsets only for a document that has one
            known = state.sentence_campaign
            want_claims = any(h in known for h in self._candidate_hashes(doc.text)) or any(
                h in known for _, h in self._long_hashes(doc.text)
            )
        if want_sem:
            low = doc.text.lower()
            want_sem = any(
                sum(any(w in low for w in sl) for sl in c.details["slots"])
                >= sem.CARRY * len(c.details["slots"])
                if c.details.get("slots")
                else sum(w in low for w in c.details.get("core", ()))
                >= sem.CARRY * len(c.details["core"])
                or any(
                    all(w in low for w in (*x["said"], *x["words"]))
                    for x in c.details.get("stand_in", ())
                )
                for c in state.campaigns
                if c.kind == "semantic-claim" and c.score >= FLAG_FLOOR
            )
        marked: list[tuple[Campaign, Span]] = []
        units = self._units(doc.text) if want_claims or want_sem else []
        for s in units if want_claims else ():
            if not self._candidate(s):
                continue
            idx = state.sentence_campaign.get(hash64(s.norm))
            if idx is not None:
                marked.append((state.campaigns[idx], Span(s.start, s.end, "claim")))
            for h in hash64_list(pay.long_keys([s.norm])[1]) if self.payload else ():
                idx = state.sentence_campaign.get(h)
                if idx is not None:
                    a, b, _ = self._key_span(doc.text, s, True, h)
                    marked.append((state.campaigns[idx], Span(a, b, "payload")))
        if want_sem:
            marked += self._semantic_marks(units, state, doc.text)
        if not marked:
            return None
        hit = max((c for c, _ in marked), key=lambda c: c.score)
        # evidence: sentences of suspicious campaigns (or of the best one when none is)
        floor = min(0.5, hit.score)
        spans = sorted({(sp.start, sp.end) for c, sp in marked if c.score >= floor})
        if hit.kind == "payload":
            return self._payload_finding(hit, marked, doc.text)
        what = (
            "sentence recurs"
            if hit.kind == "claim"
            else "sentence paraphrases a claim (same content words, rotating wording) that recurs"
        )
        return Finding(
            detector=self.name,
            score=hit.score,
            reason=(
                f"{what} in {hit.size} documents from {hit.n_sources} "
                f"sources (campaign {hit.id}: {_short(hit.shared_span)!r})"
            ),
            spans=[Span(a, b, "claim") for a, b in spans],
            campaign=hit.id,
            extra={"campaign_size": hit.size, "campaign_sources": hit.n_sources},
        )

    def _payload_finding(
        self, hit: Campaign, marked: list[tuple[Campaign, Span]], text: str = ""
    ) -> Finding:
        """The finding of a document that carries a recurring payload (:meth:`flag`): its
        spans of every payload campaign; the campaign told is the one whose span starts
        first in the document among those whose start the hosts agree on (its opening, where
        a trigger sits, is the trigger candidate), else ``hit``.  The trigger candidate is
        read in the document itself where one of the told campaign's leads ends at one of
        its spans (or one of its head keys starts there; the earliest such start): a
        family of edited copies is told by several keys, and a trigger written in several
        phrasings has one lead per phrasing; else the campaign's opening."""
        mine = [(c, sp) for c, sp in marked if c.kind == "payload"]
        spans = sorted({(sp.start, sp.end) for _, sp in mine})
        firsts = sorted(
            ((sp.start, c.id, c) for c, sp in mine if c.details.get("lead_complete")),
            key=lambda x: (x[0], x[1]),
        )
        told = firsts[0][2] if firsts else hit
        d = told.details
        trigger = d["opening"] or None
        at = [
            sp.start - n
            for c, sp in mine
            if c is told
            for n, h in d.get("starts", ())
            if n <= sp.start and hash64(text[sp.start - n : sp.start]) == h
        ]
        if at:
            trigger = pay.opening(text[min(at) :]) or trigger
        # a phrasing of the told campaign's trigger that ends where its payload starts here
        a0 = min((sp.start for c, sp in mine if c is told), default=0)
        lo = max(0, a0 - pay.BEFORE_CHARS)
        found = [(text.rfind(p, lo, a0 + len(p)), p) for p in d.get("phrasings", ())]
        found = [(i, p) for i, p in found if 0 <= i <= a0]
        if found:
            trigger = pay.opening(text[max(found)[0] :]) or trigger
        return Finding(
            detector=self.name,
            score=hit.score,
            reason=(
                f"a {len(told.shared_span)}-character span recurs verbatim in {told.size} "
                f"documents from {told.n_sources} sources whose other text is unrelated "
                f"(host similarity {d['host_similarity']}), no claim, no notice, and unnatural "
                f"({d['unnatural']['junk_words']:.0%} glued words, "
                f"{d['unnatural']['grammar_breaks']:.0f} grammar breaks) "
                f"(campaign {told.id}: opens with {d['opening']!r})"
            ),
            spans=[Span(a, b, "payload") for a, b in spans],
            trigger=trigger,
            campaign=told.id,
            extra={"campaign_size": told.size, "campaign_sources": told.n_sources},
        )

    def _semantic_marks(
        self, units: list[Sentence], state: CampaignState, text: str | None = None
    ) -> list[tuple[Campaign, Span]]:
        """Claim-like sentences of a document in a semantic campaign: a sketch key of the
        campaign and :data:`~.campaigns_semantic.CARRY` of its core stems
        (:func:`~.campaigns_semantic.carries`); for a spliced-claim campaign, only a
        sentence none of whose rare words (:func:`~.campaigns_semantic.rare_stems`) the rest
        of its document names — a page about the claim's subject is not a host of it.  The
        rest leaves out the page's other sentences that say the claim and the sentences
        spliced with it (:func:`claim_passage`); ``text``: the document (a sentence of the
        passage ends like one; without it, any claim-like unit can be one)."""
        cands = [u for u in units if self._candidate(u)]
        stems = [sem.content_stems_of(u.norm) for u in cands]
        like = [j for j, u in enumerate(cands) if sem.claim_like(u.norm, stems[j])]
        if not like:
            return []
        keys = sem.sketch_keys([sorted(stems[j]) for j in like], self._sem_perm)
        out: list[tuple[Campaign, Span]] = []
        unit_stems: list[frozenset[str]] | None = None
        # a sentence that names the campaign (its entity or aliases, :func:`campaign_names`)
        # and carries its core is a member even when none of its 16 keys is one of the
        # campaign's (long openers and closers move every band of a MinHash)
        named = [
            (i, frozenset(c.details.get("names", ())))
            for i, c in enumerate(state.campaigns)
            if c.kind == "semantic-claim" and c.score >= FLAG_FLOOR
        ]
        names_of = dict(named)
        # ... and a burst whose word no other page names, where the sentence names it
        own_word = [
            (i, frozenset(c.details.get("sibling_needs", ())))
            for i, c in enumerate(state.campaigns)
            if c.kind == "semantic-claim"
            and c.score >= FLAG_FLOOR
            and c.details.get("word_is_campaigns")
            and c.details.get("sibling_needs")
        ]
        for r, j in enumerate(like):
            idxs = {state.claim_campaign.get(k) for k in keys[r].tolist()} - {None}
            idxs |= {i for i, names in named if names & stems[j]}
            idxs |= {i for i, word in own_word if word <= stems[j]}
            for idx in sorted(i for i in idxs if i is not None):
                c = state.campaigns[idx]
                core = c.details.get("core", ())
                slots = [frozenset(sl) for sl in c.details.get("slots", ())]
                stand_ins = c.details.get("stand_ins", ())
                if not (
                    sem.carries_slots(stems[j], slots)
                    if slots
                    else sem.carries(stems[j], core)
                    or any(
                        sem.says_stand_in(stems[j], x["said"], x["words"])
                        for x in c.details.get("stand_in", ())
                    )
                ):
                    continue
                needs = c.details.get("sibling_needs")
                if needs:
                    # the burst of a campaign's word (task M2) or closer: the word in the
                    # sentence, another of the campaign's entity words anywhere in the
                    # document (not needed for a word no other page names)
                    if unit_stems is None:
                        unit_stems = [sem.content_stems_of(u.norm) for u in units]
                    page = frozenset().union(*unit_stems)
                    if not stems[j].issuperset(needs) or not (
                        c.details.get("word_is_campaigns") or names_of[idx] & page
                    ):
                        continue
                # a sub-claim judged with its campaign's documents: only where it names it
                elif c.details.get("sibling_of") and not (
                    names_of[idx] & stems[j]
                    or any(frozenset(x) <= stems[j] for x in stand_ins if x)
                ):
                    continue
                if c.details.get("family") == "spliced-claims":
                    if unit_stems is None:
                        unit_stems = [sem.content_stems_of(u.norm) for u in units]
                    at = units.index(cands[j])
                    df = self._sketches.get("stems") if self._sketches else None
                    words = stems[j] & (frozenset(core) | frozenset(c.details.get("names", ())))
                    # the sentences spliced with it that name its rare words (a host given
                    # a sub-claim beside it: "… Orvane damages the brain for good.")
                    link = frozenset(sem.rare_stems(sorted(words), df, state.documents))
                    passage = claim_passage(
                        units,
                        unit_stems,
                        at,
                        link | (slots[0] & words if slots else frozenset()),
                        lambda u: (
                            self._candidate(u)
                            and sem.claim_like(u.norm, sem.content_stems_of(u.norm))
                            and (text is None or _ends_sentence(text[u.start : u.end]))
                        ),
                    )
                    rest = frozenset().union(
                        *(
                            x
                            for i, x in enumerate(unit_stems)
                            if i not in passage
                            # the page's other sentences of the claim do not anchor (a
                            # burst's places, or the cluster's core: a host given two)
                            and not (sem.says_burst(x, slots) if slots else sem.carries(x, core))
                        )
                    )
                    # anchored by the proposition's words (its core and names) named
                    # elsewhere in the page, not by an opener's or closer's rare word
                    own = words & rest
                    if sem.rare_stems(sorted(own), df, state.documents) or (
                        slots and slots[0] & own
                    ):
                        continue
                out.append((c, Span(cands[j].start, cands[j].end, "claim")))
                break
        return out


def _as_sibling(ev: dict[str, Any], parent: str) -> tuple[float, bool, dict[str, Any]]:
    """The verdict of a sub-claim of the fabricated-article campaign ``parent`` (its id):
    passing, with what it failed on its own kept as ``failed_alone``."""
    ev.update(
        sibling_of=parent,
        failed_alone=ev["failed"],
        failed=[],
        campaign_test=True,
        family="fabricated-articles",
    )
    return 0.95, True, ev


def claim_passage(
    units: Sequence[Sentence],
    unit_stems: Sequence[frozenset[str]],
    at: int,
    link: frozenset[str],
    sentence: Callable[[Sentence], bool],
) -> set[int]:
    """The units of a spliced claim's passage around unit ``at``: it and the run of
    consecutive units on either side that are sentences (``sentence``: a candidate,
    claim-like, ending like a sentence) naming one of ``link`` (the member's rare words of
    its campaign).  An attacker splices the claim as a block — one or two sentences, a
    paragraph — and a sub-claim beside it names the entity again ("… Orvane damages the
    brain for good."); a page *about* the entity names it outside the block too (its
    heading, other paragraphs), which still anchors the member."""
    out = {at}
    if not link:
        return out
    for step in (-1, 1):
        i = at + step
        while 0 <= i < len(units) and link & unit_stems[i] and sentence(units[i]):
            out.add(i)
            i += step
    return out


def _ends_sentence(unit: str) -> bool:
    """Whether a unit ends like a sentence (``.``, ``!`` or ``?``, closing quotes and
    brackets aside): a heading or a title line does not."""
    return unit.rstrip().rstrip("\"'”’)]").endswith((".", "!", "?"))


def _shape_hash(text: str, unit: Sentence) -> int:
    """Hash of a neighbouring sentence with its slot values (numbers, names) removed.

    Templated pages fill the same sentence frame with different names and numbers ("Is
    Alport syndrome inherited?"); hashing the frame makes such neighbours count as the
    same neighbour, so a sentence glued to a template frame has a high ``block_share``.
    """
    sentence = text[unit.start : unit.end]
    return _frame_hash_cached(sentence) if len(sentence) <= 512 else _frame_hash(sentence)


def _frame_hash(sentence: str) -> int:
    """:func:`_shape_hash` of one sentence's text: the hash of its words, lower-cased, less
    those with a digit and those capitalised (the first word is kept unless it has a
    digit)."""
    toks = WORD_RE.findall(sentence)
    if sentence.isascii():  # one regex pass instead of a test per word (same frame)
        head = "" if not toks or _ASCII_DIGIT.search(toks[0]) else toks[0]
        rest = _ASCII_SLOT.sub("", " " + " ".join(toks[1:])) if len(toks) > 1 else ""
        return hash64((head + rest).strip().lower()) or 1
    frame = [
        t.lower()
        for i, t in enumerate(toks)
        if (i == 0 or not t[:1].isupper()) and not any(map(str.isdigit, t))
    ]
    return hash64(" ".join(frame)) or 1


_ASCII_DIGIT = re.compile(r"[0-9]")
_ASCII_SLOT = re.compile(r" (?:[A-Z][^ ]*|[^ ]*[0-9][^ ]*)(?= |$)")
"""A capitalised word or a word with a digit, after a space (ASCII words joined by spaces)."""


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


def _slot_merged(toks: Sequence[Sequence[str]], counts: Sequence[int]) -> list[int]:
    """The document counts of one family's phrasings (``toks``: their words) with every
    two phrasings of the same length that differ in one word at one place merged, and
    merged again through chains of such pairs (union-find): the phrasings of a template
    with slots, one word per slot.

    A campaign's paraphrases rotate framing — openers and closers of other lengths
    (:data:`~poisonguard.attacks.claims.OPENERS`), other claim verbs ("causes", "leads
    to") — and stay apart; a site's fill-in sentence ("It is inherited in an autosomal
    {dominant, recessive} {manner, pattern, fashion}.", 45 MedQuAD pages of one
    20,000-page sample) is one wording with slots, not six phrasings. What gets past: a
    claim rotated only through one-word synonyms is one phrasing too (its other evidence,
    independent sources, is unchanged)."""
    parent = list(range(len(toks)))

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    seen: dict[tuple[tuple[str, ...], tuple[str, ...]], int] = {}
    for i, t in enumerate(toks):
        low = [w.lower() for w in t]
        for at in range(len(low)):
            key = (tuple(low[:at]), tuple(low[at + 1 :]))
            j = seen.setdefault(key, i)
            if j != i:
                parent[root(i)] = root(j)
    merged: dict[int, int] = {}
    for i, c in enumerate(counts):
        merged[root(i)] = merged.get(root(i), 0) + c
    return list(merged.values())


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


def _flat(idx: list[int], hashes: list[int]) -> list[int]:
    """``[i0, h0, i1, h1, ...]``: (index, hash) pairs as one list (a :class:`KeyMemo` row)."""
    return [x for pair in zip(idx, hashes, strict=True) for x in pair]


def _claim_shaped(text: str) -> bool:
    """Whether a unit reads as a sentence (capital or quote first, full stop or ``!`` last:
    ``declarative`` of :meth:`CampaignDetector.sentence_features`)."""
    t = text.strip()
    return bool((t[:1].isupper() or t[:1] in "\"'“") and t.rstrip("\"'”’)").endswith((".", "!")))


def _host_text(text: str, units: list[Sentence], cand: list[tuple[int, int]], near: bool) -> str:
    """The host of a document's recurring units (what its signature is taken of): ``text``
    without the units ``cand`` points at and, with ``near`` (the document has a recurring
    head, tail or anchored key: a payload span may run over several units), without their
    neighbours too — the short or half-payload units next to the recurring ones that no
    key covers would otherwise be shared by every carrier and make unrelated hosts look
    related."""
    if not near:
        return _without(text, units, cand)
    at = {j for i, _ in cand for j in (i - 1, i, i + 1) if 0 <= j < len(units)}
    # a payload edited in every copy runs on through units that no key covers: past the
    # neighbours, a unit that reads like the payload (:func:`_payload_like`) is cut too,
    # and the next one after it, up to :data:`_RUN_ON` units on each side
    for j in sorted(at):
        for step in (-1, 1):
            k = j + step
            for _ in range(_RUN_ON):
                if not 0 <= k < len(units) or k in at:
                    break
                if not _payload_like(text[units[k].start : units[k].end]):
                    break
                at.add(k)
                k += step
    return _without(text, units, [(j, 0) for j in at])


_RUN_ON = 4
"""Units past a recurring unit's neighbour cut out at most, on each side (:func:`_host_text`)."""


def _payload_like(unit: str) -> bool:
    """Whether a unit next to a payload reads like its edited remnant: a glued or hybrid
    word share of :data:`~.campaigns_payload.JUNK_SHARE`, or a grammar break
    (:func:`~.campaigns_payload.unnatural`; one break — the bar for a span is three — in
    1.4-3.1 % of clean units of 5 words or more, 0.4 % of multilingual ones, 2026-12-07)."""
    odd = pay.unnatural(unit)  # (a span it reads as unnatural has one or the other)
    return bool(odd["junk_words"] >= pay.JUNK_SHARE or odd["grammar_breaks"])


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


def _best_member(
    members: list[tuple[int, SentenceStats]], leads: dict[int, tuple[str, bool]]
) -> tuple[int, SentenceStats]:
    """The payload key whose span (its lead and its text) starts where the hosts stop
    agreeing, the longest first (:meth:`CampaignDetector._payload_campaigns`)."""
    return min(members, key=lambda m: (not leads[m[0]][1], -len(leads[m[0]][0] + m[1].text), m[0]))


def _short(text: str, n: int = 80) -> str:
    return text if len(text) <= n else text[: n - 1] + "…"


ClaimCampaignDetector = CampaignDetector
"""The claims detector under its descriptive name (registered as ``campaigns``)."""

__all__ = [
    "BOILERPLATE_WORDS",
    "Campaign",
    "CampaignDetector",
    "CampaignPartial",
    "CampaignState",
    "ClaimCampaignDetector",
    "SentenceStats",
    "host_similarity",
]
