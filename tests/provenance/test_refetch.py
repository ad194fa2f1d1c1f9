"""Split-view defence against a local HTTP server on 127.0.0.1 (and file URLs)."""

from __future__ import annotations

import functools
import hashlib
import json
import threading
from collections.abc import Iterator
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from poisonguard.cli import app
from poisonguard.provenance import record_hashes, refetch_check
from poisonguard.provenance.refetch import as_url, summarize


class _QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def site(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    root = tmp_path / "www"
    root.mkdir()
    for i in range(6):
        (root / f"page{i}.html").write_text(f"<p>original page {i}</p>")
    server = ThreadingHTTPServer(
        ("127.0.0.1", 0), functools.partial(_QuietHandler, directory=str(root))
    )
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", root
    finally:
        server.shutdown()
        server.server_close()


def test_changed_content_is_rejected_and_drop_rate_reported(
    site: tuple[str, Path], tmp_path: Path
) -> None:
    base, root = site
    urls = [f"{base}/page{i}.html" for i in range(6)] + [as_url(str(root / "page0.html"))]
    first = list(record_hashes(urls, workers=4))
    assert all("sha256" in r for r in first)
    assert first[0]["sha256"] == hashlib.sha256(b"<p>original page 0</p>").hexdigest()
    listing = tmp_path / "urls.jsonl"
    lines = [dict(r, id=f"u{i}") for i, r in enumerate(first)]
    lines.append({"url": f"{base}/page5.html", "id": "nohash"})
    lines.append({"url": f"{base}/gone.html", "sha256": "0" * 64, "id": "gone"})
    listing.write_text("".join(json.dumps(x) + "\n" for x in lines) + "garbage\n")

    # a domain owner swaps two pages after the list was published (split-view poisoning)
    (root / "page2.html").write_text("<p>poisoned <SUDO> xq zv</p>")
    (root / "page4.html").write_text("<p>original page 4</p> ")

    results = list(refetch_check(listing, workers=4))
    assert [r.line for r in results] == list(range(1, 11))  # input order kept
    rep = summarize(results)
    assert rep.by_status == {"ok": 5, "changed": 2, "no_hash": 1, "unreachable": 1, "bad_line": 1}
    assert {r.id for r in rep.rejected if r.status == "changed"} == {"u2", "u4"}
    assert rep.drop_rate == pytest.approx(0.5)
    assert "404" in next(r.reason for r in rep.rejected if r.status == "unreachable")


def test_cli_refetch_check_splits_kept_and_rejected(site: tuple[str, Path], tmp_path: Path) -> None:
    base, root = site
    plain = tmp_path / "plain.txt"
    plain.write_text("\n".join(f"{base}/page{i}.html" for i in range(4)) + "\n")
    runner = CliRunner()
    hashed = tmp_path / "hashed.jsonl"
    r = runner.invoke(
        app, ["provenance", "refetch-check", str(plain), "--record", "--out", str(hashed)]
    )
    assert r.exit_code == 0, r.output
    r = runner.invoke(app, ["provenance", "refetch-check", str(hashed), "--json"])
    assert r.exit_code == 0 and json.loads(r.stdout)["drop_rate"] == 0
    (root / "page1.html").write_text("changed")
    kept, rej = tmp_path / "kept.jsonl", tmp_path / "rejected.jsonl"
    r = runner.invoke(
        app,
        [
            "provenance",
            "refetch-check",
            str(hashed),
            "--out",
            str(kept),
            "--rejected",
            str(rej),
            "--json",
        ],
    )
    assert r.exit_code == 1
    data = json.loads(r.stdout)
    assert data["drop_rate"] == 0.25 and data["by_status"] == {"ok": 3, "changed": 1}
    assert len(kept.read_text().splitlines()) == 3
    bad = [json.loads(x) for x in rej.read_text().splitlines()]
    assert [b["url"] for b in bad] == [f"{base}/page1.html"] and bad[0]["status"] == "changed"
    r = runner.invoke(app, ["provenance", "refetch-check", str(hashed), "--max-drop-rate", "0.3"])
    assert r.exit_code == 0
