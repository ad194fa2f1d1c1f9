"""The scan pipeline: detectors → corpus mining → calibrated verdicts → outputs.

Passes over the corpus (each a ``backend.map`` over shards, so the local process pool and
Ray run the same code):

0. **sample**: a uniform reservoir sample of documents (fits the document detectors when
   no ``--reference`` is given; gives the trigger miner its chance rates) and the count.
   Corpus detectors whose first round needs no findings (``prepass``, e.g. the campaigns'
   count-min prefilter) map the same shards meanwhile.
1. **detect**: every document detector scores every document (a shard at a time,
   ``score_batch``); corpus detectors map the shard (with the document findings); score
   histograms are merged; of each document with a finding only its index, a checksum of
   its id and each finding's detector and score are kept (:class:`_PassOneStore`, typed
   arrays: no finding objects, spans or strings stay in memory; the text around
   changepoints goes to a temporary file).  Partials are reduced as they arrive.  Corpus
   detectors that ask for more rounds (``passes > 1``) get them here.
2. **flag + write**: corpus detectors flag documents with their reduced state; each
   document gets a verdict (``clean`` / ``suspicious`` / ``poisoned``) and goes to the kept
   or the quarantine corpus; findings are written as JSONL and Parquet.  The document
   detectors score the few documents whose verdict is not ``clean`` again for their
   evidence (the scores must be those of pass 1).

Every record read ends kept, quarantined or in the errors file; :class:`RunAccounting`
checks that the counts add up.
"""

from __future__ import annotations

import os
import random
import shutil
import sys
import tempfile
import time
import zlib
from array import array
from bisect import bisect_left
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import orjson
import pyarrow as pa
import pyarrow.parquet as pq

from poisonguard.detect.allowlist import apply_allowlist, finish_allowlist, load_allowlist
from poisonguard.detect.base import CorpusDetector, DocumentDetector, Finding, Span
from poisonguard.detect.calibrate import ScoreHistogram, fpr_budget
from poisonguard.detect.registry import (
    KINDS,
    POISONED_SCORE,
    SUSPICIOUS_SCORE,
    DetectorContext,
    detectors_for,
)
from poisonguard.engine import get_backend
from poisonguard.io import (
    AtomicFile,
    CorpusReader,
    CorpusWriter,
    Document,
    ErrorRecord,
    ErrorSink,
    RunAccounting,
    write_json,
)

LABELS = ("clean", "suspicious", "poisoned")
OUT_FORMATS = ("jsonl", "jsonl.gz", "jsonl.zst", "parquet")
ProgressFn = Callable[[str, int], None]


# -- result objects ----------------------------------------------------------------------
@dataclass(slots=True)
class DocVerdict:
    """The verdict on one flagged document (see ``docs/scan.md``)."""

    index: int
    id: str
    source: str
    origin: str | None
    label: str
    score: float
    reasons: list[str]
    spans: list[Span]
    trigger: str | None
    campaign: str | None
    findings: list[Finding]
    excerpt: str = ""
    excerpt_offset: int = 0

    def to_dict(self) -> dict[str, Any]:
        return {
            "index": self.index,
            "id": self.id,
            "source": self.source,
            "origin": self.origin,
            "label": self.label,
            "score": self.score,
            "reasons": list(self.reasons),
            "spans": [asdict(s) for s in self.spans],
            "trigger": self.trigger,
            "campaign": self.campaign,
            "findings": [f.to_dict() for f in self.findings],
            "excerpt": self.excerpt,
            "excerpt_offset": self.excerpt_offset,
        }


@dataclass(slots=True)
class TriggerReport:
    """A confirmed trigger (from trigger mining or an instruction-trigger detector)."""

    trigger: str
    anomalous_docs: int
    containing_docs: int
    expected: float
    examples: list[str]
    detectors: list[str]
    p_value: float | None = None
    q_value: float | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(slots=True)
