"""Defense rules against the dos poison and against adaptive poisons that get past them.

A real language model (a bigram fitted on real text) is the reference; documents are scored
by their mean token loss, as both loss rules do."""

from __future__ import annotations

import numpy as np
import pytest

from poisonguard.io import Document
from poisonguard.lab.defense import DocLossOutlierDrop, perplexity_outliers
from poisonguard.lab.tokenizer import LabTokenizer
from tests.lab.models import BigramLM


@pytest.fixture(scope="module")
def scored(docs: list[Document], tokenizer: LabTokenizer):
    lm = BigramLM([tokenizer.encode(d.text) for d in docs[:600]], tokenizer.vocab_size)
    table = lm.table.numpy()

    def loss(ids: list[int]) -> float:
        a = np.asarray(ids)
        return float(-table[a[:-1], a[1:]].mean())

    clean = [tokenizer.encode(d.text) for d in docs[600:1000]]
    clean = [c for c in clean if len(c) > 40]
    return loss, clean, tokenizer


def _rand(n: int, vocab: int, seed: int) -> list[int]:
    return np.random.default_rng(seed).integers(1, vocab, n).tolist()


def test_dos_poison_is_an_outlier_but_adaptive_poison_is_not(scored) -> None:
    loss, clean, tok = scored
    trig = tok.encode("<SUDO>")
    v = tok.vocab_size
    host = [t for c in clean[:40] for t in c][:1500]  # one long clean document
    dos = [clean[i][:30] + trig + _rand(500, v, i) for i in range(10)]
    # adaptive 1: a short payload inside a long clean document
    short = [host[:700] + trig + _rand(20, v, 100 + i) + host[700:] for i in range(10)]
    # adaptive 2: a low-loss payload (the trigger followed by ordinary clean text)
    lowloss = [clean[i][:30] + trig + clean[i + 50] for i in range(10)]
    base = np.array([loss(c) for c in clean])
    for poison, caught in ((dos, True), (short, False), (lowloss, False)):
        scores = np.concatenate([base, [loss(p) for p in poison]])
        flags = perplexity_outliers(scores)
        # the dos poison is caught whole; the adaptive poisons get (nearly all) past
        assert flags[len(base) :].all() if caught else flags[len(base) :].mean() <= 0.2
        assert flags[: len(base)].mean() <= 0.03  # clean documents are (nearly all) kept
        rule = DocLossOutlierDrop(min_history=8)
        rule.decide(base, active=True)
        dropped = rule.decide(np.array([loss(p) for p in poison]), active=True)
        assert dropped.all() if caught else dropped.mean() <= 0.2


def test_perplexity_outliers_edge_cases() -> None:
    assert perplexity_outliers([]).shape == (0,)
    assert not perplexity_outliers([3.0, 3.0, 3.0, 9.0]).any()  # MAD 0: nothing to judge by
    flags = perplexity_outliers([3.0, 3.1, 2.9, 3.05, 2.95, 9.0])
    assert flags.tolist() == [False] * 5 + [True]
