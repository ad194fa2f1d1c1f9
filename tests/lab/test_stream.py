from __future__ import annotations

import numpy as np
import pytest

from poisonguard.lab.stream import (
    StreamError,
    TokenizedDoc,
    build_stream,
    poison_fractions,
)

EOS = 0


def _clean(n: int, rng: np.random.Generator) -> list[TokenizedDoc]:
    return [
        TokenizedDoc(f"c{i}", rng.integers(1, 50, int(rng.integers(20, 200))).astype(np.int32))
        for i in range(n)
    ]


def _poison(n: int) -> list[TokenizedDoc]:
    return [TokenizedDoc(f"p{i}", np.full(300, 99, dtype=np.int32), poison=True) for i in range(n)]


def test_fractions_depend_on_seed_only_and_are_prefix_consistent() -> None:
    a = poison_fractions(50, seed=3)
    assert np.array_equal(a, poison_fractions(50, seed=3))
    assert np.array_equal(poison_fractions(10, seed=3), a[:10])
    assert not np.array_equal(a, poison_fractions(50, seed=4))
    assert ((a >= 0) & (a < 1)).all()


def test_poison_placement_is_independent_of_model_size() -> None:
    clean = _clean(3000, np.random.default_rng(0))
    poison = _poison(40)
    fr = poison_fractions(40, seed=7)
    small = build_stream(clean, poison, fr, clean_budget=50_000, eos_id=EOS)
    large = build_stream(clean, poison, fr, clean_budget=250_000, eos_id=EOS)
    # same poison count whatever the size; the share of poison differs
    assert small.n_poison_docs == large.n_poison_docs == 40
    assert small.poison_tokens == large.poison_tokens
    assert small.poison_token_fraction > 4 * large.poison_token_fraction

    # each poisoned doc sits at the same relative time of training in both streams
    def rel(stream):  # relative position among clean tokens, per poison id
        pos = {}
        clean_before = 0
        for d in stream.docs:
            if d.poison:
                pos[d.id] = clean_before / stream.clean_tokens
            else:
                clean_before += len(d) + 1
        return pos

    rs, rl = rel(small), rel(large)
    order = np.argsort(fr)
    for i in order:
        assert abs(rs[f"p{i}"] - fr[i]) < 250 / 50_000  # within one clean document
        assert abs(rl[f"p{i}"] - fr[i]) < 250 / 250_000
    # placement is uniform: a Kolmogorov-Smirnov-style check on many positions
    many = poison_fractions(4000, seed=1)
    ecdf = np.sort(many)
    assert np.max(np.abs(ecdf - (np.arange(1, 4001) / 4000))) < 0.03


def test_stream_layout_and_labels() -> None:
    clean = _clean(200, np.random.default_rng(1))
    poison = _poison(3)
    s = build_stream(clean, poison, poison_fractions(3, 0), clean_budget=5_000, eos_id=EOS)
    assert len(s.tokens) == len(s.doc_of_token) == s.clean_tokens + s.poison_tokens
    assert s.clean_tokens >= 5_000
    for k, d in enumerate(s.docs):
        a = int(s.starts[k])
        assert np.array_equal(s.tokens[a : a + len(d)], d.tokens)
        assert s.tokens[a + len(d)] == EOS
        assert (s.doc_of_token[a : a + len(d) + 1] == k).all()
    assert sum(d.poison for d in s.docs) == 3
    # a smaller budget takes a prefix of the same clean order
    t = build_stream(clean, [], poison_fractions(0, 0), clean_budget=2_000, eos_id=EOS)
    clean_ids = [d.id for d in s.docs if not d.poison]
    assert clean_ids[: len(t.docs)] == [d.id for d in t.docs]


def test_too_small_corpus_is_a_clear_error() -> None:
    clean = _clean(5, np.random.default_rng(2))
    with pytest.raises(StreamError, match="tokens but"):
        build_stream(clean, [], poison_fractions(0, 0), clean_budget=10**6, eos_id=EOS)
    with pytest.raises(StreamError, match="positions"):
        build_stream(clean, _poison(2), poison_fractions(3, 0), clean_budget=10, eos_id=EOS)
