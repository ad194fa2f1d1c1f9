"""Clean flags of the opt-in ``cohesion`` detector alone on each shared clean corpus.

Run by hand (needs ``../shared``)::

    nice -n 10 python benchmarks/cohesion_clean.py [--corpora news books ...] [--pooled]
    nice -n 10 python benchmarks/cohesion_clean.py --corpora news --throughput 10000

Every document of the corpus (full size), the detector's rounds over shards of 2,000
documents with a uniform sample of 10,000 texts (as the scan gives it), then ``flag`` on
every document; prints the share flagged and the confirmed triggers.

``--throughput N``: instead, on a uniform sample of ``N`` documents of each corpus, the CPU
seconds of this process for the default scan, the default scan with ``+cohesion`` (one
worker each) and the datatrove Gopher/C4/FineWeb chain of ``benchmarks/detection.py``, each
after a warm-up, and their MB/s per core.

``--positions``: instead, at every clause opening of every document (not on a heading
line, at least 3 content words before and 12 after), whether the text after it is a change
through the cohesion rule (cohesion <= the threshold at one of its first two content words)
and through the lower bar of a confirmed trigger's carriers (``CohesionMiner._carrier_change``),
by host size (3–7 content words before, 8 or more): the chance that a clean carrier of a
confirmed trigger, set there, is flagged; also through the isolated-opening rule
(``CohesionMiner._isolated_opening``, without its bound on the corpus's change rate) and
through any of the three.
"""

from __future__ import annotations

import argparse
import json
import time
from collections import Counter
from typing import Any

import numpy as np
from detection import CORPORA, DatatroveChain, load, warm_up

import poisonguard
from poisonguard.detect.cohesion import CohesionMiner, on_heading_line, opens_clause
from poisonguard.detect.rounds import run_rounds
from poisonguard.io import Document

CLEAN = ("news", "books", "medical", "multilingual", "web", "web_lowquality", "wiki")


def clean_flags(name: str, docs: list[Document], options: dict[str, Any] | None = None) -> None:
    t0 = time.perf_counter()
    rng = np.random.default_rng(0)
    pick = rng.choice(len(docs), min(10_000, len(docs)), replace=False)
    sample = [docs[int(i)].text[:20_000] for i in pick]
    shards = [docs[i : i + 2000] for i in range(0, len(docs), 2000)]
    det, state = run_rounds(CohesionMiner(**(options or {})), shards, sample=sample)
    found = [f for f in (det.flag(d, state) for d in docs) if f is not None]
    flagged = len(found)
    secs = time.perf_counter() - t0
    kinds = Counter((f.trigger, f.extra.get("change")) for f in found)
    trig = [
        (t["trigger"], t["anomalous_docs"], t["containing_docs"], t["expected"])
        for t in state.triggers
    ]
    bins = ", ".join(f"{r:.3f}" for r in state.p0_bins)
    print(
        f"{name:14s} docs={len(docs):6d} flagged={flagged} ({flagged / len(docs):.3%}) "
        f"change_rate={state.p0:.4f} by host size=[{bins}] "
        f"triggers (text, with change, containing, expected)={trig} {secs:.0f}s",
        flush=True,
    )
    print(f"  flagged by (trigger, kind of change): {kinds.most_common(12)}", flush=True)
    rej = [
        (
            r["ngram"],
            r["anomalous_docs"],
            r["containing_docs"],
            r["host_overlap"],
            r["continuation_overlap"],
            r["opening_share"],
        )
        for r in state.rejected
    ]
    print(
        f"  rejected (n-gram, with change, containing, hosts, continuation, opening): "
        f"{len(rej)}: {rej[:40]}",
        flush=True,
    )


