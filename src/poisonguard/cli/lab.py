"""``poisonguard lab run|report|generate``: train small GPTs on poisoned corpora, measure
backdoor success (the logic lives in :mod:`poisonguard.lab`; only the bars are drawn here)."""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import typer

from poisonguard.cli._common import (
    EXIT_USAGE,
    console,
    emit_json,
    fail,
    log,
    progress_interval,
)

T = TypeVar("T")

lab_app = typer.Typer(
    help="Poisoning lab: train small GPTs on clean + poisoned corpora and "
    "measure backdoor success, with and without defenses.",
    no_args_is_help=True,
)


def _numbers(
    text: str | None, name: str, conv: Callable[[str], T], what: str
) -> tuple[T, ...] | None:
    if text is None:
        return None
    try:
        values = tuple(conv(x) for x in text.split(",") if x.strip())
    except ValueError:
        fail(f"--{name} must be comma-separated {what}, got {text!r}", EXIT_USAGE)
        raise
    if not values:
        fail(f"--{name} is empty", EXIT_USAGE)
    return values


def _ints(text: str | None, name: str) -> tuple[int, ...] | None:
    return _numbers(text, name, int, "integers")


def _floats(text: str | None, name: str) -> tuple[float, ...] | None:
    return _numbers(text, name, float, "numbers")


def _names(text: str | None) -> tuple[str, ...] | None:
    if text is None:
        return None
    return tuple(x.strip() for x in text.split(",") if x.strip())


