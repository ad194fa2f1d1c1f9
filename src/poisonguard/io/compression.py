"""Opening plain, gzip and zstd streams for reading and writing.

zstandard's ``stream_reader`` returns a short read on a truncated frame without saying
so; :class:`ZstdReader` checks that the last frame really ended and raises
:class:`TruncatedStream` when it did not, so a cut-off ``.zst`` shard is reported instead
of silently losing its tail.
"""

from __future__ import annotations

import gzip
import io
import os
from typing import IO, Any, BinaryIO

import zstandard

GZIP_MAGIC = b"\x1f\x8b"
ZSTD_MAGIC = b"\x28\xb5\x2f\xfd"


class TruncatedStream(EOFError):
    """A compressed stream ended before its end-of-stream marker."""


def compression_of(name: str) -> str | None:
    """``"gzip"``, ``"zstd"`` or None, from a file name's suffix."""
    lower = name.lower()
    if lower.endswith((".gz", ".gzip")):
        return "gzip"
    if lower.endswith((".zst", ".zstd")):
        return "zstd"
    return None


def strip_compression(name: str) -> str:
    """The file name without a ``.gz``/``.zst`` suffix."""
    for suffix in (".gz", ".gzip", ".zst", ".zstd"):
        if name.lower().endswith(suffix):
            return name[: -len(suffix)]
    return name


def sniff_compression(head: bytes) -> str | None:
    """Compression from magic bytes."""
    if head.startswith(GZIP_MAGIC):
        return "gzip"
    if head.startswith(ZSTD_MAGIC):
        return "zstd"
    return None


class ZstdReader(io.RawIOBase):
    """Streaming zstd decompression over any number of frames, detecting truncation."""

    def __init__(self, raw: BinaryIO, chunk: int = 1 << 17) -> None:
        self._raw = raw
        self._chunk = chunk
        self._dctx = zstandard.ZstdDecompressor()
        self._obj = self._dctx.decompressobj()
        self._buf = b""
        self._in_frame = False
        self._done = False

    def readable(self) -> bool:
        return True

    def readinto(self, b: Any) -> int:
        while not self._buf and not self._done:
            data = self._raw.read(self._chunk)
            if not data:
                self._done = True
                if self._in_frame and not self._obj.eof:
                    raise TruncatedStream("zstd stream ended in the middle of a frame")
                break
            self._feed(data)
        n = min(len(b), len(self._buf))
        b[:n] = self._buf[:n]
        self._buf = self._buf[n:]
        return n

    def _feed(self, data: bytes) -> None:
        out = []
        while data:
            self._in_frame = True
            out.append(self._obj.decompress(data))
            if self._obj.eof:
                data = self._obj.unused_data
                self._obj = self._dctx.decompressobj()
                self._in_frame = False
            else:
                data = b""
        self._buf += b"".join(out)

    def close(self) -> None:
        self._raw.close()
        super().close()


def open_read(
    path: str | os.PathLike[str] | None,
    stream: BinaryIO | None = None,
    compression: str | None = "auto",
) -> tuple[io.BufferedReader, BinaryIO]:
    """Open ``path`` (or wrap ``stream``) for buffered binary reading, decompressing.

    Returns ``(reader, raw)``; ``raw.tell()`` is the position in the compressed input, used
    for progress.  ``compression="auto"`` decides from the magic bytes.
    """
    if stream is None and path is None:
        raise ValueError("open_read needs a path or a stream")
    raw: Any = stream if stream is not None else open(path, "rb")  # type: ignore[arg-type]  # noqa: SIM115
    buffered = raw if isinstance(raw, io.BufferedReader) else io.BufferedReader(raw)
    if compression == "auto":
        compression = sniff_compression(buffered.peek(4)[:4])
    if compression == "gzip":
        gz: Any = gzip.GzipFile(fileobj=buffered, mode="rb")
        return io.BufferedReader(gz), buffered
    if compression == "zstd":
        return io.BufferedReader(ZstdReader(buffered)), buffered
    return buffered, buffered


def open_write(fh: IO[bytes], compression: str | None, level: int | None = None) -> IO[bytes]:
    """Wrap a binary file for compressed writing (caller closes the returned object)."""
    out: Any = fh
    if compression == "gzip":
        out = gzip.GzipFile(fileobj=fh, mode="wb", compresslevel=level or 6, mtime=0)
    elif compression == "zstd":
        out = zstandard.ZstdCompressor(level=level or 3).stream_writer(fh, closefd=False)
    return out
