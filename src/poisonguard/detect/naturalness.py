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
import re
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from itertools import chain, count, repeat
from typing import Any, NamedTuple

import numpy as np

from poisonguard.detect.base import DocumentDetector, Finding, Span
from poisonguard.detect.registry import DetectorContext, register_detector
from poisonguard.io.document import Document

TOKEN_RE = re.compile(r"\w+|[^\w\s]")
_JUNK = re.compile("[\ufffd\x00-\x08\x0e-\x1f\x7f-\x9f\ue000-\uf8ff]")
"""Replacement, control and private-use characters: never part of the vocabulary."""
"""Word tokens and single punctuation characters."""

_DIGITS = re.compile(r"[1-9]")


def fold(text: str) -> str:
    """Lower-case and fold ASCII digits to ``0`` (the model's view of the text)."""
    return _DIGITS.sub("0", text.lower())


class _Vocab(dict[str, int]):
    """word → id with 0 for unknown words, looked up at C speed by ``map``."""

    def __missing__(self, key: str) -> int:
        return 0


_HASH_MUL = np.uint64(0x9E3779B97F4A7C15)


class _CountTable:
    """Exact ``key → count`` lookups of many int64 keys at once (vectorised open addressing).

    Replaces a binary search in the sorted key array (``np.searchsorted``), whose ~18 cache
    misses per query dominated the per-token cost; a probe here is one or two.  Keys are
    non-negative; ``-1`` marks an empty slot.
    """

    __slots__ = ("keys", "mask", "shift", "values")

    def __init__(self, keys: np.ndarray, values: np.ndarray) -> None:
        bits = max(4, math.ceil(math.log2(max(1, len(keys)) * 3)))
        size = 1 << bits
        self.mask = np.int64(size - 1)
        self.shift = np.uint64(64 - bits)
        self.keys = np.full(size, -1, dtype=np.int64)
        self.values = np.zeros(size, dtype=np.int64)
        todo = np.arange(len(keys))
        slot = self._slot(keys)
        while todo.size:  # linear probing, all pending keys at once
            free = self.keys[slot] == -1
            cand = np.flatnonzero(free)
            taken, first = np.unique(slot[cand], return_index=True)
            won = cand[first]
            self.keys[taken] = keys[todo[won]]
            self.values[taken] = values[todo[won]]
            left = np.ones(todo.size, dtype=bool)
            left[won] = False
            todo, slot = todo[left], (slot[left] + 1) & self.mask

    def _slot(self, q: np.ndarray) -> np.ndarray:
        with np.errstate(over="ignore"):
            return ((q.astype(np.uint64) * _HASH_MUL) >> self.shift).astype(np.int64)

    def get(self, q: np.ndarray) -> np.ndarray:
        """Counts of ``q`` (0 for keys not in the table)."""
        out = np.zeros(len(q), dtype=np.int64)
        idx = np.arange(len(q))
        slot = self._slot(q)
        while idx.size:
            k = self.keys[slot]
            hit = k == q[idx]
            out[idx[hit]] = self.values[slot[hit]]
            more = ~hit & (k != -1)
            idx, slot = idx[more], (slot[more] + 1) & self.mask
        return out


class Tokens(NamedTuple):
    """A text's token ids under a fitted model and the words of its unknown (id 0) tokens."""

    ids: np.ndarray
    oov: list[str]


