"""Local backend: the calling process (``workers=1``) or a pool of worker processes."""

from __future__ import annotations

import multiprocessing as mp
import os
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import Any, TypeVar

from poisonguard.engine.base import EngineError

C = TypeVar("C")
T = TypeVar("T")
R = TypeVar("R")

_CONTEXT: Any = None
_FN: Any = None


def _init_worker(fn: Any, context: Any) -> None:
    global _CONTEXT, _FN
    _FN, _CONTEXT = fn, context


def _call(item: Any) -> Any:
    return _FN(_CONTEXT, item)


class LocalBackend:
    """Run ``fn`` in this process (``workers <= 1``) or in ``workers`` processes.

    A fresh pool is started for each :meth:`map` call with the context installed by the
    pool initializer (with the ``fork`` start method the context is inherited, never
    pickled); results are yielded in input order with at most ``max_in_flight`` shards
    outstanding.
    """

    name = "local"

    def __init__(
        self,
        workers: int | None = None,
        *,
        max_in_flight: int | None = None,
        start_method: str | None = None,
    ) -> None:
        self.workers = max(1, workers if workers is not None else (os.cpu_count() or 1))
        self.max_in_flight = max_in_flight or 2 * self.workers
        methods = mp.get_all_start_methods()
        self.start_method = start_method or ("fork" if "fork" in methods else "spawn")

    def map(self, fn: Callable[[C, T], R], items: Iterable[T], context: C) -> Iterator[R]:
        if self.workers <= 1:
            for item in items:
                yield fn(context, item)
            return
        ctx = mp.get_context(self.start_method)
        pool = ProcessPoolExecutor(
            max_workers=self.workers,
            mp_context=ctx,
            initializer=_init_worker,
            initargs=(fn, context),
        )
        pending: deque[Future[R]] = deque()
        try:
            for item in items:
                pending.append(pool.submit(_call, item))
                if len(pending) >= self.max_in_flight:
                    yield _result(pending.popleft())
            while pending:
                yield _result(pending.popleft())
        finally:
            for f in pending:
                f.cancel()
            pool.shutdown(wait=True, cancel_futures=True)

    def close(self) -> None:
        """Nothing to release: pools live only for one :meth:`map` call."""


def _result(future: Future[R]) -> R:
    try:
        return future.result()
    except BrokenProcessPool as e:
        raise EngineError(f"a worker process died (out of memory?): {e}") from e


__all__ = ["LocalBackend"]
