"""``poisonguard scan`` and ``poisonguard demo``."""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import typer
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.table import Table

from poisonguard.cli._common import (
    EXIT_FINDINGS,
    EXIT_USAGE,
    FormatOpt,
    IdFieldOpt,
    JsonOpt,
    MaxDocBytesOpt,
    MaxErrorRateOpt,
    StrictOpt,
    TextFieldOpt,
    console,
    emit_json,
    fail,
    run_guarded,
)

FAIL_ON = ("none", "suspicious", "poisoned")


@contextmanager
def _progress(enabled: bool) -> Iterator[Any]:
    """The scan's ``progress(stage, documents)`` callback: on a terminal, one rich bar per
    pass (documents, documents/s, ETA once the first pass has counted the corpus); in a
    log (no terminal), a line every 10 s; nothing with ``--json``."""
    if not enabled:
        yield None
        return
    if not sys.stderr.isatty():
        last = {"t": time.monotonic()}

        def line(stage: str, n: int) -> None:
            now = time.monotonic()
            if n and now - last["t"] > 10.0:
                last["t"] = now
                console.print(f"[dim]{stage}: {n:,} documents[/]")

        yield line
        return
    with Progress(
        TextColumn("[bold]{task.description:>8}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[rate]}"),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
        console=console,
    ) as bars:
        tasks: dict[str, TaskID] = {}
        corpus = {"documents": 0}

        def finish() -> None:
            # a pass that ended: a full bar, or hidden when it never counted documents
            for tid in tasks.values():
                t = bars.tasks[tid]
                if t.completed:
                    bars.update(tid, total=t.completed)
                else:
                    bars.update(tid, visible=False)

        def update(stage: str, n: int) -> None:
            if stage not in tasks:
                finish()
                tasks[stage] = bars.add_task(stage, total=corpus["documents"] or None, rate="")
            corpus["documents"] = max(corpus["documents"], n)
            task = bars.tasks[tasks[stage]]
            rate = f"{n / task.elapsed:,.0f} docs/s" if task.elapsed else ""
            bars.update(tasks[stage], completed=n, rate=rate)

        yield update
        finish()


