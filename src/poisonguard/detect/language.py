"""Language switch: a document that changes language part-way through.

Segment-level language identification with py3langid (offline; the model ships inside the
package).  A document is cut into segments of about ``segment_chars`` characters at line
and sentence ends; segments that are mostly letters get a language and a confidence.
The detector looks for the cut where the segments before are in one language and the
segments after in another, then refines the cut to a word boundary inside the boundary
segments (so that the trigger right before the switch can be mined).  Segments of code,
tables and numbers carry no language and never cause a switch; languages that the model
confuses with each other (e.g. Norwegian/Danish, Malay/Indonesian) count as one.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from poisonguard.detect.base import DocumentDetector, Finding, Span
from poisonguard.detect.registry import DetectorContext, register_detector
from poisonguard.io.document import Document

_BOUNDARY = re.compile(r"\n+|(?<=[.!?;。！？])\s+")
_WORD_END = re.compile(r"\s+")

_GROUPS = {
    "no": "nb", "nn": "nb", "da": "nb", "ms": "id", "bs": "hr", "sr": "hr", "gl": "es",
    "sk": "cs", "an": "es", "oc": "fr", "lb": "de", "af": "nl", "mk": "bg", "be": "ru",
    "uk": "ru", "zh": "zh", "ja": "zh", "wa": "fr", "ca": "es", "la": "it", "eo": "es",
}


@lru_cache(maxsize=1)
def _identifier() -> Any:
    from py3langid.langid import MODEL_FILE, LanguageIdentifier

    return LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)


def identify(text: str) -> tuple[str, float]:
    """(language group, probability) of ``text`` with py3langid."""
    lang, prob = _identifier().classify(text)
    return _GROUPS.get(lang, lang), float(prob)


@dataclass(frozen=True, slots=True)
class Segment:
    """A piece of a document with its language (``None``: not enough letters to tell)."""

    start: int
    end: int
    lang: str | None
    prob: float


def segments(text: str, *, segment_chars: int = 150, min_letters: float = 0.6,
             min_prob: float = 0.9) -> list[Segment]:
    """Cut ``text`` into segments of about ``segment_chars`` and identify each language."""
    cuts = [m.end() for m in _BOUNDARY.finditer(text)]
    out: list[Segment] = []
    start = 0
    for c in [*cuts, len(text)]:
        if c - start < segment_chars and c != len(text):
            continue
        piece = text[start:c]
        if piece.strip():
            letters = sum(map(str.isalpha, piece))
            lang: str | None = None
            prob = 0.0
            if letters >= 20 and letters >= min_letters * len(piece.strip()):
                lang, prob = identify(piece)
                if prob < min_prob:
                    lang = None
            out.append(Segment(start, c, lang, prob))
        start = c
    return out


@register_detector
class LanguageSwitch(DocumentDetector):
    """Flags a switch from one language to another inside a document.

    Args:
        segment_chars: target segment length for identification.
        min_side_chars: letters of identified text needed on each side of the switch.
        max_chars: only the first ``max_chars`` characters are examined.
        candidate_score: findings at or above this score are trigger-mining candidates.
    """

    name = "language"
    kinds = ("pretrain", "rag", "instruction")

    def __init__(self, *, segment_chars: int = 150, min_side_chars: int = 30,
                 probe_chars: int = 160, max_chars: int = 30_000,
                 candidate_score: float = 0.4) -> None:
        self.segment_chars = segment_chars
        self.probe_chars = probe_chars
        self.min_side_chars = min_side_chars
        self.max_chars = max_chars
        self.candidate_score = candidate_score
        self.min_flag_score = max(0.5, candidate_score)

    @classmethod
    def from_context(cls, ctx: DetectorContext) -> LanguageSwitch:
        return cls(**ctx.options_for(cls.name))

    def fit(self, docs: Iterable[Document]) -> LanguageSwitch:
        """Nothing to learn; loads the language model once, before workers start."""
        _identifier()
        return self

    def _probes_agree(self, text: str) -> bool:
        """Cheap gate: identify the head, the tail (and the middle of long texts); when all
        confidently agree there is no switch worth a full segmentation."""
        n = self.probe_chars
        if len(text) <= 2 * n:
            return False
        probes = [text[:n], text[-n // 2:]]
        if len(text) > 6 * n:
            mid = len(text) // 2
            probes.append(text[mid - n // 2: mid + n // 2])
        langs = set()
        for p in probes:
            if sum(map(str.isalpha, p)) < 0.5 * len(p):
                continue
            lang, prob = identify(p)
            if prob >= 0.8:
                langs.add(lang)
        return len(langs) <= 1

    def score(self, doc: Document) -> Finding | None:
        text = doc.text[: self.max_chars]
        if self._probes_agree(text):
            return None
        segs = segments(text, segment_chars=self.segment_chars)
        known = [s for s in segs if s.lang is not None]
        if len(known) < 2 or len({s.lang for s in known}) < 2:
            return None
        best: tuple[float, int, str, str] | None = None
        total = [s.end - s.start for s in known]
        for b in range(1, len(known)):
            before, after = known[:b], known[b:]
            l1 = _majority(before)
            l2 = _majority(after)
            if l1 == l2 or l1 is None or l2 is None:
                continue
            n_before = sum(total[:b])
            n_after = sum(total[b:])
            if n_before < self.min_side_chars or n_after < self.min_side_chars:
                continue
            p1 = sum(s.end - s.start for s in before if s.lang == l1) / n_before
            p2 = sum(s.end - s.start for s in after if s.lang == l2) / n_after
            size = min(1.0, n_after / 400.0) ** 0.5 * min(1.0, n_before / 300.0) ** 0.5
            sc = p1 * p2 * (0.5 + 0.5 * size)
            if best is None or sc > best[0]:
                best = (sc, b, l1, l2)
        if best is None or best[0] < 0.3:
            return None
        sc, b, l1, l2 = best
        lo = known[b - 1].start
        hi = known[b].end
        cut = _refine(text, lo, hi, l1, l2)
        end = known[-1].end
        switch_back = next((s.start for s in known[b:] if s.lang == l1 and s.start > cut), None)
        if switch_back is not None:
            end = switch_back
        spans = [Span(cut, cut, "changepoint"), Span(cut, end, "payload")]
        lead = text[max(0, cut - 40):cut].split()
        reason = (f"language switches from {l1} to {l2} at char {cut} "
                  f"({sum(1 for s in known[:b] if s.lang == l1)} {l1} segments before, "
                  f"{sum(1 for s in known[b:] if s.lang == l2)} {l2} after)")
        return Finding(self.name, round(sc, 6), reason, spans,
                       " ".join(lead[-3:]) or None,
                       extra={"changepoint": cut, "from": l1, "to": l2,
                              "candidate": sc >= self.candidate_score})


def _majority(segs: list[Segment]) -> str | None:
    weights: dict[str, int] = {}
    for s in segs:
        if s.lang is not None:
            weights[s.lang] = weights.get(s.lang, 0) + (s.end - s.start)
    return max(weights, key=weights.__getitem__) if weights else None


def _refine(text: str, lo: int, hi: int, l1: str, l2: str, steps: int = 10) -> int:
    """The word boundary in ``[lo, hi)`` that best separates ``l1`` text from ``l2`` text."""
    ident = _identifier()
    labels = list(ident.nb_classes)
    bounds = [m.start() for m in _WORD_END.finditer(text, lo, hi)]
    if not bounds:
        return lo
    stride = max(1, len(bounds) // steps)
    cands = bounds[::stride]
    best_cut, best = lo, -1.0
    for c in cands:
        left, right = text[lo:c], text[c:hi]
        if len(left.strip()) < 10 or len(right.strip()) < 10:
            continue
        pl = _prob_of(ident, labels, left, l1)
        pr = _prob_of(ident, labels, right, l2)
        if pl * pr > best:
            best, best_cut = pl * pr, c
    # move the cut over the whitespace to the first character of the new language
    while best_cut < len(text) and text[best_cut].isspace():
        best_cut += 1
    return best_cut


def _prob_of(ident: Any, labels: list[str], text: str, group: str) -> float:
    probs = ident._decide(text) if hasattr(ident, "_decide") else None
    if probs is None:  # pragma: no cover - other py3langid versions
        lang, p = ident.classify(text)
        return float(p) if _GROUPS.get(lang, lang) == group else 0.0
    return float(sum(p for lab, p in zip(labels, probs, strict=False)
                     if _GROUPS.get(lab, lab) == group))


__all__ = ["LanguageSwitch", "Segment", "identify", "segments"]
