"""``poisonguard corpus stats|convert``."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer
from rich.table import Table

from poisonguard.cli._common import (
    EXIT_BAD_INPUT,
    FormatOpt,
    IdFieldOpt,
    JsonOpt,
    MaxDocBytesOpt,
    MaxErrorRateOpt,
    StrictOpt,
    TextFieldOpt,
    console,
    emit_json,
    open_reader,
    progress_for,
    run_guarded,
)
from poisonguard.io import ErrorSink, write_json
from poisonguard.io.ops import convert_corpus, corpus_stats

corpus_app = typer.Typer(help="Inspect and convert corpora.", no_args_is_help=True)


@corpus_app.command("stats")
def stats(
    paths: list[str] = typer.Argument(..., help="Files, folders, globs, or - for stdin."),
    fmt: str | None = FormatOpt,
    text_field: str | None = TextFieldOpt,
    id_field: str | None = IdFieldOpt,
    strict: bool = StrictOpt,
    max_error_rate: float = MaxErrorRateOpt,
    max_doc_bytes: int = MaxDocBytesOpt,
    errors: Path | None = typer.Option(
        None, "--errors", help="Write unreadable records here (JSONL: file, line, offset, reason)."
    ),
    summary: Path | None = typer.Option(None, "--summary", help="Write the JSON summary here."),
    languages: int = typer.Option(
        2000, "--languages", help="Documents sampled for language identification (0: off)."
    ),
    as_json: bool = JsonOpt,
) -> None:
    """Format, documents, bytes, length distribution, fields, languages and errors."""
    reader = open_reader(paths, fmt, text_field, id_field, max_doc_bytes)

    def go() -> None:
        sink = ErrorSink(errors, strict=strict)
        with progress_for(reader, "reading", disable=as_json) as advance:
            st = corpus_stats(
                reader,
                errors=sink,
                language_sample=languages,
                max_error_rate=max_error_rate,
                advance=advance,
            )
        sink.close()
        data = st.to_dict()
        if summary:
            write_json(summary, data)
        if as_json:
            emit_json(data)
        else:
            _print_stats(data)
        st.accounting.check()

    run_guarded(go)


def _print_stats(d: dict[str, Any]) -> None:
    t = Table(title="corpus", show_header=False)
    acct = d["accounting"]
    t.add_row("format", ", ".join(f"{k} ({v} files)" for k, v in d["formats"].items()))
    t.add_row("records read", f"{acct['records_read']:,}")
    t.add_row("documents", f"{d['documents']:,}")
    t.add_row(
        "errors", f"{acct['errors']:,}" + (f"  {d['errors_by_kind']}" if acct["errors"] else "")
    )
    t.add_row("text bytes", f"{d['text_bytes']:,}")
    if d["input_bytes"] is not None:
        t.add_row("input bytes", f"{d['input_bytes']:,}")
    if d["length_chars"]:
        lc = d["length_chars"]
        t.add_row(
            "length (chars)",
            f"min {lc['min']:,} · p50 {lc['p50']:,.0f} · "
            f"p90 {lc['p90']:,.0f} · p99 {lc['p99']:,.0f} · max {lc['max']:,}",
        )
    t.add_row("shapes", ", ".join(f"{k} {v:,}" for k, v in d["shapes"].items()))
    t.add_row("fields", ", ".join(f"{k} {v:,}" for k, v in list(d["fields"].items())[:12]))
    if d["languages"]:
        langs = ", ".join(f"{k} {v}" for k, v in list(d["languages"].items())[:8])
        t.add_row(f"languages (first {d['language_sample']:,})", langs)
    t.add_row("balanced", "yes" if acct["balanced"] else "[red]NO[/]")
    console.print(t)
    for e in d["first_errors"][:5]:
        console.print(f"  [yellow]{e['file']}:{e['line']}[/] {e['reason']}")


@corpus_app.command("convert")
def convert(
    inp: list[str] = typer.Argument(..., metavar="IN...", help="Input files/folders/globs."),
    out: Path = typer.Option(
        ..., "--out", "-o", help="Output file: .jsonl, .jsonl.gz, .jsonl.zst or .parquet."
    ),
    fmt: str | None = FormatOpt,
    text_field: str | None = TextFieldOpt,
    id_field: str | None = IdFieldOpt,
    strict: bool = StrictOpt,
    max_error_rate: float = MaxErrorRateOpt,
    max_doc_bytes: int = MaxDocBytesOpt,
    shard_mb: float | None = typer.Option(
        None, "--shard-mb", help="Start a new shard every N MB (uncompressed)."
    ),
    errors: Path | None = typer.Option(
        None, "--errors", help="Errors file (default: <out>.errors.jsonl)."
    ),
    as_json: bool = JsonOpt,
) -> None:
    """Convert a corpus to JSONL or Parquet, keeping each record's shape and fields."""
    reader = open_reader(inp, fmt, text_field, id_field, max_doc_bytes)
    errors_path = errors or out.with_name(out.name + ".errors.jsonl")
    summary_path = out.with_name(out.name + ".summary.json")

    def go() -> None:
        with progress_for(reader, "converting", disable=as_json) as advance:
            res = convert_corpus(
                reader,
                out,
                errors_path=errors_path,
                shard_bytes=int(shard_mb * 1e6) if shard_mb else None,
                strict=strict,
                max_error_rate=max_error_rate,
                summary_path=summary_path,
                advance=advance,
            )
        if as_json:
            emit_json(res.to_dict())
        else:
            a = res.accounting
            console.print(
                f"read {a.read:,} records → wrote {a.outputs.get('converted', 0):,} "
                f"to {', '.join(map(str, res.outputs))}; {a.errors:,} errors "
                f"→ {errors_path}; summary → {summary_path}"
            )

    run_guarded(go)
    _ = EXIT_BAD_INPUT


def register(app: typer.Typer) -> None:
    """Add ``corpus`` to the main CLI."""
    app.add_typer(corpus_app, name="corpus")
