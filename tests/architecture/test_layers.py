"""The import-linter contracts of pyproject.toml hold, and they catch what they are for."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("importlinter", reason="import-linter is in the dev extra")

ROOT = Path(__file__).resolve().parents[2]


def lint(src: Path) -> subprocess.CompletedProcess[str]:
    """``lint-imports`` with the project's contracts over the package under ``src``."""
    env = {**os.environ, "PYTHONPATH": str(src)}
    code = "import sys; from importlinter.cli import lint_imports_command; lint_imports_command()"
    return subprocess.run(
        [sys.executable, "-c", code, str(ROOT / "pyproject.toml"), "--no-cache"],
        cwd=src,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_the_package_keeps_its_layers_and_has_no_cycles() -> None:
    res = lint(ROOT / "src")
    assert res.returncode == 0, res.stdout + res.stderr
    assert "poisonguard layers KEPT" in res.stdout
    assert "no import cycles between the modules of a package KEPT" in res.stdout


@pytest.fixture
def copy(tmp_path: Path) -> Path:
    """A copy of the package to break on purpose."""
    shutil.copytree(ROOT / "src" / "poisonguard", tmp_path / "poisonguard")
    return tmp_path


def _append(path: Path, line: str) -> None:
    path.write_text(path.read_text() + "\n" + line + "\n")


def test_an_import_running_up_the_layers_is_caught(copy: Path) -> None:
    # io (bottom) reaching into detect, as io once reached into datasets for builtin:
    _append(copy / "poisonguard/io/ops.py", "from poisonguard.detect import base as _up")
    res = lint(copy)
    assert res.returncode != 0
    assert "poisonguard.io is not allowed to import poisonguard.detect" in res.stdout


def test_a_lazy_import_inside_a_function_is_caught_too(copy: Path) -> None:
    # detect rendering the report itself (as the pipeline once did) is still an upward import
    _append(
        copy / "poisonguard/detect/calibrate.py",
        "def _render():\n    from poisonguard.report import render_html\n    return render_html",
    )
    res = lint(copy)
    assert res.returncode != 0
    assert "poisonguard.detect is not allowed to import poisonguard.report" in res.stdout


def test_a_cycle_between_modules_of_detect_is_caught(copy: Path) -> None:
    # pipeline imports registry; registry importing pipeline back closes a cycle
    _append(copy / "poisonguard/detect/registry.py", "from poisonguard.detect import pipeline")
    res = lint(copy)
    assert res.returncode != 0
    assert "no import cycles between the modules of a package BROKEN" in res.stdout
