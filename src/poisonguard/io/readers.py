"""Streaming corpus readers that never lose a record.

:class:`CorpusReader` expands paths (files, folders of shards, globs, ``-`` for stdin),
detects each file's format from its name or its first bytes, and yields, in order, one
item per record: a :class:`~poisonguard.io.document.Document` or an
:class:`~poisonguard.io.accounting.ErrorRecord` saying where and why a record could not
be read.  Memory stays bounded by the largest accepted document (``max_doc_bytes``),
whatever the corpus size: JSON Lines are read line by line with a length limit, Parquet
and Arrow by record batch, CSV row by row.

Formats: ``jsonl`` (``.jsonl``, ``.json``, ``.ndjson``, optionally ``.gz``/``.zst``),
``parquet``, ``csv``/``tsv``, ``text`` (``.txt``/``.md``: one document per file),
``hf`` (a Hugging Face ``datasets`` folder written by ``save_to_disk``; Arrow files read
with pyarrow, no network) and ``arrow`` (one Arrow IPC file).

The pseudo-path ``builtin:python-docs`` reads the embedded default corpus
(:func:`poisonguard.datasets.python_docs`), so every command runs with no data at hand.
"""

from __future__ import annotations

import csv
import glob
import gzip
import io
import json
import os
import sys
import zlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

import orjson
import pyarrow as pa
import pyarrow.parquet as pq
import zstandard

from poisonguard.io.accounting import ErrorRecord, ErrorSink, RunAccounting
from poisonguard.io.compression import (
    TruncatedStream,
    compression_of,
    open_read,
    sniff_compression,
    strip_compression,
)
from poisonguard.io.document import Document, Origin, RecordError, record_to_document

FORMATS = ("jsonl", "parquet", "csv", "tsv", "text", "hf", "arrow")
BUILTIN_CORPORA = ("builtin:python-docs",)
"""Format names accepted by ``format=`` / ``--format``."""

DEFAULT_MAX_DOC_BYTES = 16 * 1024 * 1024
TEXT_SUFFIXES = (".txt", ".md", ".markdown", ".rst")
_JSONL_SUFFIXES = (".jsonl", ".json", ".ndjson", ".jl")
_CSV_SUFFIXES = (".csv",)
_TSV_SUFFIXES = (".tsv",)

ReadItem = Document | ErrorRecord


class CorpusError(ValueError):
    """A corpus that cannot be opened at all (no such path, unknown format, ...)."""


@dataclass(frozen=True, slots=True)
class Source:
    """One input unit: a file with its format (``path == "-"`` is stdin)."""

    path: str
    format: str
    size: int | None = None


def format_of(path: str) -> str | None:
    """Format name from a path's suffix, or None when the suffix says nothing."""
    name = strip_compression(os.path.basename(path)).lower()
    if name.endswith(_JSONL_SUFFIXES):
        return "jsonl"
    if name.endswith(".parquet") or name.endswith(".pq"):
        return "parquet"
    if name.endswith(_CSV_SUFFIXES):
        return "csv"
    if name.endswith(_TSV_SUFFIXES):
        return "tsv"
    if name.endswith(TEXT_SUFFIXES):
        return "text"
    if name.endswith(".arrow"):
        return "arrow"
    return None


def sniff_format(head: bytes) -> str | None:
    """Format from the first bytes of a (decompressed) file."""
    if head.startswith(b"PAR1"):
        return "parquet"
    if head.startswith(b"ARROW1") or head.startswith(b"\xff\xff\xff\xff"):
        return "arrow"
    stripped = head.lstrip(b"\xef\xbb\xbf \t\r\n")
    if stripped.startswith((b"{", b"[")):
        return "jsonl"
    if b"\x00" in head:
        return None
    first = stripped.split(b"\n", 1)[0]
    if b"\t" in first:
        return "tsv"
    if b"," in first:
        return "csv"
    return "text" if stripped else None


