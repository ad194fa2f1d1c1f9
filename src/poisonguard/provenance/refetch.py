"""Split-view defence (Carlini et al. 2023): re-fetch URLs and compare with first-fetch hashes.

Web-scale datasets are often distributed as URL lists; whoever controls a domain *after*
the list was made can serve different (poisoned) content.  Input is JSON Lines, one URL per
line with the SHA-256 of the bytes recorded at first fetch::

    {"url": "https://example.org/a.html", "sha256": "<hex>", "id": "optional"}

Each URL is fetched again; content whose SHA-256 differs is rejected, as are URLs that
cannot be fetched or lines without a recorded hash (fail closed).  Every line ends up kept
or rejected with a reason; the drop rate is ``rejected / total``.  ``record_hashes`` makes
the first-fetch list.

The fetcher is itself an attack surface (the URL list and the servers are untrusted), so:

* only the schemes in ``schemes`` are fetched (default ``http``, ``https``, ``file``; a local
  path counts as ``file``); a redirect may only go to ``http``/``https`` among them, and
  never to a loopback, private, link-local or reserved address unless ``allow_private``;
* each URL has a *total* deadline (``timeout`` seconds for connecting, redirects and the
  whole body), not a per-read one, so a server trickling one byte at a time is cut off;
* local paths and ``file:`` URLs must be regular files (a FIFO or device is never opened);
* lines are split on ``\\n`` only — the same way :func:`read_url_list` numbers them and the
  CLI writes them back — so a bare ``\\r`` inside a line cannot shift kept and rejected lines;
* every malformed line is a ``bad_line`` result, never an exception.
"""

from __future__ import annotations

import hashlib
import http.client
import ipaddress
import os
import socket
import stat
import time
import urllib.error
import urllib.request
from collections.abc import Iterable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any
from urllib.parse import unquote, urlsplit

import orjson

MAX_BYTES = 64 << 20
DEFAULT_SCHEMES = ("http", "https", "file")


class FetchError(ValueError):
    """A URL that is refused or cannot be fetched (the message says why)."""


@dataclass(frozen=True, slots=True)
class FetchResult:
    """Outcome for one URL line (``raw``: the line's exact bytes, without ``\\n``)."""

    line: int
    url: str
    id: str | None
    expected: str | None
    actual: str | None
    status: str  # "ok", "changed", "unreachable", "no_hash", "bad_line"
    reason: str = ""
    raw: bytes = b""

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


def _private(host: str) -> str | None:
    """Why ``host`` is not a public address (loopback, private, ...), or None."""
    try:
        infos = socket.getaddrinfo(host, None)
    except (OSError, UnicodeError) as e:
        raise FetchError(f"cannot resolve {host!r}: {e}") from e
    for info in infos:
        addr = ipaddress.ip_address(str(info[4][0]).split("%", 1)[0])
        for what in ("loopback", "private", "link_local", "reserved", "multicast", "unspecified"):
            if getattr(addr, f"is_{what}"):
                return f"{host} resolves to {addr} ({what.replace('_', '-')})"
    return None


class _Redirects(urllib.request.HTTPRedirectHandler):
    max_redirections = 5

    def __init__(self, schemes: Sequence[str], allow_private: bool, deadline: float) -> None:
        self.schemes = [s for s in schemes if s in ("http", "https")]
        self.allow_private = allow_private
        self.deadline = deadline

    def redirect_request(
        self, req: Any, fp: Any, code: int, msg: str, headers: Any, newurl: str
    ) -> Any:
        parts = urlsplit(newurl)
        if parts.scheme.lower() not in self.schemes:
            raise FetchError(f"redirect to {newurl!r} refused: scheme {parts.scheme!r}")
        if not self.allow_private:
            why = _private(parts.hostname or "")
            if why:
                raise FetchError(f"redirect to {newurl!r} refused: {why}")
        if time.monotonic() > self.deadline:
            raise FetchError("total deadline exceeded while following redirects")
        return super().redirect_request(req, fp, code, msg, headers, newurl)


def _local_path(url: str, scheme: str) -> str:
    if scheme == "":
        return url
    parts = urlsplit(url)
    if parts.netloc not in ("", "localhost"):
        raise FetchError(f"file URL with a remote host {parts.netloc!r}")
    return unquote(parts.path)