class ScanResult:
    """Everything a scan found (fields documented in ``docs/scan.md``)."""

    corpus: list[str]
    kind: str
    backend: str
    workers: int
    target_fpr: float
    reference: list[str] | None
    out_dir: str | None
    counts: dict[str, int] = field(default_factory=dict)
    accounting: dict[str, Any] = field(default_factory=dict)
    detectors: list[str] = field(default_factory=list)
    thresholds: dict[str, dict[str, Any]] = field(default_factory=dict)
    histograms: dict[str, dict[str, Any]] = field(default_factory=dict)
    findings: list[DocVerdict] = field(default_factory=list)
    triggers: list[TriggerReport] = field(default_factory=list)
    corpus_reports: dict[str, dict[str, Any]] = field(default_factory=dict)
    by_source: dict[str, dict[str, int]] = field(default_factory=dict)
    outputs: dict[str, Any] = field(default_factory=dict)
    timings: dict[str, float] = field(default_factory=dict)
    bytes_scanned: int = 0
    detector_errors: dict[str, int] = field(default_factory=dict)

    @property
    def flagged(self) -> int:
        return self.counts.get("suspicious", 0) + self.counts.get("poisoned", 0)

    def verdict_of(self, doc_id: str) -> DocVerdict | None:
        """The verdict of a flagged document by id (None: clean or unknown)."""
        return next((v for v in self.findings if v.id == doc_id), None)

    def to_dict(self) -> dict[str, Any]:
        """The summary (``summary.json``): everything except the per-document findings."""
        return {
            "corpus": self.corpus,
            "kind": self.kind,
            "backend": self.backend,
            "workers": self.workers,
            "target_fpr": self.target_fpr,
            "reference": self.reference,
            "out_dir": self.out_dir,
            "counts": self.counts,
            "accounting": self.accounting,
            "detectors": self.detectors,
            "thresholds": self.thresholds,
            "histograms": self.histograms,
            "triggers": [t.to_dict() for t in self.triggers],
            "corpus_reports": self.corpus_reports,
            "by_source": self.by_source,
            "outputs": self.outputs,
            "timings": self.timings,
            "bytes_scanned": self.bytes_scanned,
            "detector_errors": self.detector_errors,
        }


# -- configuration -------------------------------------------------------------------------
@dataclass(slots=True)
class ScanConfig:
    """Options of one scan (see :func:`scan`)."""

    kind: str = "pretrain"
    target_fpr: float = 0.001
    min_trigger_docs: int = 5
    workers: int = 1
    backend: str = "local"
    shard_docs: int = 256
    sample_docs: int = 10_000
    sample_chars: int = 10_000
    detectors: list[str] | None = None
    exclude: list[str] | None = None
    options: dict[str, dict[str, Any]] = field(default_factory=dict)
    seed: int = 0
    out_format: str = "jsonl.zst"
    shard_bytes: int | None = None
    max_error_rate: float = 0.01
    strict: bool = False
    max_result_findings: int = 10_000
    reader_options: dict[str, Any] = field(default_factory=dict)
    allowlist: str | os.PathLike[str] | None = None
    """A benign list of reviewer decisions to honour (:mod:`poisonguard.detect.allowlist`)."""

    def check(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"unknown corpus kind {self.kind!r}; choose one of {', '.join(KINDS)}")
        fpr_budget(self.target_fpr, 1)
        if self.workers < 1:
            raise ValueError("workers must be >= 1")
        if self.out_format not in OUT_FORMATS:
            raise ValueError(
                f"unknown output format {self.out_format!r}; choose one of {', '.join(OUT_FORMATS)}"
            )
        if self.min_trigger_docs < 2:
            raise ValueError("min_trigger_docs must be >= 2")


# -- corpus sources ------------------------------------------------------------------------
class _Source:
    """Re-readable input: paths (read again each pass) or an in-memory list of documents."""

    def __init__(self, corpus: Any, reader_options: dict[str, Any]) -> None:
        self._tmp: Path | None = None
        self.docs: list[Document] | None = None
        self.paths: list[str] = []
        self.reader_options = reader_options
        if isinstance(corpus, str | os.PathLike):
            corpus = [corpus]
        items = list(corpus)
        if items and all(isinstance(x, Document) for x in items):
            self.docs = items
            self.label = ["<memory>"]
            return
        if not items:
            raise ValueError("no corpus given")
        if not all(isinstance(x, str | os.PathLike) for x in items):
            raise TypeError("corpus must be paths or Documents")
        self.paths = [os.fspath(x) for x in items]
        if "-" in self.paths:  # stdin can be read once: spool it for the later passes
            fd, tmp = tempfile.mkstemp(prefix="poisonguard-stdin-")
            with os.fdopen(fd, "wb") as f:
                shutil.copyfileobj(sys.stdin.buffer, f)
            self._tmp = Path(tmp)
            self.paths = [tmp if p == "-" else p for p in self.paths]
        self.label = [os.fspath(x) for x in items]
        CorpusReader(self.paths, **reader_options)  # fail early on unusable paths

    def reader(self) -> CorpusReader | None:
        if self.docs is not None:
            return None
        self.current = CorpusReader(self.paths, **self.reader_options)
        return self.current

    current: CorpusReader | None = None
    """The reader of the pass under way (its ``bytes_consumed`` drives progress bars)."""

    def items(self) -> Iterator[Document | ErrorRecord]:
        if self.docs is not None:
            yield from self.docs
        else:
            reader = self.reader()
            assert reader is not None
            yield from reader

    def documents(self) -> Iterator[Document]:
        return (d for d in self.items() if isinstance(d, Document))

    def close(self) -> None:
        if self._tmp is not None:
            self._tmp.unlink(missing_ok=True)


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


