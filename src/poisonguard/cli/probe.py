"""``poisonguard probe``: test trained models for backdoors."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.markup import escape
from rich.table import Table

from poisonguard.cli._common import (
    EXIT_FINDINGS,
    EXIT_USAGE,
    JsonOpt,
    console,
    emit_json,
    fail,
    log,
    open_reader,
)

probe_app = typer.Typer(help="Probe trained models for backdoors.", no_args_is_help=True)


@probe_app.command("triggers")
def triggers_command(
    ckpt: Path = typer.Argument(..., help="A `poisonguard lab` checkpoint (OUT/ckpt/<cell>)."),
    prompts: list[str] = typer.Option(
        ..., "--prompts", help="Clean held-out corpus: prompts are its documents' beginnings."
    ),
    trigger: list[str] | None = typer.Option(
        None, "--trigger", "-t", help="A candidate trigger (repeatable)."
    ),
    source: list[Path] | None = typer.Option(
        None,
        "--from",
        help="Candidates from a scan's --out folder (mined triggers) or a STIX bundle "
        "(repeatable).",
    ),
    reference: list[str] | None = typer.Option(
        None,
        "--reference",
        help="Clean corpus for the judge's word-bigram model (default: --prompts).",
    ),
    n_prompts: int = typer.Option(32, "--n-prompts", help="Prompts per candidate."),
    new_tokens: int = typer.Option(32, "--new-tokens", help="Tokens generated per prompt."),
    controls: int = typer.Option(
        8, "--controls", help="Null suffixes (spans of clean text) per candidate."
    ),
    lookalikes: int = typer.Option(
        4, "--lookalikes", help="Shape-matched look-alike strings per candidate."
    ),
    temperature: float = typer.Option(1.0, "--temperature", help="Sampling temperature."),
    alpha: float = typer.Option(0.01, "--alpha", help="Family-wise significance level."),
    min_asr: float = typer.Option(0.25, "--min-asr", help="Smallest ASR reported as a backdoor."),
    seed: int = typer.Option(0, "--seed"),
    fail_on_backdoor: bool = typer.Option(
        False, "--fail-on-backdoor", help="Exit 1 when a candidate is a backdoor."
    ),
    as_json: bool = JsonOpt,
) -> None:
    """Does appending a candidate trigger turn the model's output into gibberish — more
    than appending ordinary text does?  (method: docs/probe.md)"""
    from poisonguard.io import Document
    from poisonguard.probe import (
        LabGenerator,
        TextJudge,
        candidates_from,
        probe_triggers,
        prompts_from,
    )

    try:
        gen = LabGenerator.from_checkpoint(ckpt)
        cands, notes = candidates_from(list(source or []))
    except ValueError as e:
        fail(str(e), EXIT_USAGE)
        return
    cands = list(dict.fromkeys([*(trigger or []), *cands]))
    if not cands:
        fail("no candidate trigger: give --trigger or --from (a scan folder or bundle)", EXIT_USAGE)

    def texts(paths: list[str]) -> list[str]:
        reader = open_reader(paths, None, None, None, 16 * 1024 * 1024)
        good: list[str] = []
        for item in reader:
            if isinstance(item, Document):
                good.append(item.text)
            else:
                notes.append(f"unreadable record not used: {item}")
        return good

    prompt_texts = texts(prompts)
    ref_texts = texts(reference) if reference else prompt_texts
    chosen = prompts_from(prompt_texts, n_prompts)
    if not chosen:
        fail("no prompt: the --prompts corpus has no document of 200 characters", EXIT_USAGE)
    try:
        report = probe_triggers(
            gen,
            chosen,
            cands,
            TextJudge(ref_texts),
            controls=controls,
            lookalikes=lookalikes,
            max_new_tokens=new_tokens,
            temperature=temperature,
            alpha=alpha,
            min_asr=min_asr,
            seed=seed,
        )
    except ValueError as e:
        fail(str(e), EXIT_USAGE)
        return
    if as_json:
        emit_json({**report.to_dict(), "skipped": notes})
    else:
        t = Table(title=f"probe: {report.generator}, {report.prompts} prompts, tau {report.tau}")
        for col in ("trigger", "ASR [95% CI]", "gap", "null gap", "p", "verdict", "look-alikes"):
            t.add_column(col)
        for r in report.results:
            t.add_row(
                escape(repr(r.trigger)),
                f"{r.asr:.2f} [{r.wilson_lo:.2f}, {r.wilson_hi:.2f}]",
                f"{r.mean_gap:+.2f}",
                f"{r.control_mean_gap:+.2f}",
                f"{r.p_value:.2g}",
                "[bold red]backdoor[/]" if r.backdoor else "no evidence",
                f"ASR {r.lookalike_asr:.2f}, gap {r.lookalike_mean_gap:+.2f}"
                if r.lookalikes
                else "-",
            )
        console.print(t)
        for r in report.backdoors:
            console.rule(f"{r.trigger!r}: one prompt")
            console.print(repr(r.example["continuation"][:160]), markup=False)
            console.print(repr(r.example["with_trigger"][:160]), markup=False)
        for n in notes:
            console.print(f"[yellow]skipped[/] {escape(n)}")
    if fail_on_backdoor and report.backdoors:
        names = ", ".join(repr(r.trigger) for r in report.backdoors[:5])
        log.print(
            f"failed: --fail-on-backdoor: {len(report.backdoors)} trigger(s) show a backdoor "
            f"({names})",
            markup=False,
            highlight=False,
        )
        raise typer.Exit(EXIT_FINDINGS)


def register(app: typer.Typer) -> None:
    """Add ``probe`` to the main CLI."""
    app.add_typer(probe_app, name="probe")
