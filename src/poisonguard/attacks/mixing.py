"""Placing poisoned documents at uniformly random positions of a clean stream."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence, Sized
from typing import TypeVar

import numpy as np

from poisonguard.attacks.base import PoisonSample
from poisonguard.io import Document

T = TypeVar("T")


def insertion_plan(n_clean: int, n_poison: int, seed: int) -> np.ndarray:
    """For each poison sample, the number of clean documents that precede it.

    The ``n_poison`` poisoned documents take a uniformly random set of positions among the
    ``n_clean + n_poison`` output positions, and they are assigned to those positions in a
    uniformly random order.  Returns an int array aligned with the samples (non-decreasing
    only after sorting).
    """
    rng = np.random.default_rng([seed, 0x6D6978])  # separate stream from generation
    total = n_clean + n_poison
    slots = (
        np.sort(rng.choice(total, size=n_poison, replace=False))
        if n_poison
        else np.zeros(0, dtype=np.int64)
    )
    before = slots - np.arange(n_poison)  # clean docs before the k-th poison slot
    order = rng.permutation(n_poison)
    plan = np.empty(n_poison, dtype=np.int64)
    plan[order] = before
    return plan


def interleave(
    clean: Iterable[T],
    samples: Sequence[PoisonSample],
    plan: np.ndarray,
) -> Iterator[tuple[T | Document, PoisonSample | None]]:
    """Yield ``(item, None)`` for clean items and ``(document, sample)`` for poison, in order.

    ``plan`` comes from :func:`insertion_plan`.  Poison planned after the last clean item is
    yielded at the end.
    """
    order = np.argsort(plan, kind="stable")
    k = 0
    for n_seen, item in enumerate(clean):
        while k < len(order) and plan[order[k]] <= n_seen:
            s = samples[int(order[k])]
            yield s.document, s
            k += 1
        yield item, None
    while k < len(order):
        s = samples[int(order[k])]
        yield s.document, s
        k += 1


def mix_poison(
    clean: Iterable[Document],
    samples: Sequence[PoisonSample],
    seed: int,
    *,
    total: int | None = None,
) -> Iterator[Document]:
    """Clean documents with the poisoned ones at uniformly random positions.

    Streaming: ``clean`` is read once.  The number of clean documents must be known to place
    poison uniformly: ``len(clean)`` when it has one, else ``total``; when neither is given
    the clean documents are first collected into a list.
    """
    if total is None:
        if isinstance(clean, Sized):
            total = len(clean)
        else:
            clean = list(clean)
            total = len(clean)
    plan = insertion_plan(total, len(samples), seed)
    for doc, _ in interleave(clean, samples, plan):
        yield doc
