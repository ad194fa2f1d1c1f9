"""The detector contract: small objects with one job and evidence a person can check.

Two kinds of detectors, both following scikit-learn's fit/score habit:

* :class:`DocumentDetector` looks at one document at a time (streaming).  ``fit`` may learn
  corpus or reference statistics first (e.g. a word-bigram model); ``score`` returns a
  :class:`Finding` or ``None``.
* :class:`CorpusDetector` needs the whole corpus: it is written as map over shards →
  reduce (so the local process pool and Ray run the same code), then ``flag`` looks at each
  document again with the reduced state (e.g. "contains a mined trigger").  One with
  several rounds over the corpus is a :class:`RoundedDetector` that declares each round as
  a :class:`Round` (map, fold, finalize of that round only).

Evidence is always character offsets into ``Document.text``.
"""

from __future__ import annotations

import inspect
from abc import ABC, abstractmethod
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any, ClassVar, Generic, Protocol, Self, TypeVar

from poisonguard.io.document import Document

State = TypeVar("State")
Partial = TypeVar("Partial")


@dataclass(frozen=True, slots=True)
class Span:
    """A half-open character range ``[start, end)`` of ``Document.text`` with a label.

    Labels used across detectors: ``trigger``, ``payload``, ``changepoint``, ``claim``,
    ``shared``, ``reply``.
    """

    start: int
    end: int
    label: str

    def text(self, doc_text: str) -> str:
        return doc_text[self.start : self.end]


@dataclass(slots=True)
class Finding:
    """One detector's verdict on one document.

    Attributes:
        detector: the detector's ``name``.
        score: suspicion in ``[0, 1]`` (1 = certainly poison); calibrated later per corpus.
        reason: one sentence a person can read, e.g. ``"text turns to gibberish at char 812
            (bigram log-prob -11.2 vs -4.1 before)"``.
        spans: evidence spans into ``Document.text``.
        trigger: the candidate or confirmed trigger string, when there is one.
        campaign: id of the campaign (cluster) the document belongs to, when known.
        extra: detector-specific numbers (JSON-serialisable).
    """

    detector: str
    score: float
    reason: str
    spans: list[Span] = field(default_factory=list)
    trigger: str | None = None
    campaign: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["spans"] = [asdict(s) for s in self.spans]
        return d


@dataclass(frozen=True, slots=True)
class DetectorContext:
    """What a detector may use to configure itself for one scan (:meth:`from_context`).

    Attributes:
        kind: corpus kind (``pretrain``, ``instruction`` or ``rag``).
        target_fpr: the scan's target false-positive rate.
        min_trigger_docs: ``k`` — a candidate trigger (or campaign) needs at least this many
            documents to be confirmed.
        seed: seed for anything random (sampling, MinHash permutations).
        options: free-form per-detector options, ``{detector_name: {key: value}}``.
    """

    kind: str = "pretrain"
    target_fpr: float = 0.001
    min_trigger_docs: int = 5
    seed: int = 0
    options: dict[str, dict[str, Any]] = field(default_factory=dict)

    def options_for(self, name: str) -> dict[str, Any]:
        """Options given for detector ``name`` (empty dict when none)."""
        return dict(self.options.get(name, {}))


class DocumentDetector:
    """Base class of per-document detectors.

    Subclasses set ``name`` and ``kinds`` (the corpus kinds they apply to: ``pretrain``,
    ``instruction``, ``rag``) and implement :meth:`score`.  :meth:`fit` is optional.
    """

    name: ClassVar[str] = "document"
    kinds: ClassVar[tuple[str, ...]] = ("pretrain", "instruction", "rag")
    min_flag_score: float = 0.0
    """Floor of the calibrated threshold: scores below it never flag a document, whatever
    the target false-positive rate (e.g. the score of a bare candidate)."""

    @classmethod
    def from_context(cls, ctx: DetectorContext) -> Self:
        """The detector for one scan (the registry builds it so); default:
        ``cls(**ctx.options_for(cls.name))``.  Override to use the corpus kind, the seed or
        the target rate."""
        return cls(**ctx.options_for(cls.name))

    def fit(self, docs: Iterable[Document]) -> DocumentDetector:
        """Learn whatever statistics the detector needs (default: nothing)."""
        return self

    def score(self, doc: Document) -> Finding | None:
        """A finding for ``doc``, or ``None`` when there is nothing to report."""
        raise NotImplementedError

    def score_batch(self, docs: Sequence[Document]) -> list[Finding | None]:
        """:meth:`score` of each document of a shard, in order.  The scan pipeline calls
        this; override it to share work across documents (one vectorised pass over all
        their tokens); the results must be those of :meth:`score`."""
        return [self.score(doc) for doc in docs]


