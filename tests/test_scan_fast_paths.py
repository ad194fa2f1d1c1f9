"""The default scan's vectorised paths give the straightforward versions' answers exactly
(issue 12, task M: throughput with headroom, same results).

Each test compares a fast path with the plain code it stands in for, on random data built
to reach the fast path's edge cases, and where it matters on real documents."""

from __future__ import annotations

import bisect
import hashlib
import math
import random
from collections import Counter
from pathlib import Path

import numpy as np

from poisonguard.detect import sketches, surface_forms
from poisonguard.detect.triggers import _SampleIndex
from poisonguard.io import CorpusReader, Document
from poisonguard.text import _JUNK, fold, tokens
from poisonguard.text.bigram import BigramModel, Tokens, _CountTable


def _count_ref(keys: np.ndarray, values: np.ndarray, q: np.ndarray) -> np.ndarray:
    table = dict(zip(keys.tolist(), values.tolist(), strict=True))
    return np.array([table.get(k, 0) for k in q.tolist()], dtype=np.int64)


def test_count_table_first_probe_and_collisions() -> None:
    rng = np.random.default_rng(0)
    for n_keys in (0, 1, 5, 1000, 30_000):
        keys = np.unique(rng.integers(0, 1 << 40, size=n_keys, dtype=np.int64))
        values = rng.integers(1, 1000, size=len(keys), dtype=np.int64)
        table = _CountTable(keys, values)
        # keys present, keys absent, keys whose first slot another key holds (collisions
        # are frequent among nearby keys only by chance: many queries make them certain)
        q = np.concatenate(
            [keys, rng.integers(0, 1 << 40, size=50_000, dtype=np.int64), keys[::3] + 1]
        )
        rng.shuffle(q)
        assert np.array_equal(table.get(q), _count_ref(keys, values, q))
        assert table.get(np.zeros(0, dtype=np.int64)).shape == (0,)


def test_count_table_keys_probed_past_their_first_slot() -> None:
    """A crowded run of slots (64 keys whose first slot is one of two): most look-ups,
    present keys and absent ones, probe past their first slot."""
    probe = _CountTable(np.arange(64, dtype=np.int64), np.ones(64, dtype=np.int64))
    pool = np.arange(1, 200_000, dtype=np.int64)
    first = probe._slot(pool)  # the same table size: 64 keys
    keys = pool[(first == 10) | (first == 11)][:64]
    values = np.arange(1, len(keys) + 1, dtype=np.int64)
    table = _CountTable(keys, values)
    assert (table.keys[table._slot(keys)] != keys).sum() >= 32
    q = np.concatenate([keys, pool[(first >= 9) & (first <= 12)][64:200], pool[:500]])
    assert np.array_equal(table.get(q), _count_ref(keys, values, q))


def _occurrences_ref(big: str, starts: list[int], s: str, cap: int) -> dict[int, int] | None:
    """The plain search: every occurrence found in turn, each assigned to its document."""
    per: dict[int, int] = {}
    i = big.find(s)
    while i >= 0:
        d = bisect.bisect_right(starts, i) - 1
        if d not in per and len(per) >= cap:
            return None
        per[d] = per.get(d, 0) + 1
        i = big.find(s, i + 1)
    return per


def test_sample_index_occurrences_equal_the_plain_search() -> None:
    """Overlapping occurrences, strings across two documents, repeated documents, empty
    documents and every cap around the number of documents that hold the string."""
    rng = random.Random(0)
    for trial in range(300):
        n = rng.randint(0, 30)
        texts = [
            "".join(rng.choice("ab \n\x00") for _ in range(rng.randint(0, 12))) for _ in range(n)
        ]
        for skeletons in (False, True):
            index = _SampleIndex(texts, fold=skeletons)
            big, starts = index.big, index.starts
            for s in ("a", "aa", "aaa", "a a", "b", "ab", " ", "a\x00", "\x00a", "", "zz"):
                ref = _occurrences_ref(big, starts, s, 10**6)
                n_docs = 0 if ref is None else len(ref)
                for cap in sorted({0, 1, max(0, n_docs - 1), n_docs, n_docs + 1, 10**6}):
                    want = _occurrences_ref(big, starts, s, cap)
                    assert index.occurrences(s, cap) == want, (trial, texts, s, cap)
                    assert index.occurrences(s, cap) == want  # the remembered answer
                    assert index.docs_with(s, cap) == (None if want is None else list(want))


