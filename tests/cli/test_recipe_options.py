"""``poison`` and ``redteam`` take the same recipe parameters as options: one help each."""

from __future__ import annotations

import typer.main

from poisonguard.attacks import available, get
from poisonguard.cli import app


def _options(command: str) -> dict[str, str]:
    group = typer.main.get_command(app)
    cmd = group.commands[command]  # type: ignore[attr-defined]
    return {o: p.help or "" for p in cmd.params for o in p.opts if o.startswith("--")}


def test_shared_recipe_options_read_the_same_in_both_commands() -> None:
    recipe_params = {
        "--" + n.replace("_", "-") for name in available() for n in get(name).parameter_names()
    }
    poison, redteam = _options("poison"), _options("redteam")
    shared = recipe_params & poison.keys() & redteam.keys()
    assert {"--trigger", "--tokenizer", "--foreign", "--claim", "--harmful"} <= shared
    assert {o: poison[o] for o in shared} == {o: redteam[o] for o in shared}
