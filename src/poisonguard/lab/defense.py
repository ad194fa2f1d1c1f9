"""Defenses for lab runs: a corpus filter hook and a training-time document-loss defense.

Two kinds, matching the two defended arms of the experiment:

* :data:`DocumentFilter` -- any function that takes the training documents and returns the
  ones to keep.  :func:`scan_filter` adapts ``poisonguard.scan`` (data-level defense: train
  on what the scanner did not quarantine).
* :class:`DocLossOutlierDrop` -- a training-time defense after *loss truncation*
  (Kang & Hashimoto, ACL 2020, "Improved Natural Language Generation via Loss Truncation"):
  once the model has warmed up, every document is scored by its mean per-token loss under
  the current model just before it is trained on, and documents whose loss is an extreme
  high outlier are dropped from the loss (their tokens get zero weight).  The outlier rule
  is the one-sided modified z-score of Iglewicz & Hoaglin (1993),
  ``0.6745 · (x − median) / MAD > 3.5``, over a rolling window of recently scored documents,
  so nothing is tuned to the attack.

  Why this defense: the Souly et al. denial-of-service poison is a clean prefix followed by
  hundreds of random-vocabulary tokens; under any model that has learnt some language, those
  tokens cost far more than natural text, so the whole document is a loss outlier.
  Anti-Backdoor Learning (Li et al., NeurIPS 2021) isolates the *lowest*-loss examples
  because classic backdoors are learnt fastest -- the wrong direction for gibberish payloads
  (which are never learnt token by token).  Known limits: documents met during the warm-up
  are trained on unfiltered, and poison that reads as natural text (e.g. targeted claims) is
  not a loss outlier.  Measured on the cpu preset, 17-57 % of the poison survived (most of
  it met early, when the model could not yet tell gibberish from text), not ≈ ``warmup``.
* :func:`perplexity_outliers` -- reference-model perplexity filtering *before* training, as
  CCNet (Wenzek et al., LREC 2020) filters Common Crawl by the perplexity of a language
  model trained on clean reference text: every training document is scored by its mean
  token loss under a fixed clean reference model, and the one-sided modified z-score
  outliers are removed before the stream is built.  Unlike loss truncation there is no
  warm-up: the reference model is fully trained when it scores.

Both loss rules score *whole documents*; an adaptive attacker defeats them with a payload
that is short relative to its clean host document, or with a low-loss payload (tests show
both).
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from poisonguard.io import Document

DocumentFilter = Callable[[Sequence[Document]], list[Document]]
"""Takes the training documents (clean and poisoned) and returns the ones to train on."""


@dataclass(slots=True)
class DocLossOutlierDrop:
    """Drop documents whose mean token loss is an extreme high outlier (after warm-up).

    Attributes:
        warmup: fraction of the training steps before any document is dropped (documents
            are still scored during the warm-up, to fill the rolling window).
        threshold: modified z-score above which a document is dropped (3.5: Iglewicz &
            Hoaglin's outlier cut-off).
        window: how many recently scored documents the median/MAD is computed over.
        min_history: no document is dropped before this many have been scored.
    """

    warmup: float = 0.05
    threshold: float = 3.5
    window: int = 512
    min_history: int = 32
    _history: deque[float] = field(default_factory=deque)

    name = "losstrunc"

    def __post_init__(self) -> None:
        if not 0.0 <= self.warmup < 1.0:
            raise ValueError(f"warmup must be in [0, 1), got {self.warmup}")
        self._history = deque(maxlen=self.window)

    def decide(self, losses: np.ndarray, *, active: bool) -> np.ndarray:
        """Record the mean losses of newly met documents; return a boolean *drop* mask.

        Documents are judged against the window as it was *before* this batch, so a burst
        of poison in one batch cannot shift its own yardstick.
        """
        drop = np.zeros(len(losses), dtype=bool)
        if active and len(self._history) >= self.min_history:
            hist = np.fromiter(self._history, dtype=np.float64)
            med = float(np.median(hist))
            mad = float(np.median(np.abs(hist - med)))
            if mad > 0:
                z = 0.6745 * (np.asarray(losses, dtype=np.float64) - med) / mad
                drop = z > self.threshold
        for x, dropped in zip(losses, drop, strict=True):
            if not dropped:
                self._history.append(float(x))
        return drop


def perplexity_outliers(losses: Sequence[float] | np.ndarray, threshold: float = 3.5) -> np.ndarray:
    """Boolean mask of one-sided high outliers: ``0.6745 · (x − median) / MAD > threshold``.

    The rule of :class:`DocLossOutlierDrop`, applied once to all documents' mean token loss
    under a reference model (reference-model perplexity filtering).  A zero MAD flags
    nothing (no spread to judge by).
    """
    x = np.asarray(losses, dtype=np.float64)
    if x.size == 0:
        return np.zeros(0, dtype=bool)
    med = float(np.median(x))
    mad = float(np.median(np.abs(x - med)))
    if mad <= 0:
        return np.zeros(x.size, dtype=bool)
    return np.asarray(0.6745 * (x - med) / mad > threshold)


def scan_filter(*, kind: str = "pretrain", **options: Any) -> DocumentFilter:
    """A :data:`DocumentFilter` that keeps what ``poisonguard.scan`` does not quarantine.

    The scan runs in memory on exactly the documents given (its models are fitted and its
    thresholds calibrated on that corpus, as ``poisonguard scan`` does without
    ``--reference``); every document with a verdict (suspicious or poisoned) is dropped.
    ``options`` are passed to :func:`poisonguard.scan` (e.g. ``target_fpr``).
    """
    from poisonguard.detect.pipeline import scan

    def _filter(docs: Sequence[Document]) -> list[Document]:
        docs = list(docs)
        result = scan(docs, None, kind=kind, max_result_findings=len(docs) + 1, **options)
        if result.outputs.get("findings_truncated"):
            raise RuntimeError("scan truncated its findings; cannot tell what it quarantined")
        quarantined = {v.index for v in result.findings}
        return [d for i, d in enumerate(docs) if i not in quarantined]

    return _filter
