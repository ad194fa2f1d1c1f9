"""Verdict rules: how findings become ``clean`` / ``suspicious`` / ``poisoned``.

* a calibrated detector's finding counts when its score reaches the detector's threshold
  (the target false-positive rate); it makes the document *suspicious*, with a verdict
  score between :data:`~poisonguard.detect.registry.SUSPICIOUS_SCORE` and
  :data:`~poisonguard.detect.registry.POISONED_SCORE`;
* an uncalibrated detector's finding is taken at face value: ``score >= POISONED_SCORE``
  → *poisoned*, ``>= SUSPICIOUS_SCORE`` → *suspicious*, lower → information only.
"""

from __future__ import annotations

from poisonguard.detect.base import Finding, Span
from poisonguard.detect.registry import POISONED_SCORE, SUSPICIOUS_SCORE
from poisonguard.detect.results import LABELS, DocVerdict, _excerpt
from poisonguard.io import Document


def _rank(
    detector: str, score: float, thresholds: dict[str, float], uncalibrated: set[str]
) -> tuple[str, float] | None:
    """The label and verdict score a finding makes (None: it does not count)."""
    if detector in thresholds:
        t = thresholds[detector]
        if score < t:
            return None
        s = SUSPICIOUS_SCORE + (POISONED_SCORE - 0.01 - SUSPICIOUS_SCORE) * min(
            1.0, (score - t) / max(1e-9, 1.0 - t)
        )
        return "suspicious", s
    if detector in uncalibrated:
        if score < SUSPICIOUS_SCORE:
            return None
        return ("poisoned" if score >= POISONED_SCORE else "suspicious"), score
    return None


def verdict(
    idx: int,
    doc: Document,
    found: list[Finding],
    thresholds: dict[str, float],
    uncalibrated: set[str],
) -> DocVerdict | None:
    """The verdict on document ``idx`` from its findings (None: clean).

    A finding counts when :func:`_rank` ranks it; the worst label wins, the highest verdict
    score is the document's; findings that do not count are kept as "(below threshold)"
    reasons.  The trigger is a counting uncalibrated detector's, else any finding's.
    """
    if not found:
        return None
    label = "clean"
    score = 0.0
    reasons: list[str] = []
    contributing: list[Finding] = []
    for f in found:
        ranked = _rank(f.detector, f.score, thresholds, uncalibrated)
        if ranked is None:
            continue
        lab, s = ranked
        contributing.append(f)
        score = max(score, s)
        if LABELS.index(lab) > LABELS.index(label):
            label = lab
    if label == "clean":
        return None
    reasons = [f.reason for f in contributing]
    reasons += [f"(below threshold) {f.reason}" for f in found if f not in contributing]
    spans = sorted({(s.start, s.end, s.label) for f in found for s in f.spans})
    span_objs = [Span(a, b, lab_) for a, b, lab_ in spans]
    # only a confirmed trigger (a corpus detector's finding that decided the label) is the
    # document's trigger; a per-document candidate ('The') is evidence, not one
    trigger = next(
        (f.trigger for f in contributing if f.trigger and f.detector in uncalibrated), None
    )
    campaign = next((f.campaign for f in found if f.campaign), None)
    excerpt, offset = _excerpt(doc.text, span_objs)
    return DocVerdict(
        idx,
        doc.id,
        doc.source,
        str(doc.origin) if doc.origin else None,
        label,
        round(score, 6),
        reasons,
        span_objs,
        trigger,
        campaign,
        found,
        excerpt,
        offset,
    )


__all__ = ["verdict"]