@dataclass(slots=True)
class CorpusReport:
    """What a corpus detector reports about the whole corpus (``ScanResult.corpus_reports``).

    Attributes:
        triggers: confirmed triggers, each a dict with at least ``trigger`` (or ``text``),
            ``anomalous_docs`` and ``expected``; the pipeline turns each into a
            :class:`~poisonguard.detect.results.TriggerReport`.  ``None``: the detector
            does not mine triggers (the key is left out of the summary).
        campaigns: groups of documents that belong together (claim campaigns, fixed-reply
            groups, restated questions, dense embedding groups), each a dict with at least
            ``id`` (the ``Finding.campaign`` of its documents) and ``size``; ``kind`` and
            ``shared_span`` when known.  The STIX export turns each into a ``campaign``.
            ``None``: the detector does not group documents.
        details: any other JSON-serialisable numbers of the detector.
    """

    triggers: list[dict[str, Any]] | None = None
    campaigns: list[dict[str, Any]] | None = None
    details: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """The JSON form written to ``summary.json``: ``details`` plus the lists."""
        out = dict(self.details)
        if self.triggers is not None:
            out["triggers"] = list(self.triggers)
        if self.campaigns is not None:
            out["campaigns"] = list(self.campaigns)
        return out

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> CorpusReport:
        """Split a detector's JSON summary into the declared lists and the details."""
        rest = {k: v for k, v in d.items() if k not in ("triggers", "campaigns")}
        return cls(triggers=d.get("triggers"), campaigns=d.get("campaigns"), details=rest)


class CorpusDetector(Generic[Partial, State]):
    """Base class of corpus-level detectors, written as map over shards → reduce.

    ``map_shard`` must be a pure function of its shard (it runs in worker processes or Ray
    tasks); ``reduce`` merges partials (associative); ``finalize`` turns the merged partial
    into the state used by ``flag``.  The state must stay small: it grows with candidate
    triggers/clusters, not with documents.  :func:`poisonguard.detect.rounds.run_rounds`
    runs the whole protocol on shards in memory; the scan pipeline runs the same rounds
    (:class:`poisonguard.detect.rounds.Rounds`) over its backend.

    The pipeline calls, in this order (every hook has a default here):

    1. :meth:`use_reference` with a sample of the ``--reference`` corpus, when one is given;
    2. per round: :meth:`map_shard_findings` on every shard, partials folded with
       :meth:`merge_into` (an empty corpus: ``reduce([])``), :meth:`observe_sample` with
       the scan's sample, :meth:`finalize`; while :attr:`passes` rounds are not done, the
       next round runs with :meth:`next_pass` of the state;
    3. :meth:`flag` on every document, :meth:`summarize` once for the summary.

    A detector with rounds declares them: :class:`RoundedDetector` (each round a
    :class:`Round`) implements the map/reduce/finalize hooks by dispatching to the current
    round and refuses partials of another round.

    Parameters follow scikit-learn's estimator contract: ``__init__`` takes keyword
    parameters and stores each under its own name, unchanged; :meth:`get_params` reads them
    back and :meth:`clone` builds a fresh detector from them.  Parameters whose name starts
    with ``_`` carry a previous round's state and are not part of :meth:`get_params`.
    """

    name: ClassVar[str] = "corpus"
    kinds: ClassVar[tuple[str, ...]] = ("pretrain", "instruction", "rag")
    passes: int = 1
    """Rounds over the corpus; a detector with more overrides :meth:`next_stage`."""
    prepass: ClassVar[bool] = False
    """A detector with several rounds (``passes > 1``, ``next_pass(state)``) whose first
    round needs no findings sets this: the pipeline runs that round (``map_shard``) during
    its sampling read of the corpus, which saves a read."""

    # -- parameters -------------------------------------------------------------------
    @classmethod
    def from_context(cls, ctx: DetectorContext) -> Self:
        """The detector for one scan (the registry builds it so); default:
        ``cls(**ctx.options_for(cls.name))``.  Override to use the corpus kind, the seed,
        ``min_trigger_docs`` or the target rate."""
        return cls(**ctx.options_for(cls.name))

    def get_params(self) -> dict[str, Any]:
        """The public constructor parameters and their values (as stored by ``__init__``).

        Raises TypeError when ``__init__`` takes ``*args``/``**kwargs`` or does not store a
        parameter under its own name (the contract :meth:`clone` relies on).
        """
        out: dict[str, Any] = {}
        for p in inspect.signature(type(self).__init__).parameters.values():
            if p.name == "self" or p.name.startswith("_"):
                continue
            if p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD):
                raise TypeError(f"{type(self).__name__}.__init__ must not take *args/**kwargs")
            if not hasattr(self, p.name):
                raise TypeError(
                    f"{type(self).__name__}.__init__ does not store parameter {p.name!r} as "
                    f"self.{p.name}"
                )
            out[p.name] = getattr(self, p.name)
        return out

    def clone(self, **carry: Any) -> Any:
        """A fresh detector with the same parameters (plus ``carry``: private state
        arguments of the next round, or parameter overrides)."""
        return type(self)(**{**self.get_params(), **carry})

    # -- rounds -----------------------------------------------------------------------
    def next_stage(self, state: State) -> dict[str, Any]:
        """What the next round needs of this round's ``state``: keyword arguments (names
        starting with ``_``) added to :meth:`get_params` to build it.  Detectors with
        ``passes > 1`` override this."""
        raise NotImplementedError(
            f"{type(self).__name__} has passes={self.passes} but does not define next_stage()"
        )

    def next_pass(self, state: State) -> Any:
        """The detector of the next round: :meth:`clone` with :meth:`next_stage`."""
        return self.clone(**self.next_stage(state))

    def use_reference(self, docs: Iterable[Document]) -> Any:
        """Learn from a clean reference sample (``--reference``); default: nothing."""
        return self

    def observe_sample(self, texts: Sequence[str], total_docs: int) -> None:
        """The scan's uniform sample of document texts and the corpus size, before each
        :meth:`finalize` (e.g. chance rates of candidate triggers); default: nothing."""

    # -- map / reduce -----------------------------------------------------------------
    def map_shard(self, docs: Sequence[Document]) -> Partial:
        raise NotImplementedError

    def map_shard_findings(
        self, docs: Sequence[Document], findings: Sequence[Sequence[Finding]]
    ) -> Partial:
        """``map_shard`` with the per-document findings of the shard (``findings[i]`` are
        the document detectors' findings on ``docs[i]``).  The scan pipeline calls this;
        the default ignores the findings.  Override it to mine associations between
        documents' content and their anomalies (e.g. trigger → gibberish)."""
        return self.map_shard(docs)

    def reduce(self, partials: Sequence[Partial]) -> Partial:
        raise NotImplementedError

    def merge_into(self, acc: Partial, part: Partial) -> Partial:
        """``reduce([acc, part])``, allowed to update ``acc`` in place and return it.  The
        pipeline folds each shard's partial into its running total with this; override it
        when ``reduce`` copies its first partial (a copy per shard grows quadratically)."""
        return self.reduce([acc, part])

    def finalize(self, merged: Partial) -> State:
        raise NotImplementedError

    # -- verdicts ---------------------------------------------------------------------
    def flag(self, doc: Document, state: State) -> Finding | None:
        raise NotImplementedError

    def summarize(self, state: State) -> CorpusReport:
        """The detector's report on the corpus (default: an empty one)."""
        return CorpusReport()


