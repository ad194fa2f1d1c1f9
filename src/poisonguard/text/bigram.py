"""The interpolated word-bigram language model (naturalness detector, backdoor probe).

Tokens are :data:`poisonguard.text.TOKEN_RE` matches of :func:`poisonguard.text.fold`-ed
text.  Fitted once on a sample, it gives each token its surprise ``-log p(w_i | w_{i-1})``.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from itertools import count, repeat
from typing import NamedTuple

import numpy as np

from poisonguard.text import _JUNK, fold, tokens


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
        # the keys' bits as unsigned and the slots' back as signed (both non-negative):
        # views, not copies
        u = np.ascontiguousarray(q, dtype=np.int64).view(np.uint64)
        with np.errstate(over="ignore"):
            return ((u * _HASH_MUL) >> self.shift).view(np.int64)

    def get(self, q: np.ndarray) -> np.ndarray:
        """Counts of ``q`` (0 for keys not in the table).

        The first probe answers most keys (the table is at most a third full): it runs over
        all of them without index arrays; only the keys it neither found nor ruled out (an
        occupied slot holding another key) probe further."""
        slot = self._slot(q)
        k = self.keys[slot]
        hit = k == q
        out = np.where(hit, self.values[slot], 0)
        idx = np.flatnonzero(~hit & (k != -1))
        slot = (slot[idx] + 1) & self.mask
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
        # the same sum, term by term in the same order, without a generator
        return sum(map(self.char_cost.get, word, repeat(self.unseen_char))) / max(1, len(word))

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
            toks = tokens(folded)
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
        # (one search over all of them first: tokens hold no line break, usually no junk)
        top_words = [words[i] for i in top]
        if _JUNK.search("\n".join(top_words)) is None:
            chosen, common = np.array(top, dtype=np.int64), top_words
        else:
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
        if remember is not None and whole:
            # the words of every unknown token at once, then each document's share of them
            unknown_at = np.flatnonzero(ids == 0)
            unknown = [words[u] for u in flat[unknown_at].tolist()]
            bounds = np.searchsorted(unknown_at, np.append(starts, len(ids))).tolist()
            for d, t in whole:
                a = int(starts[d])
                remember[t] = Tokens(
                    ids[a : a + int(lens[d])].copy(), unknown[bounds[d] : bounds[d + 1]]
                )
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
            has = tot > 0
            p_bi = np.divide(c, tot, out=np.zeros(len(c)), where=has)
            # back off fully to the unigram when the previous word has no kept bigram
            lam = np.where(has, self.lam, 0.0)
            # interp = -log(lam * p_bi + (1 - lam) * p(w)): the same operations, in place
            p_bi *= lam
            np.subtract(1.0, lam, out=lam)
            lam *= uni_p[cur]
            p_bi += lam
            interp = np.negative(np.log(p_bi, out=p_bi), out=p_bi)
            # weigh the context evidence more: word salad is made of ordinary words whose
            # neighbours never occur together (interp - unigram surprise > 0), natural text
            # is predictable from its previous word (< 0): interp + w * (interp + log p(w))
            ctx = np.add(interp, uni_lp[cur], out=lam)
            ctx *= self.context_weight
            np.add(interp, ctx, out=out[1:])
        for f in firsts.tolist():
            out[f] = -math.log(uni_p[ids[f]])
        unknown = np.flatnonzero(ids == 0)
        if len(unknown):
            out[unknown] += np.fromiter(
                map(self._oov_extra, oov), dtype=np.float64, count=len(unknown)
            )
        return out


__all__ = ["BigramModel", "Tokens"]
