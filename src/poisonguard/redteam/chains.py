"""datatrove pipelines for ``poisonguard redteam``: the standard chain and user pipelines.

:func:`standard_chain` is the quality-filter chain of FineWeb-style web curation:
datatrove's Gopher quality, Gopher repetition, C4 quality and FineWeb quality filters,
with their default parameters (``benchmarks/detection.py`` compares the scan against the
same chain).  :func:`load_steps` turns a user's ``module:attribute`` (or ``file.py:attr``)
into a list of datatrove steps: the attribute is a list of steps or a callable returning
one.  The steps are the processing steps only; ``redteam`` adds its own reader.

Needs ``pip install 'poisonguard[datatrove]'``.
"""

from __future__ import annotations

import copy
import importlib
import importlib.util
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

STANDARD = "standard"
"""The spec that names :func:`standard_chain`."""


class ChainError(ValueError):
    """A datatrove pipeline spec cannot be loaded or is not a list of steps."""


def _require_datatrove() -> None:
    try:
        import datatrove  # noqa: F401
    except ImportError as e:
        raise ChainError(
            "datatrove pipelines need datatrove: pip install 'poisonguard[datatrove]'"
        ) from e


def standard_chain() -> list[Any]:
    """Gopher quality + Gopher repetition + C4 quality + FineWeb quality (defaults)."""
    _require_datatrove()
    from datatrove.pipeline.filters import (
        C4QualityFilter,
        FineWebQualityFilter,
        GopherQualityFilter,
        GopherRepetitionFilter,
    )

    return [
        GopherQualityFilter(),
        GopherRepetitionFilter(),
        C4QualityFilter(),
        FineWebQualityFilter(),
    ]


def _import_attr(spec: str) -> Any:
    mod_name, sep, attr = spec.rpartition(":")
    if not sep or not mod_name or not attr:
        raise ChainError(
            f"datatrove pipeline {spec!r}: give MODULE:ATTRIBUTE or FILE.py:ATTRIBUTE "
            f"(or {STANDARD!r})"
        )
    try:
        if mod_name.endswith(".py"):
            path = Path(mod_name)
            if not path.is_file():
                raise ChainError(f"datatrove pipeline file not found: {mod_name}")
            name = f"_poisonguard_redteam_{abs(hash(str(path.resolve())))}"
            loader_spec = importlib.util.spec_from_file_location(name, path)
            if loader_spec is None or loader_spec.loader is None:
                raise ChainError(f"cannot load {mod_name} as a Python module")
            module = importlib.util.module_from_spec(loader_spec)
            sys.modules[name] = module
            loader_spec.loader.exec_module(module)
        else:
            module = importlib.import_module(mod_name)
    except ChainError:
        raise
    except Exception as e:  # the user's module: any failure is their input's fault
        raise ChainError(f"cannot import {mod_name}: {type(e).__name__}: {e}") from e
    try:
        return getattr(module, attr)
    except AttributeError:
        raise ChainError(f"{mod_name} has no attribute {attr!r}") from None


def check_steps(steps: Any, where: str = "the pipeline") -> list[Any]:
    """``steps`` as a list of datatrove pipeline steps (no readers, no writers)."""
    _require_datatrove()
    from datatrove.pipeline.base import PipelineStep
    from datatrove.pipeline.readers.base import BaseReader
    from datatrove.pipeline.writers.disk_base import DiskWriter

    if isinstance(steps, str | bytes) or not isinstance(steps, Sequence):
        raise ChainError(f"{where} is not a list of datatrove steps (got {type(steps).__name__})")
    out = list(steps)
    if not out:
        raise ChainError(f"{where} has no steps")
    for i, s in enumerate(out):
        if isinstance(s, BaseReader):
            raise ChainError(
                f"{where}: step {i + 1} is a reader ({type(s).__name__}); give only the "
                "processing steps, redteam reads the poisoned corpus itself"
            )
        if isinstance(s, DiskWriter):
            raise ChainError(
                f"{where}: step {i + 1} is a writer ({type(s).__name__}); give only the "
                "processing steps, redteam records what survives each step itself"
            )
        if not isinstance(s, PipelineStep):
            raise ChainError(
                f"{where}: step {i + 1} is a {type(s).__name__}, not a datatrove PipelineStep"
            )
    return out


def load_steps(spec: str | Sequence[Any] | Callable[[], Sequence[Any]]) -> Callable[[], list[Any]]:
    """A factory of fresh step lists for ``spec``.

    ``spec`` is ``"standard"``, ``"module:attr"`` / ``"file.py:attr"``, a list of steps or a
    callable returning one.  Every call of the factory returns new step objects (a list is
    deep-copied), so datatrove's per-step statistics start at zero for each run.
    """
    if isinstance(spec, str):
        if spec == STANDARD:
            check_steps(standard_chain(), STANDARD)
            return standard_chain
        target = _import_attr(spec)
        where = spec
    else:
        target = spec
        where = "the pipeline"
    if callable(target) and not isinstance(target, Sequence):
        fn = target

        def factory() -> list[Any]:
            try:
                steps = fn()
            except Exception as e:
                raise ChainError(f"{where}() failed: {type(e).__name__}: {e}") from e
            return check_steps(steps, where)

        factory()  # fail now, before any poison is made
        return factory
    steps = check_steps(target, where)
    return lambda: copy.deepcopy(steps)


def step_name(step: Any, index: int) -> str:
    """A unique label for the ``index``-th (0-based) step: ``2. GopherRepetitionFilter``."""
    return f"{index + 1}. {type(step).__name__}"


__all__ = ["STANDARD", "ChainError", "check_steps", "load_steps", "standard_chain", "step_name"]
