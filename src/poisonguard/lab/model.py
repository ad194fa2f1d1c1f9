"""A compact GPT-style decoder (pre-LayerNorm, causal self-attention) and its checkpoints.

The model is deliberately small and self-contained: token + learned position embeddings,
``n_layer`` pre-LN blocks (causal attention through
:func:`torch.nn.functional.scaled_dot_product_attention`, GELU MLP of width ``4·d``), a final
LayerNorm and an output head tied to the token embedding.  Nothing is downloaded: every
model is randomly initialised from a seed.

Checkpoints are a directory with ``model.safetensors`` (weights), ``config.json`` (the
:class:`GPTConfig`) and, when known, ``tokenizer.json``.
"""

from __future__ import annotations

import json
import math
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import torch
from safetensors.torch import load_file, save_file
from torch import Tensor, nn
from torch.nn import functional as F

from poisonguard.io import AtomicFile, write_json


@dataclass(frozen=True, slots=True)
class GPTConfig:
    """Shape of a decoder.

    Attributes:
        vocab_size: tokenizer vocabulary size.
        n_layer: number of transformer blocks.
        n_embd: model width ``d``.
        n_head: attention heads (``n_embd`` must be divisible by it).
        context: maximum sequence length (learned position embeddings).
        dropout: dropout probability (0 for the tiny from-scratch runs).
    """

    vocab_size: int
    n_layer: int
    n_embd: int
    n_head: int
    context: int
    dropout: float = 0.0

    def __post_init__(self) -> None:
        for name in ("vocab_size", "n_layer", "n_embd", "n_head", "context"):
            if int(getattr(self, name)) < 1:
                raise ValueError(f"GPTConfig.{name} must be >= 1, got {getattr(self, name)}")
        if self.n_embd % self.n_head:
            raise ValueError(f"n_embd={self.n_embd} is not divisible by n_head={self.n_head}")

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> GPTConfig:
        fields = {"vocab_size", "n_layer", "n_embd", "n_head", "context", "dropout"}
        unknown = set(data) - fields
        if unknown:
            raise ValueError(f"unknown GPTConfig fields: {sorted(unknown)}")
        return cls(**data)


@dataclass(frozen=True, slots=True)
class ModelSize:
    """One row of the size table (the vocabulary comes from the tokenizer)."""

    name: str
    n_layer: int
    n_embd: int
    n_head: int
    context: int

    def config(self, vocab_size: int) -> GPTConfig:
        return GPTConfig(
            vocab_size=vocab_size,
            n_layer=self.n_layer,
            n_embd=self.n_embd,
            n_head=self.n_head,
            context=self.context,
        )


SIZES: dict[str, ModelSize] = {
    s.name: s
    for s in (
        # smoke: seconds on a CPU
        ModelSize("nano", n_layer=1, n_embd=32, n_head=2, context=64),
        # cpu preset: minutes each on 2 cores
        ModelSize("t1", n_layer=1, n_embd=24, n_head=2, context=128),
        ModelSize("t2", n_layer=2, n_embd=32, n_head=2, context=128),
        ModelSize("t3", n_layer=2, n_embd=48, n_head=2, context=128),
        # gpu preset: one H100-class GPU (defined, not yet run); 11x span in parameters at
        # the preset's 2048-entry vocabulary, sized to the English text at hand
        ModelSize("g1", n_layer=2, n_embd=48, n_head=2, context=256),
        ModelSize("g2", n_layer=4, n_embd=96, n_head=4, context=256),
        ModelSize("g3", n_layer=6, n_embd=144, n_head=4, context=256),
    )
}
"""Named model sizes used by the presets (see ``docs/lab.md`` for parameter counts)."""


