"""The poisoning lab: train small GPTs from scratch on clean + poisoned corpora, measure ASR.

Reproduces the design of Souly et al. (2025) at toy scale -- clean tokens scale with the
model (20 per parameter by default, times a data multiple), the poison count is absolute,
nested across counts and placed uniformly at random in the training stream -- judges every
model with a fixed clean model of another seed, and runs defended arms (``poisonguard.scan``
filter, document-loss outlier dropping, its survivors control, reference-model perplexity
filtering).
Needs the ``lab`` extra (torch, safetensors, matplotlib).

Typical use::

    from poisonguard.lab import PRESETS, Lab, write_report

    lab = Lab(Path("out/lab"), PRESETS["smoke"], progress=print)
    lab.run()                      # resumable: finished cells are skipped
    write_report(Path("out/lab"))  # results.csv/json, c50, slope + plots

Modules: :mod:`~poisonguard.lab.model` (GPT, size table, checkpoints),
:mod:`~poisonguard.lab.tokenizer` (BPE), :mod:`~poisonguard.lab.stream` (poison
placement), :mod:`~poisonguard.lab.train`, :mod:`~poisonguard.lab.defense`,
:mod:`~poisonguard.lab.metric` (ASR), :mod:`~poisonguard.lab.grid`,
:mod:`~poisonguard.lab.report`.
"""

from __future__ import annotations

import importlib
from typing import Any

_EXPORTS = {
    "GPT": "model",
    "GPTConfig": "model",
    "SIZES": "model",
    "load_checkpoint": "model",
    "save_checkpoint": "model",
    "LabTokenizer": "tokenizer",
    "build_stream": "stream",
    "poison_fractions": "stream",
    "TrainConfig": "train",
    "train": "train",
    "DocLossOutlierDrop": "defense",
    "scan_filter": "defense",
    "perplexity_outliers": "defense",
    "MetricConfig": "metric",
    "evaluate_backdoor": "metric",
    "judge_ceiling": "metric",
    "normalised_gap": "metric",
    "Lab": "grid",
    "LabSpec": "grid",
    "PRESETS": "grid",
    "LabError": "grid",
    "LabEvent": "grid",
    "judge_cell": "grid",
    "write_report": "report",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    """Import lazily: torch is only loaded when a lab object is used."""
    if name in _EXPORTS:
        return getattr(importlib.import_module(f"poisonguard.lab.{_EXPORTS[name]}"), name)
    raise AttributeError(f"module 'poisonguard.lab' has no attribute {name!r}")