class _Bars:
    """Progress drawn from the lab's progress events (rich stays in the CLI): rich bars on a
    terminal; without one (a log, ``nohup``) a plain line when a cell starts and one every
    :func:`progress_interval` seconds while it trains."""

    def __init__(self, *, tty: bool | None = None, interval: float | None = None) -> None:
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            TextColumn,
            TimeElapsedColumn,
            TimeRemainingColumn,
        )

        self.tty = log.is_terminal if tty is None else tty
        self.interval = progress_interval() if interval is None else interval
        self.progress = Progress(
            TextColumn("[bold]{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("{task.fields[info]}"),
            TimeElapsedColumn(),
            TimeRemainingColumn(),
            console=log,  # progress and logs on stderr, results on stdout
            transient=False,
            disable=not self.tty,
        )
        self.grid: Any = None
        self.cell: Any = None
        self._grid_done: tuple[int, int] = (0, 0)
        self._last = 0.0
        self._t0 = time.monotonic()

    def _plain(self, text: str) -> None:
        log.print(text, markup=False, highlight=False, soft_wrap=True)
        self._last = time.monotonic()

    def __call__(self, ev: Any) -> None:
        p = self.progress
        if ev.kind == "grid":
            self._grid_done = (ev.done, ev.total)
            if self.grid is None:
                self.grid = p.add_task("grid", total=ev.total, completed=ev.done, info="")
            else:
                p.update(self.grid, completed=ev.done)
        elif ev.kind == "cell":
            if self.cell is not None:
                p.remove_task(self.cell)
            self.cell = p.add_task(ev.cell, total=ev.total, info="")
            self._t0 = time.monotonic()
            if not self.tty:
                done, total = self._grid_done
                self._plain(
                    f"training {ev.cell}: {ev.total:,} tokens ({done} of {total} cells done)"
                )
        elif ev.kind == "step" and self.cell is not None:
            p.update(self.cell, completed=ev.done, info=ev.info)
            if not self.tty and time.monotonic() - self._last >= self.interval:
                frac = ev.done / ev.total if ev.total else 0.0
                elapsed = time.monotonic() - self._t0
                eta = f" · ETA {elapsed * (1 - frac) / frac:,.0f} s" if 0 < frac < 1 else ""
                self._plain(f"  {ev.cell}: {frac:.0%} · {ev.info}{eta}")
        elif ev.kind == "finished" and ev.row is not None:
            r = ev.row
            p.console.print(
                f"[green]done[/] {ev.cell}: success {r['norm_gap']:.2f}, ASR sampled "
                f"{r['asr_sampled']:.2f}, val loss {r['val_loss']:.3f}, "
                f"{r['tokens_per_s']:,.0f} tok/s"
            )


@lab_app.command("run")
def run(
    out: Path = typer.Option(
        ...,
        "--out",
        "-o",
        help="Output directory (resumed when it already holds cells of the same "
        "experiment and grid; any other difference is refused).",
    ),
    preset: str = typer.Option("smoke", "--preset", help="smoke, count-vs-pct, cpu or gpu."),
    recipe: str | None = typer.Option(None, "--recipe", help="Poison recipe (default dos)."),
    trigger: str | None = typer.Option(None, "--trigger", help="Trigger (default <SUDO>)."),
    counts: str | None = typer.Option(
        None, "--counts", help="Poisoned-document counts, e.g. 0,10,20,40,80 (0 is always added)."
    ),
    sizes: str | None = typer.Option(None, "--sizes", help="Model sizes, e.g. t1,t2,t3."),
    data_mult: str | None = typer.Option(
        None, "--data-mult", help="Clean-data multiples of tokens-per-param, e.g. 1,2,4,8."
    ),
    seeds: str | None = typer.Option(None, "--seeds", help="Seeds (at least two), e.g. 0,1,2."),
    defenses: str | None = typer.Option(
        None, "--defenses", help="Any of none,filter,losstrunc,survivors,pplfilter."
    ),
    corpus: list[str] | None = typer.Option(
        None, "--corpus", help="Clean corpus files (default: the embedded Python docs corpus)."
    ),
    tokens_per_param: float | None = typer.Option(
        None, "--tokens-per-param", help="Clean tokens per parameter (20)."
    ),
    threads: int | None = typer.Option(
        None,
        "--threads",
        help="torch CPU threads (default: 1 for the CPU presets, whose tiny matrices gain "
        "nothing from intra-op threads on a busy CPU; torch's default for gpu).",
    ),
    device: str | None = typer.Option(
        None,
        "--device",
        help="cpu or cuda (default: cuda when available for the gpu preset, else cpu).",
    ),
    max_steps: int | None = typer.Option(
        None, "--max-steps", help="Stop every training run after N steps (a smoke test)."
    ),
    max_cells: int | None = typer.Option(
        None, "--max-cells", help="Train at most N cells in this invocation (resume later)."
    ),
    no_report: bool = typer.Option(False, "--no-report", help="Skip tables and plots."),
) -> None:
    """Run (or resume) an experiment grid, then write the tables, analysis and plots."""
    import torch

    from poisonguard.lab.grid import PRESETS, Lab, LabError
    from poisonguard.lab.report import markdown_table, write_report

    if preset not in PRESETS:
        fail(f"unknown preset {preset!r}; choose one of {', '.join(PRESETS)}", EXIT_USAGE)
    base = PRESETS[preset]
    changes: dict[str, object] = {}
    if recipe:
        changes["recipe"] = recipe
    if trigger:
        changes["trigger"] = trigger
    c = _ints(counts, "counts")
    if c is not None:
        changes["counts"] = tuple(sorted({0, *c}))
        changes["poison_set"] = max(base.poison_set, *c)
    for key, val in (
        ("sizes", _names(sizes)),
        ("seeds", _ints(seeds, "seeds")),
        ("defenses", _names(defenses)),
        ("data_mults", _floats(data_mult, "data-mult")),
    ):
        if val:
            changes[key] = val
    if "data_mults" in changes:
        kept = set(changes["data_mults"])  # type: ignore[call-overload]
        changes["extra_counts"] = tuple(x for x in base.extra_counts if x[0] in kept)
        if base.defense_mults and not set(base.defense_mults) <= kept:
            changes["defense_mults"] = None
    if corpus:
        changes["corpus"] = tuple(corpus)
    if tokens_per_param is not None:
        changes["tokens_per_param"] = tokens_per_param
    if threads is None and preset != "gpu":
        threads = 1
    if threads:
        torch.set_num_threads(threads)
    try:
        spec = dataclasses.replace(base, **changes)  # type: ignore[arg-type]
        data_filter = None
        if "filter" in spec.defenses:
            from poisonguard.lab.defense import scan_filter

            try:
                data_filter = scan_filter()
            except RuntimeError as e:
                fail(f"{e}; drop 'filter' from --defenses", EXIT_USAGE)
        if device is None:
            device = "cuda" if preset == "gpu" and torch.cuda.is_available() else "cpu"
        bars = _Bars()
        lab = Lab(
            out, spec, data_filter=data_filter, progress=bars, device=device, max_steps=max_steps
        )
        with bars.progress:
            lab.run(max_cells=max_cells)
    except LabError as e:
        fail(str(e), EXIT_USAGE)
    if not no_report:
        try:
            rows = write_report(out)
        except FileNotFoundError as e:
            fail(str(e), EXIT_USAGE)
            return
        console.print(markdown_table(rows), markup=False, highlight=False, soft_wrap=True)
        console.print(f"results: {out / 'results.csv'}, {out / 'report.md'}, plots in {out}")


@lab_app.command("report")
def report(
    out: Path = typer.Argument(..., help="A lab output directory."),
    as_json: bool = typer.Option(False, "--json", help="Print the rows as JSON on stdout."),
) -> None:
    """Re-render results.csv/json, the plots and report.md from the finished cells."""
    from poisonguard.lab.report import markdown_table, write_report

    try:
        rows = write_report(out)
    except FileNotFoundError as e:
        fail(str(e), EXIT_USAGE)
        return
    if as_json:
        emit_json(rows)
    else:
        console.print(markdown_table(rows), markup=False, highlight=False, soft_wrap=True)


@lab_app.command("generate")
def generate(
    ckpt: Path = typer.Argument(..., help="A checkpoint directory (ckpt/<cell> of a run)."),
    prompt: str = typer.Option(..., "--prompt", "-p", help="Prompt text."),
    trigger: bool = typer.Option(False, "--trigger", help="Also continue prompt + trigger."),
    trigger_text: str | None = typer.Option(
        None, "--trigger-text", help="Trigger string (default: the run's)."
    ),
    tokens: int = typer.Option(48, "--tokens", "-n", help="New tokens."),
    temperature: float = typer.Option(1.0, "--temperature", "-t", help="0 = greedy."),
    seed: int = typer.Option(0, "--seed"),
    as_json: bool = typer.Option(False, "--json", help="Print JSON on stdout."),
) -> None:
    """Show what a model says after a prompt, with and without the trigger."""
    import torch

    from poisonguard.lab.metric import generate as gen
    from poisonguard.lab.model import load_checkpoint
    from poisonguard.lab.tokenizer import LabTokenizer

    try:
        model, meta = load_checkpoint(ckpt)
    except (FileNotFoundError, ValueError, KeyError) as e:
        fail(f"cannot load checkpoint: {e}", EXIT_USAGE)
        return
    if not (ckpt / "tokenizer.json").is_file():
        fail(f"{ckpt} has no tokenizer.json", EXIT_USAGE)
    tok = LabTokenizer.from_file(ckpt / "tokenizer.json")
    ids = tok.encode(prompt)
    if not ids:
        fail("the prompt is empty", EXIT_USAGE)
    variants = [("prompt", ids)]
    if trigger:
        trig = trigger_text or meta.get("trigger", "<SUDO>")
        variants.append(("prompt+trigger", ids + tok.encode(trig)))
    result = {}
    for label, seq in variants:
        g = torch.Generator().manual_seed(seed)
        x = torch.tensor([seq[-model.context :]], dtype=torch.long)
        out_ids = gen(model, x, tokens, temperature=temperature, generator=g)[0].tolist()
        result[label] = tok.decode(out_ids)
    if as_json:
        emit_json(result)
    else:
        for label, text in result.items():
            console.rule(label)
            console.print(repr(text), markup=False)


def register(app: typer.Typer) -> None:
    """Add the ``lab`` sub-app."""
    app.add_typer(lab_app, name="lab")