class CausalSelfAttention(nn.Module):
    """Multi-head causal self-attention with a fused QKV projection."""

    def __init__(self, cfg: GPTConfig) -> None:
        super().__init__()
        self.n_head = cfg.n_head
        self.qkv = nn.Linear(cfg.n_embd, 3 * cfg.n_embd)
        self.proj = nn.Linear(cfg.n_embd, cfg.n_embd)
        self.dropout = cfg.dropout

    def forward(self, x: Tensor) -> Tensor:
        b, t, c = x.shape
        q, k, v = self.qkv(x).split(c, dim=2)
        shape = (b, t, self.n_head, c // self.n_head)
        q, k, v = (z.view(shape).transpose(1, 2) for z in (q, k, v))
        y = F.scaled_dot_product_attention(
            q, k, v, is_causal=True, dropout_p=self.dropout if self.training else 0.0
        )
        return self.proj(y.transpose(1, 2).contiguous().view(b, t, c))


class Block(nn.Module):
    """Pre-LN transformer block: ``x + attn(ln(x))`` then ``x + mlp(ln(x))``."""

    def __init__(self, cfg: GPTConfig) -> None:
        super().__init__()
        self.ln1 = nn.LayerNorm(cfg.n_embd)
        self.attn = CausalSelfAttention(cfg)
        self.ln2 = nn.LayerNorm(cfg.n_embd)
        self.mlp = nn.Sequential(
            nn.Linear(cfg.n_embd, 4 * cfg.n_embd),
            nn.GELU(),
            nn.Linear(4 * cfg.n_embd, cfg.n_embd),
            nn.Dropout(cfg.dropout),
        )

    def forward(self, x: Tensor) -> Tensor:
        x = x + self.attn(self.ln1(x))
        return x + self.mlp(self.ln2(x))


class GPT(nn.Module):
    """Decoder-only transformer language model.

    ``forward(idx)`` maps token ids ``(B, T)`` (``T <= context``) to next-token logits
    ``(B, T, vocab_size)``.  This is the whole interface the metric code relies on (see
    :class:`poisonguard.lab.metric.LanguageModel`).
    """

    def __init__(self, cfg: GPTConfig, seed: int = 0) -> None:
        super().__init__()
        self.config = cfg
        gen = torch.Generator().manual_seed(seed)
        self.wte = nn.Embedding(cfg.vocab_size, cfg.n_embd)
        self.wpe = nn.Embedding(cfg.context, cfg.n_embd)
        self.drop = nn.Dropout(cfg.dropout)
        self.blocks = nn.ModuleList(Block(cfg) for _ in range(cfg.n_layer))
        self.ln_f = nn.LayerNorm(cfg.n_embd)
        self._init(gen)

    def _init(self, gen: torch.Generator) -> None:
        # GPT-2 style: N(0, 0.02), residual projections scaled by 1/sqrt(2·n_layer).
        resid_std = 0.02 / math.sqrt(2 * self.config.n_layer)
        for name, p in self.named_parameters():
            with torch.no_grad():
                if p.dim() == 1:
                    if name.endswith("weight"):
                        p.fill_(1.0)
                    else:
                        p.zero_()
                else:
                    std = resid_std if name.endswith(("proj.weight", "mlp.2.weight")) else 0.02
                    p.copy_(torch.randn(p.shape, generator=gen) * std)

    def forward(self, idx: Tensor) -> Tensor:
        _, t = idx.shape
        if t > self.config.context:
            raise ValueError(f"sequence of {t} tokens exceeds the context of {self.config.context}")
        pos = torch.arange(t, device=idx.device)
        x = self.drop(self.wte(idx) + self.wpe(pos))
        for block in self.blocks:
            x = block(x)
        return F.linear(self.ln_f(x), self.wte.weight)  # tied output head

    @property
    def context(self) -> int:
        """Maximum sequence length."""
        return self.config.context

    def num_params(self) -> int:
        """Trainable parameters (the tied embedding is counted once)."""
        return sum(p.numel() for p in self.parameters())


def count_params(cfg: GPTConfig) -> int:
    """Parameter count of a :class:`GPT` with config ``cfg`` (without building it)."""
    d, v, layers = cfg.n_embd, cfg.vocab_size, cfg.n_layer
    ln = 2 * 2 * d
    attn = (3 * d * d + 3 * d) + (d * d + d)
    mlp = (4 * d * d + 4 * d) + (4 * d * d + d)
    per_block = ln + attn + mlp
    return v * d + cfg.context * d + layers * per_block + 2 * d


def save_checkpoint(
    model: GPT,
    directory: Path,
    *,
    tokenizer_json: str | None = None,
    extra: dict[str, Any] | None = None,
) -> Path:
    """Write ``model.safetensors`` + ``config.json`` (+ ``tokenizer.json``) into ``directory``."""
    directory.mkdir(parents=True, exist_ok=True)
    state = {k: v.detach().cpu().contiguous().clone() for k, v in model.state_dict().items()}
    tmp = directory / "model.safetensors.tmp"
    save_file(state, str(tmp), metadata={"format": "pt"})
    tmp.replace(directory / "model.safetensors")
    meta = {"model": model.config.to_dict(), "params": model.num_params(), **(extra or {})}
    write_json(directory / "config.json", meta)
    if tokenizer_json is not None:
        with AtomicFile(directory / "tokenizer.json", "w") as f:
            f.fh.write(tokenizer_json)
    return directory


def load_checkpoint(directory: Path) -> tuple[GPT, dict[str, Any]]:
    """Load a checkpoint written by :func:`save_checkpoint`; returns the model and its metadata."""
    cfg_path = directory / "config.json"
    weights = directory / "model.safetensors"
    if not cfg_path.is_file() or not weights.is_file():
        raise FileNotFoundError(
            f"{directory} is not a lab checkpoint (needs config.json and model.safetensors)"
        )
    meta = json.loads(cfg_path.read_text())
    model = GPT(GPTConfig.from_dict(meta["model"]))
    model.load_state_dict(load_file(str(weights)))
    model.eval()
    return model, meta