def _is_hf_folder(path: Path) -> bool:
    return (path / "state.json").is_file() or (path / "dataset_dict.json").is_file()


def _hf_sources(path: Path) -> list[Source]:
    try:
        return _hf_sources_of(path)
    except (OSError, ValueError, TypeError, KeyError, AttributeError, RecursionError) as e:
        raise CorpusError(
            f"{path}: malformed Hugging Face dataset metadata "
            f"(state.json / dataset_dict.json): {type(e).__name__}: {e}"
        ) from e


def _hf_sources_of(path: Path) -> list[Source]:
    if (path / "dataset_dict.json").is_file():
        splits = json.loads((path / "dataset_dict.json").read_text())["splits"]
        out: list[Source] = []
        for split in splits:
            out.extend(_hf_sources_of(path / split))
        return out
    state = json.loads((path / "state.json").read_text())
    files = [path / f["filename"] for f in state.get("_data_files", [])]
    return [Source(str(f), "arrow", f.stat().st_size if f.exists() else None) for f in files]


def expand_sources(paths: Iterable[str | os.PathLike[str]], fmt: str | None = None) -> list[Source]:
    """Expand files, folders (recursively) and globs into an ordered list of sources.

    Raises :class:`CorpusError` for a path that does not exist or a glob with no match.
    Files inside folders whose format cannot be told from the name are kept with format
    ``"?"`` (sniffed at read time; unreadable ones become error records, never skipped).
    """
    out: list[Source] = []
    for p in paths:
        s = os.fspath(p)
        if s == "-":
            out.append(Source("-", fmt or "?"))
            continue
        if s.startswith("builtin:"):
            if s not in BUILTIN_CORPORA:
                raise CorpusError(
                    f"unknown built-in corpus {s!r}; available: {', '.join(BUILTIN_CORPORA)}"
                )
            out.append(Source(s, "builtin"))
            continue
        if any(ch in s for ch in "*?["):
            matches = sorted(glob.glob(s, recursive=True))
            if not matches:
                raise CorpusError(f"no file matches {s!r}")
            out.extend(expand_sources(matches, fmt))
            continue
        path = Path(s)
        if not path.exists():
            raise CorpusError(f"no such file or folder: {s}")
        if path.is_dir():
            if fmt in (None, "hf") and _is_hf_folder(path):
                out.extend(_hf_sources(path))
                continue
            files = sorted(
                f
                for f in path.rglob("*")
                if f.is_file()
                and not _hidden(f.relative_to(path))
                and f.name not in ("dataset_info.json", "state.json", "dataset_dict.json")
            )
            for f in files:
                out.append(Source(str(f), fmt or format_of(str(f)) or "?", f.stat().st_size))
            continue
        out.append(Source(str(path), fmt or format_of(str(path)) or "?", path.stat().st_size))
    return out


def _hidden(rel: Path) -> bool:
    return any(part.startswith(".") for part in rel.parts)


def _snippet(data: bytes | str, n: int = 200) -> str:
    if isinstance(data, bytes):
        data = data[: n * 4].decode("utf-8", "replace")
    return data[:n]


def _utf8_reason(line: bytes) -> str | None:
    try:
        line.decode("utf-8")
    except UnicodeDecodeError as e:
        return f"invalid UTF-8 at byte {e.start} of the line ({e.reason})"
    return None


