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

import gc
import os
import random
import shutil
import sys
import tempfile
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

from poisonguard.detect.allowlist import apply_allowlist, finish_allowlist, load_allowlist
from poisonguard.detect.base import CorpusDetector, CorpusReport, DocumentDetector, Finding
from poisonguard.detect.calibrate import Calibration, fpr_budget, split_reference
from poisonguard.detect.passes import (
    _extra_pass,
    _pass1,
    _Pass1Context,
    _pass2,
    _Pass2Context,
    _PassOneStore,
    _prepass,
    _score_only,
    _slim,
)
from poisonguard.detect.profiles import apply_profile, get_profile, unscreened
from poisonguard.detect.registry import (
    KINDS,
    DetectorContext,
    detectors_for,
)
from poisonguard.detect.results import (
    LABELS,
    DocVerdict,
    ScanResult,
    TriggerReport,
    _count_source,
    _finding_row,
    _trigger_report,
    _write_parquet,
    json_options,
)
from poisonguard.detect.rounds import Rounds
from poisonguard.detect.verdicts import verdict
from poisonguard.engine import Backend, get_backend
from poisonguard.io import (
    CorpusReader,
    CorpusWriter,
    Document,
    ErrorRecord,
    ErrorSink,
    RunAccounting,
    write_json,
)

OUT_FORMATS = ("jsonl", "jsonl.gz", "jsonl.zst", "parquet")
ProgressFn = Callable[[str, int], None]
"""``progress(stage, documents_done)``, called as each pass goes on."""


@runtime_checkable
class BytesProgressFn(Protocol):
    """A progress callback that also takes the input bytes read so far (``None`` for
    documents in memory) and says so with ``wants_bytes = True``, e.g. the CLI's bars."""

    wants_bytes: bool

    def __call__(self, stage: str, n: int, nbytes: int | None = None, /) -> None: ...


ReportWriter = Callable[["ScanResult", "str | os.PathLike[str]"], "str | os.PathLike[str]"]
"""Writes a scan's report (``report=``) and returns its path, e.g.
:func:`poisonguard.report.render_html`.  ``detect`` sits below ``report``: the writer is
passed in (``report_writer=``) or registered with :func:`set_report_writer` (importing
:mod:`poisonguard.report` registers the HTML report)."""
_REPORT_WRITER: list[ReportWriter | None] = [None]


def set_report_writer(writer: ReportWriter | None) -> None:
    """The report writer used when a scan asks for a report without passing one."""
    _REPORT_WRITER[0] = writer


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
    profile: str = "default"
    """A scan profile (:mod:`poisonguard.detect.profiles`): opt-in stages to add."""
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
        get_profile(self.profile)


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


# -- the pipeline ---------------------------------------------------------------------------
_GC_GEN0 = 50_000
"""Container allocations between two young-generation collections while a scan runs
(CPython's default: 700)."""
_gc_lock = threading.Lock()
_gc_state: dict[str, Any] = {"depth": 0, "saved": None}


@contextmanager
def _fewer_collections() -> Iterator[None]:
    """Run the body with the cyclic garbage collector's first threshold at
    :data:`_GC_GEN0` (unless it is higher already, or the collector is off).

    A scan keeps many small containers alive for a while (per-document tokens, sentences,
    candidate keys): at the default threshold the collector ran about 200 young and one or
    two full collections per 1,500-document scan, each full one walking every object of
    the process (the more the caller holds, the dearer: 4-7 % of the scan's CPU in the
    throughput benchmark).  Reference counting still frees everything without cycles at
    once; only cyclic garbage waits for the next collection.  Nothing a scan decides
    depends on it.  Nested and concurrent scans share one saved setting, restored when the
    last one ends (only if nobody else changed it meanwhile)."""
    with _gc_lock:
        st = _gc_state
        if st["depth"] == 0:
            old = gc.get_threshold()
            st["saved"] = None
            if 0 < old[0] < _GC_GEN0:
                gc.set_threshold(_GC_GEN0, *old[1:])
                st["saved"] = old
        st["depth"] += 1
    try:
        yield
    finally:
        with _gc_lock:
            st["depth"] -= 1
            saved = st["saved"]
            if st["depth"] == 0 and saved is not None:
                if gc.get_threshold()[0] == _GC_GEN0:
                    gc.set_threshold(*saved)
                st["saved"] = None