def _read_local(path: str, h: Any, max_bytes: int, deadline: float) -> None:
    try:
        st = os.stat(path)
    except OSError as e:
        raise FetchError(f"{path}: {e.strerror or e}") from e
    if not stat.S_ISREG(st.st_mode):
        raise FetchError(f"{path}: not a regular file (FIFO, device or folder); not opened")
    total = 0
    with open(path, "rb") as f:
        while block := f.read(1 << 16):
            total += len(block)
            if total > max_bytes:
                raise FetchError(f"content larger than {max_bytes:,} bytes")
            if time.monotonic() > deadline:
                raise FetchError("total deadline exceeded")
            h.update(block)


def _set_read_timeout(resp: Any, seconds: float) -> None:
    """Bound the next socket read by the time left (best effort on urllib internals)."""
    sock = getattr(getattr(getattr(resp, "fp", None), "raw", None), "_sock", None)
    if isinstance(sock, socket.socket):
        sock.settimeout(max(0.01, seconds))


def fetch_sha256(
    url: str,
    *,
    timeout: float = 20.0,
    max_bytes: int = MAX_BYTES,
    schemes: Sequence[str] = DEFAULT_SCHEMES,
    allow_private: bool = False,
) -> str:
    """SHA-256 of the bytes at ``url``, streamed, within a total deadline of ``timeout``
    seconds (see module docstring for the rules).  Raises :class:`FetchError` or OSError.
    """
    if not isinstance(url, str) or not url:
        raise FetchError("URL must be a non-empty string")
    deadline = time.monotonic() + timeout
    scheme = urlsplit(url).scheme.lower() if "://" in url or url.startswith("file:") else ""
    effective = scheme or "file"
    if effective not in schemes:
        raise FetchError(f"URL scheme {effective!r} is not allowed (allowed: {', '.join(schemes)})")
    h = hashlib.sha256()
    if effective == "file":
        _read_local(_local_path(url, scheme), h, max_bytes, deadline)
        return h.hexdigest()
    if effective not in ("http", "https"):
        raise FetchError(f"unsupported URL scheme {effective!r}")
    opener = urllib.request.OpenerDirector()  # http(s) only: no file, ftp or data handler
    for handler in (
        urllib.request.HTTPHandler(),
        urllib.request.HTTPSHandler(),
        _Redirects(schemes, allow_private, deadline),
        urllib.request.HTTPDefaultErrorHandler(),
        urllib.request.HTTPErrorProcessor(),
    ):
        opener.add_handler(handler)
    req = urllib.request.Request(url, headers={"User-Agent": "poisonguard-refetch/1"})
    total = 0
    try:
        with opener.open(req, timeout=timeout) as resp:
            while True:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise FetchError(f"total deadline of {timeout:g}s exceeded")
                _set_read_timeout(resp, left)
                block = resp.read1(1 << 16)
                if not block:
                    break
                total += len(block)
                if total > max_bytes:
                    raise FetchError(f"content larger than {max_bytes:,} bytes")
                h.update(block)
    except TimeoutError as e:
        raise FetchError(f"total deadline of {timeout:g}s exceeded ({e})") from e
    except http.client.HTTPException as e:
        raise FetchError(f"bad HTTP response: {type(e).__name__}: {e}") from e
    except urllib.error.URLError as e:
        if isinstance(e.reason, FetchError):
            raise e.reason from e
        raise
    if time.monotonic() > deadline:
        raise FetchError(f"total deadline of {timeout:g}s exceeded")
    return h.hexdigest()


def read_url_list(path: str | os.PathLike[str]) -> Iterator[tuple[int, bytes, Any]]:
    """``(line number, exact line bytes, parsed entry or ValueError)`` per non-blank line.

    Lines are split on ``\\n`` only (a ``\\r`` is part of the line), the one splitting
    used for numbering, checking and writing kept lines back.
    """
    with open(path, "rb") as f:
        yield from _lines(f)


