"""Training throughput (tokens/s) of every lab model size on this machine.

Run by hand (not a test)::

    nice -n 10 .venv/bin/python benchmarks/lab_throughput.py [--sizes nano,t1,t2,t3,s1] \
        [--steps 20] [--threads 2] [--eval]

Each size trains ``--steps`` AdamW steps (after 3 warm-up steps) on random token batches of
the size's preset: batch 16 × context, vocabulary 320 (nano), 512 (t*), 2048 (g*).  The
forward + backward + optimiser step is what a lab run spends its time on; the document-loss
defense adds one forward pass per token on top.  ``--eval`` also times one cell's evaluation
as the count-vs-pct preset does it (32 prompts of 32 tokens, 32 new tokens; at 25/50/75 %:
sampled, trigger only; at 100 %: greedy and sampled, trigger and three controls) -- its cost
does not depend on the weights, so untrained models are timed.
"""

from __future__ import annotations

import argparse
import os
import time

import torch
from torch.nn import functional as F

from poisonguard.lab.metric import MetricConfig, evaluate_backdoor
from poisonguard.lab.model import GPT, SIZES
from poisonguard.lab.train import TrainConfig, _optimizer

VOCAB = {"nano": 320, "t": 512, "g": 2048}


def measure(size: str, steps: int, batch: int) -> tuple[int, float]:
    vocab = VOCAB[size] if size in VOCAB else VOCAB[size[0]]
    cfg = SIZES[size].config(vocab)
    model = GPT(cfg, seed=0)
    opt = _optimizer(model, TrainConfig())
    x = torch.randint(0, vocab, (batch, cfg.context + 1))
    t0 = 0.0
    for i in range(steps + 3):
        if i == 3:
            t0 = time.perf_counter()
        logits = model(x[:, :-1])
        loss = F.cross_entropy(logits.reshape(-1, vocab), x[:, 1:].reshape(-1))
        opt.zero_grad()
        loss.backward()
        opt.step()
    return model.num_params(), steps * batch * cfg.context / (time.perf_counter() - t0)


def measure_eval(size: str) -> float:
    """Seconds of one cell's evaluation (three checkpoint evaluations and the final one)."""
    vocab = VOCAB[size] if size in VOCAB else VOCAB[size[0]]
    cfg = SIZES[size].config(vocab)
    model, judge = GPT(cfg, seed=0).eval(), GPT(cfg, seed=1).eval()
    m = MetricConfig()
    prompts = torch.randint(1, vocab, (m.prompts, m.prompt_tokens)).tolist()
    trig = [5, 6, 7, 8, 9, 10]
    controls = {f"c{i}": [5 + i, 6, 7, 8, 9, 10] for i in range(3)}
    t0 = time.perf_counter()
    for _ in range(3):
        evaluate_backdoor(model, judge, prompts, trig, m, decoders=("sampled",))
    evaluate_backdoor(model, judge, prompts, trig, m, controls=controls)
    return time.perf_counter() - t0


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", default="nano,t1,t2,t3,g1,g2,g3")
    ap.add_argument("--steps", type=int, default=20)
    ap.add_argument("--batch", type=int, default=16)
    ap.add_argument("--threads", type=int, default=None)
    ap.add_argument("--eval", action="store_true", help="also time one cell's evaluation")
    args = ap.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    print(
        f"torch {torch.__version__}, {torch.get_num_threads()} threads, "
        f"load average {os.getloadavg()[0]:.2f}"
    )
    print("| size | params | layers × width × heads, context | tokens/s (train) |")
    print("|---|---:|---|---:|")
    for size in args.sizes.split(","):
        s = SIZES[size]
        steps = args.steps if s.n_embd < 256 else max(3, args.steps // 5)
        params, tps = measure(size, steps, args.batch)
        print(
            f"| {size} | {params:,} | {s.n_layer} × {s.n_embd} × {s.n_head}, {s.context} "
            f"| {tps:,.0f} |",
            flush=True,
        )
    if args.eval:
        for size in args.sizes.split(","):
            print(f"evaluation of one {size} cell: {measure_eval(size):.1f} s", flush=True)
    print(f"load average after: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
