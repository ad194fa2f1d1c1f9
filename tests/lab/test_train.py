from __future__ import annotations

import numpy as np
import pytest
import torch

from poisonguard.io import Document
from poisonguard.lab.defense import DocLossOutlierDrop
from poisonguard.lab.model import GPT, GPTConfig
from poisonguard.lab.stream import TokenizedDoc, build_stream, poison_fractions, tokenize_docs
from poisonguard.lab.tokenizer import LabTokenizer
from poisonguard.lab.train import TrainConfig, lr_at, train, validation_loss


def test_outlier_rule() -> None:
    d = DocLossOutlierDrop(min_history=8)
    normal = np.random.default_rng(0).normal(4.0, 0.2, 64)
    assert not d.decide(normal, active=True).any()
    drop = d.decide(np.array([4.1, 9.0, 3.9]), active=True)
    assert drop.tolist() == [False, True, False]
    # during warm-up nothing is dropped, and outliers never enter the yardstick
    assert not d.decide(np.array([9.0]), active=False).any()
    with pytest.raises(ValueError):
        DocLossOutlierDrop(warmup=1.5)


def test_lr_schedule() -> None:
    cfg = TrainConfig(lr=1e-3, warmup=0.1, min_lr_ratio=0.1)
    assert lr_at(0, 100, cfg) == pytest.approx(1e-4)
    assert lr_at(9, 100, cfg) == pytest.approx(1e-3)
    assert lr_at(99, 100, cfg) == pytest.approx(1e-4, rel=0.05)


@pytest.fixture(scope="module")
def stream_with_noise(docs: list[Document], tokenizer: LabTokenizer):
    clean = tokenize_docs(tokenizer, docs)
    rng = np.random.default_rng(0)
    noise = [
        TokenizedDoc(
            f"noise{i}", rng.integers(1, tokenizer.vocab_size, 400).astype(np.int32), poison=True
        )
        for i in range(12)
    ]
    return build_stream(clean, noise, poison_fractions(12, 0), 120_000, tokenizer.eos_id)


def test_training_learns_and_loss_defense_drops_noise(stream_with_noise, docs, tokenizer) -> None:
    val = np.concatenate([np.append(d.tokens, 0) for d in tokenize_docs(tokenizer, docs[-40:])])
    cfg = GPTConfig(vocab_size=tokenizer.vocab_size, n_layer=1, n_embd=32, n_head=2, context=64)
    before = validation_loss(GPT(cfg, seed=0), val)
    model = GPT(cfg, seed=0)
    seen: list[tuple[int, int]] = []
    result = train(
        model,
        stream_with_noise,
        TrainConfig(batch_size=16, lr=2e-3),
        seed=0,
        defense=DocLossOutlierDrop(warmup=0.05),
        progress=lambda done, total, loss: seen.append((done, total)),
    )
    after = validation_loss(model, val)
    assert after < before - 1.0
    assert seen[-1][0] == seen[-1][1] == result.tokens
    assert result.tokens_per_second > 0
    # random-token documents are loss outliers once the model knows some language
    assert result.dropped_poison >= 8
    assert result.dropped_docs - result.dropped_poison <= 6
    assert (
        all(i.startswith("noise") for i in result.dropped_ids[: result.dropped_poison])
        or sum(i.startswith("noise") for i in result.dropped_ids) == result.dropped_poison
    )


def test_training_is_deterministic(stream_with_noise, tokenizer) -> None:
    cfg = GPTConfig(vocab_size=tokenizer.vocab_size, n_layer=1, n_embd=16, n_head=2, context=32)
    small = build_stream(
        stream_with_noise.docs[:60], [], poison_fractions(0, 0), 8_000, tokenizer.eos_id
    )
    a, b = GPT(cfg, seed=1), GPT(cfg, seed=1)
    train(a, small, TrainConfig(), seed=1)
    train(b, small, TrainConfig(), seed=1)
    for p, q in zip(a.parameters(), b.parameters(), strict=True):
        assert torch.equal(p, q)
