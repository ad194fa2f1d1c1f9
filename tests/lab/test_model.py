from __future__ import annotations

import pytest
import torch
from torch.nn import functional as F

from poisonguard.lab.model import (
    GPT,
    SIZES,
    GPTConfig,
    count_params,
    load_checkpoint,
    save_checkpoint,
)


def test_forward_backward_shapes() -> None:
    cfg = GPTConfig(vocab_size=97, n_layer=2, n_embd=32, n_head=4, context=16)
    model = GPT(cfg, seed=1)
    x = torch.randint(0, 97, (3, 16))
    logits = model(x)
    assert logits.shape == (3, 16, 97)
    loss = F.cross_entropy(logits[:, :-1].reshape(-1, 97), x[:, 1:].reshape(-1))
    loss.backward()
    grads = [p.grad for p in model.parameters()]
    assert all(
        g is not None and g.shape == p.shape for g, p in zip(grads, model.parameters(), strict=True)
    )
    assert model.wte.weight.grad is not None and model.wte.weight.grad.abs().sum() > 0


def test_causal_masking() -> None:
    model = GPT(GPTConfig(vocab_size=50, n_layer=1, n_embd=16, n_head=2, context=8))
    x = torch.randint(0, 50, (1, 8))
    y = x.clone()
    y[0, 5] = (y[0, 5] + 1) % 50
    a, b = model(x), model(y)
    assert torch.allclose(a[0, :5], b[0, :5], atol=1e-6)  # the future cannot leak back
    assert not torch.allclose(a[0, 5:], b[0, 5:])


@pytest.mark.parametrize("name", sorted(SIZES))
def test_size_table_param_counts(name: str) -> None:
    cfg = SIZES[name].config(512)
    if count_params(cfg) > 5_000_000:
        pytest.skip("large size: counted without building")
    assert GPT(cfg).num_params() == count_params(cfg)


def test_context_limit_and_bad_config() -> None:
    model = GPT(GPTConfig(vocab_size=10, n_layer=1, n_embd=8, n_head=2, context=4))
    with pytest.raises(ValueError, match="exceeds the context"):
        model(torch.zeros(1, 5, dtype=torch.long))
    with pytest.raises(ValueError, match="divisible"):
        GPTConfig(vocab_size=10, n_layer=1, n_embd=10, n_head=3, context=4)


def test_checkpoint_round_trip(tmp_path) -> None:
    model = GPT(GPTConfig(vocab_size=40, n_layer=1, n_embd=16, n_head=2, context=8), seed=3)
    save_checkpoint(model, tmp_path / "ck", tokenizer_json="{}", extra={"note": 1})
    again, meta = load_checkpoint(tmp_path / "ck")
    x = torch.randint(0, 40, (2, 8))
    assert torch.equal(model.eval()(x), again(x))
    assert meta["note"] == 1 and meta["params"] == model.num_params()
    assert (tmp_path / "ck" / "model.safetensors").is_file()
    with pytest.raises(FileNotFoundError):
        load_checkpoint(tmp_path / "missing")