class ScanPipeline:
    """One scan: build detectors, run the passes, write outputs, return a ScanResult."""

    def __init__(
        self,
        config: ScanConfig,
        progress: ProgressFn | None = None,
        report_writer: ReportWriter | None = None,
    ) -> None:
        config.check()
        self.config = config
        self.report_writer = report_writer
        self.progress = progress or (lambda stage, n: None)
        self._bytes_progress = (
            progress if isinstance(progress, BytesProgressFn) and progress.wants_bytes else None
        )
        self._progress_source: _Source | None = None
        self.allow = load_allowlist(config.allowlist) if config.allowlist is not None else None
        only, options = apply_profile(config.profile, config.detectors, config.options)
        self.context = DetectorContext(
            kind=config.kind,
            target_fpr=config.target_fpr,
            min_trigger_docs=config.min_trigger_docs,
            seed=config.seed,
            options=options,
        )
        entries = detectors_for(config.kind, only=only, exclude=config.exclude)
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
        # the uncalibrated detectors together take one share of the target (calibrate.py)
        self.calibration = Calibration(
            [name for name, _, cal in self.doc_dets if cal],
            config.target_fpr,
            {name: float(ddet.min_flag_score) for name, ddet, _ in self.doc_dets},
            reserve=1 if self.uncalibrated else 0,
        )

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
        if self._bytes_progress is not None:
            src = self._progress_source
            cur = src.current if src is not None else None
            self._bytes_progress(stage, n, cur.bytes_consumed if cur is not None else None)
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
        self, source: _Source, backend: Backend, rounds: Rounds, pre: list[str]
    ) -> tuple[list[Document], int]:
        """The sample pass; corpus detectors whose first round needs no findings
        (``prepass``) map the same shards meanwhile (folded into ``rounds``), so that round
        costs no extra read."""
        if not pre:
            return self._sample(source)
        reservoir = _Reservoir(self.config)

        def shards() -> Iterator[tuple[int, list[Document]]]:
            for start, docs in self._shards(source.documents()):
                for doc in docs:
                    reservoir.add(doc)
                self._tick("sample", reservoir.n)
                yield start, docs

        for parts in backend.map(_prepass, shards(), rounds.start(pre)):
            rounds.fold(parts)
        return reservoir.sample, reservoir.n

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
            profile=cfg.profile,
            unscreened=unscreened(cfg.kind, [e.name for e in self.entries], self.context.options),
            options=json_options(self.context.options),
        )
        store = _PassOneStore()
        try:
            with _fewer_collections():
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
        backend: Backend,
        result: ScanResult,
        out: str | os.PathLike[str] | None,
        report: str | os.PathLike[str] | None,
        t_start: float,
        store: _PassOneStore,
    ) -> None:
        timings = result.timings
        # (0) sample + fit
        t = time.perf_counter()
        self._progress_source = source
        self._tick("sample", 0)
        rounds = Rounds(self.corpus_dets)
        pre = [n for n, d in self.corpus_dets if d.prepass and d.passes > 1]
        sample, n_docs = self._sample_and_prepass(source, backend, rounds, pre)
        rounds.sample, rounds.total_docs = [d.text for d in sample], n_docs
        ref_sample: list[Document] | None = None
        if ref_source is not None:
            ref_sample, _ = self._sample(ref_source)
            if not ref_sample:
                raise ValueError("the reference corpus has no readable document")
        # with a reference, fit on one half and calibrate on the other
        fit_docs, cal_docs = split_reference(ref_sample) if ref_sample is not None else (sample, [])
        for _, ddet, _ in self.doc_dets:
            ddet.fit(fit_docs)
        if ref_sample is not None:
            for _, cdet in self.corpus_dets:
                cdet.use_reference(ref_sample)
        # the first round of the pre-pass detectors is done: pass 1 runs their second
        if pre:
            rounds.end()
        timings["fit"] = time.perf_counter() - t

        # (1) detect + map corpus detectors
        t = time.perf_counter()
        ctx1 = _Pass1Context(self.doc_dets, rounds.start())
        hists = self.calibration.histograms()
        done = 0
        for r in backend.map(_pass1, self._shards(source.documents()), ctx1):
            for name, h in r.histograms.items():
                hists[name].merge(h)
            for idx, doc_id, scores in r.hits:
                store.add(idx, doc_id, scores)
            store.add_windows(r.windows)
            rounds.fold(r.partials)
            for name, c in r.errors.items():
                result.detector_errors[name] = result.detector_errors.get(name, 0) + c
            if r.first_error and "first_detector_error" not in result.outputs:
                result.outputs["first_detector_error"] = r.first_error
            done += r.n
            self._tick("detect", done)
        # extra rounds for corpus detectors that ask for them
        nxt = rounds.end()
        while nxt:
            rounds.start(n for n, _ in nxt)

            def with_findings(
                shards: Iterator[tuple[int, list[Document]]],
            ) -> Iterator[tuple[int, list[Document], dict[int, list[tuple[str, float]]]]]:
                for start, docs in shards:
                    yield start, docs, store.shard(start, len(docs))

            # progress per folded shard (a late round can take as long as the detect pass)
            label, done = f"round {rounds.round + 1}", 0
            for n, parts in backend.map(
                _extra_pass,
                with_findings(self._shards(source.documents())),
                _Pass1Context(self.doc_dets, nxt),
            ):
                rounds.fold(parts)
                done += n
                self._tick(label, done)
            nxt = rounds.end()
            self._tick(label, n_docs)
        timings["detect"] = time.perf_counter() - t

        # triggers and corpus reports
        trigger_texts: list[str] = []
        dets, states = rounds.detectors, rounds.states
        for name, _ in self.corpus_dets:
            rep = dets[name].summarize(states[name])
            if not isinstance(rep, CorpusReport):
                raise TypeError(
                    f"detector {name!r}: summarize() returned {type(rep).__name__}, "
                    "not a CorpusReport"
                )
            result.corpus_reports[name] = rep.to_dict()
            for tr in rep.triggers or []:
                report_t = _trigger_report(tr, name)
                result.triggers.append(report_t)
                trigger_texts.append(report_t.trigger)

        # calibration (detect.calibrate)
        t = time.perf_counter()
        if ref_sample is not None and self.calibration.names:
            calibrated = self.calibration.from_reference(
                backend.map(_score_only, self._shards(cal_docs, slim=False), ctx1)
            )
        else:
            calibrated = self.calibration.from_corpus(hists, store, trigger_texts)
        thresholds = {name: th.threshold for name, th in calibrated.items()}
        result.thresholds = {name: th.to_dict() for name, th in calibrated.items()}
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
        writer = self.report_writer or _REPORT_WRITER[0]
        if writer is None:
            result.outputs["report"] = None
            result.outputs["report_error"] = (
                "no report writer: pass report_writer=poisonguard.report.render_html "
                "(or import poisonguard.report first)"
            )
            return
        result.outputs["report"] = os.fspath(writer(result, path))

    def _write(
        self,
        source: _Source,
        backend: Backend,
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
        return verdict(idx, doc, found, thresholds, self.uncalibrated)


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
    profile: str = "default",
    progress: ProgressFn | None = None,
    report_writer: ReportWriter | None = None,
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
        report: write the report here, with ``report_writer`` (default: the registered
            one, :func:`poisonguard.report.render_html` once :mod:`poisonguard.report` is
            imported — ``poisonguard.scan`` does that).
        min_trigger_docs: ``k``, documents needed to confirm a trigger or campaign.
        detectors / exclude: run only these detectors / leave these out.
        options: per-detector options ``{name: {option: value}}``.
        profile: ``default`` or ``thorough`` (:mod:`poisonguard.detect.profiles`: adds the
            ``cohesion`` detector and the ``campaigns`` semantic stage — fluent payloads and
            paraphrased claims — at several times the cost); ``options`` win over it.
        progress: ``progress(stage, documents_done)`` callback (a
            :class:`BytesProgressFn` also gets the bytes read).
        report_writer: ``writer(result, path)`` that writes the report.
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
        profile=profile,
        **config,
    )
    return ScanPipeline(cfg, progress, report_writer).run(
        corpus, out, reference=reference, report=report
    )


__all__ = [
    "LABELS",
    "BytesProgressFn",
    "DocVerdict",
    "ReportWriter",
    "ScanConfig",
    "ScanPipeline",
    "ScanResult",
    "TriggerReport",
    "scan",
    "set_report_writer",
]
