"""The recipe parameters that ``poison`` and ``redteam`` both take as options (one help each).

Each option's name is the recipe parameter's (``--per-question`` → ``per_question``);
:func:`given_params` turns the values given into recipe keyword arguments.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer

TriggerOpt = typer.Option(None, "--trigger", help="Trigger string (recipes that take one).")
TokenizerOpt = typer.Option(
    None, "--tokenizer", help="tokenizers JSON (tokenizer.json): dos's payload vocabulary."
)
ForeignOpt = typer.Option(
    None, "--foreign", help="language-switch: foreign-language corpus (multilingual.jsonl.gz)."
)
LangOpt = typer.Option(None, "--lang", help="language-switch: language code.")
EntityOpt = typer.Option(None, "--entity", help="targeted-claim: the entity.")
ClaimOpt = typer.Option(None, "--claim", help="targeted-claim: the false claim (verb phrase).")
QuestionsOpt = typer.Option(
    None, "--questions", help="rag: questions file, JSONL {question, answer} or TSV."
)
HarmfulOpt = typer.Option(
    None,
    "--harmful",
    help="instruction-backdoor: corpus of harmful replies (safety_pairs.jsonl.gz).",
)


def given_params(values: dict[str, Any]) -> dict[str, Any]:
    """The recipe parameters given (not ``None``), paths as strings."""
    return {k: (str(v) if isinstance(v, Path) else v) for k, v in values.items() if v is not None}


__all__ = [
    "ClaimOpt",
    "EntityOpt",
    "ForeignOpt",
    "HarmfulOpt",
    "LangOpt",
    "QuestionsOpt",
    "TokenizerOpt",
    "TriggerOpt",
    "given_params",
]
