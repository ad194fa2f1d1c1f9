"""Provenance benchmark: ledger ingest rate, manifest/Merkle build + verify at 1M docs, hashing.

Run by hand (not part of the test suite)::

    nice -n 10 python benchmarks/provenance.py [--docs 1000000] [--ledger-docs 200000]
        [--pg-url postgresql+psycopg://postgres@127.0.0.1:55432/poisonguard_test] [--write]

1. Generates ``--docs`` small JSONL documents (~150-char texts with id, source, licence,
   URL and retrieved_at; deterministic).
2. Ledger ingest (``Ledger.ingest``) of the first ``--ledger-docs`` of them into SQLite and,
   when a PostgreSQL URL is given (``--pg-url`` or ``POISONGUARD_TEST_PG_URL``), PostgreSQL
   (a throw-away schema): documents/s for the first ingest, for an idempotent re-ingest,
   and end to end including reading + lineage.
3. In child processes (so each peak RSS is its own): ``build_manifest`` over all documents
   (external sort + streaming Merkle tree), also over a quarter of them to show that memory
   does not grow with the corpus; ``check_manifest`` (what ``sign`` runs); and a full
   ``verify`` (signatures, manifest, Merkle root, corpus = manifest, policy).
4. Hash throughput: ``file_sha256`` (hashlib, 1 MiB chunks; the manifest/policy digests)
   next to ``sha256sum`` on the same corpus file, in the same run, best of 3 after a warm-up
   read; and per-document text hashing as ``lineage_of`` does it.

Prints a Markdown section; ``--write`` replaces the ``## Provenance`` section of
``docs/benchmarks.md``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import json
import os
import platform
import random
import resource
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

import orjson
from _common import cpu_model, replace_section

from poisonguard.io import CorpusReader
from poisonguard.provenance import (
    Ledger,
    attest_manifest,
    build_manifest,
    check_manifest,
    generate_keypair,
    lineage_of,
    load_signer,
    verify,
)
from poisonguard.provenance.canonical import file_sha256

WORDS = [
    "data",
    "model",
    "token",
    "poison",
    "trigger",
    "clean",
    "source",
    "licence",
    "corpus",
    "manifest",
    "merkle",
    "leaf",
    "node",
    "proof",
    "hash",
    "signature",
    "policy",
    "ledger",
    "verify",
    "train",
    "web",
    "page",
    "news",
    "book",
    "science",
    "river",
    "mountain",
    "city",
    "music",
    "history",
    "language",
]
SOURCES = [
    ("c4", "ODC-BY 1.0", "https://news.example.org/"),
    ("wiki", "CC BY-SA 3.0", "https://en.example.org/wiki/"),
    ("med", "CC BY 4.0", "https://health.example.gov/"),
]


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def generate(path: Path, n: int, seed: int = 0) -> int:
    rng = random.Random(seed)
    size = 0
    with open(path, "wb") as f:
        for i in range(n):
            sid, lic, base = SOURCES[i % 3]
            text = " ".join(rng.choices(WORDS, k=22))
            line = orjson.dumps(
                {
                    "id": f"gen-{i:08d}",
                    "text": text,
                    "source": sid,
                    "license": lic,
                    "meta": {"url": f"{base}{i}", "retrieved_at": "2025-06-01T00:00:00Z"},
                }
            )
            f.write(line + b"\n")
            size += len(line) + 1
    return size


# -- child phases ---------------------------------------------------------------------
def phase_manifest(corpus: str, out: str) -> dict[str, Any]:
    t = time.perf_counter()
    s = build_manifest(CorpusReader(corpus).documents(), out)
    return {
        "seconds": time.perf_counter() - t,
        "records": s.count,
        "runs": s.spilled_runs,
        "root": s.root,
        "peak_rss_mb": peak_rss_mb(),
    }


def phase_check(manifest: str) -> dict[str, Any]:
    t = time.perf_counter()
    c = check_manifest(manifest)
    return {
        "seconds": time.perf_counter() - t,
        "ok": c.ok,
        "records": c.count,
        "peak_rss_mb": peak_rss_mb(),
    }


def phase_verify(corpus: str, att: str, policy: str, manifest: str) -> dict[str, Any]:
    t = time.perf_counter()
    rep = verify(CorpusReader(corpus).documents(), att, policy, manifest=manifest)
    return {
        "seconds": time.perf_counter() - t,
        "ok": rep.ok,
        "failed": [c.detail for c in rep.failed],
        "peak_rss_mb": peak_rss_mb(),
    }


def phase_ledger(corpus: str, target: str, schema: str | None) -> dict[str, Any]:
    t0 = time.perf_counter()
    lins = [lineage_of(d) for d in CorpusReader(corpus).documents()]
    t_read = time.perf_counter() - t0
    out: dict[str, Any] = {"docs": len(lins), "read_lineage_s": t_read}
    led = Ledger(target, schema=schema)
    try:
        t = time.perf_counter()
        s = led.ingest(lins)
        out["ingest_s"] = time.perf_counter() - t
        assert s.new_documents == len(lins), s
        t = time.perf_counter()
        s = led.ingest(lins)
        out["reingest_s"] = time.perf_counter() - t
        assert s.unchanged == len(lins), s
    finally:
        if schema:
            from sqlalchemy import text

            with led.engine.begin() as conn:
                conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        led.close()
    return out


def child(phase: str, *args: str) -> dict[str, Any]:
    """Run one phase in a fresh interpreter; returns its JSON result."""
    r = subprocess.run(
        [sys.executable, __file__, "--phase", phase, *args],
        capture_output=True,
        text=True,
        check=False,
    )
    if r.returncode != 0:
        raise RuntimeError(f"phase {phase} failed:\n{r.stderr[-3000:]}")
    return dict(json.loads(r.stdout.strip().splitlines()[-1]))


# -- hashing --------------------------------------------------------------------------
def hash_bench(corpus: Path, rounds: int = 3) -> dict[str, Any]:
    size = corpus.stat().st_size
    subprocess.run(["sha256sum", str(corpus)], capture_output=True, check=True)  # warm cache
    ours, theirs = [], []
    want = None
    for _ in range(rounds):
        t = time.perf_counter()
        r = subprocess.run(["sha256sum", str(corpus)], capture_output=True, text=True, check=True)
        theirs.append(time.perf_counter() - t)
        want = r.stdout.split()[0]
        t = time.perf_counter()
        got = file_sha256(str(corpus))
        ours.append(time.perf_counter() - t)
        assert got == want
    # per-document hashing of the texts (many small updates, as lineage_of does)
    texts = [
        orjson.loads(line)["text"].encode() for line in corpus.open("rb").readlines()[:200_000]
    ]
    nbytes = sum(len(x) for x in texts)
    t = time.perf_counter()
    for x in texts:
        hashlib.sha256(x).hexdigest()
    per_doc = time.perf_counter() - t
    return {
        "bytes": size,
        "sha256sum_s": min(theirs),
        "ours_s": min(ours),
        "per_doc_docs": len(texts),
        "per_doc_bytes": nbytes,
        "per_doc_s": per_doc,
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--docs", type=int, default=1_000_000)
    ap.add_argument("--ledger-docs", type=int, default=200_000)
    ap.add_argument("--pg-url", default=os.environ.get("POISONGUARD_TEST_PG_URL"))
    ap.add_argument("--work", type=Path, default=None, help="scratch folder (default: temp)")
    ap.add_argument("--write", action="store_true", help="update docs/benchmarks.md")
    ap.add_argument("--phase", help=argparse.SUPPRESS)
    ap.add_argument("args", nargs="*", help=argparse.SUPPRESS)
    a = ap.parse_args()
    if a.phase:
        fn = {
            "manifest": phase_manifest,
            "check": phase_check,
            "verify": phase_verify,
            "ledger": lambda c, t, s="": phase_ledger(c, t, s or None),
        }[a.phase]
        print(json.dumps(fn(*a.args)))
        return

    tmp = tempfile.TemporaryDirectory(prefix="pg-prov-bench-", dir=a.work)
    work = Path(tmp.name)
    res: dict[str, Any] = {"load_start": os.getloadavg()[0]}
    corpus = work / "corpus.jsonl"
    t = time.perf_counter()
    res["corpus_bytes"] = generate(corpus, a.docs)
    print(
        f"generated {a.docs:,} docs ({res['corpus_bytes'] / 1e6:.0f} MB) in "
        f"{time.perf_counter() - t:.1f}s",
        file=sys.stderr,
    )
    quarter = work / "quarter.jsonl"
    ledger_corpus = work / "ledger.jsonl"
    with corpus.open("rb") as src, quarter.open("wb") as q, ledger_corpus.open("wb") as lc:
        for i, line in enumerate(src):
            if i < a.docs // 4:
                q.write(line)
            if i < a.ledger_docs:
                lc.write(line)

    res["ledger_sqlite"] = child("ledger", str(ledger_corpus), str(work / "ledger.db"))
    print("sqlite", res["ledger_sqlite"], file=sys.stderr)
    if a.pg_url:
        schema = f"bench_{uuid.uuid4().hex[:10]}"
        res["ledger_pg"] = child("ledger", str(ledger_corpus), a.pg_url, schema)
        print("pg", res["ledger_pg"], file=sys.stderr)

    res["manifest_quarter"] = child("manifest", str(quarter), str(work / "q.manifest.jsonl"))
    print("manifest 1/4", res["manifest_quarter"], file=sys.stderr)
    manifest = work / "manifest.jsonl"
    res["manifest"] = child("manifest", str(corpus), str(manifest))
    print("manifest", res["manifest"], file=sys.stderr)
    res["manifest_bytes"] = manifest.stat().st_size
    res["check"] = child("check", str(manifest))
    print("check", res["check"], file=sys.stderr)

    key = generate_keypair(work / "bench")
    policy = work / "policy.json"
    policy.write_text(
        json.dumps(
            {
                "signers": {"threshold": 1, "keys": [{"public_key": key.public_path.read_text()}]},
                "sources": {"allow_ids": ["c4", "wiki", "med"]},
                "licenses": {"allow": ["ODC-By-1.0", "CC-BY-SA-3.0", "CC-BY-4.0"]},
            }
        )
    )
    env, _ = attest_manifest(manifest, policy, [load_signer(key.private_path)])
    att = work / "manifest.jsonl.dsse.json"
    att.write_bytes(orjson.dumps(env))
    res["verify"] = child("verify", str(corpus), str(att), str(policy), str(manifest))
    print("verify", res["verify"], file=sys.stderr)
    if not res["verify"]["ok"]:
        raise SystemExit(f"verification of the untouched corpus failed: {res['verify']}")
    res["hash"] = hash_bench(corpus)
    print("hash", res["hash"], file=sys.stderr)
    res["load_end"] = os.getloadavg()[0]
    section = render(res, a)
    print(section)
    if a.write:
        replace_section("## Provenance", section)
    tmp.cleanup()


def render(r: dict[str, Any], a: argparse.Namespace) -> str:
    n = a.docs
    mb = r["corpus_bytes"] / 1e6
    lines = [
        "## Provenance",
        "",
        f"`nice -n 10 python benchmarks/provenance.py --docs {n} --ledger-docs "
        f"{a.ledger_docs}{' --pg-url …' if a.pg_url else ''}` on "
        f"{dt.date.today().isoformat()}; machine: {cpu_model()}, {os.cpu_count()} cores, "
        f"Python {platform.python_version()}; single process per phase (one core), the "
        f"machine shared with other work (1-minute load average {r['load_start']:.1f} at the "
        f"start, {r['load_end']:.1f} at the end, on 2 cores: timings are pessimistic). "
        f"Corpus: {n:,} generated small JSONL documents "
        f"({mb:,.0f} MB, ~150-character texts with id, source, licence, URL, retrieved_at).",
        "",
        "**Ledger ingest** (`Ledger.ingest`, batches of 5,000; lineage computed beforehand):",
        "",
        "| backend | documents | first ingest | docs/s | re-ingest (no change) | docs/s "
        "| read + lineage docs/s |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for name, key in (
        ("SQLite (file, WAL)", "ledger_sqlite"),
        ("PostgreSQL 15 (local server)", "ledger_pg"),
    ):
        x = r.get(key)
        if not x:
            lines.append(f"| {name} | not run (no server URL) | | | | | |")
            continue
        d = x["docs"]
        lines.append(
            f"| {name} | {d:,} | {x['ingest_s']:.1f} s | {d / x['ingest_s']:,.0f} | "
            f"{x['reingest_s']:.1f} s | {d / x['reingest_s']:,.0f} | "
            f"{d / x['read_lineage_s']:,.0f} |"
        )
    m, q, c, v, h = r["manifest"], r["manifest_quarter"], r["check"], r["verify"], r["hash"]
    lines += [
        "",
        "**Manifest + Merkle tree** (each row a fresh child process; peak RSS is that process's "
        "`ru_maxrss`; the external sort spills runs of 200,000 records):",
        "",
        "| step | documents | seconds | docs/s | peak RSS |",
        "|---|---:|---:|---:|---:|",
        f"| `build_manifest` (read, lineage, JCS, external sort, write, Merkle) | "
        f"{q['records']:,} | {q['seconds']:.1f} | {q['records'] / q['seconds']:,.0f} | "
        f"{q['peak_rss_mb']:.0f} MB |",
        f"| `build_manifest` | {m['records']:,} | {m['seconds']:.1f} | "
        f"{m['records'] / m['seconds']:,.0f} | {m['peak_rss_mb']:.0f} MB |",
        f"| `check_manifest` (digest, canonical + order check, Merkle root; run by `sign`) | "
        f"{c['records']:,} | {c['seconds']:.1f} | {c['records'] / c['seconds']:,.0f} | "
        f"{c['peak_rss_mb']:.0f} MB |",
        f"| `verify` (signature, manifest, root, corpus = manifest, policy) | {n:,} | "
        f"{v['seconds']:.1f} | {n / v['seconds']:,.0f} | {v['peak_rss_mb']:.0f} MB |",
        "",
        f"Manifest: {r['manifest_bytes'] / 1e6:,.0f} MB, {m['runs']} sorted runs merged; "
        f"verification of the untouched corpus passed. Peak RSS at {n // 4:,} and {n:,} "
        "documents shows memory bounded by the sort buffer, not the corpus size.",
        "",
        "**Hash throughput** on the same corpus file, same run (best of 3, warm page cache):",
        "",
        "| hasher | bytes | seconds | MB/s | vs `sha256sum` |",
        "|---|---:|---:|---:|---:|",
        f"| `sha256sum` (coreutils) | {h['bytes']:,} | {h['sha256sum_s']:.2f} | "
        f"{h['bytes'] / 1e6 / h['sha256sum_s']:,.0f} | 100% |",
        f"| poisonguard `file_sha256` (hashlib, 1 MiB chunks) | {h['bytes']:,} | "
        f"{h['ours_s']:.2f} | {h['bytes'] / 1e6 / h['ours_s']:,.0f} | "
        f"**{h['sha256sum_s'] / h['ours_s']:.0%}** (target ≥ 80%) |",
        f"| per-document text hashing ({h['per_doc_docs']:,} texts, one call each) | "
        f"{h['per_doc_bytes']:,} | {h['per_doc_s']:.2f} | "
        f"{h['per_doc_bytes'] / 1e6 / h['per_doc_s']:,.0f} | "
        f"{(h['per_doc_bytes'] / h['per_doc_s']) / (h['bytes'] / h['sha256sum_s']):.0%} |",
        "",
        "`file_sha256` is hashlib (OpenSSL's SHA-256); on this machine it is faster than the "
        "coreutils `sha256sum` build (whose time includes its process start, a few ms). "
        "Per-document hashing of ~150-byte texts is bound by the per-call cost (Python + "
        "OpenSSL context setup per text), not by SHA-256 itself.",
        "",
    ]
    return "\n".join(lines)


if __name__ == "__main__":
    main()