class CorpusReader:
    """Stream the records of a corpus as Documents or ErrorRecords.

    Args:
        paths: files, folders, globs or ``"-"`` (stdin); one path or a list.
        format: force a format (see :data:`FORMATS`); default: from name, then content.
        text_field: field holding the text (forces plain-text records); default ``text``
            with fallbacks, or the instruction shapes when their fields are present.
        id_field: field holding the id; default ``id``, and a deterministic
            ``<file name>:<line>`` id when the record has none.
        max_doc_bytes: records larger than this become ``too_large`` errors.
        stdin: stream to read for ``"-"`` (default ``sys.stdin.buffer``).

    Attributes:
        bytes_consumed: input bytes read so far (compressed size for compressed files),
            for progress bars; ``total_bytes`` is the known total or None.
    """

    def __init__(
        self,
        paths: str | os.PathLike[str] | Iterable[str | os.PathLike[str]],
        *,
        format: str | None = None,
        text_field: str | None = None,
        id_field: str | None = None,
        max_doc_bytes: int = DEFAULT_MAX_DOC_BYTES,
        stdin: BinaryIO | None = None,
    ) -> None:
        if isinstance(paths, str | os.PathLike):
            paths = [paths]
        if format is not None and format not in FORMATS:
            raise CorpusError(f"unknown format {format!r}; choose one of {', '.join(FORMATS)}")
        self.sources = expand_sources(paths, format)
        if not self.sources:
            raise CorpusError("no input files found")
        self.format = format
        self.text_field = text_field
        self.id_field = id_field
        self.max_doc_bytes = max_doc_bytes
        self._stdin = stdin
        self.bytes_consumed = 0
        sizes = [s.size for s in self.sources]
        self.total_bytes: int | None = (
            None if any(x is None for x in sizes) else sum(x or 0 for x in sizes)
        )
        self._done_bytes = 0
        self._stdin_buf: io.BufferedReader | None = None

    # -- public API -------------------------------------------------------------------
    def __iter__(self) -> Iterator[ReadItem]:
        for src in self.sources:
            n = 0
            for item in self._read_source(src):
                n += 1
                yield item
            if n == 0:  # a non-empty file that held no record is reported, not skipped
                yield ErrorRecord(
                    src.path,
                    None,
                    0,
                    "file contains no records (only blank lines, or a header without rows)",
                    "empty_file",
                )
            if src.size is not None:
                self._done_bytes += src.size
                self.bytes_consumed = self._done_bytes

    def documents(
        self, errors: ErrorSink | None = None, accounting: RunAccounting | None = None
    ) -> Iterator[Document]:
        """Yield only Documents; errors go to ``errors`` and every record is counted.

        The caller must count each yielded document into an output of ``accounting``
        (e.g. ``accounting.written("kept")``) for the invariant to hold.
        """
        for item in self:
            if accounting is not None:
                accounting.read += 1
            if isinstance(item, ErrorRecord):
                if accounting is not None:
                    accounting.errors += 1
                if errors is not None:
                    errors.add(item)
                continue
            yield item
        if accounting is not None:
            accounting.bytes_read = self.bytes_consumed

    # -- dispatch ---------------------------------------------------------------------
    def _read_source(self, src: Source) -> Iterator[ReadItem]:
        fmt: str | None = src.format
        name = src.path
        if name != "-" and src.size == 0:
            yield ErrorRecord(name, None, 0, "empty file (0 bytes)", "empty_file")
            return
        if fmt == "builtin":
            from poisonguard.io.builtin import iter_python_docs

            yield from iter_python_docs()
            return
        try:
            if fmt == "?" or name == "-":
                fmt = self._sniff(src)
                if fmt is None:
                    yield ErrorRecord(
                        name,
                        None,
                        0,
                        "not a corpus file: format could not be "
                        "detected (binary or unknown content)",
                        "unsupported",
                    )
                    return
            if fmt == "jsonl":
                yield from self._read_jsonl(src)
            elif fmt == "parquet":
                yield from self._read_parquet(src)
            elif fmt in ("csv", "tsv"):
                yield from self._read_csv(src, "\t" if fmt == "tsv" else ",")
            elif fmt == "text":
                yield from self._read_text_file(src)
            elif fmt in ("arrow", "hf"):
                yield from self._read_arrow(src)
            else:  # pragma: no cover - guarded by FORMATS
                raise CorpusError(f"unknown format {fmt!r}")
        except OSError as e:
            yield ErrorRecord(name, None, None, f"cannot read file: {e.strerror or e}", "io")

    def _sniff(self, src: Source) -> str | None:
        if src.path == "-":
            if self.format:
                return self.format
            head = self._stdin_stream().peek(4096)[:4096]
            return "jsonl" if sniff_compression(head) else (sniff_format(head) or "jsonl")
        with open(src.path, "rb") as f:
            head = f.read(4096)
        comp = sniff_compression(head)
        if comp == "gzip":
            try:
                head = zlib.decompressobj(16 + zlib.MAX_WBITS).decompress(head)
            except zlib.error:
                return None
        elif comp == "zstd":
            try:
                head = zstandard.ZstdDecompressor().decompressobj().decompress(head)
            except zstandard.ZstdError:
                return None
        return sniff_format(head)

    def _stdin_stream(self) -> io.BufferedReader:
        if self._stdin_buf is None:
            raw: Any = self._stdin or sys.stdin.buffer
            self._stdin_buf = raw if isinstance(raw, io.BufferedReader) else io.BufferedReader(raw)
        return self._stdin_buf

    def _default_id(self, name: str, line: int) -> str:
        return f"{os.path.basename(name)}:{line}"

    def _to_doc(
        self, record: Any, name: str, line: int, offset: int | None, raw: bytes | None
    ) -> ReadItem:
        try:
            return record_to_document(
                record,
                default_id=self._default_id(name, line),
                origin=Origin(name, line, offset),
                text_field=self.text_field,
                id_field=self.id_field,
                raw=raw,
            )
        except RecordError as e:
            return ErrorRecord(
                name,
                line,
                offset,
                str(e),
                e.kind,
                _snippet(raw if raw is not None else repr(record)),
            )

    # -- JSON Lines -------------------------------------------------------------------
    def _read_jsonl(self, src: Source) -> Iterator[ReadItem]:
        name = src.path
        if name == "-":
            reader, raw = open_read(None, stream=self._stdin_stream())
        else:
            reader, raw = open_read(name, compression="auto")
        plain = False  # (read again as plain lines: below)
        limit = self.max_doc_bytes
        line_no = 0
        offset = 0
        try:
            while True:
                try:
                    line = reader.readline(limit + 1)
                except (EOFError, TruncatedStream, zlib.error, zstandard.ZstdError, OSError) as e:
                    if (
                        line_no == 0
                        and not plain
                        and name != "-"
                        and compression_of(name) is None
                        and (not isinstance(e, OSError) or isinstance(e, gzip.BadGzipFile))
                    ):
                        # a file whose name declares no compression and whose first bytes
                        # only look like gzip/zstd magic (no line decoded): read it as the
                        # plain lines it is, each accounted for (hypothesis found one)
                        reader.close()
                        reader, raw = open_read(name, compression=None)
                        plain = True
                        continue
                    kind = "truncated" if isinstance(e, EOFError) else "corrupt"
                    yield ErrorRecord(
                        name,
                        line_no + 1,
                        offset,
                        f"compressed stream is {kind}: {e}; the rest of the file could not be read",
                        kind,
                    )
                    return
                if not line:
                    break
                line_no += 1
                start = offset
                offset += len(line)
                if len(line) > limit and not line.endswith(b"\n"):
                    # drain the rest of this oversize line in bounded chunks
                    total = len(line)
                    try:
                        while True:
                            chunk = reader.readline(1 << 20)
                            total += len(chunk)
                            if not chunk or chunk.endswith(b"\n"):
                                break
                    except (EOFError, zlib.error, zstandard.ZstdError, OSError):
                        pass
                    offset = start + total
                    yield ErrorRecord(
                        name,
                        line_no,
                        start,
                        f"record is {total:,} bytes, above the limit of "
                        f"{limit:,} bytes (--max-doc-bytes)",
                        "too_large",
                        _snippet(line),
                    )
                    continue
                body = line.rstrip(b"\r\n")
                if not body.strip():
                    continue  # blank line: not a record
                if line_no == 1 and body.startswith(b"\xef\xbb\xbf"):
                    body = body[3:]
                try:
                    record = orjson.loads(body)
                except orjson.JSONDecodeError as e:
                    utf = _utf8_reason(body)
                    if utf:
                        yield ErrorRecord(name, line_no, start, utf, "utf8", _snippet(body))
                        continue
                    try:  # orjson rejects some valid JSON (e.g. integers > 64 bit)
                        # decoded here: given bytes, json guesses UTF-16/32 from NUL bytes
                        record = json.loads(body.decode("utf-8"))
                    except (ValueError, RecursionError):
                        yield ErrorRecord(
                            name, line_no, start, f"malformed JSON: {e}", "json", _snippet(body)
                        )
                        continue
                yield self._to_doc(record, name, line_no, start, body)
                if line_no % 4096 == 0 and name != "-":
                    self.bytes_consumed = self._done_bytes + raw.tell()
        finally:
            if name != "-":
                reader.close()

    # -- Parquet / Arrow --------------------------------------------------------------
    def _read_parquet(self, src: Source) -> Iterator[ReadItem]:
        try:
            pf = pq.ParquetFile(src.path)
        except (pa.ArrowInvalid, OSError) as e:
            yield ErrorRecord(src.path, None, 0, f"not a readable Parquet file: {e}", "corrupt")
            return
        row = 0
        try:
            for i in range(pf.num_row_groups):
                table = pf.read_row_group(i)
                for batch in table.to_batches(max_chunksize=2048):
                    for rec in batch.to_pylist():
                        row += 1
                        yield self._to_doc(rec, src.path, row, None, None)
                if src.size:
                    self.bytes_consumed = self._done_bytes + int(
                        src.size * (i + 1) / max(1, pf.num_row_groups)
                    )
        except (pa.ArrowException, OSError) as e:
            yield ErrorRecord(
                src.path, row + 1, None, f"Parquet data is corrupt after row {row}: {e}", "corrupt"
            )

    def _read_arrow(self, src: Source) -> Iterator[ReadItem]:
        row = 0
        try:
            with pa.memory_map(src.path, "r") as mm:
                try:
                    reader: Any = pa.ipc.open_stream(mm)
                    batches = iter(reader)
                except pa.ArrowInvalid:
                    mm.seek(0)
                    freader = pa.ipc.open_file(mm)
                    batches = (freader.get_batch(i) for i in range(freader.num_record_batches))
                for batch in batches:
                    for rec in batch.to_pylist():
                        row += 1
                        yield self._to_doc(rec, src.path, row, None, None)
        except (pa.ArrowException, OSError) as e:
            yield ErrorRecord(
                src.path,
                row + 1 if row else None,
                None,
                f"Arrow data is corrupt or unreadable after row {row}: {e}",
                "corrupt",
            )

    # -- CSV --------------------------------------------------------------------------
    def _read_csv(self, src: Source, delimiter: str) -> Iterator[ReadItem]:
        name = src.path
        if name == "-":
            breader, _ = open_read(None, stream=self._stdin_stream())
        else:
            breader, _ = open_read(name, compression="auto")
        csv.field_size_limit(max(self.max_doc_bytes, 1 << 20))
        text = io.TextIOWrapper(breader, encoding="utf-8", errors="surrogateescape", newline="")
        try:
            rows = csv.reader(text, delimiter=delimiter)
            try:
                header = next(rows)
            except StopIteration:
                yield ErrorRecord(name, 1, 0, "CSV file has no header row", "empty_file")
                return
            except (EOFError, zlib.error, zstandard.ZstdError, OSError) as e:
                yield ErrorRecord(name, 1, 0, f"cannot read CSV: {e}", "corrupt")
                return
            if header and header[0].startswith("\ufeff"):
                header[0] = header[0][1:]
            row_no = 0
            while True:
                line = rows.line_num + 1
                try:
                    values = next(rows)
                except StopIteration:
                    break
                except csv.Error as e:
                    row_no += 1
                    reason = str(e)
                    kind = "too_large" if "larger than field limit" in reason else "csv"
                    yield ErrorRecord(name, line, None, f"malformed CSV row: {reason}", kind)
                    continue
                except (EOFError, zlib.error, zstandard.ZstdError, OSError) as e:
                    yield ErrorRecord(
                        name,
                        line,
                        None,
                        f"compressed stream is truncated or corrupt: {e}",
                        "truncated",
                    )
                    return
                row_no += 1
                if not values:
                    row_no -= 1
                    continue
                if len(values) != len(header):
                    yield ErrorRecord(
                        name,
                        line,
                        None,
                        f"row has {len(values)} fields, header has {len(header)}",
                        "csv",
                        _snippet(delimiter.join(values)),
                    )
                    continue
                bad = next((v for v in values if _has_surrogates(v)), None)
                if bad is not None:
                    yield ErrorRecord(
                        name,
                        line,
                        None,
                        "invalid UTF-8 in CSV row",
                        "utf8",
                        _snippet(bad.encode("utf-8", "surrogateescape")),
                    )
                    continue
                size = sum(len(v) for v in values)
                if size > self.max_doc_bytes:
                    yield ErrorRecord(
                        name,
                        line,
                        None,
                        f"record is {size:,} characters, above the limit of "
                        f"{self.max_doc_bytes:,} (--max-doc-bytes)",
                        "too_large",
                    )
                    continue
                yield self._to_doc(dict(zip(header, values, strict=True)), name, line, None, None)
        finally:
            if name != "-":
                text.close()

    # -- one text file = one document -------------------------------------------------
    def _read_text_file(self, src: Source) -> Iterator[ReadItem]:
        name = src.path
        if name == "-":
            data = self._stdin_stream().read(self.max_doc_bytes + 1)
        else:
            reader, _ = open_read(name, compression="auto")
            with reader:
                try:
                    data = reader.read(self.max_doc_bytes + 1)
                except (EOFError, zlib.error, zstandard.ZstdError) as e:
                    yield ErrorRecord(
                        name, None, 0, f"compressed file is truncated: {e}", "truncated"
                    )
                    return
        if len(data) > self.max_doc_bytes:
            yield ErrorRecord(
                name,
                None,
                0,
                f"file is larger than the limit of {self.max_doc_bytes:,} bytes (--max-doc-bytes)",
                "too_large",
            )
            return
        if b"\x00" in data[:8192]:
            yield ErrorRecord(
                name,
                None,
                0,
                "binary file (NUL bytes) in a text folder",
                "binary",
                _snippet(data[:64]),
            )
            return
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError as e:
            yield ErrorRecord(
                name,
                None,
                e.start,
                f"invalid UTF-8 at byte {e.start}",
                "utf8",
                _snippet(data[max(0, e.start - 40) : e.start + 40]),
            )
            return
        text = text.removeprefix("\ufeff")
        if not text.strip():
            yield ErrorRecord(name, None, 0, "text file is empty or whitespace only", "empty_file")
            return
        doc_id = os.path.basename(name) if name != "-" else "stdin"
        yield Document(
            id=doc_id,
            text=text,
            source=f"file://{os.path.abspath(name)}",
            origin=Origin(name, None, 0),
        )


def _has_surrogates(s: str) -> bool:
    try:
        s.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def read_documents(
    paths: str | os.PathLike[str] | Iterable[str | os.PathLike[str]],
    *,
    errors: ErrorSink | None = None,
    accounting: RunAccounting | None = None,
    **options: Any,
) -> Iterator[Document]:
    """Convenience: ``CorpusReader(paths, **options).documents(errors, accounting)``."""
    return CorpusReader(paths, **options).documents(errors, accounting)


__all__ = [
    "FORMATS",
    "CorpusError",
    "CorpusReader",
    "ReadItem",
    "Source",
    "compression_of",
    "expand_sources",
    "format_of",
    "read_documents",
    "sniff_format",
]
