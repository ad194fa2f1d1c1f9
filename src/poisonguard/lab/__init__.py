"""The poisoning lab: train small GPTs from scratch on clean + poisoned corpora, measure ASR.

Reproduces the design of Souly et al. (2025) at toy scale -- clean tokens scale with the
model (20 per parameter by default), the poison count is absolute and placed uniformly at
random in the training stream -- and runs the same grid with a data filter
(``poisonguard.scan``) and a training-time defense (document-loss outlier dropping).
Needs the ``lab`` extra (torch, safetensors, matplotlib).

Typical use::

    from poisonguard.lab import PRESETS, Lab, write_report

    lab = Lab(Path("out/lab"), PRESETS["smoke"])
    lab.run()                      # resumable: finished cells are skipped
    write_report(Path("out/lab"))  # results.csv/json + plots

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
    "MetricConfig": "metric",
    "evaluate_backdoor": "metric",
    "Lab": "grid",
    "LabSpec": "grid",
    "PRESETS": "grid",
    "LabError": "grid",
    "write_report": "report",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    """Import lazily: torch is only loaded when a lab object is used."""
    if name in _EXPORTS:
        return getattr(importlib.import_module(f"poisonguard.lab.{_EXPORTS[name]}"), name)
    raise AttributeError(f"module 'poisonguard.lab' has no attribute {name!r}")
