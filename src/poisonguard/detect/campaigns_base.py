"""Shared plumbing of the campaign detectors: two rounds of candidate counting.

:class:`~poisonguard.detect.campaigns.CampaignDetector` (recurring claims across unrelated
hosts) and :class:`~poisonguard.detect.campaigns_dups.NearDuplicateDetector` (near-duplicate
and templated document clusters) both count keys — sentence hashes, LSH band keys — across
the corpus and keep exact statistics only for the keys that recur:

* :class:`CountRound` (round 1 of ``passes=2``) buffers each document's distinct keys per
  *channel* (:meth:`CampaignRounds.channels`: exact sentences, semantic sketch keys, stem
  document frequencies, band keys ...) and adds each channel to its own fixed-size
  :class:`~poisonguard.detect.sketches.CountMinSketch` (:meth:`CampaignRounds._pass1_keys`);
* :class:`ExactRound` (round 2, or the single round of ``passes=1``) keeps exact statistics
  for the keys whose channel's sketch says they recur often enough
  (:meth:`CampaignRounds._admit`, :meth:`CampaignRounds._pass2`), in capacity-bounded tables
  (heavy hitters, Misra–Gries style beyond ``capacity``), and runs the campaign tests.

Both are :class:`~poisonguard.detect.base.Round` objects; the detector holds its round
(``self.round``, chosen by :meth:`CampaignRounds._start_round` from the constructor's
``_prefilter``) and :class:`~poisonguard.detect.base.RoundedDetector` dispatches to it.  A
detector implements :meth:`~CampaignRounds._pass1_keys`, :meth:`~CampaignRounds._pass2`,
:meth:`~CampaignRounds._campaigns` and ``flag``; this module owns the rounds, the merge of
partials and the report.
"""

from __future__ import annotations

from abc import abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar

import numpy as np

from poisonguard.detect.base import CorpusReport, Round, RoundedDetector
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

    The count round fills ``keys`` (per channel, each document's distinct keys, buffered;
    added to that channel's sketch in ``sketches`` once more than ``_PENDING_KEYS`` are
    buffered, so that a shard's partial is small to ship and each sketch is built once, not
    per shard); the exact round fills the detector's exact tables (``sentences`` and
    ``claims`` for claims, ``bands`` for near-duplicates).
    """

    stage: int
    documents: int = 0
    sketches: dict[str, CountMinSketch] = field(default_factory=dict)
    keys: dict[str, list[np.ndarray]] = field(default_factory=dict)
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
    ``prefilter`` maps each key channel to its count-min sketch (count-round state only).
    """

    stage: int
    documents: int = 0
    campaigns: list[Campaign] = field(default_factory=list)
    sentence_campaign: dict[int, int] = field(default_factory=dict)
    band_campaign: dict[int, int] = field(default_factory=dict)
    claim_campaign: dict[int, int] = field(default_factory=dict)
    prefilter: dict[str, CountMinSketch] | None = None
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


Sketches = dict[str, CountMinSketch]
"""The count round's result: one count-min sketch per key channel."""


class _CampaignRound(Round[CampaignPartial, CampaignState]):
    """What both campaign rounds share: their partials and how a partial is folded in
    (counts here, tables by :meth:`add`)."""

    partial_type = CampaignPartial

    def __init__(self, det: CampaignRounds) -> None:
        self.det = det

    def empty(self) -> CampaignPartial:
        return CampaignPartial(stage=self.stage)

    def merge_into(self, acc: CampaignPartial, part: CampaignPartial) -> CampaignPartial:
        """Fold ``part`` into the running total ``acc`` in place."""
        if part is not acc:
            acc.documents += part.documents
            acc.evicted_below += part.evicted_below
            self.add(acc, part)
        return acc

    @abstractmethod
    def add(self, out: CampaignPartial, p: CampaignPartial) -> None:
        """Add ``p``'s keys or tables to ``out``."""


class CountRound(_CampaignRound):
    """Round 1 (``passes=2``): count each channel's keys in its own count-min sketch.

    Channels (:attr:`CampaignRounds.channels`) are kept apart so that frequent keys of one
    kind (e.g. millions of content-word document frequencies) do not inflate the estimates
    of another (exact sentences, semantic sketch keys) and let keys through by noise.
    """

    stage: ClassVar[int] = 1

    def map_shard(self, docs: Sequence[Document]) -> CampaignPartial:
        part = CampaignPartial(stage=1, documents=len(docs))
        for ch, keys in self.det._pass1_keys(docs).items():
            part.keys.setdefault(ch, []).append(np.asarray(keys, dtype=np.uint64))
        return part

    def add(self, out: CampaignPartial, p: CampaignPartial) -> None:
        for ch, sk in p.sketches.items():
            mine = out.sketches.get(ch)
            if mine is None:
                out.sketches[ch] = CountMinSketch(width=sk.width, depth=sk.depth, seed=sk.seed)
                mine = out.sketches[ch]
            mine.merge(sk)
        for ch, arrs in p.keys.items():
            out.keys.setdefault(ch, []).extend(arrs)
        self.flush(out, _PENDING_KEYS)

    def flush(self, part: CampaignPartial, limit: int) -> None:
        """Add the buffered keys to their sketches once more than ``limit`` are buffered
        (``limit=0``: always, and make sure every channel has a sketch)."""
        if sum(len(k) for arrs in part.keys.values() for k in arrs) <= limit and limit:
            return
        for ch, width in self.det.channels().items():
            if ch not in part.sketches:
                seed = self.det.seed + list(self.det.channels()).index(ch)
                part.sketches[ch] = CountMinSketch(width=width, depth=3, seed=seed)
            arrs = part.keys.pop(ch, [])
            keys = np.concatenate(arrs) if arrs else np.zeros(0, dtype=np.uint64)
            for i in range(0, len(keys), _PENDING_KEYS):  # one large batch adds fastest
                part.sketches[ch].add(keys[i : i + _PENDING_KEYS])
        part.keys = {}

    def finalize(self, merged: CampaignPartial) -> CampaignState:
        self.flush(merged, 0)
        return CampaignState(
            stage=1,
            documents=merged.documents,
            prefilter=merged.sketches,
            details={"keys_counted": {ch: sk.total for ch, sk in merged.sketches.items()}},
        )


