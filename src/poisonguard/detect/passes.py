"""The pass workers of a scan: module-level functions run in worker processes or Ray tasks.

* :func:`_prepass` — the first round of corpus detectors that need no findings (during the
  sampling read);
* :func:`_pass1` — document detectors score a shard (score histograms, what is kept of
  documents with a finding) and corpus detectors map it with the findings;
* :func:`_extra_pass` — further rounds of corpus detectors (findings scored again);
* :func:`_score_only` — scores of a reference sample, for calibration;
* :func:`_pass2` — corpus detectors flag, documents whose verdict is not clean are scored
  again for their evidence;
* :class:`_PassOneStore` — what pass 1 keeps of documents with a finding (typed arrays).
"""

from __future__ import annotations

import os
import tempfile
import zlib
from array import array
from bisect import bisect_left
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import orjson

from poisonguard.detect.base import CorpusDetector, DocumentDetector, Finding
from poisonguard.detect.calibrate import ScoreHistogram
from poisonguard.detect.verdicts import _rank
from poisonguard.io import Document


def _slim(doc: Document, max_chars: int | None = None) -> Document:
    """The parts of a document detectors need (no raw bytes or original record)."""
    text = doc.text if max_chars is None else doc.text[:max_chars]
    return Document(
        id=doc.id,
        text=text,
        messages=doc.messages,
        source=doc.source,
        metadata=doc.metadata,
        shape=doc.shape,
    )


@dataclass(slots=True)
class _Pass1Context:
    """The detectors a detect pass (:func:`_pass1`, :func:`_extra_pass`,
    :func:`_score_only`) runs: ``(name, detector, calibrated)`` and ``(name, detector)``."""

    doc_detectors: list[tuple[str, DocumentDetector, bool]]
    corpus_detectors: list[tuple[str, CorpusDetector[Any, Any]]]


@dataclass(slots=True)
class _Pass1Result:
    start: int
    n: int
    histograms: dict[str, ScoreHistogram]
    hits: list[tuple[int, str, list[tuple[str, float]]]]
    windows: dict[int, list[str]]
    partials: dict[str, Any]
    errors: dict[str, int]
    first_error: str | None


def _score_docs(
    doc_detectors: Sequence[tuple[str, DocumentDetector, bool]],
    docs: Sequence[Document],
    hists: dict[str, ScoreHistogram] | None,
    errors: dict[str, int],
    first: list[str],
) -> list[list[Finding]]:
    """The document detectors' findings on each document (``hists``: add every
    calibrated detector's score, None: only score)."""
    out: list[list[Finding]] = [[] for _ in docs]
    for name, det, calibrated in doc_detectors:
        try:  # the whole shard at once; on an error, document by document
            results = det.score_batch(docs)
            if len(results) != len(docs):
                raise ValueError(
                    f"score_batch returned {len(results)} results for {len(docs)} documents"
                )
        except Exception:
            results = [_score_one(name, det, doc, errors, first) for doc in docs]
        for found, f in zip(out, results, strict=True):
            if calibrated and hists is not None:
                hists[name].add(f.score if f is not None else 0.0)
            if f is not None:
                found.append(f)
    return out


def _score_one(
    name: str, det: DocumentDetector, doc: Document, errors: dict[str, int], first: list[str]
) -> Finding | None:
    try:
        return det.score(doc)
    except Exception as e:
        errors[name] = errors.get(name, 0) + 1
        if not first:
            first.append(f"{name} on document {doc.id!r}: {type(e).__name__}: {e}")
        return None


def _pass1(ctx: _Pass1Context, shard: tuple[int, list[Document]]) -> _Pass1Result:
    start, docs = shard
    hists = {name: ScoreHistogram.empty() for name, _, cal in ctx.doc_detectors if cal}
    errors: dict[str, int] = {}
    first: list[str] = []
    findings = _score_docs(ctx.doc_detectors, docs, hists, errors, first)
    hits: list[tuple[int, str, list[tuple[str, float]]]] = []
    windows: dict[int, list[str]] = {}
    for i, (doc, found) in enumerate(zip(docs, findings, strict=True)):
        if found:
            hits.append((start + i, doc.id, _scores(found)))
            # whitespace-normalised, like the mined trigger strings
            w = [
                " ".join(doc.text[max(0, sp.start - 120) : sp.end + 120].split())
                for f in found
                for sp in f.spans
                if sp.label == "changepoint"
            ]
            if w:
                windows[start + i] = w
    partials = {name: det.map_shard_findings(docs, findings) for name, det in ctx.corpus_detectors}
    return _Pass1Result(
        start, len(docs), hists, hits, windows, partials, errors, first[0] if first else None
    )


