"""Split-view defence (Carlini et al. 2023): re-fetch URLs and compare with first-fetch hashes.

Web-scale datasets are often distributed as URL lists; whoever controls a domain *after*
the list was made can serve different (poisoned) content.  Input is JSON Lines, one URL per
line with the SHA-256 of the bytes recorded at first fetch::

    {"url": "https://example.org/a.html", "sha256": "<hex>", "id": "optional"}

Each URL (``http``, ``https``, ``file``, or a local path) is fetched again; content whose
SHA-256 differs is rejected, as are URLs that cannot be fetched or lines without a recorded
hash (fail closed).  Every line ends up kept or rejected with a reason; the drop rate is
``rejected / total``.  ``record_hashes`` makes the first-fetch list.
"""

from __future__ import annotations

import hashlib
import os
import urllib.error
import urllib.request
from collections.abc import Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import orjson

MAX_BYTES = 64 << 20


@dataclass(frozen=True, slots=True)
class FetchResult:
    """Outcome for one URL line."""

    line: int
    url: str
    id: str | None
    expected: str | None
    actual: str | None
    status: str  # "ok", "changed", "unreachable", "no_hash", "bad_line"
    reason: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {
            "line": self.line,
            "id": self.id,
            "url": self.url,
            "status": self.status,
            "expected_sha256": self.expected,
            "actual_sha256": self.actual,
            "reason": self.reason,
        }


def fetch_sha256(url: str, *, timeout: float = 20.0, max_bytes: int = MAX_BYTES) -> str:
    """SHA-256 of the bytes at ``url`` (http/https/file URL or local path), streamed.

    Raises OSError (incl. urllib errors) or ValueError with the reason.
    """
    scheme = urlsplit(url).scheme.lower()
    h = hashlib.sha256()
    total = 0
    if scheme in ("http", "https", "file"):
        req = urllib.request.Request(url, headers={"User-Agent": "poisonguard-refetch/1"})
        with urllib.request.urlopen(req, timeout=timeout) as resp:
            while block := resp.read(1 << 16):
                total += len(block)
                if total > max_bytes:
                    raise ValueError(f"content larger than {max_bytes:,} bytes")
                h.update(block)
    elif scheme == "":
        with open(url, "rb") as f:
            while block := f.read(1 << 16):
                total += len(block)
                if total > max_bytes:
                    raise ValueError(f"content larger than {max_bytes:,} bytes")
                h.update(block)
    else:
        raise ValueError(f"unsupported URL scheme {scheme!r}")
    return h.hexdigest()


def _entries(path: str | os.PathLike[str]) -> Iterator[tuple[int, Any]]:
    with open(path, "rb") as f:
        for n, raw in enumerate(f, 1):
            if not raw.strip():
                continue
            try:
                yield n, orjson.loads(raw)
            except orjson.JSONDecodeError as e:
                yield n, ValueError(f"not JSON: {e}")


def _check_one(n: int, entry: Any, timeout: float, max_bytes: int) -> FetchResult:
    if (
        isinstance(entry, ValueError)
        or not isinstance(entry, dict)
        or not isinstance(entry.get("url"), str)
    ):
        why = str(entry) if isinstance(entry, ValueError) else "line has no 'url' string"
        return FetchResult(n, "", None, None, None, "bad_line", why)
    url, doc_id = entry["url"], entry.get("id")
    doc_id = str(doc_id) if doc_id is not None else None
    expected = entry.get("sha256")
    try:
        actual = fetch_sha256(url, timeout=timeout, max_bytes=max_bytes)
    except (OSError, ValueError, urllib.error.URLError) as e:
        return FetchResult(n, url, doc_id, expected, None, "unreachable", str(e))
    if not isinstance(expected, str) or len(expected) != 64:
        return FetchResult(
            n, url, doc_id, None, actual, "no_hash", "no first-fetch sha256 recorded for this URL"
        )
    if actual != expected.lower():
        return FetchResult(
            n,
            url,
            doc_id,
            expected,
            actual,
            "changed",
            "content differs from the first fetch (possible split-view)",
        )
    return FetchResult(n, url, doc_id, expected, actual, "ok")


@dataclass
class RefetchReport:
    """Counts and per-URL results of a refetch check."""

    total: int = 0
    by_status: dict[str, int] = field(default_factory=dict)
    rejected: list[FetchResult] = field(default_factory=list)

    @property
    def kept(self) -> int:
        return self.by_status.get("ok", 0)

    @property
    def drop_rate(self) -> float:
        return (self.total - self.kept) / self.total if self.total else 0.0

    def to_dict(self, limit: int = 1000) -> dict[str, Any]:
        return {
            "total": self.total,
            "kept": self.kept,
            "rejected": self.total - self.kept,
            "drop_rate": round(self.drop_rate, 6),
            "by_status": dict(self.by_status),
            "first_rejected": [r.to_dict() for r in self.rejected[:limit]],
        }


def refetch_check(
    path: str | os.PathLike[str],
    *,
    workers: int = 8,
    timeout: float = 20.0,
    max_bytes: int = MAX_BYTES,
) -> Iterator[FetchResult]:
    """Re-fetch every URL of a JSONL list (in parallel), yielding results in input order."""
    with ThreadPoolExecutor(max_workers=max(1, workers)) as pool:
        yield from pool.map(lambda ne: _check_one(ne[0], ne[1], timeout, max_bytes), _entries(path))


def summarize(results: Iterable[FetchResult], keep_rejected: int = 100_000) -> RefetchReport:
    """Count results (keeping up to ``keep_rejected`` rejected ones)."""
    rep = RefetchReport()
    for r in results:
        rep.total += 1
        rep.by_status[r.status] = rep.by_status.get(r.status, 0) + 1
        if r.status != "ok" and len(rep.rejected) < keep_rejected:
            rep.rejected.append(r)
    return rep


def record_hashes(
    urls: Iterable[str],
    *,
    workers: int = 8,
    timeout: float = 20.0,
) -> Iterator[dict[str, Any]]:
    """First fetch: ``{"url", "sha256"}`` per URL (``error`` instead when unreachable)."""

    def one(url: str) -> dict[str, Any]:
        try:
            return {"url": url, "sha256": fetch_sha256(url, timeout=timeout)}
        except (OSError, ValueError) as e:
            return {"url": url, "error": str(e)}

    with ThreadPoolExecutor(max_workers=max(1, workers)) as pool:
        yield from pool.map(one, urls)


def as_url(path_or_url: str) -> str:
    """A file URL for a local path; URLs unchanged."""
    return path_or_url if "://" in path_or_url else Path(path_or_url).resolve().as_uri()