class _Reservoir:
    """A uniform sample of ``sample_docs`` documents (cut to ``sample_chars``) and a count."""

    def __init__(self, config: ScanConfig) -> None:
        self.rng = random.Random(config.seed)
        self.k = config.sample_docs
        self.chars = config.sample_chars
        self.sample: list[Document] = []
        self.n = 0

    def add(self, doc: Document) -> None:
        if len(self.sample) < self.k:
            self.sample.append(_slim(doc, self.chars))
        else:
            j = self.rng.randrange(self.n + 1)
            if j < self.k:
                self.sample[j] = _slim(doc, self.chars)
        self.n += 1


# -- worker functions (module level: run in worker processes / Ray tasks) -----------------
@dataclass(slots=True)
class _Pass1Context:
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


@dataclass(slots=True)
class _ExtraContext:
    doc_detectors: list[tuple[str, DocumentDetector, bool]]
    corpus_detectors: list[tuple[str, CorpusDetector[Any, Any]]]


def _extra_pass(
    ctx: _ExtraContext,
    shard: tuple[int, list[Document], dict[int, list[tuple[str, float]]]],
) -> dict[str, Any]:
    start, docs, kept = shard
    redo = _rescore(ctx.doc_detectors, docs, start, kept, [i - start for i in kept])
    findings = [redo.get(start + i, []) for i in range(len(docs))]
    return {name: det.map_shard_findings(docs, findings) for name, det in ctx.corpus_detectors}


def _add_partials(
    merged: dict[str, Any],
    dets: Sequence[tuple[str, CorpusDetector[Any, Any]]],
    parts: dict[str, Any],
) -> None:
    """Reduce each detector's new partial into ``merged`` (as results arrive)."""
    for name, cdet in dets:
        p = parts[name]
        merged[name] = p if name not in merged else cdet.merge_into(merged[name], p)


def _close_partials(
    merged: dict[str, Any], dets: Sequence[tuple[str, CorpusDetector[Any, Any]]]
) -> None:
    """An empty reduce for the detectors that got no partial (an empty corpus)."""
    for name, cdet in dets:
        if name not in merged:
            merged[name] = cdet.reduce([])


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


def _rank(
    detector: str, score: float, thresholds: dict[str, float], uncalibrated: set[str]
) -> tuple[str, float] | None:
    """The label and verdict score a finding makes (None: it does not count)."""
    if detector in thresholds:
        t = thresholds[detector]
        if score < t:
            return None
        s = SUSPICIOUS_SCORE + (POISONED_SCORE - 0.01 - SUSPICIOUS_SCORE) * min(
            1.0, (score - t) / max(1e-9, 1.0 - t)
        )
        return "suspicious", s
    if detector in uncalibrated:
        if score < SUSPICIOUS_SCORE:
            return None
        return ("poisoned" if score >= POISONED_SCORE else "suspicious"), score
    return None


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


