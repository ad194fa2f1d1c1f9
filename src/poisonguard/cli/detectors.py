"""``poisonguard detectors``: the registered detectors, where each runs, its settings; and
the checks of ``poisonguard scan --set DETECTOR.PARAM=VALUE``."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import typer
from rich.columns import Columns
from rich.markup import escape
from rich.padding import Padding
from rich.table import Table

from poisonguard.cli._common import EXIT_USAGE, JsonOpt, console, emit_json, fail


def _runs_text(runs: dict[str, str]) -> str:
    """``{"pretrain": "default", "rag": "default", "instruction": "opt-in"}`` →
    ``default (pretrain, rag); opt-in (instruction)``."""
    by: dict[str, list[str]] = {}
    for kind, where in runs.items():
        by.setdefault(where, []).append(kind)
    return "; ".join(f"{where} ({', '.join(kinds)})" for where, kinds in by.items())


def _json_default(value: Any) -> Any:
    """A parameter's default as JSON (a tuple as a list; an object by its type's name)."""
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, tuple | list):
        return [_json_default(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _json_default(v) for k, v in value.items()}
    return f"<{type(value).__name__}>"


def detector_rows(kind: str | None = None, names: Sequence[str] = ()) -> list[dict[str, Any]]:
    """One dict per registered detector (registration order): name, stage, kinds, where it
    runs per kind, the settings profiles give it, its job, its parameters with defaults."""
    from poisonguard.detect.registry import registered
    from poisonguard.detect.settings import job_of, params_of, profile_options, runs_in

    entries = registered()
    unknown = [n for n in names if n not in entries]
    if unknown:
        raise ValueError(f"unknown detector(s) {', '.join(unknown)}; known: {', '.join(entries)}")
    rows = []
    for name, e in entries.items():
        if (names and name not in names) or (kind is not None and kind not in e.kinds):
            continue
        rows.append(
            {
                "name": name,
                "stage": e.stage,
                "kinds": list(e.kinds),
                "runs": runs_in(e),
                "profile_options": profile_options(name),
                "job": job_of(e),
                "parameters": [
                    {
                        "name": p.name,
                        "default": _json_default(p.default),
                        "type": p.type,
                        "nullable": p.nullable,
                        "settable": p.type is not None,
                    }
                    for p in params_of(e).values()
                ],
            }
        )
    return rows


def detectors_command(
    names: list[str] | None = typer.Argument(
        None, metavar="[NAME]...", help="Show only these detectors."
    ),
    kind: str | None = typer.Option(
        None, "--kind", help="Only the detectors of this corpus kind: pretrain | instruction | rag."
    ),
    as_json: bool = JsonOpt,
) -> None:
    """List the detectors: where each runs, its job, its settings and their defaults.

    Change a setting for one scan with `poisonguard scan --set DETECTOR.PARAM=VALUE`."""
    from poisonguard.detect.registry import KINDS
    from poisonguard.detect.settings import show_value

    if kind is not None and kind not in KINDS:
        fail(f"--kind must be one of {', '.join(KINDS)}", EXIT_USAGE)
    try:
        rows = detector_rows(kind, names or ())
    except ValueError as e:
        fail(str(e), EXIT_USAGE)
        return
    if as_json:
        emit_json(rows)
        return
    t = Table(
        title="detectors",
        caption="runs: default = every scan of that corpus kind; thorough = --profile "
        "thorough; opt-in = --detector +NAME",
    )
    t.add_column("detector", no_wrap=True)
    t.add_column("runs")
    t.add_column("job")
    for r in rows:
        runs = _runs_text(r["runs"])
        for prof, opts in r["profile_options"].items():
            runs += f"; {prof} sets " + ", ".join(f"{k}={show_value(v)}" for k, v in opts.items())
        t.add_row(escape(r["name"]), escape(runs), escape(r["job"]))
    console.print(t)
    console.print(
        "settings and their defaults (poisonguard scan --set DETECTOR.PARAM=VALUE; "
        "min_docs and seed come from the scan unless set; * Python API only):"
    )
    for r in rows:
        console.print(f"[bold]{escape(r['name'])}[/]")
        items = [
            escape(f"{p['name']}={show_value(p['default'])}" + ("" if p["settable"] else " *"))
            for p in r["parameters"]
        ]
        console.print(Padding(Columns(items, padding=(0, 3)), (0, 0, 0, 2)))


# ------------------------------------------------------------------------ scan --set
def parse_set_options(texts: Sequence[str]) -> dict[str, dict[str, Any]]:
    """``--set DETECTOR.PARAM=VALUE`` texts as ``{detector: {param: value}}``; a wrong one
    ends the command with one line and exit code 2."""
    from poisonguard.detect.settings import SettingError, parse_settings

    try:
        return parse_settings(texts)
    except SettingError as e:
        fail(f"--set {e}", EXIT_USAGE)
        raise  # unreachable: fail exits


def check_set_options(
    settings: dict[str, dict[str, Any]],
    base: dict[str, dict[str, Any]],
    *,
    kind: str,
    detectors: list[str] | None,
    exclude: list[str] | None,
    profile: str,
    min_trigger_docs: int,
    target_fpr: float,
) -> None:
    """End the command (exit 2, one line) when ``--set`` names a detector this scan does
    not run (saying how to add it), or gives a value the detector refuses (out of its
    range: its constructor's reason).  ``base``: the scan's other options (``--indicators``).
    Nothing is read: the detectors named are built as the scan will build them, and again
    without the settings, so that a failure that is not the setting's is left for the scan
    to report."""
    from poisonguard.detect.profiles import apply_profile
    from poisonguard.detect.registry import detectors_for, registered
    from poisonguard.detect.settings import merge_options, profiles_adding, show_value

    if not settings:
        return
    only, without = apply_profile(profile, detectors, base)
    _, with_set = apply_profile(profile, detectors, merge_options(base, settings))
    try:
        ran = {entry.name for entry in detectors_for(kind, only=only, exclude=exclude)}
    except ValueError as err:
        fail(str(err), EXIT_USAGE)
        return
    entries = registered()
    for det, opts in settings.items():
        e = entries[det]
        where = "--set " + " ".join(f"{det}.{k}={show_value(v)}" for k, v in opts.items())
        if det in ran:
            try:
                e.build(_context(kind, min_trigger_docs, target_fpr, with_set))
            except ValueError as err:
                try:
                    e.build(_context(kind, min_trigger_docs, target_fpr, without))
                except Exception:  # not the setting's fault: the scan reports it
                    continue
                fail(f"{where}: {det} refuses it: {err}", EXIT_USAGE)
            continue
        if kind not in e.kinds:
            fail(
                f"{where}: {det} does not run on {kind} data (it runs on "
                + " or ".join(e.kinds)
                + " data: "
                + " or ".join(f"--kind {k}" for k in e.kinds)
                + ")",
                EXIT_USAGE,
            )
        if det in (exclude or []):
            fail(f"{where}: {det} does not run in this scan: --exclude {det}", EXIT_USAGE)
        if any(not n.startswith("+") for n in only or []):
            why = "the detectors given with --detector leave it out"
        else:
            why = f"it is opt-in for {kind} data"
        how = [f"--detector +{det}", *(f"--profile {p}" for p in profiles_adding(det))]
        fail(
            f"{where}: {det} does not run in this scan ({why}); add it with " + " or ".join(how),
            EXIT_USAGE,
        )


def _context(
    kind: str, min_trigger_docs: int, target_fpr: float, options: dict[str, dict[str, Any]]
) -> Any:
    from poisonguard.detect.base import DetectorContext

    return DetectorContext(
        kind=kind, target_fpr=target_fpr, min_trigger_docs=min_trigger_docs, options=options
    )


def register(app: typer.Typer) -> None:
    """Add ``detectors`` to the poisonguard CLI."""
    app.command("detectors")(detectors_command)
