"""``poisonguard indicators``: share what a scan found as STIX 2.1, and inspect bundles."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import typer
from rich.table import Table

from poisonguard.cli._common import EXIT_BAD_INPUT, EXIT_USAGE, JsonOpt, console, emit_json, fail

ind_app = typer.Typer(
    help="Share scan findings as STIX 2.1 indicators; check what a bundle holds.",
    no_args_is_help=True,
)


@ind_app.command("export")
def export_command(
    scan_dir: Path = typer.Argument(..., help="Output folder of `poisonguard scan --out`."),
    out: Path = typer.Option(..., "--out", "-o", help="STIX 2.1 bundle (JSON) to write."),
    min_label: str = typer.Option(
        "poisoned",
        "--min-label",
        help="Export documents at least this bad: poisoned | suspicious.",
    ),
    as_json: bool = JsonOpt,
) -> None:
    """Write a scan's mined triggers, claim campaigns and poisoned documents as STIX 2.1."""
    from poisonguard.report.stix import scan_bundle, write_bundle

    try:
        bundle = scan_bundle(scan_dir, min_label=min_label)
    except ValueError as e:
        fail(str(e), EXIT_USAGE if "min_label" in str(e) else EXIT_BAD_INPUT)
        return
    n = write_bundle(bundle, out)
    kinds = Counter(o.type for o in bundle.objects)
    if as_json:
        emit_json({"bundle": str(out), "objects": n, "types": dict(kinds)})
        return
    console.print(
        f"wrote {out}: {n} STIX objects ("
        + ", ".join(f"{v} {k}" for k, v in sorted(kinds.items()))
        + ")"
    )


@ind_app.command("show")
def show_command(
    bundles: list[Path] = typer.Argument(..., help="STIX 2.1 bundle files."),
    as_json: bool = JsonOpt,
) -> None:
    """What a scan with `--indicators` would check: usable indicators and skipped ones."""
    from poisonguard.report.stix import read_indicators

    try:
        ind = read_indicators([str(b) for b in bundles])
    except ValueError as e:
        fail(str(e), EXIT_BAD_INPUT)
        return
    if as_json:
        emit_json(
            {
                "sha256": len(ind.hashes),
                "patterns": [
                    {"id": r.id, "name": r.name, "regex": rx.pattern} for rx, r in ind.patterns
                ],
                "skipped": [{"id": i, "reason": why} for i, why in ind.skipped],
            }
        )
        return
    console.print(f"{len(ind.hashes):,} document digests (SHA-256), {len(ind.patterns)} patterns")
    if ind.patterns:
        t = Table(title="patterns")
        t.add_column("indicator")
        t.add_column("regex")
        for rx, ref in ind.patterns[:50]:
            t.add_row(ref.name, rx.pattern[:80])
        console.print(t)
    if ind.skipped:
        console.print(f"[yellow]{len(ind.skipped)} indicator(s) skipped:[/]")
        for ident, why in ind.skipped[:20]:
            console.print(f"  {ident}: {why}")


def register(app: typer.Typer) -> None:
    """Add ``indicators`` to the main CLI."""
    app.add_typer(ind_app, name="indicators")
