"""Per-document lineage: what the ledger stores and what a manifest record holds.

:func:`lineage_of` derives, from one :class:`~poisonguard.io.Document`, the fields that can
be recomputed from the corpus at any time (so ``verify`` can recompute and compare them):

* ``id``, ``sha256`` (of the UTF-8 text, as :attr:`Document.sha256`), ``size`` (text bytes),
* ``record_sha256``: SHA-256 of the *exact bytes* of the record as stored, for JSON Lines
  (the line without its line ending: what a trainer's JSON parser reads), so any byte edit
  anywhere in the record is caught, even one that parses to the same values (``1.0`` vs
  ``1``); for typed formats with no record bytes (Parquet, Arrow, CSV) the SHA-256 of the JCS
  (RFC 8785) form of the whole parsed record,
* ``source``: the record's source URI (``source_uri``/``url``/``meta.url``), or null when the
  record has none (the reader's ``file://path#Lline`` fallback is a *location*, not a source,
  and is left out so that moving or reordering a corpus does not change its lineage),
* ``source_id``: the record's ``source`` field (dataset / crawl name),
* ``license`` (SPDX id, best effort) and ``license_raw`` (the record's own string),
* ``retrieved_at`` and ``derived_from`` when the record carries them (top level or ``meta``).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from poisonguard.io import Document, ErrorRecord, ErrorSink, RunAccounting
from poisonguard.provenance.canonical import (
    CanonicalError,
    jcs_fast,
    jcs_known,
    noncanonical_reason,
    record_reason,
    sha256_hex,
)
from poisonguard.provenance.licenses import combine, spdx_id

COMPARED_FIELDS = (
    "sha256",
    "size",
    "source",
    "source_id",
    "license",
    "license_raw",
    "retrieved_at",
    "derived_from",
    "record_sha256",
)
"""Manifest fields recomputed from the corpus and compared by ``verify`` (besides ``id``)."""


def utc_now() -> datetime:
    """The current time in UTC, to the second."""
    return datetime.now(UTC).replace(microsecond=0)


def iso(t: datetime) -> str:
    """``2026-01-31T12:00:00Z`` form of an aware datetime."""
    return t.astimezone(UTC).replace(tzinfo=None).isoformat(timespec="seconds") + "Z"


def parse_time(value: str) -> datetime:
    """Parse an ISO 8601 timestamp (``Z`` or offset; a date alone means midnight UTC).

    Raises ValueError with the offending value when it is not a timestamp.
    """
    if not isinstance(value, str) or not value:
        raise ValueError(f"not a timestamp: {value!r}")
    try:
        t = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError as e:
        raise ValueError(f"not an ISO 8601 timestamp: {value!r}") from e
    return t if t.tzinfo else t.replace(tzinfo=UTC)


@dataclass(frozen=True, slots=True)
class Lineage:
    """The corpus-derived lineage of one document (see module docstring)."""

    id: str
    sha256: str
    size: int
    record_sha256: str
    source: str | None
    source_id: str | None
    license: str
    license_raw: str | None
    retrieved_at: str | None = None
    derived_from: tuple[str, ...] | None = None

    def to_dict(self) -> dict[str, Any]:
        """The fields as a manifest record (null and absent fields left out)."""
        d: dict[str, Any] = {
            "id": self.id,
            "sha256": self.sha256,
            "size": self.size,
            "record_sha256": self.record_sha256,
            "license": self.license,
        }
        if self.source is not None:
            d["source"] = self.source
        if self.source_id is not None:
            d["source_id"] = self.source_id
        if self.license_raw is not None:
            d["license_raw"] = self.license_raw
        if self.retrieved_at is not None:
            d["retrieved_at"] = self.retrieved_at
        if self.derived_from is not None:
            d["derived_from"] = list(self.derived_from)
        return d

    @property
    def digest(self) -> str:
        """SHA-256 of the canonical record: equal digests mean an identical version."""
        return sha256_hex(jcs_known(self.to_dict()))


def _first_str(*values: Any) -> str | None:
    for v in values:
        if isinstance(v, str) and v:
            return v
    return None


def _is_location(doc: Document) -> bool:
    src = doc.source
    if not src.startswith("file://") or doc.origin is None:
        return False
    path = src[len("file://") :].split("#L", 1)[0]
    return os.path.abspath(path) == os.path.abspath(doc.origin.file)


class RecordRejected(ValueError):
    """A record parsers could read differently (duplicate keys, NaN, lone surrogates)."""


def record_problem(doc: Document) -> str | None:
    """Why ``doc``'s record cannot be signed, or None.

    Refused: duplicate keys in an object (parsers keep the first or the last value, so the
    signed text and the trained text could differ), non-finite numbers (``NaN``,
    ``Infinity``, ``1e400``) and lone surrogates (no canonical JSON form), in the record,
    its metadata or its text.
    """
    record = doc.record
    if record is not None:
        why = record_reason(record, doc.raw)
    else:
        why = noncanonical_reason([doc.id, doc.text, doc.metadata])
    return why


def screen(
    docs: Iterable[Document],
    errors: ErrorSink | None = None,
    accounting: RunAccounting | None = None,
    on_reject: Callable[[Document, str], None] | None = None,
) -> Iterator[Document]:
    """Pass on the documents :func:`record_problem` accepts; each refused one becomes an
    error record (kind ``noncanonical``) in ``errors``/``accounting`` and goes to
    ``on_reject`` — never silently dropped."""
    for doc in docs:
        why = record_problem(doc)
        if why is None:
            yield doc
            continue
        o = doc.origin
        if accounting is not None:
            accounting.errors += 1
        if errors is not None:
            errors.add(
                ErrorRecord(
                    o.file if o else doc.id,
                    o.line if o else None,
                    o.offset if o else None,
                    f"record {doc.id!r} refused: {why}",
                    "noncanonical",
                )
            )
        if on_reject is not None:
            on_reject(doc, why)


def lineage_of(doc: Document, *, screened: bool = False) -> Lineage:
    """The corpus-derived lineage of ``doc``.

    Raises :class:`RecordRejected` for a record :func:`record_problem` refuses (skipped when
    ``screened``: the caller already ran :func:`screen`).
    """
    if not screened:
        why = record_problem(doc)
        if why is not None:
            raise RecordRejected(f"record {doc.id!r} refused: {why}")
    # one-file-per-document corpora have no record: the id and text are the whole document
    record = doc.record if doc.record is not None else {"id": doc.id, "text": doc.text}
    meta = doc.metadata or {}
    # every licence statement of the record applies: two that differ are combined with AND
    raws = list(
        dict.fromkeys(
            v.strip()
            for v in (
                record.get("license"),
                record.get("licence"),
                meta.get("license"),
                meta.get("licence"),
            )
            if isinstance(v, str) and v.strip()
        )
    )
    raw_license = raws[0] if len(raws) == 1 else (" AND ".join(raws) if raws else None)
    license_expr = spdx_id(raws[0]) if len(raws) == 1 else combine([spdx_id(r) for r in raws])
    derived = record.get("derived_from", meta.get("derived_from"))
    if isinstance(derived, str):
        derived_t: tuple[str, ...] | None = (derived,)
    elif isinstance(derived, list) and all(isinstance(x, str) for x in derived):
        derived_t = tuple(derived)
    else:
        derived_t = None
    source_id = record.get("source")
    text_bytes = doc.text.encode("utf-8", "surrogatepass")
    return Lineage(
        id=doc.id,
        sha256=sha256_hex(text_bytes),
        size=len(text_bytes),
        record_sha256=sha256_hex(doc.raw) if doc.raw is not None else _jcs_sha256(record),
        source=None if (not doc.source or _is_location(doc)) else doc.source,
        source_id=source_id if isinstance(source_id, str) and source_id else None,
        license=license_expr,
        license_raw=raw_license,
        retrieved_at=_first_str(record.get("retrieved_at"), meta.get("retrieved_at")),
        derived_from=derived_t,
    )


def _jcs_sha256(record: dict[str, Any]) -> str:
    try:
        return sha256_hex(jcs_fast(record))
    except CanonicalError as e:
        raise RecordRejected(str(e)) from e
