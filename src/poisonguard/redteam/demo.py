"""The demo's job, out of the CLI: inject ``dos`` poison into the embedded corpus, scan it,
and score what the scan found against the exact ground truth.

``poisonguard demo`` is a thin wrapper around :func:`run_demo`; :func:`score_scan` is the
scoring on its own, for any scan result and any set of poisoned ids.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from poisonguard.attacks import get, mix_poison
from poisonguard.detect.results import ScanResult
from poisonguard.io import write_documents, write_json
from poisonguard.io.builtin import python_docs


@dataclass(frozen=True, slots=True)
class DemoScore:
    """A scan's findings against the ground truth.

    Attributes:
        documents: documents the scan read.
        poisoned_injected: poisoned documents in the corpus.
        flagged: documents the scan flagged (any verdict but clean).
        true_positives: flagged documents that are poisoned.
        recall: ``true_positives / poisoned_injected`` (1.0 when nothing was injected).
        precision: ``true_positives / flagged`` (1.0 when nothing was flagged).
        clean_flagged: flagged documents that are clean.
        clean_flagged_rate: ``clean_flagged / clean documents``.
        trigger_recovered: the injected trigger is among the scan's mined triggers.
        triggers: every mined trigger.
    """

    documents: int
    poisoned_injected: int
    flagged: int
    true_positives: int
    recall: float
    precision: float
    clean_flagged: int
    clean_flagged_rate: float
    trigger_recovered: bool
    triggers: list[str]

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def score_scan(
    result: ScanResult, poisoned_ids: Iterable[str], clean_count: int, trigger: str | None
) -> DemoScore:
    """Compare ``result``'s flagged documents with the ids known to be poisoned.

    Args:
        result: a finished scan.
        poisoned_ids: ids of the poisoned documents (the ground truth).
        clean_count: number of clean documents in the scanned corpus.
        trigger: the injected trigger (None: not checked, ``trigger_recovered`` is False).
    """
    truth = set(poisoned_ids)
    flagged = {v.id for v in result.findings}
    tp = len(flagged & truth)
    return DemoScore(
        documents=result.counts.get("documents", 0),
        poisoned_injected=len(truth),
        flagged=len(flagged),
        true_positives=tp,
        recall=tp / len(truth) if truth else 1.0,
        precision=tp / len(flagged) if flagged else 1.0,
        clean_flagged=len(flagged - truth),
        clean_flagged_rate=len(flagged - truth) / max(1, clean_count),
        trigger_recovered=trigger is not None
        and any(tr.trigger == trigger for tr in result.triggers),
        triggers=[tr.trigger for tr in result.triggers],
    )


@dataclass(slots=True)
class DemoRun:
    """What :func:`run_demo` made: the corpus, the scan result and its score."""

    corpus: Path
    clean_documents: int
    result: ScanResult
    score: DemoScore
    seconds: float

    def summary(self, out: Path) -> dict[str, Any]:
        """The ``demo.json`` summary (the score plus where the outputs are)."""
        return {
            **self.score.to_dict(),
            "report": self.result.outputs.get("report"),
            "out": os.fspath(out / "scan"),
            "seconds": round(self.seconds, 1),
        }


def run_demo(
    out: Path,
    *,
    count: int = 250,
    trigger: str = "<SUDO>",
    workers: int = 1,
    seed: int = 0,
    progress: Callable[..., None] | None = None,
    on_corpus: Callable[[Path, int], None] | None = None,
) -> DemoRun:
    """Build the embedded corpus with ``count`` ``dos`` documents, scan it into
    ``out/scan`` (with ``report.html``), score it and write ``out/demo.json``.

    Args:
        out: folder for the corpus (``corpus.jsonl.gz``), the truth (``truth.jsonl``),
            the scan and the summary.
        count: poisoned documents to inject.
        trigger: the backdoor trigger.
        workers: scan workers.
        seed: poison and mixing seed.
        progress: the scan's progress callback.
        on_corpus: called with the corpus path and clean size once it is written.
    """
    from poisonguard import scan  # the package root registers the HTML report writer

    t0 = time.perf_counter()
    clean = python_docs()
    samples = get("dos")(trigger=trigger).generate(clean, count, seed=seed)
    out.mkdir(parents=True, exist_ok=True)
    corpus = out / "corpus.jsonl.gz"
    write_documents(corpus, mix_poison(clean, samples, seed=seed))
    write_documents(out / "truth.jsonl", [s.truth.to_dict() for s in samples])
    if on_corpus is not None:
        on_corpus(corpus, len(clean))
    result = scan(
        corpus,
        out / "scan",
        workers=workers,
        report=out / "scan" / "report.html",
        progress=progress,
    )
    score = score_scan(result, (s.document.id for s in samples), len(clean), trigger)
    run = DemoRun(corpus, len(clean), result, score, time.perf_counter() - t0)
    write_json(out / "demo.json", run.summary(out))
    return run


__all__ = ["DemoRun", "DemoScore", "run_demo", "score_scan"]
