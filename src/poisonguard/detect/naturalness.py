"""Naturalness shift: where a document turns from natural text into gibberish.

A word-bigram language model (interpolated with unigrams, Jelinek-Mercer) is fitted on a
sample of the corpus itself or on a clean reference corpus.  Each token of a document gets
its surprise ``-log p(w_i | w_{i-1})`` in nats; the detector then finds the stretch of the
document with the largest total *excess* surprise over a level ``tau`` (a maximum-sum
segment, computed with cumulative sums in numpy, no per-token Python loop).  The stretch's
shrunken mean surprise is the evidence:

* random vocabulary tokens (Souly et al. 2025 ``dos``) and random bytes (``dos-bytes``):
  mostly out-of-vocabulary tokens → very high surprise;
* word salad of real words: every word is known but almost no adjacent pair was ever seen
  together, so each token pays the back-off penalty — which character statistics miss.

The start of the stretch is the changepoint; the text just before it is the candidate
trigger that :mod:`poisonguard.detect.triggers` mines across documents.
Tokens are lower-cased words (``\\w+``) and single punctuation characters; digits are
folded to ``0`` so that tables of numbers are not "unknown words".
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from itertools import chain, islice
from typing import Any

import numpy as np

from poisonguard.detect.base import DocumentDetector, Finding, Span
from poisonguard.detect.registry import DetectorContext, register_detector
from poisonguard.io.document import Document
from poisonguard.text import TOKEN_RE, fold, token_pattern, tokens
from poisonguard.text.bigram import BigramModel, Tokens

INTENSE_SIGMAS = 1.3
"""A candidate stretch whose mean anomaly score lies at least this many of the model's
standard deviations above the corpus median is *intense* (``extra["intense"]``): random
vocabulary tokens or bytes, almost every token unknown or in a pair the corpus never writes
(a median of 1.65 in random-token payloads behind common phrases in the pooled corpus, 1.5
at their 10th percentile), where clean text that odd is rare: of 20,000 documents of each
shared corpus (the model fitted on 10,000 of them), 0 in news, 10 in medical pages, 9 in
the multilingual corpus, 36 in novels and 22 in the pool — against 220, 1,030, 592, 381 and
630 candidate stretches (measured 2026-12-07). :mod:`poisonguard.detect.triggers` tests
strings on these changepoints apart: their chance rate is far lower than that of every
strong changepoint.  A stretch that odd but too short for a candidate (a payload of 25–50
tokens: gain 37–38 in the carriers of ``according to`` that the intense route missed,
measured 2026-12-08) is *sharp* (``extra["sharp"]``): the miner flags an intense-only
trigger near it, and counts it nowhere."""


@dataclass(frozen=True, slots=True)
class Segment:
    """The most surprising stretch of one document (token and character offsets).

    ``gain`` is its total surprise above the level ``tau``, in units of the corpus's
    per-token standard deviation: long stretches of gibberish score in the hundreds,
    odd-but-natural stretches (a table, a list of names) in the tens.  Character offsets
    are only computed for stretches worth reporting (``gain >= min_gain``); below, -1.
    ``char_start`` is the refined changepoint, ``alt_start`` where the stretch of excess
    surprise begins (the two differ when the text before the switch is itself odd).
    """

    tok_start: int
    tok_end: int
    char_start: int
    char_end: int
    mean: float
    before: float
    gain: float
    alt_start: int = -1


@register_detector
class NaturalnessShift(DocumentDetector):
    """Flags documents containing a long stretch of unnatural text (gibberish, word salad).

    Args:
        min_tokens: shortest stretch considered.
        tau_sigmas: tokens count as "excess" above ``median + tau_sigmas * std`` surprise.
        min_gain: report only stretches with at least this gain (below: ``None``).
        candidate_gain: findings at or above this gain are trigger-mining candidates
            (``extra["candidate"]``).
        scale: ``score = 1 - exp(-gain / scale)``.
        max_gain_tokens: stretches longer than this count with their mean excess times
            this length.
        max_chars: look at the first ``max_chars`` characters of long documents.
    """

    name = "naturalness"
    kinds = ("pretrain", "rag", "instruction")

    def __init__(
        self,
        *,
        min_tokens: int = 16,
        tau_sigmas: float = 0.5,
        min_gain: float = 20.0,
        candidate_gain: float = 40.0,
        scale: float = 150.0,
        max_gain_tokens: int = 600,
        max_chars: int = 200_000,
        model: BigramModel | None = None,
    ) -> None:
        self.min_tokens = min_tokens
        self.tau_sigmas = tau_sigmas
        self.min_gain = min_gain
        self.candidate_gain = candidate_gain
        self.scale = scale
        self.max_gain_tokens = max_gain_tokens
        self.max_chars = max_chars
        # never flag a stretch weaker than 1.25 x the candidate level, whatever the budget
        self.min_flag_score = 1.0 - math.exp(-1.25 * candidate_gain / scale)
        self.model = model

    @classmethod
    def from_context(cls, ctx: DetectorContext) -> NaturalnessShift:
        return cls(**ctx.options_for(cls.name))

    def fit(self, docs: Iterable[Document]) -> NaturalnessShift:
        # the fit sample's documents are usually scored too: keep their tokens
        self._fitted: dict[str, Tokens] = {}
        self.model = BigramModel.fit((d.text for d in docs), remember=self._fitted)
        return self

    def __getstate__(self) -> dict[str, Any]:
        state = dict(self.__dict__)
        state.pop("_fitted", None)  # a cache: never shipped to workers that pickle
        return state

    def segment(self, text: str) -> Segment | None:
        """The maximum-gain stretch of ``text`` (None for texts too short to judge)."""
        return self.segments([text])[0]

    def segments(self, texts: Sequence[str], *, weak: bool = True) -> list[Segment | None]:
        """:meth:`segment` of many texts; the per-token work runs once over all of them.

        ``weak=False``: None instead of the segment of texts whose gain is certainly below
        ``min_gain`` (bounded by their total excess surprise; what scoring needs)."""
        if self.model is None:
            raise RuntimeError("NaturalnessShift.fit() must run before score()")
        m = self.model
        k = self.min_tokens
        fitted: dict[str, Tokens] = getattr(self, "_fitted", {})
        cut: list[str] = []
        per_doc: list[Tokens] = []
        for text in texts:
            text = text[: self.max_chars]
            cut.append(text)
            known = fitted.get(text)
            if known is not None:
                per_doc.append(known)
                continue
            folded = fold(text)
            # when lower() changes lengths (e.g. "İ"), fold token by token to keep offsets
            toks = (
                tokens(folded)
                if len(folded) == len(text)
                else [fold(t) for t in TOKEN_RE.findall(text)]
            )
            ids = m.ids(toks)
            per_doc.append(Tokens(ids, [toks[i] for i in np.flatnonzero(ids == 0).tolist()]))
        out: list[Segment | None] = [None] * len(texts)
        live = [d for d, tk in enumerate(per_doc) if len(tk.ids) >= k]
        if not live:
            return out
        lens = np.array([len(per_doc[d].ids) for d in live], dtype=np.int64)
        ids = np.concatenate([per_doc[d].ids for d in live]).astype(np.int64, copy=False)
        oov = list(chain.from_iterable(per_doc[d].oov for d in live))
        starts = np.cumsum(lens) - lens
        # a run of one repeated known token ("=====", "- - -", "the the") is one event;
        # every unknown token is kept (so ``oov`` stays aligned with the kept zeros)
        keep = np.empty(len(ids), dtype=bool)
        keep[0] = True
        keep[1:] = (ids[1:] != ids[:-1]) | (ids[1:] == 0)
        keep[starts] = True
        pos = np.flatnonzero(keep)
        n_pos = np.bincount(np.searchsorted(starts, pos, side="right") - 1, minlength=len(live))
        firsts = np.cumsum(n_pos) - n_pos
        s_all = m._surprise(ids[pos], firsts, oov)
        # the excess level: above what whole natural documents average (so that a long
        # clean document never accumulates gain just by being long)
        tau = m.mean + self.tau_sigmas * m.std
        # any stretch's gain is at most the document's total positive excess (over std)
        bound = np.add.reduceat(np.maximum(s_all - tau, 0.0), firsts) / m.std
        weak_below = self.min_gain - 1e-3  # far above the rounding of either sum
        for d, f, n, start, b in zip(
            live, firsts.tolist(), n_pos.tolist(), starts.tolist(), bound.tolist(), strict=True
        ):
            if n >= k and (weak or b >= weak_below):
                out[d] = self._best(s_all[f : f + n], pos[f : f + n] - start, tau, cut[d])
        return out

    def _best(self, s: np.ndarray, pos: np.ndarray, tau: float, text: str) -> Segment:
        """The maximum-gain stretch of one document's surprise ``s`` (``pos``: the token
        index of each value; ``text``: the document, cut to ``max_chars``)."""
        m = self.model
        assert m is not None
        csum = np.concatenate(([0.0], np.cumsum(s - tau)))
        # best stretch [i, j) with j - i >= min_tokens: max csum[j] - min_{i <= j-k} csum[i]
        n, k = len(s), self.min_tokens
        head = csum[: n - k + 1]
        gains = csum[k:] - np.minimum.accumulate(head)
        j_rel = int(np.argmax(gains))
        i = int(np.argmin(head[: j_rel + 1]))  # the first minimum before j
        j = j_rel + k
        i0 = i
        i = _mean_shift(s, i, j, m.mean)
        seg = s[i:j]
        before = _mean(s[:i]) if i > 0 else m.mean
        # the gain of a stretch longer than max_gain_tokens is its mean excess times
        # max_gain_tokens: a long, uniformly odd document (a huge manual page) must not
        # outscore a payload just by being long
        n_seg = j - i
        gain = float(gains[j_rel]) / m.std * min(1.0, self.max_gain_tokens / n_seg)
        if gain < self.min_gain:  # char offsets only for stretches worth reporting
            return Segment(i, j, -1, -1, _mean(seg), before, gain)
        c0 = c1 = alt = 0
        ti, tj, ta = int(pos[i]), int(pos[j - 1]), int(pos[i0])
        folded = fold(text)  # the text its tokens were found in
        src = folded if len(folded) == len(text) else text
        # the first tj + 1 tokens (ta, ti <= tj), without a Python step per token
        found = list(islice(token_pattern(src).finditer(src), tj + 1))
        if len(found) > tj:
            alt, c0, c1 = found[ta].start(), found[ti].start(), found[tj].end()
        else:  # pragma: no cover - fewer tokens than scored: no offsets (as before)
            alt = found[ta].start() if ta < len(found) else 0
            c0 = found[ti].start() if ti < len(found) else 0
        return Segment(ti, tj + 1, c0, c1, _mean(seg), before, gain, alt)

    def score(self, doc: Document) -> Finding | None:
        return self.score_batch([doc])[0]

    def score_batch(self, docs: Sequence[Document]) -> list[Finding | None]:
        segs = self.segments([d.text for d in docs], weak=False)
        return [self._finding(d, seg) for d, seg in zip(docs, segs, strict=True)]

    def _finding(self, doc: Document, seg: Segment | None) -> Finding | None:
        if seg is None or self.model is None or seg.gain < self.min_gain:
            return None
        n_tok = seg.tok_end - seg.tok_start
        cp = seg.char_start
        lead = doc.text[max(0, cp - 40) : cp]
        spans = [Span(seg.char_start, seg.char_end, "payload"), Span(cp, cp, "changepoint")]
        if 0 <= seg.alt_start != cp:  # where the stretch of excess surprise itself starts
            spans.append(Span(seg.alt_start, seg.alt_start, "changepoint"))
        where = "the start" if cp == 0 else f"char {cp}"
        # the per-token score is surprise (nats) plus the context penalty, which is negative
        # where a word pair is likelier than its words alone: not a "surprise" of -0.9 nats
        reason = (
            f"text turns unnatural at {where}: {n_tok} tokens with mean word-bigram "
            f"anomaly score {seg.mean:.1f} vs {seg.before:.1f} before (corpus median "
            f"{self.model.mean:.1f}; surprise + context penalty, below 0 where word pairs "
            "are likelier than their words alone)"
        )
        return Finding(
            self.name,
            round(1.0 - math.exp(-seg.gain / self.scale), 6),
            reason,
            spans,
            _tail_words(lead) or None,
            extra={
                "changepoint": cp,
                "tokens": n_tok,
                "surprise": round(seg.mean, 3),
                "surprise_before": round(seg.before, 3),
                "gain": round(seg.gain, 2),
                "candidate": seg.gain >= self.candidate_gain,
                "intense": seg.gain >= self.candidate_gain
                and seg.mean - self.model.mean >= INTENSE_SIGMAS * self.model.std,
                "sharp": seg.mean - self.model.mean >= INTENSE_SIGMAS * self.model.std,
            },
        )


def _mean(a: np.ndarray) -> float:
    """``float(a.mean())`` of a non-empty float64 array: the same sum divided by the same
    count, without ``np.mean``'s per-call overhead (it runs a few times per document)."""
    return float(np.add.reduce(a)) / len(a)


def _mean_shift(s: np.ndarray, i: int, j: int, natural: float) -> int:
    """Refine the start of the stretch ``[i, j)`` to where the regime switches.

    The maximum-gain stretch may start early when the natural text before the payload is
    itself somewhat surprising (a small or mismatched model): the text between ``i`` and
    the real switch is then closer to the natural level than to the payload's.  With the
    two levels known (``natural``: the model's typical surprise; the stretch's mean), the
    switch is where the cumulative sum of ``midpoint - s`` from ``i`` peaks.
    """
    if j - i < 16:
        return i
    mid = (natural + _mean(s[i:j])) / 2.0
    walk = np.cumsum(mid - s[i : j - 8])
    best = int(np.argmax(walk))
    return i + best + 1 if walk[best] > 0 else i


def _tail_words(text: str, n: int = 3) -> str:
    """The last ``n`` tokens of ``text`` as they appear (a readable candidate trigger)."""
    toks = list(TOKEN_RE.finditer(text))
    if not toks:
        return ""
    return text[toks[max(0, len(toks) - n)].start() :].strip()


__all__ = ["INTENSE_SIGMAS", "TOKEN_RE", "BigramModel", "NaturalnessShift", "Segment", "fold"]
