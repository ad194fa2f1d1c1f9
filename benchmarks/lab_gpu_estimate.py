"""FLOP and step count of the lab's gpu preset (the basis of its time estimate).

Run by hand (not a test)::

    python benchmarks/lab_gpu_estimate.py [--tflops 40] [--step-ms 10] [--call-ms 3]

Counts, over every cell of ``PRESETS["gpu"]``: training FLOPs ``(6·N + 12·layers·ctx·d)·D``
(weights and causal attention, forward + backward), the defenses' scoring passes (one
forward per token; the perplexity filter scores 1.1·D tokens with the largest model),
evaluation FLOPs (16 generations of ``new_tokens`` steps per cell, without a KV cache), the
number of optimiser steps, and the number of sequential forward calls evaluation makes.
The rates are assumptions (no GPU has run it): a sustained FLOP rate, a time per optimiser
step when tiny models are launch-bound, and a time per generation call.
"""

from __future__ import annotations

import argparse
import math

from poisonguard.lab.grid import PRESETS, grid_cells
from poisonguard.lab.model import SIZES, count_params


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--tflops", type=float, default=40.0, help="assumed sustained TFLOP/s")
    ap.add_argument("--step-ms", type=float, default=10.0, help="assumed ms per step")
    ap.add_argument("--call-ms", type=float, default=3.0, help="assumed ms per eval call")
    args = ap.parse_args()
    spec = PRESETS["gpu"]
    m = spec.metric
    judge = SIZES[spec.judge_size]
    n_judge = count_params(judge.config(spec.vocab_size))
    train = score = ev = 0.0
    steps = calls = 0
    cells = grid_cells(spec)
    gens = 3 * 2 + 2 * (2 + len(m.control_strings(spec.trigger)))
    for c in cells:
        s = SIZES[c.size]
        n = count_params(s.config(spec.vocab_size))
        d = spec.tokens_per_param * n * c.mult
        att = 12 * s.n_layer * s.context * s.n_embd
        train += (6 * n + att) * d
        steps += math.ceil(d / s.context / spec.train.batch_size)
        if c.defense == "losstrunc":
            score += (2 * n + att / 3) * d
        if c.defense == "pplfilter":
            score += (2 * n_judge + 4 * judge.n_layer * judge.context * judge.n_embd) * d * 1.1
        avg_len = m.prompt_tokens + 6 + m.new_tokens / 2
        ev += gens * m.new_tokens * m.prompts * avg_len * 2 * n * 1.5  # + judge/self scoring
        calls += gens * m.new_tokens
    total = train + score + ev
    print(
        f"{len(cells)} cells; FLOPs: training {train:.3g}, defense scoring {score:.3g}, "
        f"evaluation {ev:.3g}, total {total:.3g}"
    )
    print(f"at {args.tflops:g} TFLOP/s: {total / args.tflops / 1e12:,.0f} s")
    print(f"{steps:,} optimiser steps at {args.step_ms:g} ms: {steps * args.step_ms / 1e3:,.0f} s")
    print(
        f"{calls:,} sequential evaluation calls at {args.call_ms:g} ms: "
        f"{calls * args.call_ms / 1e3:,.0f} s"
    )


if __name__ == "__main__":
    main()