# ----------------------------------------------------------------------------- rounds
class Staged(Protocol):
    """A partial that names the round which made it: :attr:`Round.stage`."""

    stage: int


PartialT = TypeVar("PartialT", bound=Staged)
StateT = TypeVar("StateT")
PartialT_co = TypeVar("PartialT_co", bound=Staged, covariant=True)
StateT_co = TypeVar("StateT_co", covariant=True)


class Round(ABC, Generic[PartialT, StateT]):
    """One round over the corpus of a :class:`RoundedDetector`: its map, its fold, its
    finalize.

    A round declares :attr:`stage` (its number; every partial it makes carries it in its
    own ``stage`` field) and :attr:`partial_type` (the class of its partials), and
    implements :meth:`empty`, :meth:`map_shard` (:meth:`map_shard_findings` too when it
    reads the document detectors' findings), :meth:`merge_into` and :meth:`finalize`;
    :meth:`observe_sample` is optional.  The detector builds the round in ``__init__``
    (from the previous round's state, which the round keeps); the detector's
    :class:`CorpusDetector` methods are :class:`RoundedDetector`'s dispatch to it.

    A round's methods see only partials of their own round: :meth:`fold` and :meth:`close`
    (what the detector calls) check each partial first (:meth:`own`) and raise ValueError
    for a partial of another round or another class, so a partial that crossed rounds is
    never merged or finalized as if it were this round's.
    """

    stage: ClassVar[int]
    """The round's number; its partials carry it (``partial.stage``)."""
    partial_type: type[PartialT]
    """The class of the round's partials."""

    # -- what a round implements ------------------------------------------------------
    @abstractmethod
    def empty(self) -> PartialT:
        """An empty running total of this round (``reduce([])`` and the start of
        ``reduce``)."""

    @abstractmethod
    def map_shard(self, docs: Sequence[Document]) -> PartialT:
        """The partial of one shard (a pure function of the shard: it runs in worker
        processes or Ray tasks)."""

    def map_shard_findings(
        self, docs: Sequence[Document], findings: Sequence[Sequence[Finding]]
    ) -> PartialT:
        """:meth:`map_shard` with the shard's document-detector findings; the default
        ignores them."""
        return self.map_shard(docs)

    @abstractmethod
    def merge_into(self, acc: PartialT, part: PartialT) -> PartialT:
        """Fold ``part`` into the running total ``acc`` (in place allowed) and return the
        total.  ``acc`` may be a single shard's partial (the first one folded)."""

    def observe_sample(self, texts: Sequence[str], total_docs: int) -> None:
        """The scan's sample before :meth:`finalize` (see
        :meth:`CorpusDetector.observe_sample`); default: nothing."""

    @abstractmethod
    def finalize(self, merged: PartialT) -> StateT:
        """The round's state from the merged partial of the whole corpus."""

    # -- what the detector calls: the wrong-round check first ---------------------------
    def own(self, part: object) -> PartialT:
        """``part`` as a partial of this round; ValueError when it is of another class or
        carries another round's ``stage``."""
        if not isinstance(part, self.partial_type):
            raise ValueError(
                f"{type(self).__name__} (round {self.stage}) cannot take a "
                f"{type(part).__name__}: a partial of another round"
            )
        if part.stage != self.stage:
            raise ValueError(
                f"{type(self).__name__} (round {self.stage}) cannot take a partial of round "
                f"{part.stage}"
            )
        return part

    def fold(self, acc: object, part: object) -> PartialT:
        """:meth:`merge_into` of two partials checked to be this round's."""
        return self.merge_into(self.own(acc), self.own(part))

    def close(self, merged: object) -> StateT:
        """:meth:`finalize` of a partial checked to be this round's."""
        return self.finalize(self.own(merged))