# -- the pipeline ---------------------------------------------------------------------------
class ScanPipeline:
    """One scan: build detectors, run the passes, write outputs, return a ScanResult."""

    def __init__(self, config: ScanConfig, progress: ProgressFn | None = None) -> None:
        config.check()
        self.config = config
        self.progress = progress or (lambda stage, n: None)
        # a callback that declares ``wants_bytes`` also gets the input bytes read so far
        self._wants_bytes = bool(getattr(progress, "wants_bytes", False))
        self._progress_source: _Source | None = None
        self.allow = load_allowlist(config.allowlist) if config.allowlist is not None else None
        self.context = DetectorContext(
            kind=config.kind,
            target_fpr=config.target_fpr,
            min_trigger_docs=config.min_trigger_docs,
            seed=config.seed,
            options=config.options,
        )
        entries = detectors_for(config.kind, only=config.detectors, exclude=config.exclude)
        if not entries:
            raise ValueError(f"no detector runs on corpus kind {config.kind!r}")
        self.entries = entries
        self.doc_dets: list[tuple[str, DocumentDetector, bool]] = []
        self.corpus_dets: list[tuple[str, CorpusDetector[Any, Any]]] = []
        for e in entries:
            det = e.build(self.context)
            if isinstance(det, DocumentDetector):
                self.doc_dets.append((e.name, det, e.calibrate))
            else:
                self.corpus_dets.append((e.name, det))
        self.uncalibrated = {e.name for e in entries if not e.calibrate}

    # -- helpers --------------------------------------------------------------------------
    def _shards(
        self, docs: Iterable[Document], slim: bool = True
    ) -> Iterator[tuple[int, list[Document]]]:
        size = self.config.shard_docs
        batch: list[Document] = []
        start = 0
        for d in docs:
            batch.append(_slim(d) if slim else d)
            if len(batch) >= size:
                yield start, batch
                start += len(batch)
                batch = []
        if batch:
            yield start, batch

    def _tick(self, stage: str, n: int) -> None:
        """Report progress: ``progress(stage, n)``, plus the bytes read when asked for."""
        if self._wants_bytes:
            src = self._progress_source
            cur = src.current if src is not None else None
            self.progress(stage, n, cur.bytes_consumed if cur is not None else None)  # type: ignore[call-arg]
        else:
            self.progress(stage, n)

    def _sample(self, source: _Source) -> tuple[list[Document], int]:
        reservoir = _Reservoir(self.config)
        for doc in source.documents():
            reservoir.add(doc)
            if reservoir.n % 256 == 0:
                self._tick("sample", reservoir.n)
        self._tick("sample", reservoir.n)
        return reservoir.sample, reservoir.n

    def _sample_and_prepass(
        self, source: _Source, backend: Any, pre: list[tuple[str, CorpusDetector[Any, Any]]]
    ) -> tuple[list[Document], int, dict[str, Any]]:
        """The sample pass; corpus detectors whose first round needs no findings
        (``prepass``) map the same shards meanwhile, so that round costs no extra read."""
        if not pre:
            sample, n = self._sample(source)
            return sample, n, {}
        reservoir = _Reservoir(self.config)

        def shards() -> Iterator[tuple[int, list[Document]]]:
            for start, docs in self._shards(source.documents()):
                for doc in docs:
                    reservoir.add(doc)
                self._tick("sample", reservoir.n)
                yield start, docs

        merged: dict[str, Any] = {}
        for parts in backend.map(_prepass, shards(), pre):
            _add_partials(merged, pre, parts)
        _close_partials(merged, pre)
        return reservoir.sample, reservoir.n, merged

    @staticmethod
    def _finalize(
        cdet: CorpusDetector[Any, Any], merged: Any, sample: list[Document], n_docs: int
    ) -> Any:
        observe = getattr(cdet, "observe_sample", None)
        if callable(observe):
            observe([d.text for d in sample], n_docs)
        return cdet.finalize(merged)

    # -- run --------------------------------------------------------------------------------
    def run(
        self,
        corpus: Any,
        out: str | os.PathLike[str] | None = None,
        *,
        reference: Any = None,
        report: str | os.PathLike[str] | None = None,
    ) -> ScanResult:
        cfg = self.config
        t_start = time.perf_counter()
        source = _Source(corpus, cfg.reader_options)
        ref_source = _Source(reference, cfg.reader_options) if reference is not None else None
        backend = get_backend(cfg.backend, cfg.workers)
        result = ScanResult(
            corpus=source.label,
            kind=cfg.kind,
            backend=cfg.backend,
            workers=cfg.workers,
            target_fpr=cfg.target_fpr,
            reference=ref_source.label if ref_source else None,
            out_dir=os.fspath(out) if out is not None else None,
            detectors=[e.name for e in self.entries],
        )
        store = _PassOneStore()
        try:
            self._run(source, ref_source, backend, result, out, report, t_start, store)
        finally:
            store.close()
            backend.close()
            source.close()
            if ref_source is not None:
                ref_source.close()
        return result

    def _run(
        self,
        source: _Source,
        ref_source: _Source | None,
        backend: Any,
        result: ScanResult,
        out: str | os.PathLike[str] | None,
        report: str | os.PathLike[str] | None,
        t_start: float,
        store: _PassOneStore,
    ) -> None:
        cfg = self.config
        timings = result.timings
        # (0) sample + fit
        t = time.perf_counter()
        self._progress_source = source
        self._tick("sample", 0)
        dets = dict(self.corpus_dets)
        pre = [
            (n, d)
            for n, d in self.corpus_dets
            if getattr(d, "prepass", False) and getattr(d, "passes", 1) > 1
        ]
        sample, n_docs, pre_merged = self._sample_and_prepass(source, backend, pre)
        ref_sample: list[Document] | None = None
        if ref_source is not None:
            ref_sample, _ = self._sample(ref_source)
            if not ref_sample:
                raise ValueError("the reference corpus has no readable document")
        # with a reference, fit on one half and calibrate on the other: a model scores the
        # documents it was fitted on too kindly, and the corpus's documents are unseen
        fit_docs = ref_sample[0::2] if ref_sample is not None else sample
        cal_docs = ref_sample[1::2] if ref_sample is not None else []
        if ref_sample is not None and len(ref_sample) < 2:
            fit_docs = cal_docs = ref_sample
        for _, ddet, _ in self.doc_dets:
            ddet.fit(fit_docs)
        if ref_sample is not None:
            for _, cdet in self.corpus_dets:
                use_ref = getattr(cdet, "use_reference", None)
                if callable(use_ref):
                    use_ref(ref_sample)
        # the first round of the pre-pass detectors is done: pass 1 runs their second
        states: dict[str, Any] = {}
        done_rounds = dict.fromkeys(dets, 0)
        for name, merged_pre in pre_merged.items():
            states[name] = self._finalize(dets[name], merged_pre, sample, n_docs)
            dets[name] = dets[name].next_pass(states[name])  # type: ignore[attr-defined]
            done_rounds[name] = 1
        timings["fit"] = time.perf_counter() - t

        # (1) detect + map corpus detectors
        t = time.perf_counter()
        ctx1 = _Pass1Context(self.doc_dets, [(n, dets[n]) for n, _ in self.corpus_dets])
        hists = {name: ScoreHistogram.empty() for name, _, cal in self.doc_dets if cal}
        merged: dict[str, Any] = {}
        done = 0
        for r in backend.map(_pass1, self._shards(source.documents()), ctx1):
            for name, h in r.histograms.items():
                hists[name].merge(h)
            for idx, doc_id, scores in r.hits:
                store.add(idx, doc_id, scores)
            store.add_windows(r.windows)
            _add_partials(merged, ctx1.corpus_detectors, r.partials)
            for name, c in r.errors.items():
                result.detector_errors[name] = result.detector_errors.get(name, 0) + c
            if r.first_error and "first_detector_error" not in result.outputs:
                result.outputs["first_detector_error"] = r.first_error
            done += r.n
            self._tick("detect", done)
        _close_partials(merged, ctx1.corpus_detectors)
        for name, _ in ctx1.corpus_detectors:
            done_rounds[name] += 1
        # extra rounds for corpus detectors that ask for them
        while True:
            for name in list(merged):
                states[name] = self._finalize(dets[name], merged[name], sample, n_docs)
            more = [(n, dets[n]) for n in merged if getattr(dets[n], "passes", 1) > done_rounds[n]]
            if not more:
                break
            nxt = [(n, d.next_pass(states[n])) for n, d in more]  # type: ignore[attr-defined]
            dets.update(dict(nxt))
            for n, _ in nxt:
                done_rounds[n] += 1

            def with_findings(
                shards: Iterator[tuple[int, list[Document]]],
            ) -> Iterator[tuple[int, list[Document], dict[int, list[tuple[str, float]]]]]:
                for start, docs in shards:
                    yield start, docs, store.shard(start, len(docs))

            merged = {}
            for parts in backend.map(
                _extra_pass,
                with_findings(self._shards(source.documents())),
                _ExtraContext(self.doc_dets, nxt),
            ):
                _add_partials(merged, nxt, parts)
            _close_partials(merged, nxt)
            self._tick(f"round {max(done_rounds.values())}", n_docs)
        timings["detect"] = time.perf_counter() - t

        # triggers and corpus reports
        trigger_texts: list[str] = []
        for name, _ in self.corpus_dets:
            cdet = dets[name]
            summarize = getattr(cdet, "summarize", None)
            if callable(summarize):
                rep = summarize(states[name])
                result.corpus_reports[name] = rep
                for tr in rep.get("triggers", []) if isinstance(rep, dict) else []:
                    report_t = _trigger_report(tr, name)
                    result.triggers.append(report_t)
                    trigger_texts.append(report_t.trigger)

        # calibration
        t = time.perf_counter()
        n_cal = sum(1 for _, _, cal in self.doc_dets if cal)
        budget = fpr_budget(cfg.target_fpr, n_cal)
        if ref_sample is not None and n_cal:
            ref_hists = {name: ScoreHistogram.empty() for name, _, cal in self.doc_dets if cal}
            for h in backend.map(_score_only, self._shards(cal_docs, slim=False), ctx1):
                for name, hh in h.items():
                    ref_hists[name].merge(hh)
            cal_hists, cal_source = ref_hists, "reference"
        else:
            cal_hists = {k: ScoreHistogram(v.counts.copy()) for k, v in hists.items()}
            # documents whose anomaly a confirmed trigger precedes are poison, not the
            # clean tail the threshold is about
            if trigger_texts:
                for idx, ws in store.windows():
                    if any(tt in w for w in ws for tt in trigger_texts):
                        for det, score in store.findings(idx):
                            if det in cal_hists:
                                cal_hists[det].remove(score)
            cal_source = "corpus"
        thresholds: dict[str, float] = {}
        floors = {
            name: float(getattr(ddet, "min_flag_score", 0.0)) for name, ddet, _ in self.doc_dets
        }
        for name, h in cal_hists.items():
            thresholds[name] = h.threshold(budget, floor=floors.get(name, 0.0))
            result.thresholds[name] = {
                "threshold": thresholds[name],
                "source": cal_source,
                "fpr": budget,
                "calibration_docs": h.total,
            }
        result.histograms = {name: h.coarse() for name, h in hists.items()}
        timings["calibrate"] = time.perf_counter() - t

        # (2) flag + verdicts + outputs
        t = time.perf_counter()
        self._write(
            source,
            backend,
            result,
            out,
            store,
            thresholds,
            [(n, dets[n], states[n]) for n, _ in self.corpus_dets],
        )
        timings["flag_write"] = time.perf_counter() - t
        if self.allow is not None:
            finish_allowlist(self.allow, result, out)
        if report is not None:
            self._report(result, report)
        timings["total"] = time.perf_counter() - t_start
        if out is not None:
            result.outputs["summary"] = os.fspath(Path(out) / "summary.json")
            write_json(Path(out) / "summary.json", result.to_dict())

    def _report(self, result: ScanResult, path: str | os.PathLike[str]) -> None:
        try:
            from poisonguard.report import render_html
        except ImportError:
            result.outputs["report"] = None
            result.outputs["report_error"] = "poisonguard.report.render_html is not available"
            return
        result.outputs["report"] = os.fspath(render_html(result, path))

    def _write(
        self,
        source: _Source,
        backend: Any,
        result: ScanResult,
        out: str | os.PathLike[str] | None,
        store: _PassOneStore,
        thresholds: dict[str, float],
        corpus_states: list[tuple[str, CorpusDetector[Any, Any], Any]],
    ) -> None:
        cfg = self.config
        acct = RunAccounting(max_error_rate=cfg.max_error_rate)
        out_dir = Path(out) if out is not None else None
        if out_dir is not None:
            out_dir.mkdir(parents=True, exist_ok=True)
        ext = cfg.out_format
        errors = ErrorSink(out_dir / "errors.jsonl" if out_dir else None, strict=cfg.strict)
        kept = (
            CorpusWriter(out_dir / f"kept.{ext}", shard_bytes=cfg.shard_bytes) if out_dir else None
        )
        quarantine = (
            CorpusWriter(out_dir / f"quarantine.{ext}", shard_bytes=cfg.shard_bytes)
            if out_dir
            else None
        )
        fjsonl = CorpusWriter(out_dir / "findings.jsonl") if out_dir else None
        writers = [w for w in (kept, quarantine, fjsonl) if w is not None]
        counts = {"documents": 0, "clean": 0, "suspicious": 0, "poisoned": 0}
        trig_containing: dict[str, int] = {}
        verdicts: list[DocVerdict] = []
        reader = source.reader()
        try:
            if reader is not None:
                docs_iter: Iterator[Document] = reader.documents(errors, acct)
            else:

                def mem() -> Iterator[Document]:
                    for d in source.docs or []:
                        acct.read += 1
                        yield d

                docs_iter = mem()
            pending: deque[tuple[int, list[Document]]] = deque()

            def shards() -> Iterator[
                tuple[int, list[Document], dict[int, list[tuple[str, float]]]]
            ]:
                for start, full in self._shards(docs_iter, slim=False):
                    pending.append((start, full))
                    kept_shard = store.shard(start, len(full))
                    for idx in kept_shard:
                        store.check_id(idx, full[idx - start].id)
                    yield start, [_slim(d) for d in full], kept_shard

            ctx2 = _Pass2Context(corpus_states, self.doc_dets, thresholds, self.uncalibrated)
            for found_by_doc in backend.map(_pass2, shards(), ctx2):
                start, full = pending.popleft()
                for i, doc in enumerate(full):
                    idx = start + i
                    v = self._verdict(idx, doc, found_by_doc.get(idx, []), thresholds)
                    if v is not None and self.allow is not None:
                        v = apply_allowlist(self.allow, v, doc)
                    label = v.label if v is not None else "clean"
                    counts["documents"] += 1
                    counts[label] += 1
                    _count_source(result.by_source, doc, label)
                    if v is None:
                        if kept:
                            kept.write(doc)
                        acct.written("kept")
                        continue
                    if quarantine:
                        quarantine.write(doc)
                    acct.written("quarantined")
                    if v.trigger:
                        trig_containing[v.trigger] = trig_containing.get(v.trigger, 0) + 1
                    if fjsonl:
                        fjsonl.write(_finding_row(v))
                    if len(verdicts) < cfg.max_result_findings:
                        verdicts.append(v)
                    else:
                        result.outputs["findings_truncated"] = True
                self._tick("flag", counts["documents"])
            for w in writers:
                w.close()
            errors.close()
        except BaseException:
            for w in writers:
                w.abort()
            errors.abort()
            raise
        if reader is not None:
            acct.bytes_read = reader.bytes_consumed
        result.findings = verdicts
        counts["errors"] = acct.errors
        counts["read"] = acct.read
        result.counts = counts
        result.bytes_scanned = acct.bytes_read
        for tr in result.triggers:
            tr.containing_docs = trig_containing.get(tr.trigger, 0)
        result.accounting = acct.to_dict()
        if out_dir is not None:
            result.outputs.update(
                {
                    "kept": [os.fspath(p) for p in kept.paths] if kept else [],
                    "quarantine": [os.fspath(p) for p in quarantine.paths] if quarantine else [],
                    "findings_jsonl": os.fspath(out_dir / "findings.jsonl"),
                    "findings_parquet": os.fspath(
                        _write_parquet(out_dir / "findings.parquet", verdicts)
                    ),
                    "errors": os.fspath(out_dir / "errors.jsonl"),
                }
            )
        acct.check()

    def _verdict(
        self, idx: int, doc: Document, found: list[Finding], thresholds: dict[str, float]
    ) -> DocVerdict | None:
        if not found:
            return None
        label = "clean"
        score = 0.0
        reasons: list[str] = []
        contributing: list[Finding] = []
        for f in found:
            ranked = _rank(f.detector, f.score, thresholds, self.uncalibrated)
            if ranked is None:
                continue
            lab, s = ranked
            contributing.append(f)
            score = max(score, s)
            if LABELS.index(lab) > LABELS.index(label):
                label = lab
        if label == "clean":
            return None
        reasons = [f.reason for f in contributing]
        reasons += [f"(below threshold) {f.reason}" for f in found if f not in contributing]
        spans = sorted({(s.start, s.end, s.label) for f in found for s in f.spans})
        span_objs = [Span(a, b, lab_) for a, b, lab_ in spans]
        # only a confirmed trigger (a corpus detector's finding that decided the label) is
        # the document's trigger; a per-document candidate ('The') is evidence, not one
        trigger = next(
            (f.trigger for f in contributing if f.trigger and f.detector in self.uncalibrated), None
        )
        campaign = next((f.campaign for f in found if f.campaign), None)
        excerpt, offset = _excerpt(doc.text, span_objs)
        return DocVerdict(
            idx,
            doc.id,
            doc.source,
            str(doc.origin) if doc.origin else None,
            label,
            round(score, 6),
            reasons,
            span_objs,
            trigger,
            campaign,
            found,
            excerpt,
            offset,
        )


