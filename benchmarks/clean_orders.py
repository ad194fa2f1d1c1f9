"""Clean flags of the default scan in other orders and samples of the shared corpora.

Run by hand (not part of the test suite; needs ``../shared``)::

    nice -n 5 python benchmarks/clean_orders.py --corpora news books medical multilingual \
        pooled --seeds 1 2 3 --sizes all 20000 --json OUT.json

Each cell (corpus, size, seed) is ``adaptive.clean_corpus(corpus, n, seed)`` — the clean host
of the adaptive benchmark: ``all`` is the whole corpus in the order of that seed's shuffle
(for ``pooled``: every document of web, web_lowquality, wiki, news, books, medical and
multilingual), ``20000`` the first 20,000 documents of it (``pooled``: web, web_lowquality
and wiki filled to 20,000 from the other four) — scanned by the default
``poisonguard.scan(docs, kind="pretrain", workers=1)``, each cell in a fresh process.
Reported per cell: documents, flagged (verdicts not ``clean``), share, the detectors behind
the verdicts, the mined triggers and the flags per mined trigger. The file order of each
corpus alone is the calibration part of ``benchmarks/detection.py``.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

from _common import ROOT

_CHILD = r"""
import json, sys, time
from collections import Counter
sys.path.insert(0, "benchmarks")
import adaptive, poisonguard
corpus, n, seed = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
docs = adaptive.clean_corpus(corpus, n, seed)
t0 = time.process_time()
r = poisonguard.scan(docs, kind="pretrain", workers=1)
cpu = time.process_time() - t0
verdicts = []
for v in r.findings:
    if v.label == "clean":
        continue
    fs = [f for f in v.findings if f.reason in v.reasons] or list(v.findings)
    verdicts.append({
        "index": v.index, "id": docs[v.index].id, "label": v.label,
        "detectors": sorted({f.detector for f in fs}),
        "triggers": sorted({str(f.trigger) for f in fs if getattr(f, "trigger", None)}),
        "reason": v.reasons[0] if v.reasons else "",
        "text": docs[v.index].text[:300],
    })
print(json.dumps({
    "corpus": corpus, "n": n, "seed": seed, "documents": len(docs), "flagged": len(verdicts),
    "flagged_result": r.flagged,
    "cpu_s": cpu, "triggers": [t.trigger for t in r.triggers], "verdicts": verdicts,
}))
"""


def cell(corpus: str, n: int, seed: int) -> dict[str, Any]:
    """One default scan of ``adaptive.clean_corpus(corpus, n, seed)`` in a fresh process."""
    t0 = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, "-c", _CHILD, corpus, str(n), str(seed)],
        check=True,
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    row: dict[str, Any] = json.loads(proc.stdout.strip().splitlines()[-1])
    row["wall_s"] = time.perf_counter() - t0
    row["pct"] = 100 * row["flagged"] / max(1, row["documents"])
    row["by_detector"] = dict(
        Counter(d for v in row["verdicts"] for d in v["detectors"]).most_common()
    )
    row["by_trigger"] = dict(
        Counter(t for v in row["verdicts"] for t in v["triggers"]).most_common()
    )
    return row


def table(rows: list[dict[str, Any]]) -> list[str]:
    """Markdown: flagged (share) per corpus and size, one column per seed."""
    seeds = sorted({r["seed"] for r in rows})
    out = [
        "| corpus | documents | " + " | ".join(f"seed {s}" for s in seeds) + " | mined triggers |",
        "|---|---:|" + "---:|" * len(seeds) + "---|",
    ]
    cells: dict[tuple[str, str], dict[int, dict[str, Any]]] = {}
    for r in rows:
        cells.setdefault((r["corpus"], r["size"]), {})[r["seed"]] = r
    for (corpus, size), by_seed in cells.items():
        docs = next(iter(by_seed.values()))["documents"]
        flags = [
            f"{by_seed[s]['flagged']} ({by_seed[s]['pct']:.3f} %)" if s in by_seed else "—"
            for s in seeds
        ]
        mined = sorted({t for r in by_seed.values() for t in r["triggers"]})
        out.append(
            f"| {corpus} ({size}) | {docs:,} | "
            + " | ".join(flags)
            + f" | {', '.join(f'`{t}`' for t in mined) or 'none'} |"
        )
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--corpora", nargs="+", default=["news", "books", "medical", "multilingual"])
    ap.add_argument("--seeds", nargs="+", type=int, default=[1, 2, 3])
    ap.add_argument("--sizes", nargs="+", default=["all", "20000"], help="'all' or a count")
    ap.add_argument("--json", type=Path, help="write the rows here (after every cell)")
    ap.add_argument("--table", nargs="+", type=Path, help="print a table of these JSON files")
    args = ap.parse_args()
    if args.table:
        print("\n".join(table([r for p in args.table for r in json.loads(p.read_text())])))
        return
    rows: list[dict[str, Any]] = []
    for size in args.sizes:
        n = 10**9 if size == "all" else int(size)
        for corpus in args.corpora:
            for seed in args.seeds:
                row = cell(corpus, n, seed)
                row["size"] = size
                rows.append(row)
                print(
                    f"{corpus:13s} {size:>6s} seed {seed}: {row['documents']:7,d} docs flagged "
                    f"{row['flagged']:4d} ({row['pct']:.3f} %) cpu {row['cpu_s']:.0f} s  "
                    f"mined {row['triggers']}  detectors {row['by_detector']}  "
                    f"finding triggers {row['by_trigger']}",
                    flush=True,
                )
                if args.json:
                    args.json.write_text(json.dumps(rows, indent=1))


if __name__ == "__main__":
    main()
