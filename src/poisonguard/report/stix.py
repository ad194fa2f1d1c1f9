"""STIX 2.1 export and import of scan findings (see :mod:`poisonguard.detect.stix`).

The implementation lives in :mod:`poisonguard.detect.stix` because the ``indicators``
detector reads bundles too (``detect`` may not import ``report``: the layers run
io < attacks/datasets < detect < report).  This module keeps the public names importable
from ``poisonguard.report.stix``.
"""

from __future__ import annotations

from poisonguard.detect.stix import (
    EXPORT_LABELS,
    IndicatorRef,
    IndicatorSet,
    common_in_clean,
    read_indicators,
    scan_bundle,
    text_pattern,
    trigger_pattern,
    write_bundle,
)

__all__ = [
    "EXPORT_LABELS",
    "IndicatorRef",
    "IndicatorSet",
    "common_in_clean",
    "read_indicators",
    "scan_bundle",
    "text_pattern",
    "trigger_pattern",
    "write_bundle",
]