def _trigger_report(tr: dict[str, Any], detector: str) -> TriggerReport:
    known = {
        "trigger",
        "text",
        "anomalous_docs",
        "containing_docs",
        "expected",
        "examples",
        "p_value",
        "q_value",
    }
    return TriggerReport(
        trigger=str(tr.get("trigger", tr.get("text", ""))),
        anomalous_docs=int(tr.get("anomalous_docs", 0)),
        containing_docs=int(tr.get("containing_docs", 0)),
        expected=float(tr.get("expected", 0.0)),
        examples=[str(x) for x in tr.get("examples", [])][:10],
        detectors=[detector],
        p_value=tr.get("p_value"),
        q_value=tr.get("q_value"),
        extra={k: v for k, v in tr.items() if k not in known},
    )


def _excerpt(text: str, spans: list[Span], size: int = 4000) -> tuple[str, int]:
    if not spans or len(text) <= size:
        return text[:size], 0
    first = min(s.start for s in spans)
    start = max(0, min(first - 600, len(text) - size))
    return text[start : start + size], start


def _count_source(by_source: dict[str, dict[str, int]], doc: Document, label: str) -> None:
    try:
        from poisonguard.detect.sketches import source_key

        key = source_key(doc)
    except ImportError:  # pragma: no cover - the helper module ships with poisonguard
        key = doc.source.split("#", 1)[0] or "unknown"
    if key not in by_source and len(by_source) >= 1000:
        key = "(other sources)"
    row = by_source.setdefault(key, {"documents": 0, "clean": 0, "suspicious": 0, "poisoned": 0})
    row["documents"] += 1
    row[label] += 1


