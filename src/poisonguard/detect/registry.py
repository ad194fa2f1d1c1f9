"""Detector registry: how ``poisonguard scan`` discovers the detectors it runs.

Each detector module registers its classes at import time::

    from poisonguard.detect.registry import register_detector

    @register_detector(kinds=("instruction",))
    class FixedReply(DocumentDetector):
        name = "fixed-reply"
        ...

:func:`detectors_for` imports every module listed in :data:`DETECTOR_MODULES` and every
plug-in of the ``poisonguard.detectors`` entry-point group (any import error, a misspelled
module included, is a :class:`DetectorLoadError`: a scan never runs without a detector it
was given), then returns the registered entries for one corpus kind, in registration order.

A third-party package adds a detector with one class and one entry point::

    [project.entry-points."poisonguard.detectors"]
    acme-marker = "acme_detectors:MarkerDetector"   # the class (its ``name``: acme-marker)
    # or a module whose import registers its classes with @register_detector

A class entry point is registered as ``register_detector(cls)`` would (unless its module
already did); its ``name`` must equal the entry point's name.  The scan pipeline builds
each detector with :meth:`Registered.build`, passing a :class:`DetectorContext`.

Verdict rules the pipeline applies (see ``docs/scan.md``):

* a :class:`~poisonguard.detect.base.DocumentDetector` registered with ``calibrate=True``
  (the default) has its ``Finding.score`` distribution calibrated per corpus: the document
  is *suspicious* when the score reaches the threshold that gives the target false-positive
  rate;
* findings of detectors registered with ``calibrate=False`` (the default for
  :class:`~poisonguard.detect.base.CorpusDetector`) are taken at face value:
  ``score >= POISONED_SCORE`` → *poisoned*, ``score >= SUSPICIOUS_SCORE`` → *suspicious*,
  lower → reported as information only.
"""

from __future__ import annotations

import importlib
import inspect
from collections.abc import Callable
from dataclasses import dataclass
from importlib.metadata import entry_points
from typing import Any

from poisonguard.detect.base import CorpusDetector, DetectorContext, DocumentDetector

KINDS: tuple[str, ...] = ("pretrain", "instruction", "rag")
"""Corpus kinds accepted by ``--kind``."""

POISONED_SCORE = 0.9
"""Uncalibrated findings at or above this score make a document *poisoned*."""
SUSPICIOUS_SCORE = 0.5
"""Uncalibrated findings at or above this score make a document *suspicious*."""

DETECTOR_MODULES: tuple[str, ...] = (
    "poisonguard.detect.naturalness",
    "poisonguard.detect.degenerate",
    "poisonguard.detect.language",
    "poisonguard.detect.triggers",
    "poisonguard.detect.cohesion",
    "poisonguard.detect.campaigns",
    "poisonguard.detect.campaigns_dups",
    "poisonguard.detect.instruction_pair",
    "poisonguard.detect.instruction",
    "poisonguard.detect.instruction_behaviour",
    "poisonguard.detect.rag",
    "poisonguard.detect.embeddings",
    "poisonguard.detect.indicators",
)
"""Modules imported by :func:`load_detectors`; each registers its detectors on import."""

OFF_BY_DEFAULT: dict[str, tuple[str, ...]] = {"instruction": ("triggers",)}
"""Detectors registered for a kind that its default set leaves out (run them by name, e.g.
``--detectors +triggers``).  ``instruction``: the pre-training trigger miner reads a chat
record as one flattened text, where a task template's fixed text ("... news article?
Article:") precedes the user turn's article and is mined as a trigger; chat backdoors are
mined on the turns by ``instruction-behaviour`` (issue 13, docs/benchmarks.md)."""

ENTRY_POINT_GROUP = "poisonguard.detectors"
"""Entry-point group of third-party detectors (a detector class or a registering module)."""


class DetectorLoadError(ValueError):
    """A detector module or plug-in that cannot be loaded (named in the message)."""


Detector = DocumentDetector | CorpusDetector[Any, Any]


Factory = Callable[[DetectorContext], Detector]


@dataclass(frozen=True, slots=True)
class Registered:
    """One registry entry.

    Attributes:
        name: the detector's name (``Finding.detector``).
        kinds: corpus kinds it runs on.
        stage: ``"document"`` or ``"corpus"``.
        calibrate: whether the pipeline calibrates its scores to the target FPR.
        factory: builds the detector from a :class:`DetectorContext`.
        default: run by default (``False``: only when asked for by name, e.g. optional
            detectors with heavy dependencies).
        cls: the registered class (its constructor's keyword parameters are the
            detector's settings: :mod:`poisonguard.detect.settings`).
    """

    name: str
    kinds: tuple[str, ...]
    stage: str
    calibrate: bool
    factory: Factory
    default: bool = True
    cls: type | None = None

    def build(self, context: DetectorContext) -> Detector:
        """A fresh detector instance for one scan."""
        return self.factory(context)


_REGISTRY: dict[str, Registered] = {}
_loaded = False


