"""Atomic, size-sharded corpus writers (JSON Lines plain/gz/zst, Parquet).

Each shard is written under a hidden temporary name and renamed into place only when
complete, so an interrupted run never leaves a file that looks finished.  Unmodified
documents read from JSON Lines are written back byte for byte (``Document.raw``).
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path
from typing import IO, Any

import orjson
import pyarrow as pa
import pyarrow.parquet as pq

from poisonguard.io.accounting import AtomicFile
from poisonguard.io.compression import compression_of, strip_compression
from poisonguard.io.document import Document

OUTPUT_FORMATS = ("jsonl", "parquet")


def output_format_of(path: str) -> str:
    """``jsonl`` or ``parquet`` from an output path's suffix (default ``jsonl``)."""
    name = strip_compression(os.path.basename(path)).lower()
    if name.endswith((".parquet", ".pq")):
        return "parquet"
    return "jsonl"


class CorpusWriter:
    """Write Documents (or plain dict records) to one file or to size-limited shards.

    Args:
        path: output file, e.g. ``out/kept.jsonl.zst`` or ``out/kept.parquet``.  Format and
            compression come from the suffix unless given.
        format: ``jsonl`` or ``parquet``.
        shard_bytes: start a new shard after this many (uncompressed) bytes; shards are
            named ``<stem>-00000<suffix>``, ``<stem>-00001<suffix>``...  ``None``: one file.
        row_group_rows: Parquet rows buffered per row group.

    Use as a context manager; on an exception every unfinished shard is discarded.
    ``paths`` lists the committed files and ``count`` the records written.
    """

    def __init__(
        self,
        path: str | os.PathLike[str],
        *,
        format: str | None = None,
        shard_bytes: int | None = None,
        row_group_rows: int = 4096,
        compression_level: int | None = None,
    ) -> None:
        self.path = Path(path)
        self.format = format or output_format_of(str(path))
        if self.format not in OUTPUT_FORMATS:
            raise ValueError(f"cannot write format {self.format!r}; use jsonl or parquet")
        self.compression = compression_of(self.path.name) if self.format == "jsonl" else None
        self.shard_bytes = shard_bytes
        self.row_group_rows = row_group_rows
        self.level = compression_level
        self.count = 0
        self.paths: list[Path] = []
        self._shard = 0
        self._shard_written = 0
        self._atomic: AtomicFile | None = None
        self._stream: IO[bytes] | None = None
        self._pq: pq.ParquetWriter | None = None
        self._schema: pa.Schema | None = None
        self._rows: list[dict[str, Any]] = []

    # -- naming -----------------------------------------------------------------------
    def _shard_path(self) -> Path:
        if self.shard_bytes is None:
            return self.path
        name = self.path.name
        base = strip_compression(name)
        comp = name[len(base) :]
        stem, dot, ext = base.rpartition(".")
        if not dot:
            stem, ext = base, ""
        return self.path.with_name(f"{stem}-{self._shard:05d}{'.' + ext if ext else ''}{comp}")

    def _open(self) -> None:
        self._atomic = AtomicFile(self._shard_path())
        self._shard_written = 0
        if self.format == "jsonl":
            from poisonguard.io.compression import open_write

            self._stream = open_write(self._atomic.fh, self.compression, self.level)

    def _close_shard(self) -> None:
        if self._atomic is None:
            return
        if self.format == "parquet":
            self._flush_rows()
            if self._pq is not None:
                self._pq.close()
                self._pq = None
                self._schema = None
        elif self._stream is not None and self._stream is not self._atomic.fh:
            self._stream.close()
        self._stream = None
        self.paths.append(self._atomic.commit())
        self._atomic = None
        self._shard += 1

    # -- writing ----------------------------------------------------------------------
    def write(self, doc: Document | dict[str, Any]) -> None:
        """Write one document (in its original shape) or one plain record."""
        if self._atomic is None:
            self._open()
        if self.format == "jsonl":
            if isinstance(doc, Document):
                line = doc.raw if doc.raw is not None else orjson.dumps(doc.to_record())
            else:
                line = orjson.dumps(doc, default=str)
            assert self._stream is not None
            self._stream.write(line)
            self._stream.write(b"\n")
            self._shard_written += len(line) + 1
        else:
            rec = doc.to_record() if isinstance(doc, Document) else doc
            self._rows.append(rec)
            self._shard_written += _approx_size(rec)
            if len(self._rows) >= self.row_group_rows:
                self._flush_rows()
        self.count += 1
        if self.shard_bytes is not None and self._shard_written >= self.shard_bytes:
            self._close_shard()

    def _flush_rows(self) -> None:
        if not self._rows:
            return
        assert self._atomic is not None
        rows, self._rows = self._rows, []
        if self._schema is None:
            table = pa.Table.from_pylist(rows)
            self._schema = table.schema
            self._pq = pq.ParquetWriter(self._atomic.fh, self._schema, compression="zstd")
        else:
            table = pa.Table.from_pylist(rows)
            if not table.schema.equals(self._schema):
                try:
                    unified = pa.unify_schemas(
                        [self._schema, table.schema], promote_options="permissive"
                    )
                except (pa.ArrowInvalid, pa.ArrowTypeError):
                    unified = None
                if unified is not None and unified.equals(self._schema):
                    table = (
                        table.select(self._schema.names).cast(self._schema)
                        if set(table.schema.names) == set(self._schema.names)
                        else pa.Table.from_pylist(rows, schema=self._schema)
                    )
                else:
                    # the records' schema changed (new or retyped fields): never drop or
                    # coerce them; finish this shard and start a new one instead.
                    if self.shard_bytes is None:
                        raise SchemaChanged(
                            "records changed schema inside one Parquet file (from "
                            f"{self._schema} to {table.schema}); set shard_bytes so a new "
                            "shard can start, or write JSON Lines"
                        )
                    self._close_shard()
                    self._open()
                    self._rows = rows
                    self._flush_rows()
                    return
        assert self._pq is not None
        self._pq.write_table(table)

    def close(self) -> list[Path]:
        """Commit the last shard; returns the committed paths."""
        if self._atomic is None and self.count == 0:
            self._open()  # an empty corpus still produces a (valid, empty) file
            if self.format == "parquet" and self._atomic is not None:
                self._pq = pq.ParquetWriter(self._atomic.fh, pa.schema([]))
        self._close_shard()
        return self.paths

    def abort(self) -> None:
        """Discard the unfinished shard (committed shards stay)."""
        if self._pq is not None:
            with contextlib.suppress(Exception):  # best effort while aborting
                self._pq.close()
            self._pq = None
        if self._atomic is not None:
            self._atomic.abort()
            self._atomic = None

    def __enter__(self) -> CorpusWriter:
        return self

    def __exit__(self, exc_type: object, *_: object) -> None:
        if exc_type is None:
            self.close()
        else:
            self.abort()


class SchemaChanged(ValueError):
    """Parquet records changed schema inside a single (unsharded) output file."""


def _approx_size(rec: dict[str, Any]) -> int:
    n = 0
    for v in rec.values():
        n += len(v) if isinstance(v, str | bytes) else 16
    return n


def write_documents(path: str | os.PathLike[str], docs: Any, **options: Any) -> list[Path]:
    """Write an iterable of Documents/records to ``path``; returns the committed files."""
    with CorpusWriter(path, **options) as w:
        for d in docs:
            w.write(d)
    return w.paths
