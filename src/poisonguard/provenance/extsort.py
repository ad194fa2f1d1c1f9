"""External merge sort of ``(key, bytes)`` items with bounded memory.

Manifests are sorted by document id.  Items are buffered up to ``chunk_items`` /
``chunk_bytes``; a full buffer is sorted and spilled to a temporary run file
(length-prefixed binary frames), and the runs are merged with :func:`heapq.merge`.
Memory is one buffer plus one item per run, whatever the number of items; a corpus
that fits in one buffer never touches the disk.  Ties keep input order (stable).
"""

from __future__ import annotations

import heapq
import os
import struct
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

_LEN = struct.Struct("<II")


class ExternalSorter:
    """Collect items with :meth:`add`, then iterate them sorted by key (once).

    Keys sort in Unicode code-point order, which equals UTF-8 byte order.
    """

    def __init__(
        self,
        *,
        chunk_items: int = 200_000,
        chunk_bytes: int = 64 << 20,
        tmpdir: str | os.PathLike[str] | None = None,
    ) -> None:
        self.chunk_items = chunk_items
        self.chunk_bytes = chunk_bytes
        self._tmp = tempfile.TemporaryDirectory(prefix="poisonguard-sort-", dir=tmpdir)
        self._buf: list[tuple[str, bytes]] = []
        self._buf_bytes = 0
        self._runs: list[Path] = []
        self.count = 0

    @property
    def runs(self) -> int:
        """Number of run files spilled to disk so far."""
        return len(self._runs)

    def add(self, key: str, value: bytes) -> None:
        self._buf.append((key, value))
        self._buf_bytes += len(value) + len(key) + 64
        self.count += 1
        if len(self._buf) >= self.chunk_items or self._buf_bytes >= self.chunk_bytes:
            self._spill()

    def _spill(self) -> None:
        self._buf.sort(key=lambda kv: kv[0])
        path = Path(self._tmp.name) / f"run{len(self._runs):05d}"
        with open(path, "wb") as f:
            for key, value in self._buf:
                kb = key.encode("utf-8", "surrogatepass")
                f.write(_LEN.pack(len(kb), len(value)))
                f.write(kb)
                f.write(value)
        self._runs.append(path)
        self._buf = []
        self._buf_bytes = 0

    @staticmethod
    def _read_run(f: BinaryIO) -> Iterator[tuple[str, bytes]]:
        while head := f.read(_LEN.size):
            klen, vlen = _LEN.unpack(head)
            key = f.read(klen).decode("utf-8", "surrogatepass")
            yield key, f.read(vlen)

    def __iter__(self) -> Iterator[tuple[str, bytes]]:
        try:
            if not self._runs:
                self._buf.sort(key=lambda kv: kv[0])
                buf, self._buf = self._buf, []
                yield from buf
                return
            if self._buf:
                self._spill()
            files = [open(p, "rb") for p in self._runs]  # noqa: SIM115 - closed below
            try:
                yield from heapq.merge(*(self._read_run(f) for f in files), key=lambda kv: kv[0])
            finally:
                for f in files:
                    f.close()
        finally:
            self.close()

    def close(self) -> None:
        """Delete the run files."""
        self._tmp.cleanup()

    def __enter__(self) -> ExternalSorter:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()