def register_detector(
    cls: type | None = None,
    *,
    kinds: tuple[str, ...] | None = None,
    calibrate: bool | None = None,
    default: bool = True,
    name: str | None = None,
    factory: Factory | None = None,
) -> Any:
    """Register a detector class (usable bare or with arguments, as a decorator).

    Args:
        cls: a :class:`DocumentDetector` or :class:`CorpusDetector` subclass.
        kinds: corpus kinds (default: the class's ``kinds``).
        calibrate: calibrate scores to the target FPR (default: True for document
            detectors, False for corpus detectors).
        default: run in every scan of a matching kind (False: opt-in by name).
        name: registry name (default: the class's ``name``).
        factory: custom builder taking a :class:`DetectorContext` (default:
            the class's ``from_context``, by default ``cls(**context.options_for(cls.name))``).

    Registering a name twice replaces the earlier entry (module reloads in tests).
    """

    def wrap(c: type) -> type:
        if not inspect.isclass(c) or not issubclass(c, DocumentDetector | CorpusDetector):
            raise TypeError(f"{c!r} is not a DocumentDetector or CorpusDetector subclass")
        stage = "document" if issubclass(c, DocumentDetector) else "corpus"
        entry_kinds = tuple(kinds if kinds is not None else c.kinds)
        bad = [k for k in entry_kinds if k not in KINDS]
        if bad:
            raise ValueError(f"unknown corpus kind(s) {bad}; use {KINDS}")
        reg_name: str = name or c.name
        _REGISTRY[reg_name] = Registered(
            name=reg_name,
            kinds=entry_kinds,
            stage=stage,
            calibrate=(stage == "document") if calibrate is None else calibrate,
            factory=factory or c.from_context,
            default=default,
            cls=c,
        )
        return c

    if cls is not None:
        return wrap(cls)
    return wrap


def load_detectors() -> None:
    """Import the detector modules and the ``poisonguard.detectors`` plug-ins (once).

    Raises :class:`DetectorLoadError` naming the module or entry point that cannot be
    imported, that is not a detector, or whose import registered none.
    """
    global _loaded
    if _loaded:
        return
    for mod in DETECTOR_MODULES:
        try:
            importlib.import_module(mod)
        except ModuleNotFoundError as e:
            raise DetectorLoadError(f"detector module {mod!r} cannot be imported: {e}") from e
    for ep in sorted(entry_points(group=ENTRY_POINT_GROUP), key=lambda ep: ep.name):
        _load_plugin(ep)
    _loaded = True


def _load_plugin(ep: Any) -> None:
    where = f"detector plug-in {ep.name!r} ({ep.value}, entry point group {ENTRY_POINT_GROUP})"
    before = set(_REGISTRY.values())
    try:
        obj = ep.load()
    except Exception as e:
        raise DetectorLoadError(f"{where} cannot be loaded: {type(e).__name__}: {e}") from e
    if inspect.ismodule(obj):
        if not set(_REGISTRY.values()) - before and ep.name not in _REGISTRY:
            raise DetectorLoadError(f"{where}: importing the module registered no detector")
        return
    if not inspect.isclass(obj) or not issubclass(obj, DocumentDetector | CorpusDetector):
        raise DetectorLoadError(f"{where} is not a DocumentDetector or CorpusDetector subclass")
    if obj.name != ep.name:
        raise DetectorLoadError(
            f"{where}: the class's name {obj.name!r} differs from the entry "
            "point's (findings are matched to their detector by that name)"
        )
    if ep.name not in _REGISTRY:
        register_detector(obj)


def refresh() -> None:
    """Load the detector modules and entry points again (after installing a plug-in)."""
    global _loaded
    _loaded = False
    load_detectors()


def registered() -> dict[str, Registered]:
    """Every registered detector by name (after loading the detector modules)."""
    load_detectors()
    return dict(_REGISTRY)


def detectors_for(
    kind: str, *, only: list[str] | None = None, exclude: list[str] | None = None
) -> list[Registered]:
    """Registry entries that run on corpus ``kind``, in registration order.

    Args:
        kind: ``pretrain``, ``instruction`` or ``rag``.
        only: run exactly these detector names (opt-in detectors included); a name written
            ``+name`` is added to the default set instead (``["+embeddings"]``: the defaults
            plus ``embeddings``; ``["campaigns", "+embeddings"]``: those two).
        exclude: names to leave out.
    """
    if kind not in KINDS:
        raise ValueError(f"unknown corpus kind {kind!r}; choose one of {', '.join(KINDS)}")
    entries = registered()
    if only:
        names = [n[1:] if n.startswith("+") else n for n in only]
        unknown = [n for n in names if n not in entries]
        if unknown:
            raise ValueError(f"unknown detector(s) {unknown}; known: {sorted(entries)}")
        base = (
            []
            if any(not n.startswith("+") for n in only)
            else [e.name for e in entries.values() if runs_by_default(e, kind)]
        )
        names = base + [n for n in names if n not in base]
        chosen = [entries[n] for n in dict.fromkeys(names) if kind in entries[n].kinds]
    else:
        chosen = [e for e in entries.values() if runs_by_default(e, kind)]
    skip = set(exclude or [])
    return [e for e in chosen if e.name not in skip]


def runs_by_default(entry: Registered, kind: str) -> bool:
    """``entry`` runs by default on corpus ``kind``."""
    return entry.default and kind in entry.kinds and entry.name not in OFF_BY_DEFAULT.get(kind, ())


__all__ = [
    "DETECTOR_MODULES",
    "ENTRY_POINT_GROUP",
    "KINDS",
    "OFF_BY_DEFAULT",
    "POISONED_SCORE",
    "SUSPICIOUS_SCORE",
    "DetectorContext",
    "DetectorLoadError",
    "Registered",
    "detectors_for",
    "load_detectors",
    "refresh",
    "register_detector",
    "registered",
    "runs_by_default",
]
