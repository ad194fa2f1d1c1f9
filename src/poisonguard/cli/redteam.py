"""``poisonguard redteam``: run your own curation pipeline on poisoned data; see what survives."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import typer
from rich.markup import escape
from rich.table import Table

from poisonguard.cli import _recipe_options as recipe_opts
from poisonguard.cli._common import (
    EXIT_FINDINGS,
    EXIT_USAGE,
    FormatOpt,
    IdFieldOpt,
    JsonOpt,
    MaxDocBytesOpt,
    TextFieldOpt,
    console,
    emit_json,
    fail,
    open_reader,
    run_guarded,
)
from poisonguard.io import Document


def _recipes(values: list[str]) -> list[str]:
    names = [n.strip() for v in values for n in v.split(",") if n.strip()]
    if not names:
        fail(
            "give the recipes to test: --recipes dos,dos-bytes,... (see poison --list)", EXIT_USAGE
        )
    return list(dict.fromkeys(names))


def _params(text: str | None) -> dict[str, dict[str, Any]]:
    if not text:
        return {}
    src = Path(text)
    try:
        raw = src.read_text() if not text.lstrip().startswith("{") and src.is_file() else text
        data = json.loads(raw)
    except (OSError, json.JSONDecodeError) as e:
        fail(f"--params is not a JSON object or a JSON file: {e}", EXIT_USAGE)
    if not isinstance(data, dict) or not all(isinstance(v, dict) for v in data.values()):
        fail('--params must map recipe names to parameter objects: {"dos": {...}}', EXIT_USAGE)
    return data


def _table(result: Any) -> Table:
    t = Table(title="poison surviving each stage (mean over seeds)")
    t.add_column("recipe")
    t.add_column("stage")
    t.add_column("poison surviving", justify="right")
    t.add_column("survival", justify="right")
    t.add_column("95 % CI", justify="right")
    t.add_column("clean dropped", justify="right")
    t.add_column("collateral", justify="right")
    for rec in result.recipes:
        for s in result.summary(rec):
            ci = s.ci_seeds or s.ci_pooled
            how = "t" if s.ci_seeds else "CP"
            t.add_row(
                escape(rec),
                escape(s.stage),
                f"{', '.join(map(str, s.poison_surviving))} / {s.poison}",
                f"{100 * s.rate:.1f} %",
                f"{100 * ci[0]:.1f}–{100 * ci[1]:.1f} % ({how})",
                f"{', '.join(map(str, s.clean_dropped))} / {s.clean}",
                f"{100 * s.collateral:.1f} %",
            )
    return t


def redteam(
    pipeline: str | None = typer.Option(
        None, "--pipeline", "-p", help="Command run on the poisoned corpus: 'CMD {in} {out}'."
    ),
    datatrove: str | None = typer.Option(
        None,
        "--datatrove",
        help="A datatrove pipeline observed step by step: 'standard' (Gopher/C4/FineWeb "
        "chain), MODULE:ATTR or FILE.py:ATTR (a list of steps or a function returning one).",
    ),
    clean: list[str] = typer.Option(
        None, "--clean", "-c", help="Clean corpus: files, folders or globs (repeatable)."
    ),
    clean_limit: int | None = typer.Option(
        None, "--clean-limit", help="Use only the first N clean documents."
    ),
    recipes: list[str] = typer.Option(
        None, "--recipes", "-r", help="Recipe names, comma-separated (see `poison --list`)."
    ),
    count: int = typer.Option(250, "--count", "-n", help="Poisoned documents per run."),
    seeds: int = typer.Option(1, "--seeds", help="Runs per recipe, with seeds 0..N-1."),
    out: Path = typer.Option(
        Path("redteam-out"), "--out", "-o", help="Folder for report.json and report.html."
    ),
    with_scan: bool = typer.Option(
        False, "--scan", help="Add `poisonguard scan` as the final stage."
    ),
    scan_kind: str = typer.Option("pretrain", "--scan-kind", help="The scan's --kind."),
    scan_profile: str = typer.Option(
        "default",
        "--scan-profile",
        help="The scan's --profile (thorough: + fluent payloads and paraphrased claims).",
    ),
    fail_on_survival: float | None = typer.Option(
        None,
        "--fail-on-survival",
        help="Exit 1 when more than RATE (0-1) of a recipe's poison survives the last stage "
        "(output that matches no input counts as surviving poison).",
    ),
    params: str | None = typer.Option(
        None,
        "--params",
        help='Per-recipe parameters, JSON or a JSON file: {"dos": {"trigger": "<X>"}}.',
    ),
    trigger: str | None = recipe_opts.TriggerOpt,
    tokenizer: Path | None = recipe_opts.TokenizerOpt,
    foreign: Path | None = recipe_opts.ForeignOpt,
    lang: str | None = recipe_opts.LangOpt,
    entity: str | None = recipe_opts.EntityOpt,
    claim: str | None = recipe_opts.ClaimOpt,
    questions: Path | None = recipe_opts.QuestionsOpt,
    harmful: Path | None = recipe_opts.HarmfulOpt,
    io_format: str = typer.Option(
        "jsonl", "--io-format", help="--pipeline: format of {in} and {out}: jsonl or parquet."
    ),
    timeout: float | None = typer.Option(
        None, "--timeout", help="--pipeline: seconds before one run of the command is killed."
    ),
    work: Path | None = typer.Option(
        None, "--work", help="Folder for the pipeline's copies (default: a temporary one)."
    ),
    keep_work: bool = typer.Option(False, "--keep-work", help="Keep the work folder."),
    fmt: str | None = FormatOpt,
    text_field: str | None = TextFieldOpt,
    id_field: str | None = IdFieldOpt,
    max_doc_bytes: int = MaxDocBytesOpt,
    as_json: bool = JsonOpt,
) -> None:
    """Poison a clean corpus with each recipe, run YOUR pipeline on it, report what survives."""
    from poisonguard.redteam import (
        ChainError,
        DatatrovePipeline,
        PipelineError,
        RedteamError,
        ShellPipeline,
        write_reports,
    )
    from poisonguard.redteam import redteam as run_redteam

    if (pipeline is None) == (datatrove is None):
        fail("give exactly one of --pipeline 'CMD {in} {out}' and --datatrove SPEC", EXIT_USAGE)
    if not clean:
        fail("--clean CORPUS is required", EXIT_USAGE)
    if seeds < 1 or count < 1:
        fail("--seeds and --count must be >= 1", EXIT_USAGE)
    if fail_on_survival is not None and not 0 <= fail_on_survival <= 1:
        fail("--fail-on-survival is a share between 0 and 1", EXIT_USAGE)
    from poisonguard.detect.profiles import PROFILES

    if scan_profile not in PROFILES:
        fail(f"--scan-profile must be one of {', '.join(PROFILES)}", EXIT_USAGE)
    names = _recipes(recipes or [])
    per_recipe = _params(params)
    common = recipe_opts.given_params(
        {
            "trigger": trigger,
            "tokenizer": tokenizer,
            "foreign": foreign,
            "lang": lang,
            "entity": entity,
            "claim": claim,
            "questions": questions,
            "harmful": harmful,
        }
    )
    try:
        pipe: Any = (
            ShellPipeline(pipeline, io_format=io_format, timeout=timeout)
            if pipeline is not None
            else DatatrovePipeline(datatrove or "")
        )
    except (PipelineError, ChainError) as e:
        fail(str(e), EXIT_USAGE)
    reader = open_reader(clean, fmt, text_field, id_field, max_doc_bytes)

    def go() -> None:
        docs: list[Document] = []
        for item in reader:
            if isinstance(item, Document):
                docs.append(item)
                if clean_limit is not None and len(docs) >= clean_limit:
                    break
        try:
            result = run_redteam(
                docs,
                pipe,
                names,
                count=count,
                seeds=list(range(seeds)),
                params=per_recipe,
                common=common,
                with_scan=with_scan,
                scan_kind=scan_kind,
                scan_options={"profile": scan_profile},
                work=work,
                keep_work=keep_work,
                progress=None if as_json else lambda line: console.print(escape(line)),
            )
        except (RedteamError, ChainError) as e:
            fail(str(e), EXIT_USAGE)
            return
        except PipelineError as e:
            fail(str(e))
            return
        paths = write_reports(result, out, fail_on_survival)
        if as_json:
            emit_json(json.loads(paths["json"].read_text()))
        else:
            console.print(_table(result))
            console.print(f"report → {paths['html']}, {paths['json']}")
        if fail_on_survival is not None:
            bad = result.failed(fail_on_survival)
            if bad:
                worst = ", ".join(f"{r} {100 * v:.1f} %" for r, v in bad.items())
                console.print(
                    f"[bold red]FAIL[/]: poison survival above {100 * fail_on_survival:g} %: "
                    f"{escape(worst)}"
                )
                raise typer.Exit(EXIT_FINDINGS)

    run_guarded(go)


def register(app: typer.Typer) -> None:
    """Add ``redteam`` to the main CLI."""
    app.command("redteam")(redteam)