class ExactRound(_CampaignRound):
    """Round 2 (or the single round, ``passes=1``): exact statistics of the keys the count
    round admits (all keys without one), in capacity-bounded tables; the campaign tests."""

    stage: ClassVar[int] = 2

    def __init__(self, det: CampaignRounds, sketches: Sketches | None) -> None:
        super().__init__(det)
        self.sketches = sketches

    def map_shard(self, docs: Sequence[Document]) -> CampaignPartial:
        part = CampaignPartial(stage=2, documents=len(docs))
        self.det._pass2(docs, part)
        self.prune(part)
        return part

    def admit(self, keys: list[int], channel: str, floor: int) -> dict[int, bool]:
        """Whether channel ``channel``'s sketch puts each key at ``floor`` or more (empty:
        no sketch, all pass)."""
        sk = None if self.sketches is None else self.sketches.get(channel)
        if sk is None or not keys:
            return {}
        est = sk.estimate(np.asarray(keys, dtype=np.uint64))
        return dict(zip(keys, (est >= floor).tolist(), strict=True))

    def prune(self, part: CampaignPartial) -> None:
        for table in part.tables():
            counts = {k: v.count for k, v in table.items()}
            dropped, cut = prune_top(counts, self.det.capacity)
            for k in dropped:
                del table[k]
            for v in table.values():
                v.count -= cut
            part.evicted_below += cut

    def add(self, out: CampaignPartial, p: CampaignPartial) -> None:
        for mine, theirs in zip(out.tables(), p.tables(), strict=True):
            for k, st in theirs.items():
                cur = mine.get(k)
                if cur is None:
                    mine[k] = st.copy()
                else:
                    cur.merge(st)
        self.prune(out)

    def finalize(self, merged: CampaignPartial) -> CampaignState:
        state = CampaignState(
            stage=2, documents=merged.documents, evicted_below=merged.evicted_below
        )
        self.det._campaigns(merged, state)
        return state


class CampaignRounds(RoundedDetector[CampaignPartial, CampaignState]):
    """Base of the campaign detectors: the count round, the exact round, merges.

    Subclasses set ``self.passes``, ``self.capacity``, ``self.sketch_width``, ``self.seed``
    and ``self.round`` (:meth:`_start_round`) in ``__init__`` and implement the hooks below.
    """

    prepass: ClassVar[bool] = True  # the count round needs no findings
    passes: int
    capacity: int
    sketch_width: int
    seed: int
    round: CountRound | ExactRound

    def _start_round(self, sketches: Sketches | None) -> None:
        """The count round (``passes=2`` without sketches) or the exact round."""
        if self.passes == 2 and sketches is None:
            self.round = CountRound(self)
        else:
            self.round = ExactRound(self, sketches)

    # -- hooks --------------------------------------------------------------------------
    def channels(self) -> dict[str, int]:
        """Key channels of the count round and their sketch widths (default: one,
        ``"keys"``, ``sketch_width`` wide)."""
        return {"keys": self.sketch_width}

    def _pass1_keys(self, docs: Sequence[Document]) -> dict[str, list[int] | np.ndarray]:
        """Per channel, every document's distinct keys, concatenated (count round)."""
        raise NotImplementedError

    def _pass2(self, docs: Sequence[Document], part: CampaignPartial) -> None:
        """Fill ``part``'s exact tables for the admitted keys (:meth:`_admit`)."""
        raise NotImplementedError

    def _campaigns(self, merged: CampaignPartial, state: CampaignState) -> None:
        """Turn the merged exact tables into ``state.campaigns`` and its key maps."""
        raise NotImplementedError

    # -- rounds -------------------------------------------------------------------------
    @property
    def _sketches(self) -> Sketches | None:
        """The count round's sketches (exact round only; None otherwise)."""
        return self.round.sketches if isinstance(self.round, ExactRound) else None

    def _admit(self, keys: list[int], channel: str, floor: int) -> dict[int, bool]:
        """Whether ``channel``'s count lets each key through at ``floor`` (empty: no count
        round, all pass)."""
        if not isinstance(self.round, ExactRound):
            raise RuntimeError("keys are admitted in the exact round only")
        return self.round.admit(keys, channel, floor)

    def next_stage(self, state: CampaignState) -> dict[str, Any]:
        """The exact round carries the count round's sketches."""
        if state.prefilter is None:
            raise ValueError("next_pass() needs the pass-1 state")
        return {"_prefilter": state.prefilter}

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
    "CountRound",
    "ExactRound",
    "Sketches",
    "add_source",
    "check_rounds",
    "merge_examples",
    "merge_sources",
    "rank_campaigns",
]
