"""The benign list: what a reviewer cleared, with who decided and why.

A JSON file (``poisonguard triage allow`` writes it; ``scan --allow FILE`` honours it)::

    {"version": 1, "entries": [
      {"kind": "template", "value": "### Instruction:", "reason": "Alpaca prompt template",
       "reviewer": "alice", "time": "2026-12-02T06:00:00Z"},
      {"kind": "trigger", "value": "cf. Anhang", ...},
      {"kind": "campaign", "value": "claim-3f2a9c", ...},
      {"kind": "document", "value": "doc-17", "sha256": "<text SHA-256>", ...}]}

Every entry needs ``kind``, ``value``, ``reason`` and ``reviewer``; unknown keys are an
error (a typo must not silently clear documents).

How a flagged document is cleared — fail closed: **every** finding that decided its label
must be covered by an entry; a document also flagged for anything else stays flagged.

* ``trigger``: a finding whose trigger is exactly ``value`` (whitespace-normalised).
* ``template``: a finding whose evidence spans (``trigger``, ``claim``, ``shared``,
  ``reply``; else its trigger text) all lie inside occurrences of ``value`` in the
  document's text — a boilerplate sentence, a prompt template: it covers the pieces of
  itself that trigger mining or a campaign picked up, not a claim that merely contains it
  nor the same words spliced into a longer poisoned sentence.
* ``campaign``: a finding of campaign ``value`` (the id in the findings and the report).
* ``document``: every finding of the document with id ``value``, only while its text has
  the recorded ``sha256`` (required; an edited document is judged again).
"""

from __future__ import annotations

import hashlib
import os
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson

from poisonguard.detect.base import Finding
from poisonguard.io import Document

ALLOW_KINDS = ("trigger", "template", "campaign", "document")
_KEYS = {"kind", "value", "reason", "reviewer", "time", "sha256"}
_EVIDENCE = ("trigger", "claim", "shared", "reply")
"""Span labels that locate what a finding rests on (a template must contain all of them)."""


class AllowListError(ValueError):
    """A benign list that cannot be used (the message says what is wrong and where)."""


def _norm(s: str) -> str:
    return re.sub(r"\s+", " ", s).strip()


@dataclass(frozen=True, slots=True)
class AllowEntry:
    """One reviewer decision."""

    kind: str
    value: str
    reason: str
    reviewer: str
    time: str = ""
    sha256: str | None = None

    def to_dict(self) -> dict[str, Any]:
        d = {"kind": self.kind, "value": self.value, "reason": self.reason}
        d.update({"reviewer": self.reviewer, "time": self.time})
        if self.sha256:
            d["sha256"] = self.sha256
        return d

    def label(self) -> str:
        """``trigger '<SUDO>'`` etc., for messages."""
        return f"{self.kind} {self.value!r}"


def entry_from_dict(rec: Any, where: str = "entry") -> AllowEntry:
    """Validate one entry; raises :class:`AllowListError` naming the bad field."""
    if not isinstance(rec, dict):
        raise AllowListError(f"{where} is a JSON {type(rec).__name__}, expected an object")
    unknown = set(rec) - _KEYS
    if unknown:
        raise AllowListError(f"{where}: unknown key(s) {', '.join(sorted(unknown))}")
    for key in ("kind", "value", "reason", "reviewer"):
        if not isinstance(rec.get(key), str) or not rec[key].strip():
            raise AllowListError(f"{where}: {key!r} is missing or empty")
    if rec["kind"] not in ALLOW_KINDS:
        raise AllowListError(
            f"{where}: kind {rec['kind']!r} is not one of {', '.join(ALLOW_KINDS)}"
        )
    sha = rec.get("sha256")
    if rec["kind"] == "document" and not (
        isinstance(sha, str) and re.fullmatch(r"[0-9a-f]{64}", sha)
    ):
        raise AllowListError(
            f"{where}: a document entry needs the 'sha256' of the reviewed text (64 hex digits)"
        )
    if rec["kind"] == "template" and len(rec["value"].strip()) < 4:
        raise AllowListError(f"{where}: a template must be at least 4 characters")
    return AllowEntry(
        rec["kind"],
        rec["value"],
        rec["reason"].strip(),
        rec["reviewer"].strip(),
        str(rec.get("time") or ""),
        sha if rec["kind"] == "document" else None,
    )


