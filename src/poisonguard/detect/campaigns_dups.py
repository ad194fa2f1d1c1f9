"""Near-duplicate and templated document clusters (the ``near-duplicates`` detector).

Each document's MinHash signature (:func:`~poisonguard.detect.sketches.minhash_signatures`,
word-aligned 16-byte shingles) is cut into LSH bands; a band key shared by ``min_docs`` or
more documents is a cluster; clusters whose representative signatures are similar (queried
with ``datasketch.MinHashLSH``) are merged.  Near-duplicate and templated pages are ordinary
(syndicated stories, mirrors, templates, docstrings) and no recipe needs them: clusters are
reported as information (below the suspicious score), higher when spread over sources.

Memory: pass 1 keeps a count-min sketch of band-key document frequencies; pass 2 keeps exact
statistics only for band keys the sketch says recur at least ``min_docs`` times
(:mod:`poisonguard.detect.campaigns_base`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar

import numpy as np
from datasketch import MinHash, MinHashLSH

from poisonguard.detect.base import Finding, Span
from poisonguard.detect.campaigns_base import (
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
    KeyMemo,
    band_keys,
    hash64,
    lsh_params,
    minhash_signatures,
    source_key,
)
from poisonguard.io.document import Document


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
        merge_sources(self, other)
        if self.signature is None:
            self.signature, self.text = other.signature, other.text
        merge_examples(self.examples, other.examples)

    def copy(self) -> BandStats:
        return BandStats(
            count=self.count,
            sources=set(self.sources),
            sources_overflow=self.sources_overflow,
            signature=self.signature,
            text=self.text,
            examples=list(self.examples),
        )


@register_detector(kinds=("pretrain", "rag"))
class NearDuplicateDetector(CampaignRounds):
    """Near-duplicate and templated document clusters (see the module docstring).

    Args:
        min_docs: a cluster needs at least this many documents.
        passes: 2 (count-min prefilter, then exact counts of candidates) or 1 (bounded table).
        capacity: most candidate band keys kept exactly (``passes=1`` and pass 2).
        num_perm: MinHash permutations; ``dup_threshold``: Jaccard threshold of the LSH bands.
        sketch_width: count-min sketch width (memory = 3 × width × 4 bytes).
        seed: MinHash and sketch seed.
    """

    name: ClassVar[str] = "near-duplicates"
    kinds: ClassVar[tuple[str, ...]] = ("pretrain", "rag")

    def __init__(
        self,
        *,
        min_docs: int = 5,
        passes: int = 2,
        capacity: int = 200_000,
        num_perm: int = 64,
        dup_threshold: float = 0.8,
        sketch_width: int = 1 << 21,
        seed: int = 0,
        _prefilter: Sketches | None = None,
        _memo: KeyMemo | None = None,
    ) -> None:
        check_rounds(passes, min_docs)
        self.min_docs = min_docs
        self.passes = passes
        self._memo = _memo if _memo is not None else KeyMemo()
        self.capacity = capacity
        self.num_perm = num_perm
        self.dup_threshold = dup_threshold
        self.sketch_width = sketch_width
        self.seed = seed
        self._start_round(_prefilter)
        self._perm = MinHash(num_perm=num_perm, seed=seed).permutations
        self._bands, self._rows = lsh_params(dup_threshold, num_perm)

    @classmethod
    def from_context(cls, ctx: Any) -> NearDuplicateDetector:
        """Registry factory: ``k`` from the scan, per-detector options on top."""
        opts: dict[str, Any] = {
            "min_docs": max(2, int(ctx.min_trigger_docs)),
            "seed": int(ctx.seed),
        }
        opts.update(ctx.options_for(cls.name))
        return cls(**opts)

    def _signatures(self, texts: Sequence[str]) -> list[np.ndarray | None]:
        return minhash_signatures(texts, self._perm)

    def _band_keys(self, sig: np.ndarray) -> list[int]:
        return band_keys(sig, self._bands, self._rows)

    # ------------------------------------------------------------------ map
    def _pass1_keys(self, docs: Sequence[Document]) -> dict[str, list[int] | np.ndarray]:
        batch: list[int] = []
        for doc, sig in zip(docs, self._signatures([d.text for d in docs]), strict=True):
            keys = self._band_keys(sig) if sig is not None else []
            if self.passes == 2:  # the exact round needs only the band keys of most documents
                self._memo.put(doc.text, keys)
            batch.extend(set(keys))
        return {"keys": batch}

    def _pass2(self, docs: Sequence[Document], part: CampaignPartial) -> None:
        # the count round's band keys where remembered; signatures only for the documents
        # with an admitted key (the cluster keeps one) or whose keys were not remembered
        bands = [self._memo.get(d.text) for d in docs]
        todo = [i for i, ks in enumerate(bands) if ks is None]
        sigs: list[np.ndarray | None] = [None] * len(docs)
        for i, sig in zip(todo, self._signatures([docs[i].text for i in todo]), strict=True):
            sigs[i] = sig
            bands[i] = self._band_keys(sig) if sig is not None else []
        ok = self._admit([k for ks in bands for k in ks or ()], "keys", self.min_docs)
        admitted = [[k for k in ks or () if ok.get(k, True)] for ks in bands]
        done = set(todo)
        late = [i for i in range(len(docs)) if admitted[i] and i not in done]
        for i, sig in zip(late, self._signatures([docs[i].text for i in late]), strict=True):
            sigs[i] = sig
        for doc, sig, ks in zip(docs, sigs, admitted, strict=True):
            if sig is None or not ks:
                continue
            src = hash64(source_key(doc, file_fallback=False))
            for k in ks:
                bs = part.bands.get(k)
                if bs is None:
                    bs = part.bands[k] = BandStats(signature=sig, text=doc.text[:300])
                bs.count += 1
                add_source(bs, src)
                if len(bs.examples) < 10:
                    bs.examples.append(doc.id)

    def next_stage(self, state: CampaignState) -> dict[str, Any]:
        """The exact round carries the count round's sketch and its remembered band keys."""
        return {**super().next_stage(state), "_memo": self._memo}

    # ------------------------------------------------------------------ finalize
    def _campaigns(self, merged: CampaignPartial, state: CampaignState) -> None:
        bands = {k: b for k, b in merged.bands.items() if b.count >= self.min_docs}
        state.candidates = len(bands)
        rank_campaigns(state, [(c, m, state.band_campaign) for c, m in self._clusters(bands)])

    def _clusters(self, bands: dict[int, BandStats]) -> list[tuple[Campaign, list[int]]]:
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
            diversity = len(sources) / max(1, min(size, SOURCE_CAP))
            # information only (below the suspicious score), more so when spread over sources
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
        """The document's cluster membership, when a cluster can change a verdict (none of
        the built-in scores can: clusters are information in the summary)."""
        if state.stage != 2 or not state.band_campaign:
            return None
        if state.wanted is None:
            want = any(c.score >= FLAG_FLOOR for c in state.campaigns)
            state.wanted = (want, want)
        if not state.wanted[0]:
            return None
        keys = self._memo.get(doc.text)
        if keys is None:
            sig = self._signatures([doc.text])[0]
            keys = self._band_keys(sig) if sig is not None else []
        for k in keys:
            idx = state.band_campaign.get(k)
            if idx is None:
                continue
            c = state.campaigns[idx]
            return Finding(
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
        return None


__all__ = ["BandStats", "NearDuplicateDetector"]
