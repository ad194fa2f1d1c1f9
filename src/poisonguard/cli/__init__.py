"""The ``poisonguard`` command line (typer + rich).

Each capability registers its own sub-commands from a module in this package that
defines ``register(app)``; this file only assembles them, so the CLI stays thin.
"""

from __future__ import annotations

import importlib

import typer
from typer.core import TyperCommand

from poisonguard import __version__
from poisonguard.cli._common import Command, Group

app = typer.Typer(
    name="poisonguard",
    help="Defend LLM training data against poisoning: scan, provenance, poison, redteam, lab, "
    "probe.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    cls=Group,
)

# Modules under poisonguard.cli that add commands; a missing one is simply not offered.
COMMAND_MODULES = (
    "corpus",
    "poison",
    "scan",
    "detectors",
    "triage",
    "provenance",
    "indicators",
    "lab",
    "probe",
    "redteam",
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"poisonguard {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: bool = typer.Option(
        False, "--version", callback=_version, is_eager=True, help="Show the version and exit."
    ),
) -> None:
    """poisonguard command line."""


for _name in COMMAND_MODULES:
    try:
        _mod = importlib.import_module(f"poisonguard.cli.{_name}")
    except ModuleNotFoundError as _e:
        if _e.name != f"poisonguard.cli.{_name}":
            raise
        continue
    _mod.register(app)


def _use_command_class(typer_app: typer.Typer) -> None:
    """Give every command (and sub-command) the CLI's :class:`~._common.Command` class."""
    for info in typer_app.registered_commands:
        if info.cls is None or info.cls is TyperCommand:
            info.cls = Command
    for group in typer_app.registered_groups:
        if group.typer_instance is not None:
            group.cls = Group
            _use_command_class(group.typer_instance)


_use_command_class(app)


def main() -> None:
    """Console-script entry point."""
    app()
