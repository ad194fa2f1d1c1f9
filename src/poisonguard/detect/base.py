"""The detector contract: small objects with one job and evidence a person can check.

Two kinds of detectors, both following scikit-learn's fit/score habit:

* :class:`DocumentDetector` looks at one document at a time (streaming).  ``fit`` may learn
  corpus or reference statistics first (e.g. a word-bigram model); ``score`` returns a
  :class:`Finding` or ``None``.
* :class:`CorpusDetector` needs the whole corpus: it is written as map over shards →
  reduce (so the local process pool and Ray run the same code), then ``flag`` looks at each
  document again with the reduced state (e.g. "contains a mined trigger").

Evidence is always character offsets into ``Document.text``.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any, ClassVar, Generic, TypeVar

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


class DocumentDetector:
    """Base class of per-document detectors.

    Subclasses set ``name`` and ``kinds`` (the corpus kinds they apply to: ``pretrain``,
    ``instruction``, ``rag``) and implement :meth:`score`.  :meth:`fit` is optional.
    """

    name: ClassVar[str] = "document"
    kinds: ClassVar[tuple[str, ...]] = ("pretrain", "instruction", "rag")

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


class CorpusDetector(Generic[Partial, State]):
    """Base class of corpus-level detectors, written as map over shards → reduce.

    ``map_shard`` must be a pure function of its shard (it runs in worker processes or Ray
    tasks); ``reduce`` merges partials (associative); ``finalize`` turns the merged partial
    into the state used by ``flag``.  The state must stay small: it grows with candidate
    triggers/clusters, not with documents.
    """

    name: ClassVar[str] = "corpus"
    kinds: ClassVar[tuple[str, ...]] = ("pretrain", "instruction", "rag")
    prepass: ClassVar[bool] = False
    """A detector with several rounds (``passes > 1``, ``next_pass(state)``) whose first
    round needs no findings sets this: the pipeline runs that round (``map_shard``) during
    its sampling read of the corpus, which saves a read."""

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

    def flag(self, doc: Document, state: State) -> Finding | None:
        raise NotImplementedError


__all__ = ["CorpusDetector", "DocumentDetector", "Finding", "Span"]
