"""Error records and the accounting invariant: read = written per output + errors.

Every record a reader touches ends up as a :class:`~poisonguard.io.document.Document`
(which the caller routes to one or more named outputs) or as an :class:`ErrorRecord`
written to an errors file.  :class:`RunAccounting` counts both and refuses to close a
run whose numbers do not add up.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections import Counter
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import IO, Any

import orjson


@dataclass(frozen=True, slots=True)
class ErrorRecord:
    """A record that could not be read, with where and why.

    Attributes:
        file: the input file (``-`` for stdin).
        line: 1-based line or row number when known.
        offset: byte offset in the (decompressed) stream when known.
        reason: human-readable reason, e.g. ``"malformed JSON: unexpected character"``.
        kind: short machine-readable category (``json``, ``utf8``, ``missing_field``,
            ``too_large``, ``truncated``, ``binary``, ``empty_file``, ``io``, ...).
        snippet: up to 200 characters of the offending input, for a person to look at.
    """

    file: str
    line: int | None
    offset: int | None
    reason: str
    kind: str
    snippet: str = ""

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def __str__(self) -> str:
        where = self.file + (f":{self.line}" if self.line is not None else "")
        if self.offset is not None:
            where += f" (byte {self.offset})"
        return f"{where}: {self.reason}"


class ReadFailure(RuntimeError):
    """Raised in ``--strict`` mode at the first unreadable record."""

    def __init__(self, error: ErrorRecord) -> None:
        super().__init__(str(error))
        self.error = error


class AccountingError(RuntimeError):
    """The counts of a run do not add up: a record was lost or counted twice."""


class ErrorRateExceeded(RuntimeError):
    """More records failed than the run's error-rate threshold allows."""


class AtomicFile:
    """A file written under a temporary name and renamed into place on :meth:`commit`.

    An interrupted run leaves only a hidden ``.tmp`` file, never a half file with the
    final name.
    """

    def __init__(self, path: str | os.PathLike[str], mode: str = "wb") -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(
            prefix=f".{self.path.name}.", suffix=".tmp", dir=self.path.parent
        )
        self.tmp = Path(tmp)
        self.fh: IO[Any] = os.fdopen(fd, mode)
        self.closed = False

    def commit(self) -> Path:
        if not self.closed:
            self.fh.flush()
            os.fsync(self.fh.fileno())
            self.fh.close()
            os.chmod(self.tmp, 0o644)
            os.replace(self.tmp, self.path)
            self.closed = True
        return self.path

    def abort(self) -> None:
        if not self.closed:
            self.fh.close()
            self.tmp.unlink(missing_ok=True)
            self.closed = True

    def __enter__(self) -> AtomicFile:
        return self

    def __exit__(self, exc_type: object, *_: object) -> None:
        if exc_type is None:
            self.commit()
        else:
            self.abort()


class ErrorSink:
    """Collects :class:`ErrorRecord`s, optionally writing them as JSON Lines.

    Args:
        path: errors file (JSONL); written atomically on :meth:`close`. ``None`` keeps
            errors in memory only (``errors`` attribute, first ``keep`` of them).
        strict: raise :class:`ReadFailure` at the first error instead of collecting.
    """

    def __init__(
        self, path: str | os.PathLike[str] | None = None, *, strict: bool = False, keep: int = 1000
    ) -> None:
        self.path = Path(path) if path is not None else None
        self.strict = strict
        self.keep = keep
        self.count = 0
        self.by_kind: Counter[str] = Counter()
        self.errors: list[ErrorRecord] = []
        self._file = AtomicFile(self.path) if self.path is not None else None

    def add(self, error: ErrorRecord) -> None:
        if self.strict:
            raise ReadFailure(error)
        self.count += 1
        self.by_kind[error.kind] += 1
        if len(self.errors) < self.keep:
            self.errors.append(error)
        if self._file is not None:
            self._file.fh.write(orjson.dumps(error.to_dict()) + b"\n")

    def close(self) -> None:
        if self._file is not None:
            self._file.commit()

    def abort(self) -> None:
        if self._file is not None:
            self._file.abort()


@dataclass
class RunAccounting:
    """Counts of one run: records read, written per output, and errors.

    The invariant ``read == sum(outputs.values()) + errors`` must hold at :meth:`check`.
    """

    read: int = 0
    errors: int = 0
    outputs: dict[str, int] = field(default_factory=dict)
    bytes_read: int = 0
    max_error_rate: float = 0.01

    def written(self, output: str, n: int = 1) -> None:
        self.outputs[output] = self.outputs.get(output, 0) + n

    @property
    def error_rate(self) -> float:
        return self.errors / self.read if self.read else 0.0

    def check(self) -> None:
        """Raise :class:`AccountingError` or :class:`ErrorRateExceeded` when the run is bad."""
        total = sum(self.outputs.values()) + self.errors
        if total != self.read:
            detail = ", ".join(f"{k}={v}" for k, v in sorted(self.outputs.items()))
            raise AccountingError(
                f"records read ({self.read}) != written ({detail or 'none'}) + errors "
                f"({self.errors}) = {total}"
            )
        if self.read and self.error_rate > self.max_error_rate:
            raise ErrorRateExceeded(
                f"{self.errors} of {self.read} records ({self.error_rate:.2%}) could not be "
                f"read, above the threshold of {self.max_error_rate:.2%} (--max-error-rate)"
            )

    def balanced(self) -> bool:
        return sum(self.outputs.values()) + self.errors == self.read

    def to_dict(self) -> dict[str, Any]:
        return {
            "records_read": self.read,
            "outputs": dict(self.outputs),
            "errors": self.errors,
            "balanced": self.balanced(),
            "error_rate": round(self.error_rate, 6),
            "max_error_rate": self.max_error_rate,
            "bytes_read": self.bytes_read,
        }


def write_json(path: str | os.PathLike[str], data: Any) -> Path:
    """Write ``data`` as pretty JSON, atomically."""
    with AtomicFile(path, "w") as f:
        json.dump(data, f.fh, indent=2, ensure_ascii=False, default=str)
        f.fh.write("\n")
    return Path(path)
