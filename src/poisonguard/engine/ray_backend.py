"""Ray backend: the same ``fn(context, shard)`` as Ray tasks (``pip install ray``).

The context is put in the object store once per :meth:`RayBackend.map` call; shards are
submitted with at most ``max_in_flight`` outstanding and results are returned in input
order.  Connects to a running cluster when ``address`` is given (or ``RAY_ADDRESS`` is
set), otherwise starts a local Ray with ``workers`` CPUs.
"""

from __future__ import annotations

import os
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from typing import Any, TypeVar

from poisonguard.engine.base import EngineError

C = TypeVar("C")
T = TypeVar("T")
R = TypeVar("R")


def _ray() -> Any:
    try:
        import ray
    except ImportError as e:  # pragma: no cover - depends on the environment
        raise EngineError("the Ray backend needs ray: pip install 'poisonguard[ray]'") from e
    return ray


def _apply(fn: Any, context: Any, item: Any) -> Any:
    return fn(context, item)


class RayBackend:
    """Run ``fn`` as Ray tasks."""

    name = "ray"

    def __init__(
        self,
        workers: int | None = None,
        *,
        address: str | None = None,
        max_in_flight: int | None = None,
    ) -> None:
        ray = _ray()
        self.workers = max(1, workers if workers is not None else (os.cpu_count() or 1))
        self.max_in_flight = max_in_flight or 2 * self.workers
        self._started = False
        if not ray.is_initialized():
            address = address or os.environ.get("RAY_ADDRESS")
            if address:
                ray.init(address=address, ignore_reinit_error=True, log_to_driver=False)
            else:
                ray.init(
                    num_cpus=self.workers,
                    include_dashboard=False,
                    ignore_reinit_error=True,
                    log_to_driver=False,
                    configure_logging=False,
                )
            self._started = True
        self._task = ray.remote(num_cpus=1)(_apply)

    def map(self, fn: Callable[[C, T], R], items: Iterable[T], context: C) -> Iterator[R]:
        ray = _ray()
        fn_ref = ray.put(fn)
        ctx_ref = ray.put(context)
        pending: deque[Any] = deque()
        try:
            for item in items:
                pending.append(self._task.remote(fn_ref, ctx_ref, item))
                if len(pending) >= self.max_in_flight:
                    yield self._get(pending.popleft())
            while pending:
                yield self._get(pending.popleft())
        finally:
            for ref in pending:
                ray.cancel(ref, force=True)

    @staticmethod
    def _get(ref: Any) -> Any:
        ray = _ray()
        try:
            return ray.get(ref)
        except ray.exceptions.RayError as e:
            raise EngineError(f"a Ray task failed: {e}") from e

    def close(self) -> None:
        """Shut Ray down if this backend started it."""
        if self._started:
            _ray().shutdown()
            self._started = False


__all__ = ["RayBackend"]
