"""The backend contract: ordered map of a function over items with a broadcast context.

Every pass of a scan is ``backend.map(fn, shards, context)``: ``fn(context, shard)`` runs in
a worker (a local process or a Ray task) and results come back **in input order** while at
most ``max_in_flight`` shards are outstanding, so memory stays bounded whatever the corpus
size.  ``context`` (fitted detectors, reduced corpus state) is shipped to each worker once
per ``map`` call, not once per shard.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from typing import Any, Protocol, TypeVar

C = TypeVar("C")
T = TypeVar("T")
R = TypeVar("R")

MapFn = Callable[[Any, Any], Any]


class Backend(Protocol):
    """What the scan pipeline needs from an execution backend."""

    name: str
    workers: int

    def map(self, fn: Callable[[C, T], R], items: Iterable[T], context: C) -> Iterator[R]:
        """``fn(context, item)`` for every item, yielded in input order."""
        ...

    def close(self) -> None:
        """Release workers (idempotent)."""
        ...


class EngineError(RuntimeError):
    """A backend that cannot be used (unknown name, Ray not installed, worker crash)."""


def shards_of(items: Iterable[T], size: int) -> Iterator[list[T]]:
    """Group an iterable into lists of ``size`` items (the last one may be shorter)."""
    if size < 1:
        raise ValueError("shard size must be >= 1")
    batch: list[T] = []
    for item in items:
        batch.append(item)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


__all__ = ["Backend", "EngineError", "shards_of"]
