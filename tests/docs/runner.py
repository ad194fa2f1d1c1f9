"""A small doc-runner: the console blocks of the Markdown docs, executed as written.

Markers (an HTML comment on the line before a fenced block):

* ``<!-- doc-run -->`` — run the block.  ```` ```console ```` blocks: lines starting with
  ``$ `` are commands (a trailing ``\\`` or lines starting ``> `` continue them), the
  lines after a command are output it must print, in order (each expected line must be
  found in the output, after the previous one; ``...`` inside a line matches anything, a
  line of only ``...`` skips any number of lines; digests — runs of 16 or more hex digits —
  and ISO 8601 UTC times match any value of their shape, since keys, hashes and clocks
  differ from run to run).  ```` ```bash ```` blocks run as one script.  Every command
  must exit 0 (write ``cmd || echo "exit $?"`` and expect the line to show a planned
  failure; pipelines run with ``pipefail``, so write a failing command's output to a file
  and read that, rather than ``cmd | grep``).
* ``<!-- doc-run: skip REASON -->`` — the block cannot run in CI (it needs the shared
  corpora, installs packages, runs for long); the reason is reported.

The blocks of one file run in order in one fresh folder, so a walk-through builds on its
own earlier steps; ``poisonguard`` and ``python`` resolve to this checkout.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

MARK = re.compile(r"<!--\s*doc-run(?::\s*skip\s+(?P<reason>.*?))?\s*-->")
FENCE = re.compile(r"^```(?P<lang>[\w-]*)\s*$")
RUNNABLE = ("console", "bash", "sh", "shell")


@dataclass
class Block:
    """One fenced block of a Markdown file."""

    path: Path
    line: int
    lang: str
    text: str
    run: bool = False
    skip: str | None = None

    @property
    def where(self) -> str:
        return f"{self.path.name}:{self.line}"


@dataclass
class Step:
    command: str
    expected: list[str] = field(default_factory=list)


def blocks(path: Path) -> list[Block]:
    """The fenced blocks of ``path`` with their markers."""
    lines = path.read_text(encoding="utf-8").splitlines()
    out: list[Block] = []
    i = 0
    while i < len(lines):
        m = FENCE.match(lines[i])
        if not m:
            i += 1
            continue
        start = i
        j = i + 1
        while j < len(lines) and not lines[j].startswith("```"):
            j += 1
        prev = next((lines[k] for k in range(start - 1, -1, -1) if lines[k].strip()), "")
        mark = MARK.search(prev)
        b = Block(path, start + 1, m["lang"], "\n".join(lines[start + 1 : j]))
        if mark:
            b.run = mark["reason"] is None
            b.skip = mark["reason"]
        out.append(b)
        i = j + 1
    return out


def steps(block: Block) -> list[Step]:
    """A console block's commands with their expected output."""
    if block.lang != "console":
        return [Step(block.text)]
    out: list[Step] = []
    cont = False
    for raw in block.text.splitlines():
        if cont:
            out[-1].command += "\n" + raw
            cont = raw.endswith("\\")
        elif raw.startswith("> ") and out and not out[-1].expected:  # the shell's PS2
            out[-1].command += "\n" + raw[2:]
        elif raw.startswith("$ "):
            out.append(Step(raw[2:]))
            cont = raw.endswith("\\")
        elif out:
            out[-1].expected.append(raw)
        # output before the first command is not checked
    return out


VARIABLE = re.compile(r"(?P<hex>\b[0-9a-f]{16,}\b)|(?P<time>\b\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ)")
"""Parts of shown output that differ from run to run: digests and key ids, UTC times."""


def _literal(part: str) -> str:
    out, pos = [], 0
    for m in VARIABLE.finditer(part):
        out.append(re.escape(part[pos : m.start()]))
        out.append("[0-9a-f]{16,}" if m["hex"] else r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ")
        pos = m.end()
    out.append(re.escape(part[pos:]))
    return "".join(out)


def _pattern(line: str) -> re.Pattern[str]:
    return re.compile(".*".join(_literal(p) for p in line.strip().split("...")))


def check_output(expected: list[str], actual: str) -> str | None:
    """None when ``actual`` shows the ``expected`` lines in order, else what is missing."""
    got = [x.rstrip() for x in actual.splitlines()]
    pos = 0
    for line in expected:
        if not line.strip() or line.strip() == "...":
            continue
        pat = _pattern(line)
        while pos < len(got) and not pat.search(got[pos]):
            pos += 1
        if pos == len(got):
            return f"expected a line matching {line.strip()!r}"
        pos += 1
    return None


def environment(bin_dir: Path, src: Path) -> dict[str, str]:
    """PATH with ``poisonguard`` and ``python`` of this interpreter and checkout."""
    bin_dir.mkdir(parents=True, exist_ok=True)
    for name, target in (
        ("poisonguard", f"{sys.executable} -m poisonguard"),
        ("python", sys.executable),
    ):
        p = bin_dir / name
        p.write_text(f'#!/bin/sh\nexec {target} "$@"\n')
        p.chmod(0o755)
    env = dict(os.environ)
    env["PATH"] = f"{bin_dir}{os.pathsep}{env.get('PATH', '')}"
    env["PYTHONPATH"] = os.pathsep.join(x for x in (str(src), env.get("PYTHONPATH", "")) if x)
    env["COLUMNS"] = "120"
    env.pop("FORCE_COLOR", None)
    return env


def run_step(step: Step, cwd: Path, env: dict[str, str], timeout: float = 900) -> str | None:
    """Run one command; None when it exits 0 and prints what the doc shows.

    ``timeout`` only guards against a hang: a scan of the embedded corpus took 4.5 min
    wall on this 2-core box at load 13 (the whole README walk-through: 44 s at load 1.8)."""
    proc = subprocess.run(
        ["bash", "-o", "pipefail", "-c", step.command],
        cwd=cwd,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,  # as a terminal shows them: interleaved
        text=True,
        timeout=timeout,
    )
    both = proc.stdout
    if proc.returncode != 0:
        return f"`{step.command}` exited {proc.returncode}:\n{both[-3000:]}"
    if "Traceback (most recent call last)" in both:
        return f"`{step.command}` printed a traceback:\n{both[-3000:]}"
    missing = check_output(step.expected, both)
    if missing:
        return f"`{step.command}`: {missing}; it printed:\n{both[-3000:]}"
    return None
