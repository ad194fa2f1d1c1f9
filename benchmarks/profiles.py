"""Scan profiles side by side: cost against the datatrove chain, clean flags on whole corpora.

    # CPU seconds of default and thorough scans and of the datatrove Gopher/C4/FineWeb
    # chain on the same documents, timed alternately (medians of --repeats)
    PYTHONPATH=src:benchmarks python benchmarks/profiles.py cost --corpora news medical --docs 1500
    # clean documents flagged by a profile on whole shared corpora (each alone, or pooled
    # with a comma: web,news,...)
    PYTHONPATH=src:benchmarks python benchmarks/profiles.py clean --profile thorough \
        --corpora multilingual medical

Prints Markdown rows for ``docs/benchmarks.md`` ("Scan profiles") and, with ``--json``, the
raw figures.  Needs the shared corpora (``../shared/corpora``) and the ``datatrove`` and
``embeddings`` extras for the full picture (without MiniLM the semantic stage skips its
last check and says so).
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import sys
import time
from typing import Any

from _common import machine
from detection import CORPORA, DatatroveChain, load, warm_up

import poisonguard


def _cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def cost(corpus: str, n: int, repeats: int) -> dict[str, Any]:
    """Default scan, thorough scan and the datatrove chain on the same ``n`` documents,
    alternately ``repeats`` times: CPU seconds of this process (medians)."""
    docs = load(corpus, n, seed=0)
    mb = sum(len(d.text.encode("utf-8", "surrogatepass")) for d in docs) / 1e6
    chain = DatatroveChain()
    texts = [d.text for d in docs]
    runs: dict[str, list[float]] = {"default": [], "thorough": [], "datatrove": []}
    for _ in range(repeats):
        for prof in ("default", "thorough"):
            c = _cpu()
            poisonguard.scan(docs, kind="pretrain", workers=1, profile=prof)
            runs[prof].append(_cpu() - c)
        c = _cpu()
        chain.flags(texts)
        runs["datatrove"].append(_cpu() - c)
    med = {k: statistics.median(v) for k, v in runs.items()}
    return {
        "corpus": corpus,
        "docs": len(docs),
        "mb": mb,
        "cpu_s": runs,
        "median_cpu_s": med,
        "default_vs_datatrove": med["datatrove"] / med["default"],
        "thorough_vs_datatrove": med["datatrove"] / med["thorough"],
    }


def clean(names: str, profile: str, detectors: list[str] | None = None) -> dict[str, Any]:
    """Scan whole shared corpora (``a,b``: pooled) with ``profile``: flagged documents,
    *poisoned* ones, what flagged them, mined triggers, CPU and wall seconds
    (``detectors``: only these)."""
    files = [str(CORPORA / f"{n}.jsonl.gz") for n in names.split(",")]
    c, t = _cpu(), time.perf_counter()
    res = poisonguard.scan(files, kind="pretrain", workers=1, profile=profile, detectors=detectors)
    by: dict[str, int] = {}
    for v in res.findings:
        key = "+".join(sorted({f.detector for f in v.findings}))
        by[key] = by.get(key, 0) + 1
    return {
        "corpus": names,
        "profile": profile,
        "documents": res.counts.get("documents", 0),
        "flagged": res.flagged,
        "poisoned": res.counts.get("poisoned", 0),
        "by_detectors": by,
        "triggers": [t.trigger for t in res.triggers],
        "cpu_s": _cpu() - c,
        "wall_s": time.perf_counter() - t,
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("what", choices=["cost", "clean"])
    ap.add_argument("--corpora", nargs="+", default=["news", "medical"])
    ap.add_argument("--docs", type=int, default=1500)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--profile", default="thorough", choices=["default", "thorough"])
    ap.add_argument("--json", default=None)
    ap.add_argument("--detectors", nargs="*", default=None, help="clean: run only these detectors")
    a = ap.parse_args()
    if not (CORPORA / "news.jsonl.gz").is_file():
        sys.exit(f"needs the shared corpora at {CORPORA}")
    print(machine())
    rows: list[dict[str, Any]] = []
    if a.what == "cost":
        warm_up()
        poisonguard.scan(load("web", 40, skip=2900), kind="pretrain", profile="thorough")
        print(
            "| corpus | docs | MB | default CPU s | thorough CPU s | datatrove CPU s | "
            "default vs datatrove | thorough vs datatrove |"
        )
        print("|---|---:|---:|---:|---:|---:|---:|---:|")
        for name in a.corpora:
            r = cost(name, a.docs, a.repeats)
            rows.append(r)
            m = r["median_cpu_s"]
            print(
                f"| {name} | {r['docs']:,} | {r['mb']:.2f} | {m['default']:.2f} | "
                f"{m['thorough']:.2f} | {m['datatrove']:.2f} | "
                f"{r['default_vs_datatrove']:.1f}× | {r['thorough_vs_datatrove']:.1f}× |",
                flush=True,
            )
    else:
        print(
            "| corpus | profile | documents | flagged | share | *poisoned* | by detectors | "
            "triggers | CPU s |"
        )
        print("|---|---|---:|---:|---:|---:|---|---|---:|")
        for name in a.corpora:
            r = clean(name, a.profile, a.detectors)
            rows.append(r)
            share = r["flagged"] / max(r["documents"], 1)
            print(
                f"| {name} | {r['profile']} | {r['documents']:,} | {r['flagged']} | "
                f"{share:.3%} | {r['poisoned']} | {r['by_detectors']} | "
                f"{', '.join(r['triggers']) or 'none'} | {r['cpu_s']:.0f} |",
                flush=True,
            )
    if a.json:
        with open(a.json, "w") as fh:
            json.dump(rows, fh, indent=1)


if __name__ == "__main__":
    main()
