"""Shared CLI plumbing: reader options, progress bars, summaries and exit codes."""

from __future__ import annotations

import json
import os
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import (
    BarColumn,
    Progress,
    TaskID,
    TaskProgressColumn,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from typer.core import TyperArgument, TyperCommand, TyperGroup, TyperOption

from poisonguard.io import (
    AccountingError,
    CorpusError,
    CorpusReader,
    ErrorRateExceeded,
    ReadFailure,
)

console = Console(soft_wrap=True)
"""Results (tables, summaries) go to stdout, so that ``| grep`` and ``> file`` work."""
log = Console(stderr=True, soft_wrap=True)
"""Progress, logs and errors go to stderr, so that they never mix into piped results."""

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
StrictOpt = typer.Option(
    False,
    "--strict/--no-strict",
    help="Stop at the first unreadable record (default: record it in errors.jsonl, go on).",
)
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
    log.print(f"[bold red]error:[/] {escape(message)}", soft_wrap=True)
    raise typer.Exit(code)


def _mb(n: float) -> str:
    return f"{n / 1e6:,.1f} MB"


def _eta(seconds: float) -> str:
    s = round(seconds)
    return (
        f"{s // 3600}:{s % 3600 // 60:02d}:{s % 60:02d}" if s >= 3600 else f"{s // 60}:{s % 60:02d}"
    )


def progress_interval() -> float:
    """Seconds between plain progress lines when stderr is not a terminal
    (``POISONGUARD_PROGRESS_INTERVAL``, default 10)."""
    try:
        return max(0.0, float(os.environ.get("POISONGUARD_PROGRESS_INTERVAL", "10")))
    except ValueError:
        return 10.0


class PassProgress:
    """Progress of one or more passes over a corpus, on stderr.

    Call it as ``progress(stage, documents_done, bytes_done=None)``; a new ``stage`` starts
    a new pass.  On a terminal each pass is a rich bar with documents, documents/s, MB read
    of the total, MB/s and ETA (by bytes when the input size is known, else by documents
    once a pass has counted them); without a terminal (a log, CI, ``nohup``) a plain line
    per pass start and end and one every :func:`progress_interval` seconds in between.
    """

    wants_bytes = True
    """Tells the scan pipeline to pass the input bytes read so far."""

    def __init__(
        self,
        total_bytes: int | None,
        *,
        tty: bool | None = None,
        interval: float | None = None,
        out: Console | None = None,
    ) -> None:
        self.total_bytes = total_bytes or None
        self.out = out or log
        self.tty = self.out.is_terminal if tty is None else tty
        self.interval = progress_interval() if interval is None else interval
        self.total_docs: int | None = None
        self.stage: str | None = None
        self.docs = 0
        self.bytes: int | None = None
        self.t0 = self.last = self.t_update = self.t_prev = time.monotonic()
        self.docs0 = self.bytes0 = 0
        self.bars: Progress | None = None
        self.task: TaskID | None = None

    # -- rates -------------------------------------------------------------------------
    MIN_SECONDS = 0.05
    """Shorter than this, a rate is not measured (and not shown)."""

    def rates(self) -> tuple[float | None, float | None]:
        """Documents/s and bytes/s of the current pass, or None where not measured.

        Counted from the pass's first report (it may come after fitting models); a pass
        reported only once (a small input read in one go) counts from the end of the
        previous pass.  The byte rate needs the byte position to have moved: a position
        that stays put while documents advance (a reader that reports it per block) gives
        no MB/s rather than a false 0 or a "?".
        """
        docs0, bytes0, t0 = self.docs0, self.bytes0, self.t0
        if self.docs <= docs0:
            docs0, bytes0, t0 = 0, 0, self.t_prev
        elapsed = self.t_update - t0
        if elapsed < self.MIN_SECONDS or self.docs <= docs0:
            return None, None
        docs_rate = (self.docs - docs0) / elapsed
        moved = self.bytes is not None and self.bytes > bytes0
        return docs_rate, ((self.bytes or 0) - bytes0) / elapsed if moved else None

    def fraction(self) -> tuple[float | None, float]:
        """(done, done at the pass's first report) as shares of the total: by bytes when
        the input size is known and the position moves, else by documents."""
        if self.bytes and self.total_bytes:
            return min(1.0, self.bytes / self.total_bytes), self.bytes0 / self.total_bytes
        if self.total_docs:
            return min(1.0, self.docs / self.total_docs), self.docs0 / self.total_docs
        return None, 0.0

    # -- plain lines -----------------------------------------------------------------------
    def line(self) -> str:
        """One plain line describing the current pass (up to its latest update)."""
        elapsed = max(self.t_update - self.t0, 1e-9)
        parts = [f"{self.stage}: {self.docs:,}"]
        parts[0] += f" of {self.total_docs:,} documents" if self.total_docs else " documents"
        docs_rate, bytes_rate = self.rates()
        if docs_rate is not None:
            parts.append(f"{docs_rate:,.0f} docs/s")
        if self.bytes:
            read = _mb(self.bytes) + (f" of {_mb(self.total_bytes)}" if self.total_bytes else "")
            parts.append(read + (f", {bytes_rate / 1e6:,.1f} MB/s" if bytes_rate else ""))
        frac, frac0 = self.fraction()
        if frac is not None:
            parts.append(f"{frac:.0%}")
            if frac0 < frac < 1:
                parts.append(f"ETA {_eta(elapsed * (1 - frac) / (frac - frac0))}")
        parts.append(f"elapsed {_eta(elapsed)}")
        return " · ".join(parts)

    def _emit(self) -> None:
        self.out.print(self.line(), markup=False, highlight=False, soft_wrap=True)
        self.last = time.monotonic()

    # -- the callback ----------------------------------------------------------------------
    def __call__(self, stage: str, n: int, nbytes: int | None = None) -> None:
        now = time.monotonic()
        if stage != self.stage:
            self._end_stage()
            # rates count from the pass's first report (it may come after a first shard,
            # or after fitting models)
            self.stage, self.t0, self.last = stage, now, 0.0
            self.docs0, self.bytes0 = n, nbytes or 0
            if self.tty:
                self._start_bar()
        self.docs, self.bytes, self.t_update = n, nbytes, now
        if self.tty:
            self._update_bar()
        elif time.monotonic() - self.last >= self.interval:
            self._emit()

    def _start_bar(self) -> None:
        if self.bars is None:
            self.bars = Progress(
                TextColumn("[bold]{task.description:>8}"),
                BarColumn(),
                TaskProgressColumn(),
                TextColumn("{task.fields[docs]}"),
                TimeElapsedColumn(),
                TimeRemainingColumn(),
                console=self.out,
            )
            self.bars.start()
        self.task = self.bars.add_task(self.stage or "", total=self.total_bytes, docs="")

    def _update_bar(self) -> None:
        if self.bars is None or self.task is None:
            return
        of = f"/{self.total_docs:,}" if self.total_docs else ""
        docs_rate, bytes_rate = self.rates()
        docs = f"{self.docs:,}{of} docs"
        if docs_rate is not None:
            docs += f" · {docs_rate:,.0f}/s"
        if self.bytes:
            docs += f" · {_mb(self.bytes)}" + (
                f"/{_mb(self.total_bytes)}" if self.total_bytes else ""
            )
            if bytes_rate:
                docs += f" · {bytes_rate / 1e6:,.1f} MB/s"
        if self.bytes and self.total_bytes:
            self.bars.update(self.task, completed=self.bytes, docs=docs)
        elif self.total_docs:
            # no byte position (documents in memory): the bar counts documents
            self.bars.update(self.task, total=self.total_docs, completed=self.docs, docs=docs)
        else:
            self.bars.update(self.task, docs=docs)

    def _end_stage(self) -> None:
        if self.stage is None:
            return
        self.t_prev = time.monotonic()
        if self.docs:
            self.total_docs = max(self.total_docs or 0, self.docs)
        if self.tty and self.bars is not None and self.task is not None:
            t = self.bars.tasks[self.task]
            self.bars.update(self.task, completed=t.total or t.completed)
        elif not self.tty:
            self._emit()

    def close(self) -> None:
        """End the last pass (a final line, or a full bar)."""
        self._end_stage()
        self.stage = None
        if self.bars is not None:
            self.bars.stop()
            self.bars = None


@contextmanager
def pass_progress(total_bytes: int | None, *, enabled: bool = True) -> Iterator[Any]:
    """A :class:`PassProgress` for the duration of a run (None when not ``enabled``)."""
    if not enabled:
        yield None
        return
    p = PassProgress(total_bytes)
    try:
        yield p
    finally:
        p.close()


@contextmanager
def progress_for(
    reader: CorpusReader | None,
    description: str,
    *,
    disable: bool = False,
    total: float | None = None,
) -> Iterator[Any]:
    """Progress of one pass over ``reader``: documents/s, and MB/s and ETA when the input
    size is known (rates only once measured); a rich bar on a terminal, plain lines
    otherwise (:class:`PassProgress`).

    Yields a callable ``advance(docs=1)`` that also refreshes the byte position.
    """
    if disable:
        yield lambda docs=1: None
        return
    p = PassProgress(reader.total_bytes if reader is not None else None)
    if total is not None and reader is None:
        p.total_docs = int(total)
    state = {"docs": 0, "shown": 0}

    def advance(docs: int = 1) -> None:
        state["docs"] += docs
        if state["docs"] - state["shown"] >= 512 or docs > 1:
            state["shown"] = state["docs"]
            p(description, state["docs"], reader.bytes_consumed if reader is not None else None)

    try:
        yield advance
        p(description, state["docs"], reader.bytes_consumed if reader is not None else None)
    finally:
        p.close()


def emit_json(data: Any) -> None:
    """Print machine-readable JSON on stdout."""
    sys.stdout.write(json.dumps(data, indent=2, ensure_ascii=False, default=str) + "\n")


def first_errors(errors_file: str | os.PathLike[str] | None, limit: int = 2) -> str:
    """``"; first: FILE:LINE REASON"`` for the first records of an errors file ("" if none)."""
    if errors_file is None or not Path(errors_file).is_file():
        return ""
    reasons: list[str] = []
    try:
        with open(errors_file, encoding="utf-8") as f:
            for raw in f:
                try:
                    e = json.loads(raw)
                except ValueError:
                    continue
                where = str(e.get("file", "?")) + (f":{e['line']}" if e.get("line") else "")
                reasons.append(f"{where}: {e.get('reason', '?')}")
                if len(reasons) >= limit:
                    break
    except OSError:
        return ""
    return f" — first: {'; '.join(reasons)} (all in {errors_file})" if reasons else ""


def run_guarded(fn: Any, *, errors_file: str | os.PathLike[str] | None = None) -> Any:
    """Run ``fn`` turning poisonguard's own failure types, and the operating system's
    (a path that is a file, a full disk), into one-line reasons and clean exits.
    ``errors_file``: where the run records unreadable records, quoted on error-rate exits."""
    try:
        return fn()
    except ReadFailure as e:
        fail(f"unreadable record (--strict): {e}", EXIT_BAD_INPUT)
    except ErrorRateExceeded as e:
        fail(f"{e}{first_errors(errors_file)}", EXIT_BAD_INPUT)
    except AccountingError as e:
        fail(f"accounting check failed: {e}", EXIT_ACCOUNTING)
    except CorpusError as e:
        fail(str(e), EXIT_USAGE)
    except (FileExistsError, NotADirectoryError) as e:
        fail(f"{e.filename}: {e.strerror} (expected a folder)", EXIT_USAGE)
    except OSError as e:
        where = f"{e.filename}: " if e.filename else ""
        fail(f"{where}{e.strerror or e}", EXIT_BAD_INPUT)
    return None


def out_dir_option(path: Path | None, flag: str = "--out") -> None:
    """Fail in one line when an output folder option names an existing file."""
    if path is not None and path.exists() and not path.is_dir():
        fail(f"{flag} {path} is an existing file; give a folder (created if missing)", EXIT_USAGE)


class _Argument(TyperArgument):
    """A positional argument shown as ``NAME...`` / ``[NAME]`` in usage lines."""

    @property
    def display_name_raw(self) -> str:
        # a metavar written as "[NAME]" or "NAME..." is bracketed/dotted here, not twice
        return str(self.metavar or self.name or "").strip("[]").removesuffix("...").upper()

    def _usage_display_name(self) -> str:
        name = self.display_name_raw
        if not self.required:
            name = f"[{name}]"
        if self.nargs != 1:
            name += "..."
        return name


class _Option(TyperOption):
    """An option whose help shows no type for flags (``--json``, ``--strict/--no-strict``)."""

    def display_type_rich(self, ctx: Any) -> str | None:
        if self.is_flag:
            return None
        return super().display_type_rich(ctx)

    def display_type(self, ctx: Any) -> str:
        return "" if self.is_flag else super().display_type(ctx)


def _tidy(params: list[Any]) -> list[Any]:
    for p in params:  # includes --help, which click adds late
        if type(p) is TyperArgument:
            p.__class__ = _Argument
        elif type(p) is TyperOption:
            p.__class__ = _Option
    return params


class Command(TyperCommand):
    """Every poisonguard command: readable usage (``CORPUS...``) and flag help."""

    def get_params(self, ctx: Any) -> list[Any]:
        return _tidy(super().get_params(ctx))


class Group(TyperGroup):
    """Every poisonguard command group: flag help without a type."""

    def get_params(self, ctx: Any) -> list[Any]:
        return _tidy(super().get_params(ctx))


def ensure_out_dir(path: Path) -> Path:
    path.mkdir(parents=True, exist_ok=True)
    return path