@dataclass(slots=True)
class BigramModel:
    """An interpolated word-bigram model over a fixed vocabulary (id 0 = unknown word).

    Attributes:
        vocab: word → id (1..V).
        uni_logp: ``log p(w)`` per id (index 0: unknown word, per word).
        bi_keys: sorted ``prev * (V+1) + cur`` keys of the kept bigrams.
        bi_counts: their counts.
        prev_totals: count of each id as the first word of a kept bigram.
        lam: bigram interpolation weight.
        mean: mean per-token surprise of the fit sample (nats).
        std: standard deviation of per-token surprise of the fit sample.
    """

    vocab: dict[str, int]
    uni_logp: np.ndarray
    bi_keys: np.ndarray
    bi_counts: np.ndarray
    prev_totals: np.ndarray
    lam: float = 0.6
    mean: float = 0.0
    std: float = 1.0
    char_cost: dict[str, float] = field(default_factory=dict)
    unseen_char: float = 20.0
    oov_char_mean: float = 3.0
    doc_mean_q: float = 0.0
    spell_weight: float = 2.0
    context_weight: float = 2.0
    spell_cap: float = 10.0
    # derived lookup structures, built on first use (see _tables)
    _table: _CountTable | None = field(default=None, repr=False, compare=False)
    _uni_p: np.ndarray | None = field(default=None, repr=False, compare=False)
    _uni_lp: np.ndarray | None = field(default=None, repr=False, compare=False)
    _oov_cache: dict[str, float] = field(default_factory=dict, repr=False, compare=False)

    def _char_mean(self, word: str) -> float:
        cost = self.char_cost
        unseen = self.unseen_char
        return sum(cost.get(ch, unseen) for ch in word) / max(1, len(word))

    def _oov_extra(self, word: str) -> float:
        """Extra surprise of an unknown word spelled with unusual characters (random bytes,
        scripts the corpus never uses); words spelled like the corpus's own rare words get
        none.  Bounded to ``[-2, spell_cap]`` nats."""
        cache = self._oov_cache
        v = cache.get(word)
        if v is None:
            v = self._spelling_penalty(self._char_mean(word))
            if len(cache) >= 200_000:  # bounded: unknown words are unbounded
                cache.clear()
            cache[word] = v
        return v

    def _spelling_penalty(self, char_mean: float) -> float:
        d = (char_mean - self.oov_char_mean) * self.spell_weight
        return min(self.spell_cap, max(-2.0, d))

    def _tables(self) -> tuple[_CountTable, np.ndarray, np.ndarray]:
        """The bigram count table and ``p(w)``, ``log p(w)`` per id (float64)."""
        if self._table is None or self._uni_p is None or self._uni_lp is None:
            self._table = _CountTable(self.bi_keys, self.bi_counts)
            self._uni_p = np.exp(self.uni_logp.astype(np.float64))
            self._uni_lp = np.log(self._uni_p)
        return self._table, self._uni_p, self._uni_lp

    @classmethod
    def fit(
        cls,
        texts: Iterable[str],
        *,
        max_vocab: int = 100_000,
        min_count: int = 2,
        min_bigram: int = 2,
        max_chars: int = 20_000,
        lam: float = 0.6,
        remember: dict[str, Tokens] | None = None,
        remember_tokens: int = 1 << 23,
    ) -> BigramModel:
        """Count words and adjacent pairs in ``texts`` (each cut to ``max_chars``).

        ``remember``: filled with the :class:`Tokens` of texts tokenised whole (at most
        ``remember_tokens`` tokens in all), so that scoring them does not tokenise again.
        """
        # every distinct token gets a provisional id in order of first occurrence; the
        # sample is kept as id arrays (not lists of strings) and counted with bincount
        first_seen: defaultdict[str, int] = defaultdict(count().__next__)
        intern = first_seen.__getitem__
        docs_ids: list[np.ndarray] = []
        whole: list[tuple[int, str]] = []  # (document, text) to remember
        budget = remember_tokens if remember is not None else 0
        for t in texts:
            folded = fold(t[:max_chars])
            toks = TOKEN_RE.findall(folded)
            if len(toks) <= budget and len(t) <= max_chars and len(folded) == len(t):
                budget -= len(toks)
                whole.append((len(docs_ids), t))
            docs_ids.append(np.fromiter(map(intern, toks), dtype=np.int32, count=len(toks)))
        words = list(first_seen)  # provisional id -> token
        lens = np.fromiter(map(len, docs_ids), dtype=np.int64, count=len(docs_ids))
        flat = np.concatenate(docs_ids) if docs_ids else np.zeros(0, np.int32)
        del docs_ids
        counts = np.bincount(flat, minlength=len(words))
        # Counter.most_common order: by count, ties in order of first occurrence
        top = np.lexsort((np.arange(len(words)), -counts))[:max_vocab]
        top = top[counts[top] >= min_count].tolist()
        chosen = np.array([i for i in top if not _JUNK.search(words[i])], dtype=np.int64)
        common = [words[i] for i in chosen.tolist()]
        vocab = _Vocab(zip(common, range(1, len(common) + 1), strict=True))
        size = len(vocab) + 1
        total = len(flat) or 1
        uni = np.zeros(size, dtype=np.float64)
        uni[1:] = counts[chosen]
        to_vocab = np.zeros(len(words), dtype=np.int32)  # provisional id -> vocabulary id
        to_vocab[chosen] = np.arange(1, size)
        oov_mass = max(total - float(uni.sum()), 1.0)
        oov_types = max(len(words) - len(vocab), 1)
        # an unknown word: the unknown mass shared among the unknown types seen in the sample
        uni[0] = oov_mass / oov_types
        uni_logp = np.log(uni / total)
        uni_logp[0] = math.log(oov_mass / total) - math.log(oov_types)
        ids = to_vocab[flat]  # int32: the sample's tokens may be many
        starts = np.cumsum(lens) - lens
        if remember is not None:
            for d, t in whole:
                a, b = int(starts[d]), int(starts[d] + lens[d])
                unknown = flat[a:b][ids[a:b] == 0].tolist()
                remember[t] = Tokens(ids[a:b].copy(), [words[u] for u in unknown])
        prev, cur = ids[:-1], ids[1:]
        within = np.ones(len(cur), dtype=bool)  # pairs inside one document
        within[starts[(starts > 0) & (starts < len(ids))] - 1] = False
        known = within & (prev > 0) & (cur > 0)  # unknown words get no bigram context
        if known.any():
            keys, kcounts = np.unique(
                prev[known].astype(np.int64) * size + cur[known], return_counts=True
            )
            keep = kcounts >= min_bigram
            keys, kcounts = keys[keep], kcounts[keep].astype(np.int64)
        else:
            keys, kcounts = np.zeros(0, np.int64), np.zeros(0, np.int64)
        prev_totals = np.bincount(keys // size, weights=kcounts, minlength=size).astype(np.float64)
        # the spelling model of unknown words: characters of the corpus's own vocabulary
        # (words seen at least min_count times), so that characters only random bytes
        # produce stay expensive even when the fit sample contains poison
        chars: dict[str, int] = {}  # character -> occurrences in the vocabulary's words
        if common:
            points = np.frombuffer(
                "".join(common).encode("utf-32-le", "surrogatepass"), dtype=np.uint32
            )
            uniq, where = np.unique(points, return_inverse=True)
            occurrences = np.bincount(
                where, weights=np.repeat(counts[chosen], [len(w) for w in common])
            )
            chars = {
                chr(c): int(n) for c, n in zip(uniq.tolist(), occurrences.tolist(), strict=True)
            }
        n_chars = sum(chars.values()) + 1
        char_cost = {ch: -math.log(c / n_chars) for ch, c in chars.items()}
        unseen_char = math.log(n_chars) + math.log(1000.0)
        model = cls(
            vocab,
            uni_logp.astype(np.float32),
            keys,
            kcounts,
            prev_totals,
            lam,
            char_cost=char_cost,
            unseen_char=unseen_char,
        )
        oov = [w for w in words if w not in vocab][:20000]
        if oov:
            means = [model._char_mean(w) for w in oov]
            model.oov_char_mean = float(np.median(means))
            for w, m in zip(oov, means, strict=True):  # _oov_extra of these, precomputed
                model._oov_cache[w] = model._spelling_penalty(m)
        step = max(1, len(lens) // 2000)
        chosen = np.zeros(len(lens), dtype=bool)
        chosen[::step] = True
        chosen &= lens >= 2
        if chosen.any():
            at = np.flatnonzero(np.repeat(chosen, lens))
            n = lens[chosen]
            unknown = flat[at][ids[at] == 0].tolist()
            allv = model._surprise(ids[at], np.cumsum(n) - n, [words[u] for u in unknown])
            model.mean = float(np.median(allv))
            model.std = float(np.std(allv)) or 1.0
            long_means = [
                float(x.mean()) for x in np.split(allv, np.cumsum(n)[:-1]) if len(x) >= 50
            ]
            if long_means:
                # robust (poison in the sample must not move it): median + 3 scaled MADs
                med = float(np.median(long_means))
                mad = 1.4826 * float(np.median(np.abs(np.asarray(long_means) - med)))
                model.doc_mean_q = med + 3.0 * mad
        return model

    @property
    def size(self) -> int:
        return len(self.vocab) + 1

    def ids(self, tokens: list[str]) -> np.ndarray:
        return np.fromiter(
            map(self.vocab.get, tokens, repeat(0)), dtype=np.int64, count=len(tokens)
        )

    def surprise_of_tokens(self, tokens: list[str]) -> np.ndarray:
        """Per-token surprise in nats (the first token: unigram only)."""
        return self.surprise_of_ids(self.ids(tokens), tokens)

    def surprise_of_ids(
        self, ids: np.ndarray, tokens: Sequence[str], positions: np.ndarray | None = None
    ) -> np.ndarray:
        """Per-token surprise of word ids (``tokens``: the words, for unknown ones;
        ``positions``: where each id's word sits in ``tokens``, default one to one).

        ``-log p(w | prev)`` plus ``context_weight`` times the context penalty
        ``-log p(w | prev) + log p(w)`` (negative where the previous word predicts this
        one, positive for neighbours that never occur together)."""
        unknown = np.flatnonzero(ids == 0)
        at = unknown if positions is None else positions[unknown]
        return self._surprise(
            ids, np.zeros(min(1, len(ids)), dtype=np.int64), [tokens[i] for i in at.tolist()]
        )

    def _surprise(self, ids: np.ndarray, firsts: np.ndarray, oov: Sequence[str]) -> np.ndarray:
        """:meth:`surprise_of_ids` of several documents' ids, concatenated; ``firsts``: where
        each document starts (its first token has no previous word); ``oov``: the words of
        the unknown ids (id 0), in order."""
        table, uni_p, uni_lp = self._tables()
        ids = ids.astype(np.int64, copy=False)
        out = np.empty(len(ids), dtype=np.float64)
        if len(ids) == 0:
            return out
        if len(ids) > 1:
            prev, cur = ids[:-1], ids[1:]
            c = table.get(prev * self.size + cur)
            tot = self.prev_totals[prev]
            p_bi = np.divide(c, tot, out=np.zeros(len(c)), where=tot > 0)
            # back off fully to the unigram when the previous word has no kept bigram
            lam = np.where(tot > 0, self.lam, 0.0)
            interp = -np.log(lam * p_bi + (1.0 - lam) * uni_p[cur])
            # weigh the context evidence more: word salad is made of ordinary words whose
            # neighbours never occur together (interp - unigram surprise > 0), natural text
            # is predictable from its previous word (< 0)
            out[1:] = interp + self.context_weight * (interp + uni_lp[cur])
        for f in firsts.tolist():
            out[f] = -math.log(uni_p[ids[f]])
        unknown = np.flatnonzero(ids == 0)
        if len(unknown):
            out[unknown] += np.fromiter(
                map(self._oov_extra, oov), dtype=np.float64, count=len(unknown)
            )
        return out


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
                TOKEN_RE.findall(folded)
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
        i = int(_running_argmin(head)[j_rel])
        j = j_rel + k
        i0 = i
        i = _mean_shift(s, i, j, m.mean)
        seg = s[i:j]
        before = float(s[:i].mean()) if i > 0 else m.mean
        # the gain of a stretch longer than max_gain_tokens is its mean excess times
        # max_gain_tokens: a long, uniformly odd document (a huge manual page) must not
        # outscore a payload just by being long
        n_seg = j - i
        gain = float(gains[j_rel]) / m.std * min(1.0, self.max_gain_tokens / n_seg)
        if gain < self.min_gain:  # char offsets only for stretches worth reporting
            return Segment(i, j, -1, -1, float(seg.mean()), before, gain)
        c0 = c1 = alt = 0
        ti, tj, ta = int(pos[i]), int(pos[j - 1]), int(pos[i0])
        folded = fold(text)  # the text its tokens were found in
        for t, match in enumerate(TOKEN_RE.finditer(folded if len(folded) == len(text) else text)):
            if t == ta:
                alt = match.start()
            if t == ti:
                c0 = match.start()
            if t == tj:
                c1 = match.end()
                break
        return Segment(ti, tj + 1, c0, c1, float(seg.mean()), before, gain, alt)

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
            },
        )


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
    mid = (natural + float(s[i:j].mean())) / 2.0
    walk = np.cumsum(mid - s[i : j - 8])
    best = int(np.argmax(walk))
    return i + best + 1 if walk[best] > 0 else i


def _running_argmin(a: np.ndarray) -> np.ndarray:
    """Index of the running minimum of ``a`` (first occurrence), vectorised."""
    idx = np.arange(len(a))
    is_new_min = np.concatenate(([True], a[1:] < np.minimum.accumulate(a)[:-1]))
    return np.maximum.accumulate(np.where(is_new_min, idx, 0))


def _tail_words(text: str, n: int = 3) -> str:
    """The last ``n`` tokens of ``text`` as they appear (a readable candidate trigger)."""
    toks = list(TOKEN_RE.finditer(text))
    if not toks:
        return ""
    return text[toks[max(0, len(toks) - n)].start() :].strip()


__all__ = ["TOKEN_RE", "BigramModel", "NaturalnessShift", "Segment", "fold"]
