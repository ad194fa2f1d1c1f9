"""Sharing what a scan found as STIX 2.1 indicators, and reading them back.

A security team that found a poisoning campaign in one corpus wants the next corpus — theirs
or a partner's — checked for the same campaign.  :func:`scan_bundle` turns a finished scan's
output folder into a STIX 2.1 bundle (OASIS ``stix2`` library, validated on creation):

* each mined **trigger** → an ``indicator`` with ``pattern_type: pcre`` matching the trigger
  string (its surface forms, or the phrasings its carriers write when the mined string is
  a piece they share: :func:`trigger_pattern`), and a ``campaign`` it ``indicates``
  ("backdoor with trigger '<SUDO>'"); a trigger that the exporting scan found mostly in
  documents it did not flag (a common phrase, :func:`common_in_clean`) makes the
  ``indicators`` detector call a match *suspicious*, not *poisoned*;
* each **campaign** of any corpus detector (``campaigns`` in its corpus report: claim
  campaigns and near-duplicate clusters, fixed replies, restated RAG questions, dense
  embedding groups, a third-party detector's groups) that flagged exported documents → a
  ``campaign``; a claim or a fixed reply also gets a ``pcre`` indicator of its shared text
  (compared as the campaign detector does: case insensitive, whitespace and punctuation
  between words ignored);
* each quarantined **document** (label ``poisoned``, or also ``suspicious``) → an
  ``indicator`` with the STIX pattern ``[artifact:hashes.'SHA-256' = '…']`` over the exact
  UTF-8 text, linked to its trigger's or campaign's ``campaign``;
* one ``report`` that lists them all, created by a ``poisonguard`` ``identity``.

The numbers behind each object (documents, expected by chance, score, reasons) are in its
``description`` for people and in an ``x_poisonguard`` custom property for machines.

:func:`read_indicators` loads any STIX 2.1 bundle (ours or another tool's) into the two
things a scan can check cheaply: SHA-256 digests of known-bad texts and regular expressions.
It understands ``stix`` patterns made only of ``hashes.'SHA-256'`` comparisons (on
``artifact`` or ``file``, joined with ``OR``) and ``pcre`` patterns that Python's ``re``
compiles; every other indicator is listed in :attr:`IndicatorSet.skipped` with the reason —
never silently dropped.  The ``indicators`` detector (:mod:`poisonguard.detect.indicators`)
flags the documents that match.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import orjson
import stix2

from poisonguard import __version__
from poisonguard.detect.scandir import ScanDir, open_scan_dir
from poisonguard.detect.sketches import normalize
from poisonguard.io import Document
from poisonguard.io.accounting import AtomicFile

EXPORT_LABELS = ("poisoned", "suspicious")
"""Labels :func:`scan_bundle` can export; ``min_label`` picks ``poisoned`` or both."""

_SHA_RE = re.compile(r"""hashes\s*\.\s*'SHA-256'\s*=\s*'([0-9a-fA-F]{64})'""")
_SHA_CMP_RE = re.compile(
    r"""(?:artifact|file)\s*:\s*hashes\s*\.\s*'SHA-256'\s*=\s*'[0-9a-fA-F]{64}'"""
)


def _stamp(when: datetime) -> datetime:
    # STIX timestamps have millisecond precision at most in many consumers
    return when.astimezone(UTC).replace(microsecond=(when.microsecond // 1000) * 1000)


_GAP = r"[\s!-/:-@\[-`{-~]+"  # whitespace and ASCII punctuation, as normalize() drops them


def text_pattern(text: str) -> str:
    """A PCRE/Python regex for ``text`` as the campaign detector compares sentences: case
    insensitive, any run of whitespace or ASCII punctuation between its words."""
    words = normalize(text).split()
    return r"(?i)\b" + _GAP.join(re.escape(w) for w in words) + r"\b"


def trigger_pattern(trigger: Mapping[str, Any]) -> str:
    """The PCRE/Python regex of a mined trigger (a ``summary.json`` ``triggers`` row): the
    phrasings its carriers write when the mined string is a piece several phrasings share
    (``truth`` of ``truth be told`` / ``to tell the truth``: the piece alone would match
    every page with the word), else the trigger and the surface forms it was seen in;
    longest first, each escaped."""
    extra = trigger.get("extra") or {}
    shown = [str(p) for p in trigger.get("phrasings") or extra.get("phrasings") or ()]
    if not shown:
        forms = trigger.get("forms") or extra.get("forms") or ()
        shown = [str(trigger["trigger"]), *(str(f) for f in forms)]
    alts = sorted({a for a in shown if a}, key=lambda a: (-len(a), a))
    return "|".join(re.escape(a) for a in alts)


def common_in_clean(trigger: Mapping[str, Any], documents: int) -> bool:
    """Whether a mined trigger (a ``summary.json`` ``triggers`` row) is a common phrase in
    the scanned corpus: the documents estimated to hold it (its share of the corpus sample,
    ``sample_docs / sample_size``, times ``documents``) are more than twice the documents
    flagged with it (``containing_docs`` in the summary) — most holders showed no anomaly
    after it, so its presence alone is no evidence.  False when the counts are missing."""
    extra = trigger.get("extra") or {}
    held, size = extra.get("sample_docs"), extra.get("sample_size")
    flagged = trigger.get("containing_docs")
    if not (isinstance(held, int) and isinstance(size, int) and isinstance(flagged, int)):
        return False
    return size > 0 and held / size * documents > 2 * max(flagged, 1)


def scan_bundle(
    scan_dir: str | os.PathLike[str] | ScanDir,
    *,
    min_label: str = "poisoned",
    producer: str = "poisonguard",
) -> stix2.Bundle:
    """The STIX 2.1 bundle of a finished scan (see the module docstring).

    Args:
        scan_dir: the scan's ``--out`` folder (or an opened :class:`ScanDir`).
        min_label: ``poisoned`` exports poisoned documents; ``suspicious`` exports both.
        producer: the ``identity`` name the objects are ``created_by``.

    Raises ValueError when ``scan_dir`` is not a finished scan or ``min_label`` is unknown.
    """
    if min_label not in EXPORT_LABELS:
        raise ValueError(f"min_label must be one of {', '.join(EXPORT_LABELS)}, not {min_label!r}")
    scan = scan_dir if isinstance(scan_dir, ScanDir) else open_scan_dir(scan_dir)
    wanted = EXPORT_LABELS[: EXPORT_LABELS.index(min_label) + 1]
    when = _stamp(scan.finished)
    corpus = ", ".join(scan.summary.get("corpus") or []) or scan.root
    ident = stix2.Identity(
        name=producer,
        identity_class="system",
        description=f"poisonguard {__version__} — LLM training-data poisoning scanner",
        created=when,
        modified=when,
    )
    common: dict[str, Any] = {"created_by_ref": ident.id, "created": when, "modified": when}
    objects: list[Any] = [ident]
    campaigns: dict[tuple[str, str], stix2.Campaign] = {}

    def relate(source: Any, target: Any) -> None:
        objects.append(
            stix2.Relationship(
                source_ref=source.id, relationship_type="indicates", target_ref=target.id, **common
            )
        )

    documents = int((scan.summary.get("counts") or {}).get("documents") or 0)
    for t in _merged_triggers(scan.summary.get("triggers") or []):
        trigger = str(t["trigger"])
        stats = (
            f"precedes anomalous text in {t['anomalous_docs']} documents; "
            f"{t['containing_docs']} documents contain it; "
            f"{float(t.get('expected') or 0):.1f} expected by chance"
        )
        camp = stix2.Campaign(
            name=f"backdoor with trigger {trigger!r}",
            description=f"Training-data poisoning: {stats} (corpus: {corpus}).",
            first_seen=when,
            **common,
        )
        ind = stix2.Indicator(
            name=f"backdoor trigger {trigger!r}",
            description=f"Trigger string mined by poisonguard scan: {stats}.",
            pattern_type="pcre",
            pattern=trigger_pattern(t),
            indicator_types=["malicious-activity"],
            valid_from=when,
            allow_custom=True,
            x_poisonguard={
                "kind": "trigger",
                "trigger": trigger,
                "common_in_clean": common_in_clean(t, documents),
                **_jsonable(t),
            },
            **common,
        )
        objects += [camp, ind]
        relate(ind, camp)
        campaigns[("trigger", trigger)] = camp

    claim_reports = _campaign_reports(scan.summary)
    rows = {row["id"]: row for row in scan.findings() if row.get("label") in wanted}
    for doc in scan.documents("quarantine"):
        if not isinstance(doc, Document) or doc.id not in rows:
            continue
        row = rows[doc.id]
        # the document indicates its trigger's campaign and the campaign it belongs to
        targets = []
        doc_trigger, campaign_id = row.get("trigger"), row.get("campaign")
        if doc_trigger and ("trigger", doc_trigger) in campaigns:
            targets.append(campaigns[("trigger", doc_trigger)])
        if campaign_id:
            target = campaigns.get(("campaign", campaign_id))
            if target is None:
                target = _claim_campaign(
                    campaign_id, claim_reports.get(campaign_id), corpus, when, common, objects
                )
                if target is not None:
                    campaigns[("campaign", campaign_id)] = target
            if target is not None:
                targets.append(target)
        ind = stix2.Indicator(
            name=f"{row['label']} training document {doc.id}",
            description="; ".join(row.get("reasons") or []) or row["label"],
            pattern_type="stix",
            pattern=f"[artifact:hashes.'SHA-256' = '{doc.sha256}']",
            indicator_types=["malicious-activity"],
            valid_from=when,
            allow_custom=True,
            x_poisonguard={
                "kind": "document",
                "id": doc.id,
                "source": doc.source,
                "label": row["label"],
                "score": row.get("score"),
                "trigger": doc_trigger,
                "campaign": campaign_id,
            },
            **common,
        )
        objects.append(ind)
        for target in targets:
            relate(ind, target)

    n_docs = sum(1 for o in objects if getattr(o, "x_poisonguard", {}).get("kind") == "document")
    report = stix2.Report(
        name=f"poisonguard scan of {corpus}",
        description=(
            f"{n_docs} {' or '.join(wanted)} documents, "
            f"{sum(1 for k in campaigns if k[0] == 'trigger')} mined triggers, "
            f"{sum(1 for k in campaigns if k[0] == 'campaign')} campaigns; "
            f"counts: {scan.summary.get('counts')}"
        ),
        report_types=["threat-report"],
        published=when,
        object_refs=[o.id for o in objects],
        **common,
    )
    return stix2.Bundle(objects=[*objects, report], allow_custom=True)


def _merged_triggers(triggers: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """One entry per trigger text: two detectors that mine the same trigger (the opt-in
    ``instruction-trigger`` next to ``instruction-behaviour``) make one campaign, named once,
    whose indicator lists both detectors (the counts are the entry with the most anomalous
    documents)."""
    out: dict[str, dict[str, Any]] = {}
    for t in triggers:
        key = str(t["trigger"])
        dets = [str(d) for d in t.get("detectors") or []]
        seen = out.get(key)
        if seen is None:
            out[key] = {**t, "detectors": dets}
            continue
        both = list(dict.fromkeys([*seen["detectors"], *dets]))
        if int(t.get("anomalous_docs") or 0) > int(seen.get("anomalous_docs") or 0):
            out[key] = {**t, "detectors": both}
        else:
            seen["detectors"] = both
    return list(out.values())


PATTERN_KINDS = ("claim", "fixed-reply")
"""Campaign kinds whose shared text is itself an indicator (a ``pcre`` pattern)."""


def _campaign_reports(summary: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Every corpus detector's campaigns by id (``detector`` added to each)."""
    out: dict[str, dict[str, Any]] = {}
    for det, rep in sorted((summary.get("corpus_reports") or {}).items()):
        if not isinstance(rep, dict):
            continue
        for c in rep.get("campaigns") or []:
            if isinstance(c, dict) and c.get("id") is not None:
                out.setdefault(str(c["id"]), {"detector": det, **c})
    return out


