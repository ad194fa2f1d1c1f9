"""Shared plumbing of the campaign detectors: two rounds of candidate counting.

:class:`~poisonguard.detect.campaigns.CampaignDetector` (recurring claims across unrelated
hosts) and :class:`~poisonguard.detect.campaigns_dups.NearDuplicateDetector` (near-duplicate
and templated document clusters) both count keys — sentence hashes, LSH band keys — across
the corpus and keep exact statistics only for the keys that recur:

* pass 1 buffers each document's distinct keys and adds them to a fixed-size
  :class:`~poisonguard.detect.sketches.CountMinSketch` (:meth:`CampaignRounds._pass1_keys`);
* pass 2 (or the single pass, ``passes=1``) keeps exact statistics for the keys the sketch
  says recur at least :attr:`CampaignRounds._admit_floor` times (:meth:`CampaignRounds._pass2`),
  in capacity-bounded tables (heavy hitters, Misra–Gries style beyond ``capacity``).

A detector implements :meth:`~CampaignRounds._pass1_keys`, :meth:`~CampaignRounds._pass2`,
:meth:`~CampaignRounds._campaigns` and ``flag``; this module owns the rounds, the merge of
partials and the report.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar

import numpy as np

from poisonguard.detect.base import CorpusDetector, CorpusReport
from poisonguard.detect.sketches import CountMinSketch, prune_top
from poisonguard.io.document import Document

SOURCE_CAP = 512
"""Distinct sources kept per candidate (beyond: ``sources_overflow``)."""
EXAMPLE_CAP = 10
"""Example document ids kept per candidate."""
FLAG_FLOOR = 0.5
CAMPAIGN_SCORE = 0.95
"""Score of a campaign that passes its detector's campaign test (a claim recurring across
unrelated hosts): at or above ``POISONED_SCORE``, so its members are *poisoned* and
``--fail-on poisoned`` stops the corpus."""
"""Campaigns below this score never change a verdict (``SUSPICIOUS_SCORE``)."""
_PENDING_KEYS = 1 << 20  # pass-1 keys buffered before they are added to the sketch


def check_rounds(passes: int, min_docs: int) -> None:
    """Validate the parameters every campaign detector takes (ValueError when wrong)."""
    if passes not in (1, 2):
        raise ValueError("passes must be 1 or 2")
    if min_docs < 2:
        raise ValueError("min_docs must be at least 2")


def merge_sources(a: Any, b: Any) -> None:
    """Union ``b.sources`` into ``a.sources`` (at most :data:`SOURCE_CAP` kept)."""
    a.sources |= b.sources
    a.sources_overflow = a.sources_overflow or b.sources_overflow
    if len(a.sources) > SOURCE_CAP:
        a.sources = set(sorted(a.sources)[:SOURCE_CAP])
        a.sources_overflow = True


def add_source(st: Any, src: int) -> None:
    """Count source ``src`` for ``st`` (at most :data:`SOURCE_CAP` kept)."""
    if len(st.sources) < SOURCE_CAP:
        st.sources.add(src)
    elif src not in st.sources:
        st.sources_overflow = True


def merge_examples(a: list[str], b: list[str]) -> None:
    """Append the examples of ``b`` not in ``a`` (at most :data:`EXAMPLE_CAP`)."""
    for x in b:
        if len(a) >= EXAMPLE_CAP:
            return
        if x not in a:
            a.append(x)


@dataclass(slots=True)
class CampaignPartial:
    """What one shard (or a merge of shards) contributes.

    Pass 1 fills ``keys`` (each document's distinct keys, buffered; added to ``sketch``
    once more than ``_PENDING_KEYS`` are buffered, so that a shard's partial is small to
    ship and the sketch is built once, not per shard); pass 2 (or the single pass) fills the
    detector's exact tables (``sentences`` and ``claims`` for claims, ``bands`` for
    near-duplicates).
    """

    stage: int
    documents: int = 0
    sketch: CountMinSketch | None = None
    keys: list[np.ndarray] = field(default_factory=list)
    sentences: dict[int, Any] = field(default_factory=dict)
    bands: dict[int, Any] = field(default_factory=dict)
    claims: dict[int, Any] = field(default_factory=dict)
    evicted_below: int = 0

    def tables(self) -> tuple[dict[int, Any], ...]:
        """The exact tables (each maps a key to its statistics)."""
        return (self.sentences, self.bands, self.claims)


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
    does the same for LSH band keys, ``claim_campaign`` for semantic claim keys.
    ``prefilter`` is the pass-1 sketch (pass-1 state only).
    """

    stage: int
    documents: int = 0
    campaigns: list[Campaign] = field(default_factory=list)
    sentence_campaign: dict[int, int] = field(default_factory=dict)
    band_campaign: dict[int, int] = field(default_factory=dict)
    claim_campaign: dict[int, int] = field(default_factory=dict)
    prefilter: CountMinSketch | None = None
    candidates: int = 0
    evicted_below: int = 0
    wanted: tuple[bool, bool] | None = None  # which lookups can change a verdict
    details: dict[str, Any] = field(default_factory=dict)

    def report(self) -> dict[str, Any]:
        """JSON-serialisable summary (the ``campaigns`` list, highest score first)."""
        return {
            "documents": self.documents,
            "candidates": self.candidates,
            "campaigns": [c.to_dict() for c in self.campaigns],
            "evicted_below": self.evicted_below,
            **self.details,
        }