def _scores(found: Sequence[Finding]) -> list[tuple[str, float]]:
    """What pass 1 keeps of a document's findings: (detector, score) of each."""
    return [(f.detector, float(f.score)) for f in found]


def _rescore(
    doc_detectors: Sequence[tuple[str, DocumentDetector, bool]],
    docs: Sequence[Document],
    start: int,
    kept: dict[int, list[tuple[str, float]]],
    which: Sequence[int],
) -> dict[int, list[Finding]]:
    """The pass-1 findings of ``docs[i]`` for each ``i`` of ``which`` again (their
    evidence), checked against what pass 1 kept of them (``kept[start + i]``)."""
    if not which:
        return {}
    again = _score_docs(doc_detectors, [docs[i] for i in which], None, {}, [])
    out: dict[int, list[Finding]] = {}
    for i, found in zip(which, again, strict=True):
        if _scores(found) != kept[start + i]:
            raise RuntimeError(
                f"document {start + i} ({docs[i].id!r}) scored differently than in the "
                "first pass: the corpus changed during the scan (scan a stable copy) or a "
                "detector is not deterministic"
            )
        out[start + i] = found
    return out


def _score_only(ctx: _Pass1Context, shard: tuple[int, list[Document]]) -> dict[str, ScoreHistogram]:
    _, docs = shard
    hists = {name: ScoreHistogram.empty() for name, _, cal in ctx.doc_detectors if cal}
    _score_docs(ctx.doc_detectors, docs, hists, {}, [])
    return hists


def _extra_pass(
    ctx: _Pass1Context,
    shard: tuple[int, list[Document], dict[int, list[tuple[str, float]]]],
) -> tuple[int, dict[str, Any]]:
    start, docs, kept = shard
    redo = _rescore(ctx.doc_detectors, docs, start, kept, [i - start for i in kept])
    findings = [redo.get(start + i, []) for i in range(len(docs))]
    return len(docs), {
        name: det.map_shard_findings(docs, findings) for name, det in ctx.corpus_detectors
    }


def _prepass(
    ctx: list[tuple[str, CorpusDetector[Any, Any]]], shard: tuple[int, list[Document]]
) -> dict[str, Any]:
    _, docs = shard
    return {name: det.map_shard(docs) for name, det in ctx}


@dataclass(slots=True)
class _Pass2Context:
    corpus_detectors: list[tuple[str, CorpusDetector[Any, Any], Any]]
    doc_detectors: list[tuple[str, DocumentDetector, bool]]
    thresholds: dict[str, float]
    uncalibrated: set[str]


def _pass2(
    ctx: _Pass2Context, shard: tuple[int, list[Document], dict[int, list[tuple[str, float]]]]
) -> dict[int, list[Finding]]:
    """The findings of each document of the shard whose verdict is not ``clean``: its
    pass-1 findings (scored again: pass 1 kept only their scores) and the corpus
    detectors' flags."""
    start, docs, kept = shard
    flags: dict[int, list[Finding]] = {}
    for i, doc in enumerate(docs):
        found = []
        for _, det, state in ctx.corpus_detectors:
            f = det.flag(doc, state)
            if f is not None:
                found.append(f)
        if found:
            flags[start + i] = found

    def counts(idx: int) -> bool:
        scores = kept.get(idx, []) + _scores(flags.get(idx, []))
        return any(_rank(d, s, ctx.thresholds, ctx.uncalibrated) for d, s in scores)

    flagged = [i for i in range(len(docs)) if counts(start + i)]
    redo = _rescore(ctx.doc_detectors, docs, start, kept, [i for i in flagged if start + i in kept])
    return {start + i: redo.get(start + i, []) + flags.get(start + i, []) for i in flagged}


