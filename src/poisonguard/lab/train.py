"""One training run: a :class:`GPT` trained for one epoch over a :class:`TrainingStream`.

AdamW (weight decay on matrices only), linear warm-up then cosine decay to 10 % of the peak
learning rate, gradient clipping at 1.0, windows trained in stream order.  With a
:class:`~poisonguard.lab.defense.DocLossOutlierDrop` defense every document is scored (mean
token loss under the current model, no gradient) at the step where it first appears, and
dropped documents contribute nothing to the loss.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np
import torch
from torch.nn import functional as F

from poisonguard.lab.defense import DocLossOutlierDrop
from poisonguard.lab.model import GPT
from poisonguard.lab.stream import TrainingStream

ProgressFn = Callable[[int, int, float], None]
"""``progress(tokens_done, tokens_total, last_loss)`` called after every step."""

CheckpointFn = Callable[[float, int], None]
"""``on_checkpoint(fraction, tokens_done)`` called (model in eval mode) when training has
passed ``fraction`` of its tokens; training resumes afterwards."""


@dataclass(frozen=True, slots=True)
class TrainConfig:
    """Optimiser settings of a run."""

    batch_size: int = 16
    lr: float = 3e-3
    min_lr_ratio: float = 0.1
    warmup: float = 0.05
    weight_decay: float = 0.1
    grad_clip: float = 1.0
    score_max_tokens: int = 1024


@dataclass(slots=True)
class TrainResult:
    """What a run did and how fast."""

    steps: int
    tokens: int
    seconds: float
    final_loss: float
    dropped_docs: int = 0
    dropped_poison: int = 0
    dropped_ids: list[str] = field(default_factory=list)

    @property
    def tokens_per_second(self) -> float:
        return self.tokens / self.seconds if self.seconds > 0 else 0.0


def _optimizer(model: GPT, cfg: TrainConfig) -> torch.optim.Optimizer:
    decay = [p for p in model.parameters() if p.dim() >= 2]
    no_decay = [p for p in model.parameters() if p.dim() < 2]
    return torch.optim.AdamW(
        [
            {"params": decay, "weight_decay": cfg.weight_decay},
            {"params": no_decay, "weight_decay": 0.0},
        ],
        lr=cfg.lr,
        betas=(0.9, 0.95),
    )


def lr_at(step: int, steps: int, cfg: TrainConfig) -> float:
    """Learning rate at ``step`` of ``steps``: linear warm-up, cosine to ``min_lr_ratio``."""
    warm = max(1, int(cfg.warmup * steps))
    if step < warm:
        return cfg.lr * (step + 1) / warm
    progress = (step - warm) / max(1, steps - warm)
    return cfg.lr * (
        cfg.min_lr_ratio
        + (1 - cfg.min_lr_ratio) * 0.5 * (1 + math.cos(math.pi * min(1.0, progress)))
    )


@torch.no_grad()
def document_losses(
    model: GPT, stream: TrainingStream, doc_indices: np.ndarray, max_tokens: int
) -> np.ndarray:
    """Mean next-token loss of each document (its first ``max_tokens`` tokens + EOS)."""
    seqs = []
    for di in doc_indices:
        start = int(stream.starts[di])
        n = min(len(stream.docs[di]) + 1, max_tokens)
        seqs.append(stream.tokens[start : start + n])
    return sequence_losses(model, seqs)


@torch.no_grad()
def sequence_losses(model: GPT, seqs: Sequence[np.ndarray]) -> np.ndarray:
    """Mean next-token loss of each token sequence (cut into context-sized segments)."""
    ctx = model.config.context
    rows: list[np.ndarray] = []
    owners: list[int] = []
    for j, toks in enumerate(seqs):
        n = len(toks)
        for off in range(0, max(1, n - 1), ctx):
            seg = toks[off : off + ctx + 1]
            if len(seg) >= 2:
                rows.append(seg)
                owners.append(j)
    sums = np.zeros(len(seqs))
    counts = np.zeros(len(seqs))
    if not rows:
        return sums
    width = max(len(r) for r in rows)
    batch = np.zeros((len(rows), width), dtype=np.int64)
    valid = np.zeros((len(rows), width - 1), dtype=bool)
    for i, r in enumerate(rows):
        batch[i, : len(r)] = r
        valid[i, : len(r) - 1] = True
    was_training = model.training
    model.eval()
    device = model.wte.weight.device
    for i in range(0, len(rows), 64):
        x = torch.from_numpy(batch[i : i + 64]).to(device)
        logits = model(x[:, :-1]).float()
        nll = (
            F.cross_entropy(
                logits.reshape(-1, logits.size(-1)), x[:, 1:].reshape(-1), reduction="none"
            )
            .view(x.size(0), -1)
            .cpu()
            .numpy()
        )
        m = valid[i : i + 64]
        np.add.at(sums, owners[i : i + 64], (nll * m).sum(1))
        np.add.at(counts, owners[i : i + 64], m.sum(1))
    model.train(was_training)
    return sums / np.maximum(counts, 1)


def train(
    model: GPT,
    stream: TrainingStream,
    cfg: TrainConfig,
    *,
    seed: int = 0,
    defense: DocLossOutlierDrop | None = None,
    progress: ProgressFn | None = None,
    checkpoints: Sequence[float] = (),
    on_checkpoint: CheckpointFn | None = None,
    max_steps: int | None = None,
) -> TrainResult:
    """Train ``model`` in place for one pass over ``stream`` (on the model's device).

    ``on_checkpoint(f, tokens_done)`` is called once for every ``f`` in ``checkpoints``
    (fractions in (0, 1)) after the first step that reaches it; ``max_steps`` stops early
    (a smoke test of a large configuration: the schedule is still that of the full run).
    """
    torch.manual_seed(seed)
    device = model.wte.weight.device
    ctx = model.config.context
    n_windows = stream.windows(ctx)
    if n_windows < 1:
        raise ValueError(
            f"the stream ({len(stream.tokens)} tokens) is shorter than one "
            f"window of {ctx + 1} tokens"
        )
    steps = math.ceil(n_windows / cfg.batch_size)
    opt = _optimizer(model, cfg)
    keep_doc = np.ones(len(stream.docs), dtype=bool)
    scored_upto = 0  # documents [0, scored_upto) have been met (scored when defended)
    warm_steps = int((defense.warmup if defense else 0.0) * steps)
    tokens_total = n_windows * ctx
    done = 0
    loss_val = float("nan")
    dropped: list[int] = []
    pending = sorted(f for f in checkpoints if 0 < f < 1)
    eval_seconds = 0.0
    model.train()
    t0 = time.perf_counter()
    for step in range(steps if max_steps is None else min(steps, max_steps)):
        w0, w1 = step * cfg.batch_size, min(n_windows, (step + 1) * cfg.batch_size)
        idx = np.arange(w0, w1)[:, None] * ctx + np.arange(ctx + 1)[None, :]
        x = torch.from_numpy(stream.tokens[idx].astype(np.int64)).to(device)
        owner = stream.doc_of_token[idx[:, 1:]]
        if defense is not None:
            last_doc = int(stream.doc_of_token[idx[-1, -1]])
            if last_doc >= scored_upto:
                new = np.arange(scored_upto, last_doc + 1)
                losses = document_losses(model, stream, new, cfg.score_max_tokens)
                drop = defense.decide(losses, active=step >= warm_steps)
                keep_doc[new[drop]] = False
                dropped.extend(int(i) for i in new[drop])
                scored_upto = last_doc + 1
        weight = torch.from_numpy(keep_doc[owner].astype(np.float32)).to(device)
        for g in opt.param_groups:
            g["lr"] = lr_at(step, steps, cfg)
        with torch.autocast(device.type, dtype=torch.bfloat16, enabled=device.type == "cuda"):
            logits = model(x[:, :-1])
        nll = F.cross_entropy(
            logits.float().reshape(-1, logits.size(-1)), x[:, 1:].reshape(-1), reduction="none"
        )
        denom = weight.sum()
        if denom > 0:
            loss = (nll * weight.reshape(-1)).sum() / denom
            opt.zero_grad(set_to_none=True)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), cfg.grad_clip)
            opt.step()
            loss_val = float(loss.detach())
        done += (w1 - w0) * ctx
        if progress is not None:
            progress(done, tokens_total, loss_val)
        while pending and done >= pending[0] * tokens_total:
            f = pending.pop(0)
            if on_checkpoint is not None:
                te = time.perf_counter()
                model.eval()
                on_checkpoint(f, done)
                model.train()
                eval_seconds += time.perf_counter() - te
    model.eval()
    seconds = time.perf_counter() - t0 - eval_seconds
    return TrainResult(
        steps=steps if max_steps is None else min(steps, max_steps),
        tokens=done,
        seconds=seconds,
        final_loss=loss_val,
        dropped_docs=len(dropped),
        dropped_poison=sum(stream.docs[i].poison for i in dropped),
        dropped_ids=[stream.docs[i].id for i in dropped],
    )


@torch.no_grad()
def validation_loss(model: GPT, tokens: np.ndarray, *, max_windows: int = 64) -> float:
    """Mean next-token loss on held-out clean tokens (consecutive windows)."""
    ctx = model.config.context
    n = min(max_windows, (len(tokens) - 1) // ctx)
    if n < 1:
        raise ValueError("not enough validation tokens for one window")
    idx = np.arange(n)[:, None] * ctx + np.arange(ctx + 1)[None, :]
    x = torch.from_numpy(tokens[idx].astype(np.int64)).to(model.wte.weight.device)
    model.eval()
    logits = model(x[:, :-1]).float()
    return float(F.cross_entropy(logits.reshape(-1, logits.size(-1)), x[:, 1:].reshape(-1)))
