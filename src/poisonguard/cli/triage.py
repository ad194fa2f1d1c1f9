"""``poisonguard triage``: record reviewer decisions (the benign list) and turn them into
ledger events."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.markup import escape
from rich.table import Table

from poisonguard.cli._common import (
    EXIT_BAD_INPUT,
    EXIT_USAGE,
    JsonOpt,
    console,
    emit_json,
    fail,
    run_guarded,
)

triage_app = typer.Typer(
    help="Mark triggers, templates, campaigns or documents as reviewed-benign (with a "
    "reason and a reviewer); later scans with --allow FILE honour the list; decisions "
    "become ledger events.",
    no_args_is_help=True,
)


def _short(text: str, n: int = 70) -> str:
    return text if len(text) <= n else text[: n - 1] + "…"


@triage_app.command("allow")
def allow_command(
    allow_file: Path = typer.Argument(..., metavar="FILE", help="The benign list (JSON)."),
    reason: str = typer.Option(..., "--reason", help="Why it is benign (required)."),
    reviewer: str = typer.Option(..., "--reviewer", help="Who decided (required)."),
    template: str | None = typer.Option(
        None, "--template", help="Boilerplate text: findings whose evidence lies inside it."
    ),
    trigger: str | None = typer.Option(None, "--trigger", help="A mined trigger, exactly."),
    campaign: str | None = typer.Option(
        None, "--campaign", help="A campaign id (findings.jsonl, the report)."
    ),
    document: str | None = typer.Option(
        None, "--document", help="A document id; needs --scan to pin its text's SHA-256."
    ),
    scan_dir: Path | None = typer.Option(
        None, "--scan", help="Scan folder holding --document (its quarantine)."
    ),
    as_json: bool = JsonOpt,
) -> None:
    """Add one reviewed-benign decision to FILE (created when missing)."""
    from poisonguard.detect.allowlist import AllowListError, add_entry, entry_from_dict
    from poisonguard.provenance.lineage import iso, utc_now

    given = {
        k: v
        for k, v in (
            ("template", template),
            ("trigger", trigger),
            ("campaign", campaign),
            ("document", document),
        )
        if v is not None
    }
    if len(given) != 1:
        fail("give exactly one of --template, --trigger, --campaign, --document", EXIT_USAGE)
    kind, value = next(iter(given.items()))
    rec: dict[str, str] = {
        "kind": kind,
        "value": value,
        "reason": reason,
        "reviewer": reviewer,
        "time": iso(utc_now()),
    }
    if kind == "document":
        if scan_dir is None:
            fail("--document needs --scan DIR (the scan that flagged it)", EXIT_USAGE)
        rec["sha256"] = _sha_of(scan_dir, value)  # type: ignore[arg-type]  # fail() exits

    def go() -> None:
        try:
            entry = entry_from_dict(rec, "the new entry")
            lst = add_entry(allow_file, entry)
        except AllowListError as e:
            fail(str(e), EXIT_USAGE)
            return
        if as_json:
            emit_json(
                {"file": str(allow_file), "added": entry.to_dict(), "entries": len(lst.entries)}
            )
        else:
            console.print(
                f"{allow_file}: {len(lst.entries)} decision(s); added {escape(entry.kind)} "
                f"{escape(repr(_short(entry.value)))} ({escape(entry.reviewer)}: "
                f"{escape(entry.reason)})"
            )

    run_guarded(go)


def _sha_of(scan_dir: Path, doc_id: str) -> str:
    from poisonguard.detect.scandir import open_scan_dir
    from poisonguard.io import Document

    try:
        scan = open_scan_dir(scan_dir)
    except ValueError as e:
        fail(str(e), EXIT_USAGE)
        raise
    for item in scan.documents("quarantine"):
        if isinstance(item, Document) and item.id == doc_id:
            return item.sha256
    fail(f"document {doc_id!r} is not in the quarantine of {scan_dir}", EXIT_USAGE)
    raise AssertionError  # unreachable


@triage_app.command("show")
def show_command(
    allow_file: Path = typer.Argument(..., metavar="FILE", help="The benign list (JSON)."),
    as_json: bool = JsonOpt,
) -> None:
    """List the decisions in FILE."""
    from poisonguard.detect.allowlist import AllowListError, load_allowlist

    try:
        lst = load_allowlist(allow_file)
    except AllowListError as e:
        fail(str(e), EXIT_USAGE)
        return
    if as_json:
        emit_json([e.to_dict() for e in lst.entries])
        return
    t = Table(title=f"benign list {allow_file}")
    for col in ("kind", "value", "reviewer", "reason", "time"):
        t.add_column(col)
    for entry in lst.entries:
        t.add_row(
            entry.kind,
            escape(_short(entry.value, 50)),
            escape(entry.reviewer),
            escape(entry.reason),
            entry.time,
        )
    console.print(t)


@triage_app.command("record")
def record_command(
    scan_dir: Path = typer.Argument(..., metavar="SCAN_DIR", help="A finished scan's --out."),
    ledger: str = typer.Option(..., "--ledger", help="Ledger: SQLite file or database URL."),
    as_json: bool = JsonOpt,
) -> None:
    """Record the scan's review outcome per document as ``poisonguard-review`` ledger events
    (benign: cleared by the benign list; pass: nothing flagged; else the verdict)."""
    from collections import Counter

    from poisonguard.provenance import IngestStats, Ledger
    from poisonguard.provenance.review import review_events

    def go() -> None:
        results: Counter[str] = Counter()

        def counted() -> object:
            for ev in review_events(scan_dir):
                results[ev.result] += 1
                yield ev

        stats = IngestStats()
        try:
            with Ledger(ledger) as led:
                led.record_events(counted(), stats=stats)  # type: ignore[arg-type]
        except ValueError as e:
            fail(str(e), EXIT_BAD_INPUT)
        if stats.events_unknown_doc:
            fail(
                f"{len(stats.events_unknown_doc)} document(s) are not in the ledger (first: "
                f"{', '.join(stats.events_unknown_doc[:3])}); record the corpus first",
                EXIT_BAD_INPUT,
            )
        if as_json:
            emit_json({"events": dict(results), **stats.to_dict()})
        else:
            console.print(
                f"recorded {stats.events_recorded:,} review event(s) "
                f"({', '.join(f'{k} {v:,}' for k, v in sorted(results.items()))}); "
                f"{stats.events_duplicate:,} already known"
            )

    run_guarded(go)


def register(app: typer.Typer) -> None:
    """Add ``triage`` to the poisonguard CLI."""
    app.add_typer(triage_app, name="triage")