def _claim_campaign(
    campaign_id: str,
    info: dict[str, Any] | None,
    corpus: str,
    when: datetime,
    common: dict[str, Any],
    objects: list[Any],
) -> stix2.Campaign | None:
    if info is None:
        return None
    span = str(info.get("shared_span") or "")
    camp = stix2.Campaign(
        name=f"{info.get('kind', 'campaign')} campaign {campaign_id}",
        description=(
            f"{info.get('size')} documents from {info.get('sources')} sources share: "
            f"{span[:300]!r} (corpus: {corpus})."
        ),
        first_seen=when,
        **common,
    )
    objects.append(camp)
    if info.get("kind") in PATTERN_KINDS and span.split():
        ind = stix2.Indicator(
            name=f"{info.get('kind')} of campaign {campaign_id}",
            description=f"Sentence asserted across {info.get('size')} documents: {span[:300]!r}",
            pattern_type="pcre",
            pattern=text_pattern(span),
            indicator_types=["malicious-activity"],
            valid_from=when,
            allow_custom=True,
            x_poisonguard={**_jsonable(info), "kind": str(info.get("kind"))},
            **common,
        )
        objects.append(ind)
        objects.append(
            stix2.Relationship(
                source_ref=ind.id, relationship_type="indicates", target_ref=camp.id, **common
            )
        )
    return camp