class CampaignRounds(CorpusDetector[CampaignPartial, CampaignState]):
    """Base of the campaign detectors: the count-min round, exact candidate tables, merges.

    Subclasses set ``self.passes``, ``self.capacity``, ``self.sketch_width``, ``self.seed``,
    ``self._prefilter`` in ``__init__`` and implement the four hooks below.
    """

    prepass: ClassVar[bool] = True  # the count-min round needs no findings
    passes: int
    capacity: int
    sketch_width: int
    seed: int
    _prefilter: CountMinSketch | None

    # -- hooks --------------------------------------------------------------------------
    @property
    def _admit_floor(self) -> int:
        """Pass-1 estimate a key needs to be counted exactly in pass 2."""
        raise NotImplementedError

    def _pass1_keys(self, docs: Sequence[Document]) -> list[int]:
        """Every document's distinct keys, concatenated (pass 1)."""
        raise NotImplementedError

    def _pass2(self, docs: Sequence[Document], part: CampaignPartial) -> None:
        """Fill ``part``'s exact tables for the admitted keys (:meth:`_admit`)."""
        raise NotImplementedError

    def _campaigns(self, merged: CampaignPartial, state: CampaignState) -> None:
        """Turn the merged exact tables into ``state.campaigns`` and its key maps."""
        raise NotImplementedError

    # -- rounds -------------------------------------------------------------------------
    def map_shard(self, docs: Sequence[Document]) -> CampaignPartial:
        stage = 1 if (self.passes == 2 and self._prefilter is None) else 2
        part = CampaignPartial(stage=stage, documents=len(docs))
        if stage == 1:
            part.keys.append(np.asarray(self._pass1_keys(docs), dtype=np.uint64))
            return part
        self._pass2(docs, part)
        self._prune(part)
        return part

    def _admit(self, keys: list[int]) -> dict[int, bool]:
        """Whether the prefilter lets each key through (empty: no prefilter, all pass)."""
        if self._prefilter is None or not keys:
            return {}
        est = self._prefilter.estimate(np.asarray(keys, dtype=np.uint64))
        return dict(zip(keys, (est >= self._admit_floor).tolist(), strict=True))

    def _prune(self, part: CampaignPartial) -> None:
        for table in part.tables():
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
        for mine, theirs in zip(out.tables(), p.tables(), strict=True):
            for k, st in theirs.items():
                cur = mine.get(k)
                if cur is None:
                    mine[k] = st.copy()
                else:
                    cur.merge(st)
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
        """Pass 2 carries the pass-1 count-min sketch."""
        if state.prefilter is None:
            raise ValueError("next_pass() needs the pass-1 state")
        return {"_prefilter": state.prefilter}

    def finalize(self, merged: CampaignPartial) -> CampaignState:
        if merged.stage == 1:
            self._fold(merged, 0)
            return CampaignState(stage=1, documents=merged.documents, prefilter=merged.sketch)
        state = CampaignState(
            stage=2, documents=merged.documents, evicted_below=merged.evicted_below
        )
        self._campaigns(merged, state)
        return state

    def summarize(self, state: CampaignState) -> CorpusReport:
        """The campaign report (see :meth:`CampaignState.report`)."""
        return CorpusReport.from_dict(state.report())


def rank_campaigns(
    state: CampaignState, found: Sequence[tuple[Campaign, list[int], dict[int, int]]]
) -> None:
    """Put ``found`` campaigns into ``state``, highest score first; each comes with its keys
    and the key map of ``state`` they go into."""
    ranked = sorted(found, key=lambda cm: (-cm[0].score, -cm[0].size, cm[0].id))
    for i, (camp, keys, target) in enumerate(ranked):
        state.campaigns.append(camp)
        for k in keys:
            target[k] = i


__all__ = [
    "CAMPAIGN_SCORE",
    "EXAMPLE_CAP",
    "FLAG_FLOOR",
    "SOURCE_CAP",
    "Campaign",
    "CampaignPartial",
    "CampaignRounds",
    "CampaignState",
    "add_source",
    "check_rounds",
    "merge_examples",
    "merge_sources",
    "rank_campaigns",
]
