"""``poisonguard lab run|report|generate``: train small GPTs on poisoned corpora, measure ASR."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import typer

from poisonguard.cli._common import EXIT_USAGE, console, emit_json, fail, log

lab_app = typer.Typer(
    help="Poisoning lab: train small GPTs on clean + poisoned corpora and "
    "measure backdoor success, with and without defenses.",
    no_args_is_help=True,
)


def _ints(text: str | None, name: str) -> tuple[int, ...] | None:
    if text is None:
        return None
    try:
        values = tuple(int(x) for x in text.split(",") if x.strip())
    except ValueError:
        fail(f"--{name} must be comma-separated integers, got {text!r}", EXIT_USAGE)
        raise
    if not values:
        fail(f"--{name} is empty", EXIT_USAGE)
    return values


def _names(text: str | None) -> tuple[str, ...] | None:
    if text is None:
        return None
    return tuple(x.strip() for x in text.split(",") if x.strip())


@lab_app.command("run")
def run(
    out: Path = typer.Option(
        ...,
        "--out",
        "-o",
        help="Output directory (resumed when it "
        "already holds finished cells of the same experiment).",
    ),
    preset: str = typer.Option("smoke", "--preset", help="smoke, cpu or gpu."),
    recipe: str | None = typer.Option(None, "--recipe", help="Poison recipe (default dos)."),
    trigger: str | None = typer.Option(None, "--trigger", help="Trigger (default <SUDO>)."),
    counts: str | None = typer.Option(
        None, "--counts", help="Poisoned-document counts, e.g. 0,25,50,100,250 (0 is always added)."
    ),
    sizes: str | None = typer.Option(None, "--sizes", help="Model sizes, e.g. t1,t2,t3."),
    seeds: str | None = typer.Option(None, "--seeds", help="Seeds, e.g. 0,1."),
    defenses: str | None = typer.Option(None, "--defenses", help="Any of none,filter,losstrunc."),
    corpus: list[str] | None = typer.Option(
        None, "--corpus", help="Clean corpus files (default: the embedded Python docs corpus)."
    ),
    tokens_per_param: float | None = typer.Option(
        None, "--tokens-per-param", help="Clean tokens per parameter (20)."
    ),
    threads: int | None = typer.Option(
        None,
        "--threads",
        help="torch CPU threads (default: 1 "
        "for the smoke and cpu presets, whose tiny matrices "
        "gain nothing from intra-op threads on a busy CPU; "
        "torch's default otherwise).",
    ),
    device: str | None = typer.Option(
        None,
        "--device",
        help="cpu or cuda (default: cuda when available for the gpu preset, else cpu).",
    ),
    no_report: bool = typer.Option(False, "--no-report", help="Skip tables and plots."),
) -> None:
    """Run (or resume) an experiment grid, then write results.csv/json and the plots."""
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
    for key, val in (
        ("sizes", _names(sizes)),
        ("seeds", _ints(seeds, "seeds")),
        ("defenses", _names(defenses)),
    ):
        if val:
            changes[key] = val
    if corpus:
        changes["corpus"] = tuple(corpus)
    if tokens_per_param is not None:
        changes["tokens_per_param"] = tokens_per_param
    if threads is None and preset in ("smoke", "cpu"):
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
        lab = Lab(out, spec, data_filter=data_filter, console=log, device=device)
        lab.run(
            on_cell=lambda cell, row: log.print(
                f"[green]done[/] {cell.name}: ASR sampled {row['asr_sampled']:.2f}, greedy "
                f"{row['asr_greedy']:.2f}, val loss {row['val_loss']:.3f}, "
                f"{row['tokens_per_s']:,.0f} tok/s"
            )
        )
    except LabError as e:
        fail(str(e), EXIT_USAGE)
    if not no_report:
        rows = write_report(out)
        console.print(markdown_table(rows), markup=False, highlight=False, soft_wrap=True)
        console.print(
            f"results: {out / 'results.csv'}, plots: {out / 'asr_vs_count.png'}, "
            f"{out / 'asr_vs_percentage.png'}"
        )


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
