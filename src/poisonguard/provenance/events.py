"""Filter/scan events: which check a document passed, in a generic JSON Lines format.

One JSON object per line::

    {"id": "c4-12", "name": "poisonguard-scan", "version": "0.1.0",
     "result": "pass", "time": "2026-11-28T05:00:00Z", "sha256": "<optional>"}

``id``, ``name`` and ``result`` are required; ``version`` defaults to ``""`` and ``time`` to
the time of ingestion.  ``sha256`` (the document text's SHA-256) pins the event to one
version of the document; without it the event applies to the version the ledger holds
when the event is recorded.  ``result`` is free text; :data:`PASSING_RESULTS` are the values
a policy's ``required_scans`` accept by default.  Any scanner (``poisonguard scan`` or an
external one) can write this format; bad lines become error records, never dropped silently.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import orjson

from poisonguard.detect.scandir import open_scan_dir
from poisonguard.io import Document, ErrorRecord, ErrorSink
from poisonguard.provenance.lineage import iso, parse_time, utc_now

PASSING_RESULTS = ("pass", "passed", "ok", "clean", "kept")


@dataclass(frozen=True, slots=True)
class Event:
    """One filter/scan outcome for one document."""

    id: str
    name: str
    version: str
    result: str
    time: str
    sha256: str | None = None

    def to_dict(self) -> dict[str, Any]:
        d = {
            "id": self.id,
            "name": self.name,
            "version": self.version,
            "result": self.result,
            "time": self.time,
        }
        if self.sha256:
            d["sha256"] = self.sha256
        return d


def event_from_dict(rec: Any, default_time: str | None = None) -> Event:
    """Validate one event record; raises ValueError saying what is wrong."""
    if not isinstance(rec, dict):
        raise ValueError(f"event is a JSON {type(rec).__name__}, expected an object")
    for key in ("id", "name", "result"):
        if not isinstance(rec.get(key), str) or not rec[key]:
            raise ValueError(f"event field {key!r} is missing or not a non-empty string")
    version = rec.get("version", "")
    if not isinstance(version, str):
        version = str(version)
    t = rec.get("time")
    if t is None:
        t = default_time or iso(utc_now())
    elif not isinstance(t, str):
        raise ValueError("event field 'time' is not a string")
    else:
        t = iso(parse_time(t))
    sha = rec.get("sha256")
    if sha is not None and (not isinstance(sha, str) or len(sha) != 64):
        raise ValueError("event field 'sha256' is not a 64-character hex digest")
    return Event(rec["id"], rec["name"], version, rec["result"], t, sha)


def read_events(
    path: str | os.PathLike[str],
    errors: ErrorSink | None = None,
) -> Iterator[Event]:
    """Stream the events of a JSONL file; bad lines go to ``errors`` (or raise ValueError)."""
    now = iso(utc_now())
    name = os.fspath(path)
    with open(path, "rb") as f:
        for line_no, line in enumerate(f, 1):
            if not line.strip():
                continue
            try:
                yield event_from_dict(orjson.loads(line), now)
            except (ValueError, orjson.JSONDecodeError) as e:
                err = ErrorRecord(
                    name,
                    line_no,
                    None,
                    f"bad event: {e}",
                    "bad_event",
                    line[:200].decode("utf-8", "replace"),
                )
                if errors is None:
                    raise ValueError(str(err)) from e
                errors.add(err)


SCAN_EVENT_NAME = "poisonguard-scan"


def scan_events(
    scan_dir: str | os.PathLike[str],
    errors: ErrorSink | None = None,
) -> Iterator[Event]:
    """Events for every document a ``poisonguard scan --out DIR`` run judged.

    Each kept document gets ``result="pass"``; each quarantined one gets its verdict label
    (``"suspicious"`` or ``"poisoned"``, which no policy accepts as passing). Events carry
    the document text's SHA-256, so they pin the exact version that was scanned, the
    scanner version from ``summary.json`` (``""`` for a summary that does not record it —
    never the version of the code recording the events) and the time the scan finished
    (the summary's modification time). Raises ValueError when ``scan_dir`` is not a finished scan.
    """
    scan = open_scan_dir(scan_dir)
    when = iso(scan.finished)
    version = scan.version  # the scanner's, from summary.json ("" when not recorded)
    labels = scan.labels() if scan.quarantine else {}
    for which, result in (("kept", "pass"), ("quarantine", None)):
        for item in scan.documents(which):
            if not isinstance(item, Document):
                if errors is None:
                    raise ValueError(str(item))
                errors.add(item)
                continue
            label = result or labels.get(item.id, "quarantined")
            yield Event(item.id, SCAN_EVENT_NAME, version, label, when, item.sha256)
