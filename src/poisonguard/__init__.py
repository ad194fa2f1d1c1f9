"""poisonguard: defend LLM training data against poisoning.

Subpackages, one per capability: :mod:`poisonguard.io` (corpus I/O),
:mod:`poisonguard.attacks` (red-team poison recipes), :mod:`poisonguard.detect`
(detectors), :mod:`poisonguard.engine` (map/reduce backends), :mod:`poisonguard.provenance`,
:mod:`poisonguard.lab`, :mod:`poisonguard.probe`, :mod:`poisonguard.report`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # typed for checkers; imported lazily at run time (see __getattr__)
    from poisonguard.detect.pipeline import ScanResult, scan

__version__ = "0.1.0"

__all__ = ["ScanResult", "__version__", "scan"]


def __getattr__(name: str) -> Any:  # lazy: ``import poisonguard`` stays light
    if name in ("scan", "ScanResult"):
        import poisonguard.report  # noqa: F401  (registers the HTML report writer)
        from poisonguard.detect import pipeline

        return getattr(pipeline, name)
    raise AttributeError(f"module 'poisonguard' has no attribute {name!r}")