def _lines(f: IO[bytes]) -> Iterator[tuple[int, bytes, Any]]:
    for n, raw in enumerate(f, 1):
        line = raw[:-1] if raw.endswith(b"\n") else raw
        if not line.strip():
            continue
        try:
            yield n, line, orjson.loads(line)
        except orjson.JSONDecodeError as e:
            yield n, line, ValueError(f"not JSON: {e}")


def read_plain_urls(path: str | os.PathLike[str]) -> tuple[list[str], list[str]]:
    """URLs for ``--record``: one per line, plain or ``{"url": ...}``.

    Returns ``(urls, problems)``; a problem names the line (not UTF-8, no ``url`` string).
    """
    urls: list[str] = []
    problems: list[str] = []
    with open(path, "rb") as f:
        for n, raw in enumerate(f, 1):
            s = raw.rstrip(b"\n").strip()
            if not s:
                continue
            if s.startswith(b"{"):
                try:
                    entry = orjson.loads(s)
                except orjson.JSONDecodeError as e:
                    problems.append(f"line {n}: not JSON ({e})")
                    continue
                if not isinstance(entry, dict) or not isinstance(entry.get("url"), str):
                    problems.append(f"line {n}: no 'url' string")
                    continue
                urls.append(entry["url"])
            else:
                try:
                    urls.append(s.decode("utf-8"))
                except UnicodeDecodeError:
                    problems.append(f"line {n}: not UTF-8")
    return urls, problems


def _check_one(
    n: int,
    raw: bytes,
    entry: Any,
    timeout: float,
    max_bytes: int,
    schemes: Sequence[str],
    allow_private: bool,
) -> FetchResult:
    if (
        isinstance(entry, ValueError)
        or not isinstance(entry, dict)
        or not isinstance(entry.get("url"), str)
        or not entry["url"]
    ):
        why = str(entry) if isinstance(entry, ValueError) else "line has no 'url' string"
        return FetchResult(n, "", None, None, None, "bad_line", why, raw)
    url, doc_id = entry["url"], entry.get("id")
    doc_id = str(doc_id)[:200] if doc_id is not None else None
    expected = entry.get("sha256")
    if not isinstance(expected, str) or len(expected) != 64:
        return FetchResult(
            n, url, doc_id, None, None, "no_hash", "no first-fetch sha256 recorded", raw
        )
    try:
        actual = fetch_sha256(
            url,
            timeout=timeout,
            max_bytes=max_bytes,
            schemes=schemes,
            allow_private=allow_private,
        )
    except (OSError, ValueError) as e:
        return FetchResult(n, url, doc_id, expected, None, "unreachable", str(e), raw)
    if actual != expected.lower():
        return FetchResult(
            n,
            url,
            doc_id,
            expected,
            actual,
            "changed",
            "content differs from the first fetch (possible split-view)",
            raw,
        )
    return FetchResult(n, url, doc_id, expected, actual, "ok", "", raw)


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
    schemes: Sequence[str] = DEFAULT_SCHEMES,
    allow_private: bool = False,
) -> Iterator[FetchResult]:
    """Re-fetch every URL of a JSONL list (in parallel), yielding results in input order."""
    with ThreadPoolExecutor(max_workers=max(1, workers)) as pool:
        yield from pool.map(
            lambda e: _check_one(e[0], e[1], e[2], timeout, max_bytes, schemes, allow_private),
            read_url_list(path),
        )


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
    schemes: Sequence[str] = DEFAULT_SCHEMES,
    allow_private: bool = False,
) -> Iterator[dict[str, Any]]:
    """First fetch: ``{"url", "sha256"}`` per URL (``error`` instead when unreachable)."""

    def one(url: str) -> dict[str, Any]:
        try:
            digest = fetch_sha256(
                url, timeout=timeout, schemes=schemes, allow_private=allow_private
            )
            return {"url": url, "sha256": digest}
        except (OSError, ValueError) as e:
            return {"url": url, "error": str(e)}

    with ThreadPoolExecutor(max_workers=max(1, workers)) as pool:
        yield from pool.map(one, urls)


def as_url(path_or_url: str) -> str:
    """A file URL for a local path; URLs unchanged."""
    return path_or_url if "://" in path_or_url else Path(path_or_url).resolve().as_uri()