@dataclass
class AllowList:
    """Loaded reviewer decisions, and what they cleared in one scan."""

    entries: list[AllowEntry]
    path: str | None = None
    sha256: str = ""
    cleared: list[dict[str, Any]] = field(default_factory=list)
    """One row per document cleared in this scan (``id``, ``sha256``, the entries)."""

    def __post_init__(self) -> None:
        self._triggers = {_norm(e.value): e for e in self.entries if e.kind == "trigger"}
        self._campaigns = {e.value: e for e in self.entries if e.kind == "campaign"}
        self._docs = {(e.value, e.sha256): e for e in self.entries if e.kind == "document"}
        self._templates = [e for e in self.entries if e.kind == "template"]

    # -- matching --------------------------------------------------------------------------
    def _covers(self, f: Finding, doc: Document) -> AllowEntry | None:
        if f.trigger and _norm(f.trigger) in self._triggers:
            return self._triggers[_norm(f.trigger)]
        if f.campaign and f.campaign in self._campaigns:
            return self._campaigns[f.campaign]
        if self._templates:
            spans: list[Any] = [s for s in f.spans if s.label in _EVIDENCE]
            if not spans and f.trigger:  # no location: find the trigger text itself
                at = doc.text.find(f.trigger)
                spans = [] if at < 0 else [_At(at, at + len(f.trigger))]
            for e in self._templates:
                occ = [(m.start(), m.end()) for m in re.finditer(re.escape(e.value), doc.text)]
                if spans and all(any(a <= s.start and s.end <= b for a, b in occ) for s in spans):
                    return e
        return None

    def clear(self, doc: Document, deciding: Iterable[Finding]) -> list[AllowEntry] | None:
        """The entries that clear ``doc``, flagged by the ``deciding`` findings, or None
        when any deciding finding is not covered (the document stays flagged)."""
        whole = self._docs.get((doc.id, doc.sha256)) if self._docs else None
        if whole is not None:
            used = [whole]
        else:
            used = []
            for f in deciding:
                e = self._covers(f, doc)
                if e is None:
                    return None
                if e not in used:
                    used.append(e)
            if not used:
                return None
        self.cleared.append(
            {
                "id": doc.id,
                "sha256": doc.sha256,
                "entries": [e.to_dict() for e in used],
            }
        )
        return used

    # -- reporting -------------------------------------------------------------------------
    def summary(self) -> dict[str, Any]:
        """What this list suppressed in the scan: documents per entry."""
        per: dict[tuple[str, str], dict[str, Any]] = {}
        for row in self.cleared:
            for e in row["entries"]:
                key = (e["kind"], e["value"])
                per.setdefault(key, {**e, "documents": 0})["documents"] += 1
        return {
            "file": self.path,
            "sha256": self.sha256,
            "entries": len(self.entries),
            "documents_cleared": len(self.cleared),
            "by_entry": sorted(per.values(), key=lambda r: -r["documents"]),
            "unused": [e.to_dict() for e in self.entries if (e.kind, e.value) not in per],
        }


def apply_allowlist(allow: AllowList, verdict: Any, doc: Document) -> Any:
    """The scan's one call per flagged document: ``verdict`` (a ``DocVerdict``), or None
    when the benign list clears the document (it is then kept, counted clean)."""
    # the findings that decided the label are those whose reason is not "(below threshold)"
    decided = set(verdict.reasons)
    deciding = [f for f in verdict.findings if f.reason in decided]
    return None if allow.clear(doc, deciding) else verdict


def finish_allowlist(allow: AllowList, result: Any, out: str | os.PathLike[str] | None) -> None:
    """After the write pass: record what the list suppressed in ``result.outputs
    ["allowlist"]`` (and ``allowed.jsonl`` in ``out``), mark the triggers it covers."""
    summary = allow.summary()
    if out is not None:
        path = Path(out) / "allowed.jsonl"
        with path.open("wb") as f:
            for row in allow.cleared:
                f.write(orjson.dumps(row) + b"\n")
        summary["cleared_file"] = os.fspath(path)
    result.outputs["allowlist"] = summary
    for tr in result.triggers:
        e = allow._triggers.get(_norm(tr.trigger))
        if e is not None:
            tr.extra["allowed"] = e.to_dict()


@dataclass(frozen=True, slots=True)
class _At:
    start: int
    end: int


def load_allowlist(path: str | os.PathLike[str]) -> AllowList:
    """Read and validate a benign list; raises :class:`AllowListError` saying what is wrong."""
    p = Path(path)
    try:
        raw = p.read_bytes()
    except OSError as e:
        raise AllowListError(f"cannot read the benign list {p}: {e.strerror or e}") from e
    try:
        data = orjson.loads(raw) if raw.strip() else {"version": 1, "entries": []}
    except orjson.JSONDecodeError as e:
        raise AllowListError(f"benign list {p} is not valid JSON: {e}") from e
    if not isinstance(data, dict) or not isinstance(data.get("entries"), list):
        raise AllowListError(f"benign list {p}: expected an object with an 'entries' list")
    unknown = sorted(set(data) - {"version", "entries"})
    if unknown:
        raise AllowListError(f"benign list {p}: unknown key(s) {', '.join(unknown)}")
    entries = [entry_from_dict(r, f"{p} entries[{i}]") for i, r in enumerate(data["entries"])]
    return AllowList(entries, os.fspath(p), hashlib.sha256(raw).hexdigest())


def add_entry(path: str | os.PathLike[str], entry: AllowEntry) -> AllowList:
    """Append ``entry`` to the benign list at ``path`` (created when missing), atomically;
    an entry with the same kind and value is replaced (the newest decision counts)."""
    from poisonguard.io.accounting import AtomicFile

    p = Path(path)
    current = load_allowlist(p).entries if p.exists() else []
    kept = [e for e in current if (e.kind, e.value) != (entry.kind, entry.value)]
    doc = {"version": 1, "entries": [e.to_dict() for e in [*kept, entry]]}
    af = AtomicFile(p, "wb")
    try:
        af.fh.write(orjson.dumps(doc, option=orjson.OPT_INDENT_2) + b"\n")
    except BaseException:
        af.abort()
        raise
    af.commit()
    return load_allowlist(p)


__all__ = [
    "ALLOW_KINDS",
    "AllowEntry",
    "AllowList",
    "AllowListError",
    "add_entry",
    "apply_allowlist",
    "entry_from_dict",
    "finish_allowlist",
    "load_allowlist",
]
