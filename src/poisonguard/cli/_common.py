"""Shared CLI plumbing: reader options, progress bars, summaries and exit codes."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskProgressColumn,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
    TransferSpeedColumn,
)

from poisonguard.io import (
    AccountingError,
    CorpusError,
    CorpusReader,
    ErrorRateExceeded,
    ReadFailure,
)

console = Console(stderr=True)
"""Human output goes to stderr so that ``--json`` output on stdout stays parseable."""

EXIT_OK = 0
EXIT_FINDINGS = 1
EXIT_USAGE = 2
EXIT_BAD_INPUT = 3
EXIT_ACCOUNTING = 4

FormatOpt = typer.Option(
    None,
    "--format",
    "-f",
    help="Input format: jsonl, parquet, csv, tsv, text, hf, arrow "
    "(default: from the file name, then the content).",
)
TextFieldOpt = typer.Option(None, "--text-field", help="Field that holds the text.")
IdFieldOpt = typer.Option(
    None, "--id-field", help="Field that holds the id (default: id, else file:line)."
)
StrictOpt = typer.Option(False, "--strict", help="Stop at the first unreadable record.")
MaxErrorRateOpt = typer.Option(
    0.01,
    "--max-error-rate",
    help="Fail the run when more than this share of records cannot be read.",
)
MaxDocBytesOpt = typer.Option(
    16 * 1024 * 1024, "--max-doc-bytes", help="Records larger than this become errors."
)
JsonOpt = typer.Option(False, "--json", help="Print a JSON summary on stdout.")


def open_reader(
    paths: list[str],
    fmt: str | None,
    text_field: str | None,
    id_field: str | None,
    max_doc_bytes: int,
) -> CorpusReader:
    """A CorpusReader, turning unusable paths into a clean exit with a message."""
    try:
        return CorpusReader(
            paths, format=fmt, text_field=text_field, id_field=id_field, max_doc_bytes=max_doc_bytes
        )
    except CorpusError as e:
        fail(str(e), EXIT_USAGE)
        raise  # unreachable


def fail(message: str, code: int = EXIT_BAD_INPUT) -> None:
    """Print an error and exit with ``code``."""
    console.print(f"[bold red]error:[/] {escape(message)}")
    raise typer.Exit(code)


@contextmanager
def progress_for(
    reader: CorpusReader | None,
    description: str,
    *,
    disable: bool = False,
    total: float | None = None,
) -> Iterator[Any]:
    """A rich progress bar: documents/s always, MB/s and ETA when the input size is known.

    Yields a callable ``advance(docs=1)`` that also refreshes the byte position.
    """
    columns: list[Any] = [
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        TaskProgressColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[docs]:,} docs · {task.fields[rate]}"),
        TransferSpeedColumn(),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
    ]
    byte_total = reader.total_bytes if reader is not None and total is None else None
    byte_mode = byte_total is not None
    with Progress(
        *columns, console=console, disable=disable or not sys.stderr.isatty(), transient=False
    ) as progress:
        task = progress.add_task(
            description, total=byte_total if byte_mode else total, docs=0, rate=""
        )
        state = {"docs": 0}

        def advance(docs: int = 1) -> None:
            state["docs"] += docs
            if state["docs"] % 512 == 0 or docs > 1:
                t = progress.tasks[0]
                elapsed = t.elapsed or 0.0
                rate = f"{state['docs'] / elapsed:,.0f} docs/s" if elapsed > 0 else ""
                if byte_mode and reader is not None:
                    progress.update(
                        task, completed=reader.bytes_consumed, docs=state["docs"], rate=rate
                    )
                else:
                    progress.update(task, completed=state["docs"], docs=state["docs"], rate=rate)

        yield advance
        if byte_mode:
            progress.update(task, completed=byte_total, docs=state["docs"])


def emit_json(data: Any) -> None:
    """Print machine-readable JSON on stdout."""
    sys.stdout.write(json.dumps(data, indent=2, ensure_ascii=False, default=str) + "\n")


def run_guarded(fn: Any) -> Any:
    """Run ``fn`` turning poisonguard's own failure types into clear exits."""
    try:
        return fn()
    except ReadFailure as e:
        fail(f"unreadable record (--strict): {e}", EXIT_BAD_INPUT)
    except ErrorRateExceeded as e:
        fail(str(e), EXIT_BAD_INPUT)
    except AccountingError as e:
        fail(f"accounting check failed: {e}", EXIT_ACCOUNTING)
    except CorpusError as e:
        fail(str(e), EXIT_USAGE)
    return None


def ensure_out_dir(path: Path) -> Path:
    path.mkdir(parents=True, exist_ok=True)
    return path