def scan_command(
    corpus: list[str] = typer.Argument(..., help="Files, folders, globs, or - for stdin."),
    out: Path = typer.Option(
        ...,
        "--out",
        "-o",
        help="Output folder: kept/quarantine "
        "corpora, findings.jsonl/.parquet, summary.json, errors.jsonl.",
    ),
    kind: str = typer.Option("pretrain", "--kind", help="pretrain | instruction | rag."),
    reference: list[str] | None = typer.Option(
        None,
        "--reference",
        help="Clean reference corpus to fit models and calibrate on (repeatable).",
    ),
    target_fpr: float = typer.Option(
        0.001, "--target-fpr", help="Share of clean documents that may be flagged."
    ),
    workers: int = typer.Option(1, "--workers", "-w", help="Worker processes / Ray CPUs."),
    backend: str = typer.Option("local", "--backend", help="local | ray."),
    report: Path | None = typer.Option(None, "--report", help="Write the HTML report here."),
    fail_on: str = typer.Option(
        "none",
        "--fail-on",
        help="Exit 1 when a document is at least this bad: none | suspicious | poisoned.",
    ),
    min_trigger_docs: int = typer.Option(
        5, "--min-trigger-docs", help="Documents needed to confirm a trigger or campaign (k)."
    ),
    detector: list[str] | None = typer.Option(
        None,
        "--detector",
        help="Run only these "
        "detectors (repeatable); +NAME adds an "
        "opt-in detector to the defaults (e.g. "
        "--detector +embeddings).",
    ),
    exclude: list[str] | None = typer.Option(
        None, "--exclude", help="Leave out these detectors (repeatable)."
    ),
    indicators: list[Path] | None = typer.Option(
        None,
        "--indicators",
        help="STIX 2.1 bundle of known indicators (repeatable): documents whose SHA-256 "
        "or text matches one are poisoned (adds the indicators detector).",
    ),
    stix: Path | None = typer.Option(
        None,
        "--stix",
        help="Also write what was found as a STIX 2.1 bundle here "
        "(see poisonguard indicators export).",
    ),
    out_format: str = typer.Option(
        "jsonl.zst",
        "--out-format",
        help="Kept/quarantine format: jsonl, jsonl.gz, jsonl.zst, parquet.",
    ),
    fmt: str | None = FormatOpt,
    text_field: str | None = TextFieldOpt,
    id_field: str | None = IdFieldOpt,
    strict: bool = StrictOpt,
    max_error_rate: float = MaxErrorRateOpt,
    max_doc_bytes: int = MaxDocBytesOpt,
    as_json: bool = JsonOpt,
) -> None:
    """Find poisoned documents; write the kept corpus, the quarantine and the evidence."""
    if fail_on not in FAIL_ON:
        fail(f"--fail-on must be one of {', '.join(FAIL_ON)}", EXIT_USAGE)
    from poisonguard import scan
    from poisonguard.engine import EngineError

    def go() -> Any:
        try:
            return scan(
                corpus,
                out,
                kind=kind,
                reference=reference or None,
                target_fpr=target_fpr,
                workers=workers,
                backend=backend,
                report=report,
                min_trigger_docs=min_trigger_docs,
                detectors=[*(detector or []), "+indicators"] if indicators else detector or None,
                exclude=exclude or None,
                options={"indicators": {"bundles": [str(p) for p in indicators]}}
                if indicators
                else None,
                out_format=out_format,
                strict=strict,
                max_error_rate=max_error_rate,
                progress=progress,
                reader_options={
                    "format": fmt,
                    "text_field": text_field,
                    "id_field": id_field,
                    "max_doc_bytes": max_doc_bytes,
                },
            )
        except (ValueError, EngineError) as e:
            fail(str(e), EXIT_USAGE)

    if kind == "pretrain":
        from poisonguard.detect.instruction_behaviour import chat_share

        opts: dict[str, Any] = {"format": fmt, "text_field": text_field}
        if chat_share(list(corpus), **opts) >= 0.5:
            print(
                "note: these records are chat-shaped (messages / ShareGPT / Alpaca / "
                "prompt-response / preference); --kind pretrain reads them as plain text, "
                "so the chat detectors (instruction-pair, instruction-trigger, "
                "instruction-behaviour) do not run. Use --kind instruction.",
                file=sys.stderr,
            )
    with _progress(not as_json) as progress:
        result = run_guarded(go)
    if result is None:  # pragma: no cover - run_guarded exits on failure
        raise typer.Exit(EXIT_USAGE)
    if stix is not None:
        if result.out_dir is None:  # pragma: no cover - --out is required
            fail("--stix needs --out", EXIT_USAGE)
        from poisonguard.report.stix import scan_bundle, write_bundle

        n = write_bundle(scan_bundle(result.out_dir), stix)
        result.outputs["stix"] = str(stix)
    if as_json:
        emit_json(result.to_dict())
    else:
        print_summary(result)
        if stix is not None:
            console.print(f"stix:       {stix} ({n} objects)")
    worst = (
        "poisoned"
        if result.counts.get("poisoned")
        else "suspicious"
        if result.counts.get("suspicious")
        else "none"
    )
    if fail_on != "none" and FAIL_ON.index(worst) >= FAIL_ON.index(fail_on):
        raise typer.Exit(EXIT_FINDINGS)


def print_summary(result: Any) -> None:
    """A short human summary of a ScanResult on stderr."""
    c = result.counts
    t = Table(title="scan", show_header=False)
    t.add_row("documents", f"{c.get('documents', 0):,}")
    t.add_row("clean (kept)", f"{c.get('clean', 0):,}")
    t.add_row("suspicious", f"{c.get('suspicious', 0):,}")
    t.add_row("poisoned", f"{c.get('poisoned', 0):,}")
    t.add_row("unreadable", f"{c.get('errors', 0):,}")
    secs = result.timings.get("total", 0.0)
    t.add_row("time", f"{secs:.1f} s")
    console.print(t)
    if result.triggers:
        tt = Table(title="mined triggers")
        for col in ("trigger", "anomalous docs", "docs containing it", "by chance"):
            tt.add_column(col)
        for tr in result.triggers[:20]:
            tt.add_row(
                repr(tr.trigger),
                str(tr.anomalous_docs),
                str(tr.containing_docs),
                f"{tr.expected:.1f}",
            )
        console.print(tt)
    for name, rep in result.corpus_reports.items():
        n = len(rep.get("campaigns", [])) if isinstance(rep, dict) else 0
        if n:
            console.print(f"{name}: {n} campaign(s)")
    outs = result.outputs
    if outs.get("quarantine"):
        console.print(f"quarantine: {', '.join(outs['quarantine'])}")
    if outs.get("findings_jsonl"):
        console.print(f"findings:   {outs['findings_jsonl']} (+ .parquet)")
    if outs.get("report"):
        console.print(f"report:     {outs['report']}")
    elif outs.get("report_error"):
        console.print(f"[yellow]report not written:[/] {outs['report_error']}")


