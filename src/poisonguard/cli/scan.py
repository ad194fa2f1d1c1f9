"""``poisonguard scan`` and ``poisonguard demo``."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import typer
from rich.markup import escape
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
    log,
    out_dir_option,
    pass_progress,
    run_guarded,
)
from poisonguard.io import CorpusError, CorpusReader

FAIL_ON = ("none", "suspicious", "poisoned")


def _input_bytes(corpus: list[str], fmt: str | None) -> int | None:
    """The total input size for progress bars (None when unknown: stdin, bad paths)."""
    if "-" in corpus:
        return None
    try:
        return CorpusReader(corpus, format=fmt).total_bytes
    except (CorpusError, OSError, ValueError):
        return None


def scan_command(
    corpus: list[str] = typer.Argument(
        ..., metavar="CORPUS...", help="Files, folders, globs, or - for stdin."
    ),
    out: Path = typer.Option(
        ...,
        "--out",
        "-o",
        help="Output folder: kept/quarantine "
        "corpora, findings.jsonl/.parquet, summary.json, errors.jsonl.",
    ),
    kind: str = typer.Option(
        "auto",
        "--kind",
        help="auto | pretrain | instruction | rag. auto: instruction when most of the first "
        "records are chat/instruction records (messages, conversations, instruction/output, "
        "prompt/response ...), else pretrain; RAG stores need --kind rag.",
    ),
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
    profile: str = typer.Option(
        "default",
        "--profile",
        help="default | thorough: thorough adds the cohesion detector (fluent payloads "
        "after a trigger), paraphrased-claim campaigns and the fixed-payload route; several "
        "times slower.",
    ),
    settings: list[str] | None = typer.Option(
        None,
        "--set",
        metavar="DETECTOR.PARAM=VALUE",
        help="Set one detector parameter for this scan (repeatable), e.g. --set "
        "cohesion.host_check_purity=0; typed as the parameter's default (true/false, "
        "numbers, none, JSON lists); `poisonguard detectors` lists them. Recorded in "
        "summary.json (options) and the report.",
    ),
    indicators: list[Path] | None = typer.Option(
        None,
        "--indicators",
        help="STIX 2.1 bundle of known indicators (repeatable): documents whose SHA-256 "
        "or text matches one are poisoned (adds the indicators detector).",
    ),
    allow: Path | None = typer.Option(
        None,
        "--allow",
        help="Benign list of reviewer decisions (poisonguard triage allow): documents "
        "whose every finding it covers are kept; the summary says what it suppressed.",
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
    from poisonguard.detect.profiles import PROFILES

    if profile not in PROFILES:
        fail(f"--profile must be one of {', '.join(PROFILES)}", EXIT_USAGE)
    from poisonguard.cli.detectors import check_set_options, parse_set_options

    set_options = parse_set_options(settings or [])  # before any record is read
    out_dir_option(out)
    if kind == "auto":
        from poisonguard.detect.kinds import guess_kind

        guess = guess_kind(corpus, {"format": fmt, "text_field": text_field, "id_field": id_field})
        kind = guess.kind
        if not as_json:
            other = "pretrain" if kind == "instruction" else "instruction"
            log.print(
                f"kind: {kind} — {guess.reason} (--kind {other} to override)",
                markup=False,
                highlight=False,
                soft_wrap=True,
            )
    flag_values = [c for c in corpus if c.lower() in ("true", "false") and not Path(c).exists()]
    if flag_values:
        fail(
            f"{flag_values[0]!r} is not a corpus path: flags take no value "
            "(--strict / --no-strict)",
            EXIT_USAGE,
        )
    from poisonguard import scan
    from poisonguard.detect.settings import merge_options
    from poisonguard.engine import EngineError

    chosen = [*(detector or []), "+indicators"] if indicators else detector or None
    base = {"indicators": {"bundles": [str(p) for p in indicators]}} if indicators else {}
    check_set_options(
        set_options,
        base,
        kind=kind,
        detectors=chosen,
        exclude=exclude,
        profile=profile,
        min_trigger_docs=min_trigger_docs,
        target_fpr=target_fpr,
    )
    options = merge_options(base, set_options)

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
                detectors=chosen,
                exclude=exclude or None,
                profile=profile,
                options=options or None,
                out_format=out_format,
                allowlist=allow,
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

    with pass_progress(_input_bytes(corpus, fmt), enabled=not as_json) as progress:
        result = run_guarded(go, errors_file=out / "errors.jsonl")
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
    reason = fail_on_reason(result, fail_on)
    if reason:
        log.print(f"[bold red]failed:[/] {escape(reason)}", soft_wrap=True)
        raise typer.Exit(EXIT_FINDINGS)


def fail_on_reason(result: Any, fail_on: str) -> str | None:
    """Why ``--fail-on`` trips on ``result`` (one line), or None when it does not."""
    if fail_on == "none":
        return None
    bad = FAIL_ON[FAIL_ON.index(fail_on) :]
    n = {label: result.counts.get(label, 0) for label in ("poisoned", "suspicious")}
    hit = [label for label in ("poisoned", "suspicious") if label in bad and n[label]]
    if not hit:
        return None
    ids = [v.id for v in result.findings if v.label in hit][:3]
    total = sum(n[label] for label in hit)
    more = f" and {total - len(ids):,} more" if total > len(ids) else ""
    counts = ", ".join(f"{n[label]:,} {label}" for label in hit)
    return (
        f"--fail-on {fail_on}: {counts} document(s) ({', '.join(ids)}{more}); "
        f"see {result.outputs.get('findings_jsonl') or 'the findings'}"
    )


def print_summary(result: Any) -> None:
    """A short human summary of a ScanResult on stderr."""
    c = result.counts
    t = Table(title="scan", show_header=False)
    t.add_row("documents", f"{c.get('documents', 0):,}")
    t.add_row("clean (kept)", f"{c.get('clean', 0):,}")
    t.add_row("suspicious", f"{c.get('suspicious', 0):,}")
    t.add_row("poisoned", f"{c.get('poisoned', 0):,}")
    t.add_row("unreadable", f"{c.get('errors', 0):,}")
    if result.profile != "default":
        t.add_row("profile", str(result.profile))
    if result.options:
        from poisonguard.report.html import options_text

        t.add_row("settings", escape(options_text(result.options)))
    secs = result.timings.get("total", 0.0)
    t.add_row("time", f"{secs:.1f} s")
    console.print(t)
    if result.unscreened:
        console.print(
            "[yellow]not screened[/yellow] by this scan: "
            + escape("; ".join(result.unscreened))
            + " — add --profile thorough (several times slower) to screen them"
        )
    if result.triggers:
        tt = Table(
            title="mined triggers",
            caption="flagged: documents that carry it with an anomaly or payload right after "
            "it (never for carrying it alone); anomalies: documents whose "
            "anomaly it precedes; by chance: anomalies it would precede if it were an "
            "ordinary string (its frequency in the corpus sample)",
        )
        for col in ("trigger", "flagged", "anomalies", "by chance"):
            tt.add_column(col, justify="left" if col == "trigger" else "right")
        for tr in result.triggers[:20]:
            tt.add_row(
                escape(repr(tr.trigger)),
                f"{tr.containing_docs:,}",
                f"{tr.anomalous_docs:,}",
                f"{tr.expected:.1f}",
            )
        console.print(tt)
    for line in campaign_lines(result):
        console.print(line, markup=False, highlight=False)
    for line in allowlist_lines(result):
        console.print(line, markup=False, highlight=False)
    outs = result.outputs
    if outs.get("quarantine"):
        console.print(f"quarantine: {', '.join(outs['quarantine'])}")
    if outs.get("findings_jsonl"):
        console.print(f"findings:   {outs['findings_jsonl']} (+ .parquet)")
    if outs.get("report"):
        console.print(f"report:     {outs['report']}")
    elif outs.get("report_error"):
        console.print(f"[yellow]report not written:[/] {outs['report_error']}")


def campaign_lines(result: Any) -> list[str]:
    """One line per corpus detector whose campaigns flagged documents (none on a clean
    corpus: candidate groups below the bar are in summary.json, not worth a line), then
    its largest campaigns, one line each (id, kind, documents flagged, sources, the shared
    span or trigger): what a reviewer triages, or clears by id or span with ``triage``."""
    flagged: dict[str, int] = {}
    for v in result.findings:
        if v.campaign:
            flagged[v.campaign] = flagged.get(v.campaign, 0) + 1
    lines = []
    for name, rep in result.corpus_reports.items():
        camps = rep.get("campaigns", []) if isinstance(rep, dict) else []
        hit = [c for c in camps if str(c.get("id")) in flagged]
        if hit:
            docs = sum(flagged[str(c.get("id"))] for c in hit)
            lines.append(f"{name}: {len(hit)} campaign(s) flagged {docs:,} document(s)")
            hit.sort(key=lambda c: (-flagged[str(c.get("id"))], str(c.get("id"))))
            for c in hit[:_CAMPAIGN_LINES]:
                what = str(c.get("trigger") or c.get("shared_span") or "")
                what = " ".join(what.split())
                what = what if len(what) <= 70 else what[:69] + "…"
                lines.append(
                    f"  {c.get('id')} · {c.get('kind', '?')} · "
                    f"{flagged[str(c.get('id'))]:,} document(s) · "
                    f"{int(float(c.get('sources', 0) or 0)):,} source(s) · {what!r}"
                )
            if len(hit) > _CAMPAIGN_LINES:
                more = len(hit) - _CAMPAIGN_LINES
                lines.append(f"  … and {more:,} more (summary.json, --report)")
    return lines


_CAMPAIGN_LINES = 5
"""Campaigns listed per detector under the CLI's summary (the rest: summary.json)."""


