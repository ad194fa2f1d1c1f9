"""The scan's result model and its writers: verdicts, triggers, the summary, findings files.

:class:`ScanResult` is what :func:`poisonguard.detect.pipeline.scan` returns and what
``summary.json`` holds (:meth:`ScanResult.to_dict`); each flagged document's
:class:`DocVerdict` becomes a row of ``findings.jsonl`` (:func:`_finding_row`) and
``findings.parquet`` (:func:`_write_parquet`).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import orjson
import pyarrow as pa
import pyarrow.parquet as pq

from poisonguard import __version__
from poisonguard.detect.base import Finding, Span
from poisonguard.io import AtomicFile, Document

LABELS = ("clean", "suspicious", "poisoned")
"""Verdict labels, from best to worst."""


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
    profile: str = "default"
    """The scan profile (:mod:`poisonguard.detect.profiles`)."""
    unscreened: list[str] = field(default_factory=list)
    """Classes of attack this scan did not screen: opt-in stages it did not run
    (:func:`poisonguard.detect.profiles.unscreened`; ``--profile thorough`` runs them)."""
    options: dict[str, dict[str, Any]] = field(default_factory=dict)
    """The per-detector settings the scan ran with, ``{detector: {parameter: value}}``: the
    caller's (``options=``, ``--set``, ``--indicators``) merged with the profile's; a
    detector's other parameters had their defaults (``poisonguard detectors``)."""
    version: str = __version__
    """The poisonguard version that ran the scan."""

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
            "profile": self.profile,
            "unscreened": self.unscreened,
            "options": self.options,
            "thresholds": self.thresholds,
            "histograms": self.histograms,
            "triggers": [t.to_dict() for t in self.triggers],
            "corpus_reports": self.corpus_reports,
            "by_source": self.by_source,
            "outputs": self.outputs,
            "timings": self.timings,
            "bytes_scanned": self.bytes_scanned,
            "detector_errors": self.detector_errors,
            "version": self.version,
        }


def json_options(options: Mapping[str, Mapping[str, Any]]) -> dict[str, dict[str, Any]]:
    """Per-detector options as JSON values for ``summary.json``: numbers, text, booleans,
    ``None``, lists and dicts as they are (a tuple as a list), a path as text, any other
    object by its type's name (``"<BigramModel>"``: a fitted model passed in Python is not
    written out)."""
    return {
        str(det): {str(k): _json_value(v) for k, v in opts.items()} for det, opts in options.items()
    }


def _json_value(value: Any) -> Any:
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, os.PathLike):
        return os.fspath(value)
    if isinstance(value, tuple | list):
        return [_json_value(v) for v in value]
    if isinstance(value, Mapping):
        return {str(k): _json_value(v) for k, v in value.items()}
    return f"<{type(value).__name__}>"


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


__all__ = ["LABELS", "DocVerdict", "ScanResult", "TriggerReport", "json_options"]
