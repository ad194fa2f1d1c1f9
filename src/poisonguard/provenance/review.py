"""Reviewer decisions as ledger events, so that a policy can require review.

:func:`review_events` turns a finished ``poisonguard scan --out DIR --allow FILE`` into one
``poisonguard-review`` event per document, pinned to its text's SHA-256:

* ``benign``: flagged by a detector, cleared by the benign list (``allowed.jsonl`` names the
  entries, their reviewer and reason);
* ``pass``: nothing to review (no finding decided a label);
* ``poisoned`` / ``suspicious``: still flagged — no review cleared it.

The event's ``version`` is ``allowlist:<first 16 hex digits of the list's SHA-256>``
(``allowlist:none`` without one), so each event names the decisions it rests on.  A policy
requires review with::

    "required_scans": [{"name": "poisonguard-review", "results": ["pass", "benign"]}]

which fails every document still flagged, and every document whose text changed after the
review (its event pins the reviewed version).
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import orjson

from poisonguard.detect.scandir import open_scan_dir
from poisonguard.io import Document, ErrorSink
from poisonguard.provenance.events import Event
from poisonguard.provenance.lineage import iso

REVIEW_EVENT_NAME = "poisonguard-review"


def review_events(
    scan_dir: str | os.PathLike[str], errors: ErrorSink | None = None
) -> Iterator[Event]:
    """Events for every document of a finished scan (see the module docstring).

    Raises ValueError when ``scan_dir`` is not a finished scan."""
    scan = open_scan_dir(scan_dir)
    allow = scan.summary.get("outputs", {}).get("allowlist") or {}
    version = f"allowlist:{str(allow.get('sha256') or 'none')[:16]}"
    cleared: set[tuple[str, str]] = set()
    path = os.path.join(scan.root, "allowed.jsonl")
    if os.path.isfile(path):
        with open(path, "rb") as f:
            for line in f:
                if line.strip():
                    row = orjson.loads(line)
                    cleared.add((str(row["id"]), str(row["sha256"])))
    when = iso(scan.finished)
    labels = scan.labels() if scan.quarantine else {}
    counts = scan.summary.get("counts", {})
    held = {
        "kept": counts.get("clean", 1),
        "quarantine": counts.get("suspicious", 1) + counts.get("poisoned", 1),
    }
    for which in ("kept", "quarantine"):
        if not held[which]:  # an empty corpus file holds no record to read
            continue
        for item in scan.documents(which):
            if not isinstance(item, Document):
                if errors is None:
                    raise ValueError(str(item))
                errors.add(item)
                continue
            if which == "kept":
                result = "benign" if (item.id, item.sha256) in cleared else "pass"
            else:
                result = labels.get(item.id, "quarantined")
            yield Event(item.id, REVIEW_EVENT_NAME, version, result, when, item.sha256)


__all__ = ["REVIEW_EVENT_NAME", "review_events"]