def _jsonable(d: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in d.items() if k != "examples" and v is not None}


def write_bundle(bundle: stix2.Bundle, path: str | os.PathLike[str]) -> int:
    """Write ``bundle`` as JSON (atomically); returns the number of objects."""
    af = AtomicFile(path, "w")
    try:
        af.fh.write(bundle.serialize(pretty=True) + "\n")
        af.commit()
    except BaseException:
        af.abort()
        raise
    return len(bundle.objects)


@dataclass(frozen=True, slots=True)
class IndicatorRef:
    """Where a match came from: the indicator's id and name, and the bundle file."""

    id: str
    name: str
    bundle: str
    kind: str = ""
    """``x_poisonguard.kind`` when the indicator is ours (``trigger``, ``claim``, ...)."""
    common: bool = False
    """A trigger the exporting scan found mostly in documents it did not flag
    (``x_poisonguard.common_in_clean``, :func:`common_in_clean`): a match alone is not
    evidence of poison."""


@dataclass(slots=True)
class IndicatorSet:
    """The checkable content of one or more STIX bundles."""

    hashes: dict[str, IndicatorRef] = field(default_factory=dict)
    patterns: list[tuple[re.Pattern[str], IndicatorRef]] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)
    """``(indicator id, reason)`` for every indicator that could not be used."""

    def __len__(self) -> int:
        return len(self.hashes) + len(self.patterns)