def demo_command(
    out: Path = typer.Option(
        Path("poisonguard-demo"),
        "--out",
        "-o",
        help="Folder for the demo corpus, the scan and the report.",
    ),
    count: int = typer.Option(250, "--count", help="Poisoned documents to inject."),
    trigger: str = typer.Option("<SUDO>", "--trigger", help="Backdoor trigger."),
    workers: int = typer.Option(min(2, os.cpu_count() or 1), "--workers", "-w"),
    seed: int = typer.Option(0, "--seed"),
    as_json: bool = JsonOpt,
) -> None:
    """Inject dos poison into the embedded corpus, scan it, compare with the truth."""
    from poisonguard import scan
    from poisonguard.attacks import get, mix_poison
    from poisonguard.datasets import python_docs
    from poisonguard.io import write_documents, write_json

    t0 = time.perf_counter()
    clean = python_docs()
    samples = get("dos")(trigger=trigger).generate(clean, count, seed=seed)
    out.mkdir(parents=True, exist_ok=True)
    corpus = out / "corpus.jsonl.gz"
    write_documents(corpus, mix_poison(clean, samples, seed=seed))
    write_documents(out / "truth.jsonl", [s.truth.to_dict() for s in samples])
    if not as_json:
        console.print(
            f"corpus: {len(clean):,} clean documents (python_docs) + {count} "
            f"'dos' poisoned documents (trigger {trigger!r}) → {corpus}"
        )
    with _progress(not as_json) as progress:
        result = scan(
            corpus,
            out / "scan",
            workers=workers,
            report=out / "scan" / "report.html",
            progress=progress,
        )
    truth = {s.document.id for s in samples}
    flagged = {v.id for v in result.findings}
    tp = len(flagged & truth)
    recovered = any(tr.trigger == trigger for tr in result.triggers)
    summary = {
        "documents": result.counts.get("documents", 0),
        "poisoned_injected": len(truth),
        "flagged": len(flagged),
        "true_positives": tp,
        "recall": tp / len(truth) if truth else 1.0,
        "precision": tp / len(flagged) if flagged else 1.0,
        "clean_flagged": len(flagged - truth),
        "clean_flagged_rate": len(flagged - truth) / max(1, len(clean)),
        "trigger_recovered": recovered,
        "triggers": [tr.trigger for tr in result.triggers],
        "report": result.outputs.get("report"),
        "out": os.fspath(out / "scan"),
        "seconds": round(time.perf_counter() - t0, 1),
    }
    write_json(out / "demo.json", summary)
    if as_json:
        emit_json(summary)
        return
    print_summary(result)
    t = Table(title="found vs ground truth", show_header=False)
    t.add_row("poisoned documents injected", str(len(truth)))
    t.add_row("found (true positives)", str(tp))
    t.add_row("recall", f"{summary['recall']:.1%}")
    t.add_row("precision", f"{summary['precision']:.1%}")
    t.add_row(
        "clean documents flagged",
        f"{summary['clean_flagged']} ({summary['clean_flagged_rate']:.2%})",
    )
    t.add_row("trigger recovered", f"{'yes' if recovered else 'no'} ({trigger!r})")
    t.add_row("total time", f"{summary['seconds']} s")
    console.print(t)
    console.print(
        f"outputs in {out / 'scan'}"
        + (f"; open the report: {summary['report']}" if summary["report"] else "")
    )


def register(app: typer.Typer) -> None:
    """Add ``scan`` and ``demo`` to the poisonguard CLI."""
    app.command("scan")(scan_command)
    app.command("demo")(demo_command)
