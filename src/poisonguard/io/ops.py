"""Corpus-level operations behind ``poisonguard corpus``: statistics and conversion."""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from poisonguard.io.accounting import ErrorSink, RunAccounting, write_json
from poisonguard.io.readers import CorpusReader
from poisonguard.io.writers import CorpusWriter

Advance = Callable[[int], None]


@dataclass
class CorpusStats:
    """Summary statistics of one corpus (see :func:`corpus_stats`)."""

    formats: dict[str, int]
    documents: int
    text_bytes: int
    input_bytes: int | None
    length_chars: dict[str, float]
    shapes: dict[str, int]
    fields: dict[str, int]
    languages: dict[str, int]
    language_sample: int
    accounting: RunAccounting
    errors_by_kind: dict[str, int] = field(default_factory=dict)
    first_errors: list[dict[str, Any]] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "formats": self.formats,
            "documents": self.documents,
            "text_bytes": self.text_bytes,
            "input_bytes": self.input_bytes,
            "length_chars": self.length_chars,
            "shapes": self.shapes,
            "fields": self.fields,
            "languages": self.languages,
            "language_sample": self.language_sample,
            "errors_by_kind": self.errors_by_kind,
            "first_errors": self.first_errors,
            "accounting": self.accounting.to_dict(),
        }


def corpus_stats(
    reader: CorpusReader,
    *,
    errors: ErrorSink | None = None,
    language_sample: int = 2000,
    max_error_rate: float = 0.01,
    advance: Advance | None = None,
) -> CorpusStats:
    """Stream a corpus once and summarise it.

    Lengths are exact (all documents); languages come from the first ``language_sample``
    documents with py3langid (an offline model shipped with the package).
    """
    errors = errors if errors is not None else ErrorSink()
    acct = RunAccounting(max_error_rate=max_error_rate)
    lengths: list[int] = []
    shapes: Counter[str] = Counter()
    fields: Counter[str] = Counter()
    langs: Counter[str] = Counter()
    text_bytes = 0
    identify = _language_identifier() if language_sample else None
    for doc in reader.documents(errors, acct):
        acct.written("documents")
        lengths.append(len(doc.text))
        text_bytes += len(doc.text.encode("utf-8", "surrogatepass"))
        shapes[doc.shape] += 1
        if doc.record is not None:
            fields.update(doc.record.keys())
        if identify is not None and acct.outputs["documents"] <= language_sample:
            langs[identify(doc.text[:2000])] += 1
        if advance is not None:
            advance(1)
    arr = np.asarray(lengths, dtype=np.int64)
    dist: dict[str, float] = {}
    if arr.size:
        dist = {
            "min": int(arr.min()),
            "mean": round(float(arr.mean()), 1),
            "p50": float(np.percentile(arr, 50)),
            "p90": float(np.percentile(arr, 90)),
            "p99": float(np.percentile(arr, 99)),
            "max": int(arr.max()),
        }
    formats = Counter(s.format for s in reader.sources)
    return CorpusStats(
        formats=dict(formats),
        documents=int(arr.size),
        text_bytes=text_bytes,
        input_bytes=reader.total_bytes,
        length_chars=dist,
        shapes=dict(shapes),
        fields=dict(fields.most_common(50)),
        languages=dict(langs.most_common()),
        language_sample=min(language_sample, int(arr.size)),
        accounting=acct,
        errors_by_kind=dict(errors.by_kind),
        first_errors=[e.to_dict() for e in errors.errors[:20]],
    )


def _language_identifier() -> Callable[[str], str] | None:
    try:
        import py3langid
    except ImportError:  # pragma: no cover - py3langid is a core dependency
        return None

    def classify(text: str) -> str:
        return str(py3langid.classify(text)[0]) if text.strip() else "und"

    return classify


@dataclass
class ConvertResult:
    """Outcome of :func:`convert_corpus`."""

    outputs: list[Path]
    accounting: RunAccounting
    errors_path: Path | None

    def to_dict(self) -> dict[str, Any]:
        return {
            "outputs": [str(p) for p in self.outputs],
            "errors_file": str(self.errors_path) if self.errors_path else None,
            "accounting": self.accounting.to_dict(),
        }


def convert_corpus(
    reader: CorpusReader,
    out: str | os.PathLike[str],
    *,
    errors_path: str | os.PathLike[str] | None = None,
    shard_bytes: int | None = None,
    strict: bool = False,
    max_error_rate: float = 0.01,
    summary_path: str | os.PathLike[str] | None = None,
    advance: Advance | None = None,
) -> ConvertResult:
    """Copy a corpus into JSONL (plain/gz/zst) or Parquet, keeping each record's shape.

    Unreadable records go to ``errors_path``; the accounting invariant is checked and the
    summary (if asked) written before returning.  On failure nothing half-written remains.
    """
    acct = RunAccounting(max_error_rate=max_error_rate)
    sink = ErrorSink(errors_path, strict=strict)
    writer = CorpusWriter(out, shard_bytes=shard_bytes)
    try:
        for doc in reader.documents(sink, acct):
            writer.write(doc)
            acct.written("converted")
            if advance is not None:
                advance(1)
        acct.check()
    except BaseException:
        writer.abort()
        sink.abort()
        raise
    paths = writer.close()
    sink.close()
    result = ConvertResult(paths, acct, Path(errors_path) if errors_path else None)
    if summary_path is not None:
        write_json(summary_path, result.to_dict())
    return result