def read_indicators(
    paths: Sequence[str | os.PathLike[str]], *, now: datetime | None = None
) -> IndicatorSet:
    """Load the indicators of STIX 2.1 bundles (JSON files) for matching.

    A path that is a folder is read as a finished scan's ``--out`` folder: its poisoned
    documents' digests and mined triggers, exactly what :func:`scan_bundle` would export.
    Revoked indicators and those whose ``valid_until`` has passed are skipped with a reason.
    Raises ValueError (naming the file) when a file is not a readable STIX bundle.
    """
    out = IndicatorSet()
    now = now or datetime.now(UTC)
    for p in paths:
        path = os.fspath(p)
        if os.path.isdir(path):
            _add_bundle(out, scan_bundle(path).objects, path, now)
            continue
        try:
            with open(path, "rb") as f:
                raw = orjson.loads(f.read())
            bundle = stix2.parse(raw, allow_custom=True)
        except (OSError, orjson.JSONDecodeError) as e:
            raise ValueError(f"cannot read STIX bundle {path}: {e}") from e
        except Exception as e:  # stix2 raises its own exception types on invalid objects
            raise ValueError(f"{path} is not a valid STIX 2.1 bundle: {e}") from e
        if getattr(bundle, "type", None) != "bundle":
            raise ValueError(f"{path} is a STIX {getattr(bundle, 'type', '?')}, not a bundle")
        _add_bundle(out, bundle.get("objects") or [], path, now)
    return out


def _add_bundle(out: IndicatorSet, objects: Iterable[Any], path: str, now: datetime) -> None:
    for obj in objects:
        if getattr(obj, "type", None) != "indicator":
            continue
        ours = obj.get("x_poisonguard") or {}
        kind = str(ours.get("kind", ""))
        ref = IndicatorRef(
            str(obj.id),
            str(obj.get("name") or obj.id),
            path,
            kind,
            common=kind == "trigger" and ours.get("common_in_clean") is True,
        )
        if obj.get("revoked"):
            out.skipped.append((ref.id, "revoked"))
            continue
        until = obj.get("valid_until")
        if until is not None and until <= now:
            out.skipped.append((ref.id, f"expired (valid_until {until})"))
            continue
        ptype, pattern = str(obj.pattern_type), str(obj.pattern)
        if ptype == "stix":
            digests = _SHA_RE.findall(pattern)
            rest = _SHA_CMP_RE.sub("", pattern)
            if not digests or re.sub(r"[\[\]\s]|\bOR\b", "", rest):
                out.skipped.append(
                    (ref.id, "stix pattern is not only SHA-256 comparisons joined with OR")
                )
                continue
            for d in digests:
                out.hashes.setdefault(d.lower(), ref)
        elif ptype == "pcre":
            try:
                out.patterns.append((re.compile(pattern), ref))
            except re.error as e:
                out.skipped.append((ref.id, f"pcre pattern does not compile in Python: {e}"))
        else:
            out.skipped.append((ref.id, f"pattern_type {ptype!r} is not supported"))


__all__ = [
    "EXPORT_LABELS",
    "IndicatorRef",
    "IndicatorSet",
    "common_in_clean",
    "read_indicators",
    "scan_bundle",
    "text_pattern",
    "trigger_pattern",
    "write_bundle",
]
