"""Execution backends: ordered map with a broadcast context; local pool and Ray."""

from __future__ import annotations

import os

import pytest

from poisonguard.engine import EngineError, LocalBackend, get_backend, shards_of


def _square_plus(ctx: int, item: int) -> tuple[int, int]:
    return item * item + ctx, os.getpid()


def _boom(ctx: int, item: int) -> int:
    if item == 3:
        raise ValueError("bad item 3")
    return item


def test_shards_of() -> None:
    assert list(shards_of(range(7), 3)) == [[0, 1, 2], [3, 4, 5], [6]]
    assert list(shards_of([], 3)) == []
    with pytest.raises(ValueError):
        list(shards_of(range(3), 0))


@pytest.mark.parametrize("workers", [1, 2])
def test_local_map_keeps_order_and_context(workers: int) -> None:
    be = get_backend("local", workers, max_in_flight=3)
    out = list(be.map(_square_plus, iter(range(40)), 1000))
    assert [v for v, _ in out] == [i * i + 1000 for i in range(40)]
    pids = {p for _, p in out}
    if workers == 1:
        assert pids == {os.getpid()}
    else:
        assert os.getpid() not in pids
    be.close()


def test_local_map_is_lazy_and_bounded() -> None:
    pulled: list[int] = []

    def items():  # type: ignore[no-untyped-def]
        for i in range(100):
            pulled.append(i)
            yield i

    be = LocalBackend(2, max_in_flight=4)
    it = be.map(_square_plus, items(), 0)
    next(it)
    assert len(pulled) <= 5  # never more than max_in_flight shards ahead
    rest = list(it)
    assert len(rest) == 99


@pytest.mark.parametrize("workers", [1, 2])
def test_worker_errors_propagate(workers: int) -> None:
    with pytest.raises(ValueError, match="bad item 3"):
        list(get_backend("local", workers).map(_boom, range(6), 0))


def test_unknown_backend() -> None:
    with pytest.raises(EngineError, match="unknown backend"):
        get_backend("spark")


def test_ray_backend_same_results() -> None:
    pytest.importorskip("ray", reason="the Ray backend needs `pip install ray`")
    be = get_backend("ray", 2)
    try:
        out = list(be.map(_square_plus, range(20), 7))
        assert [v for v, _ in out] == [i * i + 7 for i in range(20)]
        with pytest.raises(EngineError, match="bad item 3"):
            list(be.map(_boom, range(6), 0))
    finally:
        be.close()
