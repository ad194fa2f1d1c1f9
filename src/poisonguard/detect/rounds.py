"""The rounds of corpus detectors: map over shards → fold partials → finalize → next pass.

One implementation of the :class:`~poisonguard.detect.base.CorpusDetector` protocol, used
by the scan pipeline (whose shards come back from a local or Ray backend, see
:mod:`poisonguard.engine`) and by :func:`run_rounds` (shards in memory: tests, notebooks,
third-party detectors' own checks).  A round of one detector:

1. every shard is mapped (``map_shard_findings``) — by the caller, anywhere;
2. each partial is folded into the running total as it arrives (``merge_into``; the first
   partial starts the total; no partial at all: ``reduce([])``);
3. ``observe_sample`` (when the caller has a sample) and ``finalize`` give the state;
4. while the detector's ``passes`` are not all done, ``next_pass(state)`` is the detector
   of the next round.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from poisonguard.detect.base import CorpusDetector, Finding
from poisonguard.io.document import Document

AnyCorpusDetector = CorpusDetector[Any, Any]


class Rounds:
    """The round state of a set of named corpus detectors during one scan.

    Args:
        detectors: ``(name, detector)`` pairs, in the order they report.
        sample: texts of the scan's uniform sample, given to ``observe_sample`` before
            each ``finalize`` (None: not called).
        total_docs: the corpus size given with the sample.
    """

    def __init__(
        self,
        detectors: Sequence[tuple[str, AnyCorpusDetector]],
        sample: Sequence[str] | None = None,
        total_docs: int = 0,
    ) -> None:
        self.detectors: dict[str, AnyCorpusDetector] = dict(detectors)
        self.states: dict[str, Any] = {}
        self.done: dict[str, int] = dict.fromkeys(self.detectors, 0)
        self.sample = sample
        self.total_docs = total_docs
        self._active: list[str] = []
        self._merged: dict[str, Any] = {}

    def start(self, names: Iterable[str] | None = None) -> list[tuple[str, AnyCorpusDetector]]:
        """Begin a round of ``names`` (default: every detector); returns the detectors
        whose shards to map this round."""
        self._active = list(self.detectors if names is None else names)
        self._merged = {}
        return [(n, self.detectors[n]) for n in self._active]

    def fold(self, parts: Mapping[str, Any]) -> None:
        """Fold one shard's partials (``{name: partial}``) into the running totals."""
        for name in self._active:
            part = parts[name]
            if name in self._merged:
                self._merged[name] = self.detectors[name].merge_into(self._merged[name], part)
            else:
                self._merged[name] = part

    def end(self) -> list[tuple[str, AnyCorpusDetector]]:
        """Finish the round: finalize each active detector; those that need more rounds
        move to their next pass and are returned (empty: all done)."""
        more: list[str] = []
        for name in self._active:
            det = self.detectors[name]
            merged = self._merged[name] if name in self._merged else det.reduce([])
            if self.sample is not None:
                det.observe_sample(self.sample, self.total_docs)
            self.states[name] = det.finalize(merged)
            self.done[name] += 1
        self._merged = {}
        for name in self._active:
            if self.detectors[name].passes > self.done[name]:
                more.append(name)
        for name in more:
            self.detectors[name] = self.detectors[name].next_pass(self.states[name])
        self._active = []
        return [(n, self.detectors[n]) for n in more]

    @property
    def round(self) -> int:
        """The most rounds any detector has done."""
        return max(self.done.values(), default=0)


def run_rounds(
    detector: AnyCorpusDetector,
    shards: Sequence[Sequence[Document]],
    findings: Sequence[Sequence[Sequence[Finding]]] | None = None,
    *,
    sample: Sequence[str] | None = None,
    reference: Sequence[Document] | None = None,
) -> tuple[AnyCorpusDetector, Any]:
    """Every round of ``detector`` over in-memory ``shards``, as a scan runs them.

    Args:
        detector: a fresh corpus detector.
        shards: the corpus, cut into shards (each mapped on its own, folded in order).
        findings: per shard, per document, the document detectors' findings (default:
            none).
        sample: texts for ``observe_sample`` (default: not called).
        reference: a clean reference sample for ``use_reference``.

    Returns:
        ``(detector, state)``: the last round's detector and its state, ready for ``flag``
        and ``summarize``.
    """
    if findings is not None and len(findings) != len(shards):
        raise ValueError(f"{len(findings)} findings lists for {len(shards)} shards")
    if reference is not None:
        detector.use_reference(reference)
    total = sum(len(s) for s in shards)
    rounds = Rounds([("detector", detector)], sample, total)
    todo = rounds.start()
    while todo:
        det = todo[0][1]
        for i, shard in enumerate(shards):
            found = findings[i] if findings is not None else [[] for _ in shard]
            rounds.fold({"detector": det.map_shard_findings(shard, found)})
        todo = rounds.end()
        if todo:
            rounds.start()
    return rounds.detectors["detector"], rounds.states["detector"]


__all__ = ["Rounds", "run_rounds"]
