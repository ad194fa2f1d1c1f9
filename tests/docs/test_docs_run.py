"""Docs that run (issue 15): the marked console blocks of README.md and docs/*.md execute
as written (tests/docs/runner.py), so a walk-through cannot drift from the code."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.docs.runner import RUNNABLE, blocks, environment, run_step, steps

ROOT = Path(__file__).resolve().parents[2]
DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]


@pytest.mark.parametrize("path", DOCS, ids=lambda p: p.name)
def test_every_shell_block_says_whether_it_runs(path: Path) -> None:
    """Every console/bash block of README.md and docs/*.md runs or says why not, and every
    fenced block names its language (an unlabelled block could hide a command)."""
    unmarked = [
        b.where for b in blocks(path) if b.lang in RUNNABLE and not b.run and b.skip is None
    ]
    assert not unmarked, (
        f"mark these blocks <!-- doc-run --> or <!-- doc-run: skip why -->: {unmarked}"
    )
    unlabelled = [b.where for b in blocks(path) if not b.lang]
    assert not unlabelled, f"give these blocks a language (console, text, ...): {unlabelled}"


def test_skips_give_a_reason() -> None:
    for path in DOCS:
        for b in blocks(path):
            assert b.skip is None or len(b.skip) >= 10, f"{b.where}: say why it is skipped"


@pytest.mark.parametrize(
    "path",
    [p for p in DOCS if any(b.run for b in blocks(p))],
    ids=lambda p: p.name,
)
def test_doc_walkthrough_runs_as_written(path: Path, tmp_path: Path) -> None:
    env = environment(tmp_path / "bin", ROOT / "src")
    work = tmp_path / "work"
    work.mkdir()
    skipped = [f"{b.where}: {b.skip}" for b in blocks(path) if b.skip]
    if skipped:
        print("\nnot run in CI:\n  " + "\n  ".join(skipped))
    for b in blocks(path):
        if not b.run:
            continue
        for st in steps(b):
            problem = run_step(st, work, env)
            assert problem is None, f"{b.where}: {problem}"


def test_runner_checks_output_and_exit(tmp_path: Path) -> None:
    """The runner itself can fail: wrong output, a non-zero exit, a traceback."""
    from tests.docs.runner import Step, check_output

    env = environment(tmp_path / "bin", ROOT / "src")
    assert run_step(Step("echo hello; echo world", ["hello", "w...d"]), tmp_path, env) is None
    assert "expected a line" in (run_step(Step("echo hello", ["bye"]), tmp_path, env) or "")
    assert "exited 3" in (run_step(Step("exit 3"), tmp_path, env) or "")
    assert "exited 1" in (run_step(Step("false | cat"), tmp_path, env) or "")  # pipefail
    assert check_output(["b", "a"], "a\nb\n") is not None  # order matters