def _finding_row(v: DocVerdict) -> dict[str, Any]:
    d = v.to_dict()
    d.pop("excerpt", None)
    d.pop("excerpt_offset", None)
    return d


_PARQUET_SCHEMA = pa.schema(
    [
        ("index", pa.int64()),
        ("id", pa.string()),
        ("source", pa.string()),
        ("origin", pa.string()),
        ("label", pa.string()),
        ("score", pa.float64()),
        ("reasons", pa.list_(pa.string())),
        (
            "spans",
            pa.list_(
                pa.struct([("start", pa.int64()), ("end", pa.int64()), ("label", pa.string())])
            ),
        ),
        ("trigger", pa.string()),
        ("campaign", pa.string()),
        ("detectors", pa.list_(pa.string())),
        ("findings_json", pa.string()),
    ]
)


def _write_parquet(path: Path, verdicts: list[DocVerdict]) -> Path:
    rows = [
        {
            "index": v.index,
            "id": v.id,
            "source": v.source,
            "origin": v.origin,
            "label": v.label,
            "score": v.score,
            "reasons": v.reasons,
            "spans": [asdict(s) for s in v.spans],
            "trigger": v.trigger,
            "campaign": v.campaign,
            "detectors": sorted({f.detector for f in v.findings}),
            "findings_json": orjson.dumps([f.to_dict() for f in v.findings], default=str).decode(),
        }
        for v in verdicts
    ]
    table = pa.Table.from_pylist(rows, schema=_PARQUET_SCHEMA)
    with AtomicFile(path) as f:
        pq.write_table(table, f.fh, compression="zstd")
    return path


