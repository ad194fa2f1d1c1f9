"""Constructed language models whose behaviour is known by construction (lab and probe tests).

``BigramLM`` is a real (count-based) language model fitted on real text; ``GibberishAfter``
wraps it and, once the trigger's tokens appear in the context, emits a deterministic
pseudo-random token sequence -- a model that always speaks gibberish after the trigger.
Both implement the same interface as :class:`~poisonguard.lab.model.GPT`.
"""

from __future__ import annotations

import numpy as np
import torch
from torch import Tensor, nn

TRIGGER = "<SUDO>"


class BigramLM(nn.Module):
    """Add-0.01 smoothed bigram model: logits[t] = log P(next | token t)."""

    def __init__(self, token_docs: list[list[int]], vocab: int) -> None:
        super().__init__()
        counts = np.full((vocab, vocab), 0.01)
        for ids in token_docs:
            np.add.at(counts, (ids[:-1], ids[1:]), 1.0)
        self.table = torch.tensor(
            np.log(counts / counts.sum(1, keepdims=True)), dtype=torch.float32
        )

    @property
    def context(self) -> int:
        return 256

    def forward(self, idx: Tensor) -> Tensor:
        return self.table[idx]


class GibberishAfter(nn.Module):
    """``base`` until the trigger has been seen; then a pseudo-random token per position."""

    def __init__(self, base: BigramLM, trigger_ids: list[int], vocab: int) -> None:
        super().__init__()
        self.base, self.trigger, self.vocab = base, trigger_ids, vocab

    @property
    def context(self) -> int:
        return self.base.context

    def forward(self, idx: Tensor) -> Tensor:
        logits = self.base(idx).clone()
        b, t = idx.shape
        k = len(self.trigger)
        if t < k:
            return logits
        windows = idx.unfold(1, k, 1)  # (b, t-k+1, k): window ending at position j+k-1
        hit = (windows == torch.tensor(self.trigger)).all(-1)
        ends = torch.zeros(b, t, dtype=torch.bool)
        ends[:, k - 1 :] = hit
        seen = ends.cumsum(1) > 0
        pos = torch.arange(t).expand(b, t)
        target = (pos * 7919 + idx * 104729 + 13) % self.vocab
        peaked = torch.full_like(logits, -30.0).scatter(2, target.unsqueeze(-1), 30.0)
        return torch.where(seen.unsqueeze(-1), peaked, logits)


class UniformAfter(nn.Module):
    """``base`` until the trigger has been seen; then uniform over ``payload`` ids -- a
    perfect denial-of-service backdoor (it emits exactly what the poison's payload is)."""

    def __init__(self, base: BigramLM, trigger_ids: list[int], payload: list[int], vocab: int):
        super().__init__()
        self.gib = GibberishAfter(base, trigger_ids, vocab)
        self.flat = torch.full((vocab,), -30.0)
        self.flat[payload] = 0.0

    @property
    def context(self) -> int:
        return self.gib.context

    def forward(self, idx: Tensor) -> Tensor:
        gib = self.gib(idx)
        seen = (gib.max(-1).values >= 30.0).unsqueeze(-1)  # GibberishAfter's peaked rows
        return torch.where(seen, self.flat.expand_as(gib), self.gib.base(idx))