class RoundStep(Protocol[PartialT_co, StateT_co]):
    """What :class:`RoundedDetector` calls on its current round: a :class:`Round` whose
    partial and state types are among the detector's (``Round[CountPartial, ...]`` is a
    ``RoundStep[CountPartial | CohesionPartial, ...]``)."""

    @property
    def stage(self) -> int: ...

    def empty(self) -> PartialT_co: ...

    def map_shard(self, docs: Sequence[Document]) -> PartialT_co: ...

    def map_shard_findings(
        self, docs: Sequence[Document], findings: Sequence[Sequence[Finding]]
    ) -> PartialT_co: ...

    def fold(self, acc: object, part: object) -> PartialT_co: ...

    def observe_sample(self, texts: Sequence[str], total_docs: int) -> None: ...

    def close(self, merged: object) -> StateT_co: ...


class RoundedDetector(CorpusDetector[PartialT, StateT]):
    """A corpus detector whose rounds are declared :class:`Round` objects.

    ``__init__`` sets :attr:`round` — the first round, or the next one built from the
    previous round's state that :meth:`~CorpusDetector.next_stage` carries — and declares
    its type as the union of the detector's round classes.  This class owns the dispatch
    of the map → fold → finalize protocol to that round (:meth:`map_shard`,
    :meth:`map_shard_findings`, :meth:`reduce`, :meth:`merge_into`, :meth:`observe_sample`,
    :meth:`finalize`) and the wrong-round check (:meth:`Round.own`: a partial of another
    round raises ValueError).  ``passes``, :meth:`~CorpusDetector.next_stage`, ``flag`` and
    ``summarize`` stay the detector's own.
    """

    round: RoundStep[PartialT, StateT]
    """The current round."""

    def map_shard(self, docs: Sequence[Document]) -> PartialT:
        return self.round.map_shard(docs)

    def map_shard_findings(
        self, docs: Sequence[Document], findings: Sequence[Sequence[Finding]]
    ) -> PartialT:
        return self.round.map_shard_findings(docs, findings)

    def reduce(self, partials: Sequence[PartialT]) -> PartialT:
        """The round's :meth:`~Round.empty` total with every partial folded in."""
        acc = self.round.empty()
        for p in partials:
            acc = self.round.fold(acc, p)
        return acc

    def merge_into(self, acc: PartialT, part: PartialT) -> PartialT:
        """Fold ``part`` into the running total ``acc`` (in place; both must be partials of
        the current round)."""
        return self.round.fold(acc, part)

    def observe_sample(self, texts: Sequence[str], total_docs: int) -> None:
        self.round.observe_sample(texts, total_docs)

    def finalize(self, merged: PartialT) -> StateT:
        return self.round.close(merged)


__all__ = [
    "CorpusDetector",
    "CorpusReport",
    "DetectorContext",
    "DocumentDetector",
    "Finding",
    "Round",
    "RoundStep",
    "RoundedDetector",
    "Span",
    "Staged",
]