def allowlist_lines(result: Any) -> list[str]:
    """What the benign list suppressed: a line per decision that cleared documents."""
    al = result.outputs.get("allowlist")
    if not al:
        return []
    lines = [
        f"benign list {al['file']}: {al['documents_cleared']:,} flagged document(s) kept "
        "as reviewed-benign"
    ]
    for e in al["by_entry"]:
        value = e["value"] if len(e["value"]) <= 60 else e["value"][:59] + "…"
        lines.append(
            f"  {e['documents']:,} by {e['kind']} {value!r} ({e['reviewer']}: {e['reason']})"
        )
    for e in al["unused"]:
        lines.append(f"  0 by {e['kind']} {e['value'][:60]!r}: matched nothing in this scan")
    return lines


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
    from poisonguard.redteam.demo import run_demo

    with pass_progress(None, enabled=not as_json) as progress:

        def on_corpus(corpus: Path, clean: int) -> None:
            if progress is not None:  # the corpus exists now: progress gets MB/s and ETA
                progress.total_bytes = _input_bytes([os.fspath(corpus)], None)
            if not as_json:
                log.print(
                    f"corpus: {clean:,} clean documents (python_docs) + {count} "
                    f"'dos' poisoned documents (trigger {trigger!r}) → {corpus}"
                )

        run = run_demo(
            out,
            count=count,
            trigger=trigger,
            workers=workers,
            seed=seed,
            progress=progress,
            on_corpus=on_corpus,
        )
    summary = run.summary(out)
    if as_json:
        emit_json(summary)
        return
    sc = run.score
    print_summary(run.result)
    t = Table(title="found vs ground truth", show_header=False)
    t.add_row("poisoned documents injected", str(sc.poisoned_injected))
    t.add_row("found (true positives)", str(sc.true_positives))
    t.add_row("recall", f"{sc.recall:.1%}")
    t.add_row("precision", f"{sc.precision:.1%}")
    t.add_row("clean documents flagged", f"{sc.clean_flagged} ({sc.clean_flagged_rate:.2%})")
    t.add_row("trigger recovered", f"{'yes' if sc.trigger_recovered else 'no'} ({trigger!r})")
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
