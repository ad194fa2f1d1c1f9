"""Running a user's curation pipeline on a poisoned copy of their data.

Two kinds of pipeline:

* :class:`ShellPipeline`: any command line with ``{in}`` and ``{out}`` placeholders
  (``python filter.py {in} {out}``, ``jq -c 'select(...)' {in} > {out}``).  redteam writes
  the poisoned corpus to a fresh ``{in}`` file in its own work folder, runs the command
  there, and reads ``{out}`` back (a file or a folder of files, JSON Lines or Parquet as
  chosen).  One stage: the whole command.
* :class:`DatatrovePipeline`: a list of datatrove steps, run by datatrove's own
  ``LocalPipelineExecutor`` behind a ``JsonlReader``, with a recording step after every
  step, so survival is known per step; datatrove's own per-step statistics
  (``stats.json``) come with it.

The user's files are never handed to the pipeline: it sees only copies in the work
folder.  A pipeline that fails, writes nothing, or writes something that is not a corpus
of the expected format raises :class:`PipelineError` with the reason in one line.
"""

from __future__ import annotations

import shlex
import subprocess
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from poisonguard.io import CorpusError, CorpusReader, CorpusWriter, Document
from poisonguard.redteam.chains import load_steps, step_name
from poisonguard.redteam.matching import Matcher, text_digest
from poisonguard.redteam.stages import PipelineError, StageOutput, read_tap


class ShellPipeline:
    """A command line run on the poisoned corpus: ``CMD {in} {out}``.

    Args:
        command: shell command; ``{in}`` and ``{out}`` are replaced by the quoted paths of
            the input file and of the output path (other braces, e.g. jq's, are left alone).
        io_format: ``jsonl`` or ``parquet``: what redteam writes to ``{in}`` and expects in
            ``{out}``.
        timeout: seconds before the command is killed (None: no limit).
    """

    def __init__(
        self, command: str, *, io_format: str = "jsonl", timeout: float | None = None
    ) -> None:
        if "{in}" not in command or "{out}" not in command:
            raise PipelineError(
                f"the pipeline command needs the placeholders {{in}} and {{out}}: {command!r}"
            )
        if io_format not in ("jsonl", "parquet"):
            raise PipelineError(f"io_format must be jsonl or parquet, not {io_format!r}")
        self.command = command
        self.io_format = io_format
        self.timeout = timeout
        self.stage_names = ["pipeline"]

    def run(self, docs: Sequence[Document], work: Path, matcher: Matcher) -> list[StageOutput]:
        """Run the command on ``docs`` in ``work`` (a fresh folder); one stage."""
        work.mkdir(parents=True, exist_ok=True)
        suffix = ".jsonl" if self.io_format == "jsonl" else ".parquet"
        src = work / f"in{suffix}"
        dst = work / f"out{suffix}"
        with CorpusWriter(src, format=self.io_format) as w:
            for d in docs:
                w.write(d)
        cmd = self.command.replace("{in}", shlex.quote(str(src))).replace(
            "{out}", shlex.quote(str(dst))
        )
        try:
            proc = subprocess.run(
                cmd,
                shell=True,
                cwd=work,
                capture_output=True,
                timeout=self.timeout,
                check=False,
            )
        except subprocess.TimeoutExpired:
            raise PipelineError(
                f"the pipeline command ran longer than {self.timeout:g} s"
            ) from None
        if proc.returncode != 0:
            tail = _last_line(proc.stderr) or _last_line(proc.stdout)
            raise PipelineError(
                f"the pipeline command exited with status {proc.returncode}"
                + (f": {tail}" if tail else "")
            )
        out_docs = read_output(dst, self.io_format, docs[0] if docs else None)
        matched, stats = matcher.match((d.id, None, d.text) for d in out_docs)
        return [StageOutput("pipeline", matched, stats, documents=out_docs)]


def _last_line(data: bytes) -> str:
    lines = [ln.strip() for ln in data.decode("utf-8", "replace").splitlines() if ln.strip()]
    return lines[-1][:300] if lines else ""


def read_output(path: Path, io_format: str, like: Document | None) -> list[Document]:
    """The documents a pipeline wrote to ``path`` (a file or a folder of files).

    An empty file or folder is a pipeline that dropped everything (no documents); a path
    that does not exist, or records that are not ``io_format`` corpus records, raise
    :class:`PipelineError`.
    """
    if not path.exists():
        raise PipelineError(f"the pipeline wrote nothing: {path.name} does not exist")
    files = [path] if path.is_file() else sorted(p for p in path.rglob("*") if p.is_file())
    files = [p for p in files if p.stat().st_size > 0]
    if not files:
        return []
    try:
        reader = CorpusReader(
            files,
            format=io_format,
            text_field=like.text_field if like is not None and like.shape == "text" else None,
            id_field=like.id_field if like is not None else None,
        )
        out: list[Document] = []
        for item in reader:
            if isinstance(item, Document):
                out.append(item)
            elif item.kind != "empty_file":
                raise PipelineError(
                    f"the pipeline's output is not {io_format} corpus records: "
                    f"{Path(item.file).name}:{item.line}: {item.reason}"
                )
    except CorpusError as e:
        raise PipelineError(f"the pipeline's output cannot be read as {io_format}: {e}") from None
    except (OSError, ValueError) as e:
        raise PipelineError(f"the pipeline's output cannot be read as {io_format}: {e}") from None
    return out


class DatatrovePipeline:
    """A datatrove pipeline (its processing steps), observed after every step.

    Args:
        spec: ``"standard"`` (:func:`~poisonguard.redteam.chains.standard_chain`),
            ``"module:attr"`` / ``"file.py:attr"``, a list of steps or a callable
            returning one (see :func:`~poisonguard.redteam.chains.load_steps`).
    """

    def __init__(self, spec: str | Sequence[Any] | Callable[[], Sequence[Any]]) -> None:
        self.factory = load_steps(spec)
        self.spec = spec if isinstance(spec, str) else "python"
        self.stage_names = [step_name(s, i) for i, s in enumerate(self.factory())]

    def run(self, docs: Sequence[Document], work: Path, matcher: Matcher) -> list[StageOutput]:
        """Run the steps on ``docs`` (datatrove's executor, 1 task) in ``work``."""
        from poisonguard.redteam import _datatrove

        return _datatrove.run_observed(self.factory(), self.stage_names, docs, work, matcher)


__all__ = [
    "DatatrovePipeline",
    "PipelineError",
    "ShellPipeline",
    "StageOutput",
    "read_output",
    "read_tap",
    "text_digest",
]
