"""I/O benchmark: read throughput per core and peak memory when streaming.

Run by hand (not part of the test suite)::

    python benchmarks/io.py [--corpus ../shared/corpora/books.jsonl.gz] [--big-gb 1.0]

1. Converts the corpus to ``.jsonl.zst`` and Parquet with poisonguard's writers.
2. Times ``CorpusReader`` over JSONL.gz, JSONL.zst and Parquet, next to a plain
   ``gzip.open`` + ``json.loads`` loop over the same JSONL.gz, in the same run, on one core.
   Throughput is reported against the *uncompressed JSONL* size, so all formats share one
   denominator.
3. Generates a ≥ 1 GB JSONL corpus (copies of the real documents with new ids) and streams
   it through ``poisonguard corpus convert`` to ``.jsonl.zst`` in a child process, reporting
   the child's peak RSS (target: < 300 MB).

Prints a Markdown section; ``--write`` replaces the ``## I/O`` section of
``docs/benchmarks.md``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import gzip
import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from _common import ROOT, machine, replace_section

from poisonguard.io import CorpusReader, CorpusWriter, Document


def _timed(fn: Callable[[], int], repeats: int = 3) -> tuple[float, int]:
    best = float("inf")
    n = 0
    for _ in range(repeats):
        t0 = time.perf_counter()
        n = fn()
        best = min(best, time.perf_counter() - t0)
    return best, n


def _count_reader(path: Path) -> int:
    return sum(1 for item in CorpusReader(path) if isinstance(item, Document))


def _count_baseline(path: Path) -> int:
    n = 0
    with gzip.open(path, "rt", encoding="utf-8") as f:
        for line in f:
            rec = json.loads(line)
            n += bool(rec["text"])
    return n


def _make_big(src: Path, out: Path, target_bytes: int) -> int:
    docs = [d for d in CorpusReader(src) if isinstance(d, Document)]
    written = 0
    rounds = 0
    with open(out, "wb") as f:
        while written < target_bytes:
            for d in docs:
                line = (
                    json.dumps(
                        {"id": f"r{rounds}-{d.id}", "text": d.text, "meta": d.metadata},
                        ensure_ascii=False,
                    ).encode()
                    + b"\n"
                )
                f.write(line)
                written += len(line)
            rounds += 1
    return written


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--corpus", default=str(ROOT.parent / "shared/corpora/books.jsonl.gz"))
    ap.add_argument("--big-gb", type=float, default=1.0)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--write", action="store_true", help="update docs/benchmarks.md")
    args = ap.parse_args()
    src = Path(args.corpus)
    if not src.is_file():
        sys.exit(f"corpus not found: {src}")

    with tempfile.TemporaryDirectory(prefix="pg-io-bench-") as tmp:
        tmpd = Path(tmp)
        with gzip.open(src, "rb") as raw:
            raw_bytes = sum(len(line) for line in raw)
        with CorpusWriter(tmpd / "c.jsonl.zst") as w:
            for d in CorpusReader(src):
                w.write(d)  # type: ignore[arg-type]
        with CorpusWriter(tmpd / "c.parquet", row_group_rows=2048) as w:
            for d in CorpusReader(src):
                w.write(d)  # type: ignore[arg-type]
        rows = []
        t_base, n_base = _timed(lambda: _count_baseline(src), args.repeats)
        for label, path in (
            ("JSONL.gz", src),
            ("JSONL.zst", tmpd / "c.jsonl.zst"),
            ("Parquet", tmpd / "c.parquet"),
        ):
            t, n = _timed(lambda p=path: _count_reader(p), args.repeats)  # type: ignore[misc]
            assert n == n_base, (label, n, n_base)
            rows.append((label, path.stat().st_size, t, n))

        big = tmpd / "big.jsonl"
        big_bytes = _make_big(src, big, int(args.big_gb * 1e9))
        t0 = time.perf_counter()
        # The child reports its own high-water mark (VmHWM); the parent's RUSAGE_CHILDREN
        # would include the pages the child inherited from this (large) process at fork.
        code = (
            "import sys\nfrom poisonguard.cli import app\ntry:\n    app(sys.argv[1:])\n"
            "finally:\n    hwm = [l for l in open('/proc/self/status') if "
            "l.startswith('VmHWM')][0]\n    print(hwm, file=sys.stderr)\n"
        )
        cmd = [
            sys.executable,
            "-c",
            code,
            "corpus",
            "convert",
            str(big),
            "--out",
            str(tmpd / "big-out.jsonl.zst"),
            "--json",
        ]
        proc = subprocess.run(
            cmd,
            capture_output=True,
            text=True,
            check=True,
            env={**os.environ, "PYTHONPATH": str(ROOT / "src")},
        )
        t_big = time.perf_counter() - t0
        hwm_line = next(x for x in proc.stderr.splitlines() if x.startswith("VmHWM"))
        peak_mb = int(hwm_line.split()[1]) / 1024
        summary = json.loads(proc.stdout)["accounting"]

    mb = raw_bytes / 1e6
    today = dt.date.today().isoformat()
    lines = [
        "## I/O",
        "",
        f"`python benchmarks/io.py` on {today}; machine: {machine()}. Single process (one "
        f"core). Corpus: `{src.name}` ({n_base:,} documents, {mb:,.1f} MB as uncompressed "
        "JSONL). MB/s counts uncompressed JSONL bytes for every format; best of "
        f"{args.repeats} runs.",
        "",
        "| reader | file size (MB) | seconds | MB/s per core | docs/s | vs gzip+json.loads |",
        "|---|---:|---:|---:|---:|---:|",
        f"| baseline: `gzip.open` + `json.loads` (JSONL.gz) | {src.stat().st_size / 1e6:,.1f} "
        f"| {t_base:.2f} | {mb / t_base:,.1f} | {n_base / t_base:,.0f} | 1.00× |",
    ]
    for label, size, t, n in rows:
        lines.append(
            f"| poisonguard `CorpusReader` ({label}) | {size / 1e6:,.1f} | {t:.2f} | "
            f"{mb / t:,.1f} | {n / t:,.0f} | {t_base / t:.2f}× |"
        )
    lines += [
        "",
        f"Streaming memory: `poisonguard corpus convert` of a generated {big_bytes / 1e9:.2f} GB "
        f"JSONL corpus ({summary['records_read']:,} records) to `.jsonl.zst` took "
        f"{t_big:.1f} s ({big_bytes / 1e6 / t_big:,.1f} MB/s) with a peak RSS of "
        f"**{peak_mb:,.0f} MB** (target < 300 MB); accounting balanced: "
        f"{summary['balanced']}.",
        "",
    ]
    section = "\n".join(lines)
    print(section)
    if args.write:
        replace_section("## I/O", section)


if __name__ == "__main__":
    main()
