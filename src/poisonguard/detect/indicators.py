"""Known indicators: flag documents that match shared STIX 2.1 indicators.

One job: check each document against indicators another scan (or another team's tool)
published — the SHA-256 of known poisoned texts and regular expressions of known triggers
and claims (see :mod:`poisonguard.detect.stix` for what is understood).  A SHA-256 match is
an exact copy of a known poisoned document; a pattern match is a known trigger or claim in a
new document.  Both are evidence a person can check: the indicator's name and id, the bundle
it came from, and the matched span.

Opt-in (``poisonguard scan --indicators BUNDLE.json``, or ``--detector +indicators`` with the
option ``bundles``); scores are taken at face value (a match is ``poisoned``), not
calibrated: there is nothing to calibrate about an exact match.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import ClassVar

from poisonguard.detect.base import DocumentDetector, Finding, Span
from poisonguard.detect.registry import POISONED_SCORE, SUSPICIOUS_SCORE, register_detector
from poisonguard.detect.stix import IndicatorSet, read_indicators
from poisonguard.io.document import Document

HASH_SCORE = 1.0
"""Score of a document whose exact text is a known poisoned document."""
PATTERN_SCORE = max(POISONED_SCORE, 0.95)
"""Score of a document that contains a known trigger or claim."""
COMMON_SCORE = (SUSPICIOUS_SCORE + POISONED_SCORE) / 2
"""Score of a document whose only matches are triggers the exporting scan saw mostly in
clean documents (a common phrase: :attr:`IndicatorRef.common`) — *suspicious*: the phrase
alone is not evidence, and this detector does not see what follows it."""
_MAX_SPANS = 20


@register_detector(calibrate=False, default=False)
class KnownIndicatorDetector(DocumentDetector):
    """Documents whose SHA-256 or text matches shared STIX indicators.

    Args:
        bundles: STIX 2.1 bundle files (JSON) to load.
        indicators: an already loaded :class:`IndicatorSet` (instead of ``bundles``).
    """

    name: ClassVar[str] = "indicators"

    def __init__(
        self,
        bundles: Sequence[str | os.PathLike[str]] = (),
        indicators: IndicatorSet | None = None,
    ) -> None:
        if indicators is None:
            if not bundles:
                raise ValueError(
                    "the indicators detector needs STIX bundles: "
                    "poisonguard scan --indicators BUNDLE.json"
                )
            indicators = read_indicators(list(bundles))
        if not len(indicators):
            raise ValueError(
                "no usable indicator in the STIX bundles given"
                + (
                    f" ({len(indicators.skipped)} skipped, e.g. {indicators.skipped[0][1]})"
                    if indicators.skipped
                    else ""
                )
            )
        self.indicators = indicators

    def score(self, doc: Document) -> Finding | None:
        ref = self.indicators.hashes.get(doc.sha256)
        if ref is not None:
            return Finding(
                self.name,
                HASH_SCORE,
                f"the exact text is a known poisoned document: indicator {ref.name!r} "
                f"({ref.id}) in {os.path.basename(ref.bundle)}",
                [Span(0, len(doc.text), "shared")],
                extra={"indicator": ref.id, "bundle": ref.bundle, "match": "sha256"},
            )
        spans: list[Span] = []
        names: list[str] = []
        ids: list[str] = []
        trigger: str | None = None
        common = True  # every match is a common-phrase trigger
        for rx, ref in self.indicators.patterns:
            m = rx.search(doc.text)
            if m is None:
                continue
            common = common and ref.common
            label = (
                "trigger" if ref.kind == "trigger" else "claim" if ref.kind == "claim" else "shared"
            )
            if trigger is None and ref.kind == "trigger":
                trigger = m.group(0)
            names.append(ref.name)
            ids.append(ref.id)
            for hit in rx.finditer(doc.text):
                if len(spans) >= _MAX_SPANS:
                    break
                if hit.end() > hit.start():
                    spans.append(Span(hit.start(), hit.end(), label))
        if not names:
            return None
        first = spans[0] if spans else None
        where = f" at char {first.start}" if first else ""
        why = f"contains{where} what shared indicator {names[0]!r} matches" + (
            f" (+{len(names) - 1} more indicators)" if len(names) > 1 else ""
        )
        if common:
            why += (
                "; the exporting scan saw this trigger mostly in documents with no anomaly "
                "after it (a common phrase): suspicious, check the text after it"
            )
        return Finding(
            self.name,
            COMMON_SCORE if common else PATTERN_SCORE,
            why,
            spans,
            trigger=trigger,
            extra={"indicators": ids, "match": "pattern", "common": common},
        )


__all__ = ["COMMON_SCORE", "HASH_SCORE", "PATTERN_SCORE", "KnownIndicatorDetector"]