def scan(
    corpus: str | os.PathLike[str] | Sequence[str | os.PathLike[str]] | Iterable[Document],
    out: str | os.PathLike[str] | None = None,
    *,
    kind: str = "pretrain",
    reference: Any = None,
    target_fpr: float = 0.001,
    workers: int = 1,
    backend: str = "local",
    report: str | os.PathLike[str] | None = None,
    min_trigger_docs: int = 5,
    detectors: list[str] | None = None,
    exclude: list[str] | None = None,
    options: dict[str, dict[str, Any]] | None = None,
    progress: ProgressFn | None = None,
    **config: Any,
) -> ScanResult:
    """Scan a corpus for poisoned documents.

    Args:
        corpus: files, folders or globs (any format :class:`~poisonguard.io.CorpusReader`
            reads; ``"-"`` for stdin), or Documents in memory.
        out: output folder (kept / quarantine corpora, findings JSONL + Parquet,
            summary.json, errors.jsonl); ``None``: nothing is written.
        kind: ``pretrain``, ``instruction`` or ``rag`` (picks the detectors); ``auto``
            guesses pretrain or instruction from the first records
            (:func:`poisonguard.detect.kinds.guess_kind`).
        reference: a clean corpus (paths or Documents) to fit the models and calibrate the
            thresholds on; default: the corpus itself.
        target_fpr: share of clean documents allowed to be flagged.
        workers: worker processes (or Ray CPUs); 1 runs in this process.
        backend: ``local`` or ``ray``.
        report: write the HTML report here (needs :mod:`poisonguard.report`).
        min_trigger_docs: ``k``, documents needed to confirm a trigger or campaign.
        detectors / exclude: run only these detectors / leave these out.
        options: per-detector options ``{name: {option: value}}``.
        progress: ``progress(stage, documents_done)`` callback.
        **config: further :class:`ScanConfig` fields (``shard_docs``, ``sample_docs``,
            ``out_format``, ``shard_bytes``, ``max_error_rate``, ``strict``, ``seed``,
            ``reader_options``).

    Returns:
        A :class:`ScanResult`.  Raises :class:`~poisonguard.io.AccountingError` when the
        counts do not add up and :class:`~poisonguard.io.ErrorRateExceeded` when too many
        records are unreadable.
    """
    if kind == "auto":  # chat-shaped records are instruction data (detect/kinds.py)
        from poisonguard.detect.kinds import guess_kind

        kind = guess_kind(corpus, config.get("reader_options")).kind
    cfg = ScanConfig(
        kind=kind,
        target_fpr=target_fpr,
        min_trigger_docs=min_trigger_docs,
        workers=workers,
        backend=backend,
        detectors=detectors,
        exclude=exclude,
        options=options or {},
        **config,
    )
    return ScanPipeline(cfg, progress).run(corpus, out, reference=reference, report=report)


__all__ = [
    "LABELS",
    "DocVerdict",
    "ScanConfig",
    "ScanPipeline",
    "ScanResult",
    "TriggerReport",
    "scan",
]
