"""A datatrove pipeline step that removes known poison: ``PoisonguardFilter``.

poisonguard's scan is corpus-level (trigger mining and campaigns need every shard before
any verdict), so it does not run *inside* a streaming datatrove step.  The two connect
the other way round:

1. run ``poisonguard scan`` on the corpus (datatrove's ``JsonlWriter`` output reads as is:
   ``text``, ``id`` and ``metadata`` fields), or get a STIX bundle from whoever scanned it;
2. put :class:`PoisonguardFilter` in the datatrove pipeline that builds the training set:
   it drops every document whose exact text a scan quarantined (SHA-256 of the UTF-8
   text, so ids need not survive earlier steps) or that a shared indicator matches (a
   known trigger or claim), and hands the dropped ones, with the reason, to datatrove's
   ``exclusion_writer``.

Example::

    from datatrove.pipeline.readers import JsonlReader
    from datatrove.pipeline.writers import JsonlWriter
    from poisonguard.integrations.datatrove import PoisonguardFilter

    pipeline = [
        JsonlReader("crawl/"),
        PoisonguardFilter(["scan-out/", "partner.stix.json"],
                          exclusion_writer=JsonlWriter("removed/")),
        JsonlWriter("train/"),
    ]

Needs ``pip install datatrove`` (not a poisonguard dependency).
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from poisonguard.detect.indicators import KnownIndicatorDetector
from poisonguard.io.document import Document

try:
    from datatrove.pipeline.filters.base_filter import BaseFilter
except ImportError as e:  # pragma: no cover - exercised only without datatrove
    raise ImportError(
        "poisonguard.integrations.datatrove needs datatrove: pip install datatrove"
    ) from e

if TYPE_CHECKING:
    from datatrove.data import Document as DatatroveDocument
    from datatrove.pipeline.writers.disk_base import DiskWriter


class PoisonguardFilter(BaseFilter):
    """Drop documents that a poisonguard scan quarantined or shared indicators match.

    Args:
        indicators: scan ``--out`` folders and/or STIX 2.1 bundle files (see
            ``docs/indicators.md``); loaded once per worker, on first use.
        exclusion_writer: datatrove writer for the dropped documents; each gets
            ``metadata["filter_reason"]`` (``poisonguard_digest`` or ``poisonguard_pattern``)
            and ``metadata["poisonguard"]`` (the reason in words and the indicator ids).
    """

    name = "☣ poisonguard"

    def __init__(
        self,
        indicators: Sequence[str | os.PathLike[str]],
        exclusion_writer: DiskWriter | None = None,
    ) -> None:
        super().__init__(exclusion_writer)
        if isinstance(indicators, str | os.PathLike):
            indicators = [indicators]
        self.paths = [os.fspath(p) for p in indicators]
        missing = [p for p in self.paths if not os.path.exists(p)]
        if missing:
            raise ValueError(f"poisonguard indicators not found: {', '.join(missing)}")
        self._detector: KnownIndicatorDetector | None = None

    @property
    def detector(self) -> KnownIndicatorDetector:
        if self._detector is None:
            self._detector = KnownIndicatorDetector(bundles=self.paths)
        return self._detector

    def filter(self, doc: DatatroveDocument) -> bool | tuple[bool, str]:
        """Keep (True) or drop with a reason (False, ``poisonguard_<match>``)."""
        finding = self.detector.score(Document(id=str(doc.id), text=doc.text))
        if finding is None:
            return True
        match = finding.extra.get("match", "pattern")
        ids: Any = finding.extra.get("indicators") or [finding.extra.get("indicator")]
        doc.metadata["poisonguard"] = {"reason": finding.reason, "indicators": ids}
        if finding.trigger:
            doc.metadata["poisonguard"]["trigger"] = finding.trigger
        return False, f"poisonguard_{'digest' if match == 'sha256' else 'pattern'}"

    def __getstate__(self) -> dict[str, Any]:
        # ship paths to datatrove's workers, not the loaded indicator set
        state = dict(self.__dict__)
        state["_detector"] = None
        return state


__all__ = ["PoisonguardFilter"]
