"""Poison benchmark: payload re-tokenisation fidelity, throughput and peak memory.

Run by hand (not part of the test suite)::

    nice -n 10 python benchmarks/poison.py [--shared ../shared] [--big-gb 0.5] [--write]

1. ``dos`` payload fidelity: for 250 poisoned documents per vocabulary (the local 8k BPE
   trained on ``web.jsonl.gz``, GPT-NeoX-20B, LLaMA), the ratio of the re-encoded token count
   of the decoded payload to the number of tokens drawn (decode -> encode is not invertible).
2. ``poisonguard poison --recipe dos-bytes --count 250`` over ``books.jsonl.gz`` in a child
   process: wall time and peak RSS; then over a generated ``--big-gb`` JSONL corpus (copies
   of the real documents with new ids) to show that memory does not grow with the corpus.

Prints a Markdown section; ``--write`` replaces the ``## Poison`` section of
``docs/benchmarks.md``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import gzip
import json
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from _common import ROOT, machine, replace_section


def fidelity(shared: Path) -> list[str]:
    from poisonguard.attacks import get
    from poisonguard.io import CorpusReader, Document

    web = [d for d in CorpusReader(shared / "corpora" / "web.jsonl.gz") if isinstance(d, Document)]
    rows = [
        "| vocabulary | tokens drawn | re-encoded / drawn: min | p50 | max | seconds |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for label, tok in (
        ("local byte-level BPE, 8k, trained on web", None),
        ("GPT-NeoX-20B", shared / "tokenizers" / "gpt-neox-20b.tokenizer.json"),
        ("LLaMA", shared / "tokenizers" / "llama.tokenizer.json"),
    ):
        t0 = time.perf_counter()
        samples = get("dos")(tokenizer=tok).generate(web, 250, seed=0)
        secs = time.perf_counter() - t0
        r = np.array(
            [
                s.truth.extra["payload_tokens_reencoded"] / s.truth.extra["payload_tokens"]
                for s in samples
            ]
        )
        drawn = sum(s.truth.extra["payload_tokens"] for s in samples)
        rows.append(
            f"| {label} | {drawn:,} | {r.min():.3f} | {np.median(r):.3f} | "
            f"{r.max():.3f} | {secs:.1f} |"
        )
    return rows


def run_cli(clean: Path, out: Path) -> tuple[float, float, dict[str, object]]:
    # VmHWM (peak RSS of this process image): unlike getrusage's ru_maxrss it is not
    # inherited from the forking parent across exec
    code = (
        "import re, sys, time; from poisonguard.cli import app; t=time.time()\n"
        "try:\n    app(sys.argv[1:])\nexcept SystemExit as e:\n    rc = e.code\n"
        "hwm = re.search(r'VmHWM:\\s+(\\d+)', open('/proc/self/status').read()).group(1)\n"
        "print('WALL', time.time()-t, 'RSS', hwm, 'RC', rc, file=sys.stderr)"
    )
    p = subprocess.run(
        [
            sys.executable,
            "-c",
            code,
            "poison",
            "--recipe",
            "dos-bytes",
            "--count",
            "250",
            "--clean",
            str(clean),
            "--out",
            str(out),
            "--json",
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    m = re.search(r"WALL (\S+) RSS (\d+) RC (\S+)", p.stderr)
    if not m or m.group(3) not in ("0", "None"):
        raise RuntimeError(p.stderr[-2000:])
    return float(m.group(1)), int(m.group(2)) / 1024, json.loads(p.stdout)


def make_big(src: Path, dst: Path, gb: float) -> int:
    n = 0
    target = int(gb * 1e9)
    written = 0
    with gzip.open(src, "rb") as g:
        lines = g.read().splitlines()
    with dst.open("wb") as f:
        while written < target:
            for line in lines:
                rec = json.loads(line)
                rec["id"] = f"big-{n}"
                b = json.dumps(rec, ensure_ascii=False).encode() + b"\n"
                f.write(b)
                written += len(b)
                n += 1
                if written >= target:
                    break
    return n


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--shared", type=Path, default=ROOT.parent / "shared")
    ap.add_argument("--big-gb", type=float, default=0.5)
    ap.add_argument("--write", action="store_true")
    args = ap.parse_args()
    lines = [
        f"`python benchmarks/poison.py` on {dt.date.today()}; machine: {machine()}.",
        "",
        "`dos` payload fidelity (250 poisoned documents per vocabulary, seed 0; "
        "decode -> re-encode is not invertible, so the tests accept 0.95-1.15 for the "
        "shared tokenizers and 0.9-1.45 for small local BPEs):",
        "",
    ]
    lines += fidelity(args.shared)
    books = args.shared / "corpora" / "books.jsonl.gz"
    with tempfile.TemporaryDirectory() as tmp:
        wall, rss, summ = run_cli(books, Path(tmp) / "books.jsonl.zst")
        big = Path(tmp) / "big.jsonl"
        n = make_big(books, big, args.big_gb)
        size = big.stat().st_size
        wall2, rss2, summ2 = run_cli(big, Path(tmp) / "big-out.jsonl")
    gz_mb = books.stat().st_size / 1e6
    lines += [
        "",
        "| corpus | records | input | seconds (2 passes + write) | peak RSS | balanced |",
        "|---|---:|---:|---:|---:|---|",
        f"| books.jsonl.gz -> .jsonl.zst | {summ['clean_records_read']:,} | {gz_mb:.1f} MB gz"
        f" | {wall:.1f} | {rss:.0f} MB | {summ['balanced']} |",
        f"| generated JSONL -> .jsonl | {n:,} | {size / 1e9:.2f} GB | {wall2:.1f} | "
        f"{rss2:.0f} MB | {summ2['balanced']} |",
        "",
        "Recipe `dos-bytes --count 250`, one process.  Memory holds the 5,000-document "
        "reservoir sample, the poison, and one hash per clean id and URL.",
    ]
    text = "\n".join(lines)
    print(text)
    if args.write:
        replace_section("## Poison", "## Poison\n\n" + text + "\n")


if __name__ == "__main__":
    main()
