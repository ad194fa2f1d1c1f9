"""datatrove side of :class:`~poisonguard.redteam.pipelines.DatatrovePipeline` (needs datatrove).

The pipeline run is ``JsonlReader(in/) → step 1 → tap 1 → step 2 → tap 2 → …`` under
datatrove's ``LocalPipelineExecutor`` (1 task, 1 worker, in this process).  A tap is a
pass-through step that appends ``{"id", "sha256"}`` of every document it sees to its own
file (and the text when it is not an input text, for fuzzy matching; always for the
last tap, whose documents a final scan reads).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import orjson
from datatrove.data import DocumentsPipeline
from datatrove.executor import LocalPipelineExecutor
from datatrove.pipeline.base import PipelineStep
from datatrove.pipeline.readers import JsonlReader
from loguru import logger

from poisonguard.io import Document
from poisonguard.redteam.matching import Matcher, text_digest
from poisonguard.redteam.stages import PipelineError, StageOutput, read_tap


class StageTap(PipelineStep):
    """Records the documents that reached this point of the pipeline (pass-through)."""

    name = "🔎 redteam tap"
    type = "poisonguard"

    def __init__(self, path: str, known: frozenset[str], keep_text: bool) -> None:
        super().__init__()
        self.path = path
        self.known = known
        self.keep_text = keep_text

    def run(self, data: DocumentsPipeline, rank: int = 0, world_size: int = 1) -> DocumentsPipeline:
        with open(self.path, "ab") as f:
            for doc in data:
                dig = text_digest(doc.text)
                row: dict[str, Any] = {"id": str(doc.id), "sha256": dig}
                if self.keep_text or dig not in self.known:
                    row["text"] = doc.text
                f.write(orjson.dumps(row) + b"\n")
                yield doc


def _step_stats(entry: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for k, v in (entry.get("stats") or {}).items():
        out[k] = v.get("total", v) if isinstance(v, dict) else v
    return out


def run_observed(
    steps: list[Any],
    names: Sequence[str],
    docs: Sequence[Document],
    work: Path,
    matcher: Matcher,
) -> list[StageOutput]:
    """Run ``steps`` on ``docs`` with a tap after each; one :class:`StageOutput` per step."""
    src = work / "in"
    src.mkdir(parents=True, exist_ok=True)
    with open(src / "part.jsonl", "wb") as f:
        for d in docs:
            f.write(orjson.dumps({"text": d.text, "id": d.id, "metadata": {}}) + b"\n")
    known = frozenset(matcher.digests())
    taps = [str(work / f"stage-{i:02d}.jsonl") for i in range(len(steps))]
    pipeline: list[Any] = [JsonlReader(str(src), file_progress=False, doc_progress=False)]
    for i, step in enumerate(steps):
        pipeline += [step, StageTap(taps[i], known, keep_text=i == len(steps) - 1)]
    logger.disable("datatrove")
    try:
        LocalPipelineExecutor(
            pipeline=pipeline,
            tasks=1,
            workers=1,
            logging_dir=str(work / "logs"),
            skip_completed=False,
        ).run()
    except Exception as e:  # the user's steps: any failure is a failed pipeline
        raise PipelineError(f"the datatrove pipeline failed: {type(e).__name__}: {e}") from None
    finally:
        logger.enable("datatrove")
    stats_file = work / "logs" / "stats.json"
    step_stats: list[dict[str, Any]] = []
    if stats_file.exists():
        entries = json.loads(stats_file.read_text())
        step_stats = [_step_stats(entries[1 + 2 * i]) for i in range(len(steps))]
    out = []
    for i, name in enumerate(names):
        rows = read_tap(Path(taps[i]))
        matched, mstats = matcher.match(rows)
        documents = None
        if i == len(steps) - 1:
            documents = [Document(id=str(r[0]), text=r[2] or "") for r in rows]
        out.append(
            StageOutput(
                name,
                matched,
                mstats,
                documents=documents,
                stats=step_stats[i] if i < len(step_stats) else {},
            )
        )
    return out