def throughput(name: str, docs: list[Document]) -> None:
    """CPU seconds and MB/s per core of the default scan, the scan with ``+cohesion`` and
    the datatrove chain on ``docs`` (one worker, this process)."""
    mb = sum(len(d.text.encode("utf-8", "surrogatepass")) for d in docs) / 1e6
    cpu: dict[str, float] = {}
    t0 = time.process_time()
    poisonguard.scan(docs, kind="pretrain", workers=1)
    cpu["scan"] = time.process_time() - t0
    t0 = time.process_time()
    res = poisonguard.scan(docs, kind="pretrain", workers=1, detectors=["+cohesion"])
    cpu["scan+cohesion"] = time.process_time() - t0
    t0 = time.process_time()
    DatatroveChain().flags([d.text for d in docs])
    cpu["datatrove"] = time.process_time() - t0
    rates = {k: mb / v for k, v in cpu.items()}
    print(
        f"{name:14s} docs={len(docs)} MB={mb:.2f} "
        + " ".join(f"{k}={cpu[k]:.1f}s ({rates[k]:.2f} MB/s)" for k in cpu)
        + f" scan/datatrove={rates['scan'] / rates['datatrove']:.1f}x"
        + f" scan+cohesion/datatrove={rates['scan+cohesion'] / rates['datatrove']:.1f}x"
        + f" flagged with cohesion={res.flagged}",
        flush=True,
    )


def positions(name: str, docs: list[Document], options: dict[str, Any] | None = None) -> None:
    """Share of clause openings that are a change by the cohesion rule, by the lower bar of
    a confirmed trigger's carriers, and by either, after a short (3–7 content words) and a
    longer host."""
    det = CohesionMiner(**(options or {}))
    n: Counter[tuple[str, str]] = Counter()
    for d in docs:
        tk = det._tok(d.text)
        for k in range(3, len(tk.content) - 12):
            w = int(tk.content[k])
            at = int(tk.starts[w])
            if not opens_clause(d.text, at) or on_heading_line(d.text, at):
                continue
            host = "short" if k < det.min_back else "long"
            vals = tk.cohesion[k : k + 2]
            coh = bool(np.nanmin(vals) <= det.threshold) if not np.isnan(vals).all() else False
            bar = det._carrier_change(tk, w, w - 1) is not None
            iso = det._isolated_opening(tk, w, w - 1) is not None
            n[host, "positions"] += 1
            n[host, "cohesion"] += coh
            n[host, "lower bar"] += bar
            n[host, "isolated"] += iso
            n[host, "either"] += coh or bar
            n[host, "any"] += coh or bar or iso
    for host in ("short", "long"):
        tot = max(1, n[host, "positions"])
        print(
            f"{name:14s} host={host:5s} clause openings={n[host, 'positions']} "
            + " ".join(
                f"{k}={n[host, k]} ({n[host, k] / tot:.3f})"
                for k in ("cohesion", "lower bar", "either", "isolated", "any")
            ),
            flush=True,
        )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--corpora", nargs="*", default=list(CLEAN), choices=list(CLEAN))
    ap.add_argument("--pooled", action="store_true", help="also all of them pooled")
    ap.add_argument("--n", type=int, default=10**9, help="documents per corpus (default: all)")
    ap.add_argument("--options", type=json.loads, default={}, help="detector options, JSON")
    ap.add_argument(
        "--throughput", type=int, default=0, help="N: CPU time of scan, +cohesion, datatrove"
    )
    ap.add_argument(
        "--positions", action="store_true", help="change shares at clause openings (no rounds)"
    )
    a = ap.parse_args()
    if a.positions:
        for name in a.corpora:
            positions(name, load(name, a.n), a.options)
        return
    if a.throughput:
        warm_up()
        for name in a.corpora:
            throughput(name, load(name, a.throughput))
        return
    pooled: list[Document] = []
    for name in a.corpora:
        if not (CORPORA / f"{name}.jsonl.gz").is_file():
            raise SystemExit(f"needs the shared corpora at {CORPORA}")
        docs = load(name, a.n)
        pooled += docs
        clean_flags(name, docs, a.options)
    if a.pooled:
        clean_flags("pooled", pooled, a.options)


if __name__ == "__main__":
    main()