def test_sample_index_on_real_documents(shared_corpora: Path) -> None:
    reader = CorpusReader(str(shared_corpora / "medical.jsonl.gz"))
    texts = [d.text for _, d in zip(range(400), reader, strict=False) if isinstance(d, Document)]
    index, findex = _SampleIndex(texts), _SampleIndex(texts, fold=True)
    for ix in (index, findex):
        for s in (" the ", "the", "patients", ". ", "of the", "e", "randomized controlled"):
            for cap in (5, 50, 399, 10**6):
                assert ix.occurrences(s, cap) == _occurrences_ref(ix.big, ix.starts, s, cap)


def _blake16(text: str) -> bytes:
    return hashlib.blake2b(text.encode("utf-8", "surrogatepass"), digest_size=16).digest()


def test_hash64_list_equals_hash64_each() -> None:
    texts = ["", "a", "é", "\ud800", "the same sentence", "x" * 1000] * 3
    assert sketches.hash64_list(texts) == [sketches.hash64(t) for t in texts]
    assert sketches.hash64_list([]) == []


def test_memo_keys_remembered_by_identity_equal_the_digest() -> None:
    """The same text object, an equal text built apart, texts past the held budget: each
    key is the text's digest (what the memo was keyed by before)."""
    texts = ["".join(random.Random(i).choice("ab é\n") for _ in range(50)) for i in range(300)]
    for t in texts + texts:
        assert sketches._memo_key(t) == _blake16(t)
        copy = "".join(list(t))  # equal, another object
        assert copy is not t and sketches._memo_key(copy) == _blake16(t)
    big = "x" * (sketches._RECENT_CHARS + 1)  # never held
    assert sketches._memo_key(big) == _blake16(big)
    assert all(v[0] is not big for v in sketches._recent.values())
    many = ["y" * (sketches._RECENT_CHARS // 4) + str(i) for i in range(9)]
    for t in many + many:  # the held texts are dropped when the budget is spent
        assert sketches._memo_key(t) == _blake16(t)
        assert sketches._recent_chars <= sketches._RECENT_CHARS


def test_sentences_from_remembered_units_equal_a_fresh_split(shared_corpora: Path) -> None:
    reader = CorpusReader(str(shared_corpora / "medical.jsonl.gz"))
    texts = [d.text for _, d in zip(range(300), reader, strict=False) if isinstance(d, Document)]
    texts += ["", "  ", "A. B. C.", "Dr. Who?  Yes!\n\n- item one\n- item two", "İstanbul. Ok."]
    memo = sketches.KeyMemo()
    for t in texts:
        for k in (1, 2, 6):
            norms, units = sketches.sentence_norms_units(t, k)
            whole = sketches.split_sentences(t)
            assert norms == [s.norm for s in whole if _words(s.norm) >= k]
            assert norms == sketches.sentence_norms(t, k)
        memo.put(t, [1], units)
        assert sketches.split_sentences(t, memo.units_of(t)) == sketches.split_sentences(t)
    # past the units' budget: keys still remembered, units not
    small = sketches.KeyMemo(unit_budget=3)
    small.put("One sentence here. And a second one. A third. A fourth.", [7], [(0, 5)] * 4)
    assert small.get("One sentence here. And a second one. A third. A fourth.") == [7]
    assert small.units_of("One sentence here. And a second one. A third. A fourth.") is None


def _words(norm: str) -> int:
    return norm.count(" ") + 1


def _fit_texts(seed: int, junk: bool) -> list[str]:
    rng = random.Random(seed)
    vocab = ["the", "cat", "sat", "on", "mat", "Dog", "ran", "1999", "a", "of", "zq", "é"]
    if junk:
        vocab += ["x\x01y", "bad\ufffd", "pua\ue000", "\x7f"]
    return [
        " ".join(rng.choice(vocab) for _ in range(rng.randint(0, 40))) + rng.choice([".", ""])
        for _ in range(200)
    ]


def test_bigram_vocabulary_and_remembered_tokens_equal_the_plain_build() -> None:
    """The vocabulary (most common first, ties by first occurrence, no word with a control,
    replacement or private-use character) and each remembered text's ids and unknown
    words, as counting the tokens in Python and looking each text up again gives them."""
    for seed, junk in ((0, False), (1, True), (2, True)):
        texts = _fit_texts(seed, junk)
        remembered: dict[str, Tokens] = {}
        model = BigramModel.fit(texts, remember=remembered)
        toks = [tokens(fold(t)) for t in texts]
        counts = Counter(w for ts in toks for w in ts)
        want = [w for w, c in counts.most_common() if c >= 2 and not _JUNK.search(w)]
        assert list(model.vocab) == want
        assert [model.vocab[w] for w in want] == list(range(1, len(want) + 1))
        assert set(remembered) == set(texts)
        for t, ts in zip(texts, toks, strict=True):
            ids = model.ids(ts)
            assert np.array_equal(remembered[t].ids, ids)
            assert remembered[t].oov == [ts[i] for i in np.flatnonzero(ids == 0).tolist()]


def test_skeleton_of_joined_words_is_the_words_skeletons_joined() -> None:
    """What the miner's word n-grams rely on: ``fold(" ".join(parts))`` equals the parts'
    own skeletons joined (empty ones dropped), for words as ``surface_forms.words`` cuts
    them and ``fold_word`` folds them — ASCII, safe and unsafe non-ASCII, look-alikes,
    zero-width characters, apostrophes, final sigma, ligatures."""
    rng = random.Random(5)
    alphabet = list("abcXYZ09'’_-.") + list("éÉßñ–“”İıаАΑΣσς\u200b\u00adﬁ²가Ł\u0301")
    for _ in range(20_000):
        text = " ".join(
            "".join(rng.choice(alphabet) for _ in range(rng.randint(1, 6)))
            for _ in range(rng.randint(1, 5))
        )
        parts = [surface_forms.fold_word(m.group()) for m in surface_forms.words(text)]
        for i in range(len(parts)):
            for j in range(i, len(parts)):
                whole = surface_forms.fold(" ".join(parts[i : j + 1]))
                each = [surface_forms.fold(p) for p in parts[i : j + 1]]
                assert whole == " ".join(w for w in each if w), (text, i, j)


def _surprise_ref(
    model: BigramModel, ids: np.ndarray, firsts: np.ndarray, oov: list[str]
) -> np.ndarray:
    """``BigramModel._surprise`` as one expression per step (before it worked in place)."""
    _, uni_p, uni_lp = model._tables()
    ids = ids.astype(np.int64)
    out = np.empty(len(ids), dtype=np.float64)
    if len(ids) > 1:
        prev, cur = ids[:-1], ids[1:]
        c = _count_ref(model.bi_keys, model.bi_counts, prev * model.size + cur)
        tot = model.prev_totals[prev]
        p_bi = np.divide(c, tot, out=np.zeros(len(c)), where=tot > 0)
        lam = np.where(tot > 0, model.lam, 0.0)
        interp = -np.log(lam * p_bi + (1.0 - lam) * uni_p[cur])
        out[1:] = interp + model.context_weight * (interp + uni_lp[cur])
    for f in firsts.tolist():
        out[f] = -math.log(uni_p[ids[f]])
    unknown = np.flatnonzero(ids == 0)
    if len(unknown):
        out[unknown] += np.array([model._oov_extra(w) for w in oov])
    return out


def test_bigram_surprise_in_place_equals_the_expressions(shared_corpora: Path) -> None:
    reader = CorpusReader(str(shared_corpora / "news.jsonl.gz"))
    texts = [d.text for _, d in zip(range(600), reader, strict=False) if isinstance(d, Document)]
    remembered: dict[str, Tokens] = {}
    model = BigramModel.fit(texts[:400], remember=remembered)
    for t in texts:
        toks = tokens(fold(t))
        ids = model.ids(toks)
        oov = [toks[i] for i in np.flatnonzero(ids == 0).tolist()]
        firsts = np.zeros(min(1, len(ids)), dtype=np.int64)
        got = model._surprise(ids, firsts, oov)
        assert np.array_equal(got, _surprise_ref(model, ids, firsts, oov), equal_nan=True)
