"""What a stage of a pipeline under test gave back, shared by every kind of pipeline.

Apart from :mod:`poisonguard.redteam.pipelines` so that the datatrove runner
(``_datatrove``, imported lazily by the pipelines) needs nothing from it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from poisonguard.io import Document
from poisonguard.redteam.matching import MatchStats


class PipelineError(RuntimeError):
    """The pipeline under test failed or wrote no readable output (message: why)."""


@dataclass
class StageOutput:
    """What came out of one stage: output documents matched back to the input.

    Attributes:
        name: the stage label.
        matched: for each output document, the index of the input document it is
            (None: unmatched).
        match: how the outputs were matched (see :mod:`poisonguard.redteam.matching`).
        documents: the output documents (kept only for the last stage, for a final scan).
        stats: datatrove's own statistics of the step (datatrove pipelines only).
    """

    name: str
    matched: list[int | None]
    match: MatchStats
    documents: list[Document] | None = None
    stats: dict[str, Any] = field(default_factory=dict)

    @property
    def survivors(self) -> set[int]:
        return {k for k in self.matched if k is not None}


def read_tap(path: Path) -> list[tuple[str | None, str | None, str | None]]:
    """Rows ``(id, digest, text)`` a recording step wrote (see ``_datatrove``)."""
    rows: list[tuple[str | None, str | None, str | None]] = []
    if not path.exists():
        return rows
    with open(path, encoding="utf-8") as f:
        for line in f:
            r = json.loads(line)
            rows.append((r.get("id"), r.get("sha256"), r.get("text")))
    return rows
