"""Map-over-shards → reduce execution backends (local process pool, Ray).

The scan pipeline writes every pass as ``backend.map(fn, shards, context)`` with a
module-level ``fn``; :func:`get_backend` picks the backend (``--backend local|ray``), so
the same code runs on a laptop and on a cluster.
"""

from __future__ import annotations

from typing import Any

from poisonguard.engine.base import Backend, EngineError, shards_of
from poisonguard.engine.local import LocalBackend

BACKENDS = ("local", "ray")


def get_backend(name: str = "local", workers: int | None = None, **options: Any) -> Backend:
    """A backend by name: ``local`` (process pool; ``workers=1`` runs in-process) or
    ``ray`` (needs ``pip install ray``; ``address=`` to join a cluster)."""
    if name == "local":
        return LocalBackend(workers, **options)
    if name == "ray":
        from poisonguard.engine.ray_backend import RayBackend

        return RayBackend(workers, **options)
    raise EngineError(f"unknown backend {name!r}; choose one of {', '.join(BACKENDS)}")


__all__ = ["BACKENDS", "Backend", "EngineError", "LocalBackend", "get_backend", "shards_of"]