class _PassOneStore:
    """What pass 1 keeps of the documents with a finding until the write pass.

    Per document its index and a CRC-32 of its id; per finding the detector (a small code)
    and the score, exact — typed arrays of about 30 bytes a document, no finding objects,
    spans or strings (a clean corpus has findings below the thresholds on one document in
    ten).  The write pass scores the few documents whose verdict is not clean again for
    their evidence.  The whitespace-normalised text around changepoints (to recognise
    poison among the calibration scores once triggers are confirmed) is spilled to a
    temporary file.
    """

    def __init__(self) -> None:
        self.names: list[str] = []
        self._codes: dict[str, int] = {}
        self.docs = array("q")  # document indices, ascending
        self.crcs = array("I")  # CRC-32 of each document's id
        self.ends = array("q")  # end of each document's findings in dets / scores
        self.dets = array("H")
        self.scores = array("d")
        self._windows: Any = None  # the temporary file, once there are windows

    def __len__(self) -> int:
        return len(self.docs)

    @property
    def nbytes(self) -> int:
        """Bytes of the arrays (the state kept per document)."""
        arrays = (self.docs, self.crcs, self.ends, self.dets, self.scores)
        return sum(a.itemsize * len(a) for a in arrays)

    def add(self, idx: int, doc_id: str, found: Sequence[tuple[str, float]]) -> None:
        if self.docs and idx <= self.docs[-1]:
            raise ValueError("documents must be added in order")
        for det, score in found:
            code = self._codes.get(det)
            if code is None:
                code = self._codes[det] = len(self.names)
                self.names.append(det)
            self.dets.append(code)
            self.scores.append(score)
        self.docs.append(idx)
        self.crcs.append(_crc(doc_id))
        self.ends.append(len(self.scores))

    def _range(self, k: int) -> range:
        return range(self.ends[k - 1] if k else 0, self.ends[k])

    def findings(self, idx: int) -> list[tuple[str, float]]:
        """(detector, score) of each finding kept of document ``idx`` ([] when none)."""
        k = bisect_left(self.docs, idx)
        if k == len(self.docs) or self.docs[k] != idx:
            return []
        return [(self.names[self.dets[j]], self.scores[j]) for j in self._range(k)]

    def shard(self, start: int, n: int) -> dict[int, list[tuple[str, float]]]:
        """The findings kept of documents ``start .. start + n - 1``, by index."""
        lo, hi = bisect_left(self.docs, start), bisect_left(self.docs, start + n)
        return {
            self.docs[k]: [(self.names[self.dets[j]], self.scores[j]) for j in self._range(k)]
            for k in range(lo, hi)
        }

    def check_id(self, idx: int, doc_id: str) -> None:
        """Raise when document ``idx`` had another id in pass 1."""
        k = bisect_left(self.docs, idx)
        if k < len(self.docs) and self.docs[k] == idx and self.crcs[k] != _crc(doc_id):
            raise RuntimeError(
                f"the corpus changed during the scan (document {idx} had another id, now "
                f"{doc_id!r}); scan a stable copy"
            )

    def add_windows(self, windows: dict[int, list[str]]) -> None:
        if not windows:
            return
        if self._windows is None:
            # closed by close() (the scan holds it from pass 1 to the write pass)
            self._windows = tempfile.TemporaryFile(prefix="poisonguard-windows-")  # noqa: SIM115
        self._windows.write(b"".join(orjson.dumps([i, w]) + b"\n" for i, w in windows.items()))

    def windows(self) -> Iterator[tuple[int, list[str]]]:
        """(document index, texts around its changepoints), in document order."""
        if self._windows is None:
            return
        self._windows.flush()
        self._windows.seek(0)
        for line in self._windows:
            i, w = orjson.loads(line)
            yield i, w
        self._windows.seek(0, os.SEEK_END)

    def close(self) -> None:
        if self._windows is not None:
            self._windows.close()
            self._windows = None


def _crc(doc_id: str) -> int:
    return zlib.crc32(doc_id.encode("utf-8", "surrogatepass"))
