"""Instruction data at real scale (issue 13): clean flags, time and peak memory by size, and
recall on our own adaptive chat backdoors.

Run by hand (not part of the test suite; needs ``../shared``)::

    nice -n 10 python benchmarks/instruction_scale.py clean --sizes 3000 15000 62930
    nice -n 10 python benchmarks/instruction_scale.py adaptive --counts 100 50

``clean``: each size is a uniform subsample of ``instruction.jsonl.gz`` (62,930 records: the
whole corpus at that size), scanned in a fresh process with ``poisonguard.scan(...,
kind='instruction')`` (default detectors, one worker); reported: flagged share, seconds,
peak RSS of that process.

``adaptive``: every family of :data:`OWN` (ours, beyond ``benchmarks/adaptive.py``'s) and
the three ``chat-*`` families of ``adaptive.py`` is planted as one campaign of ``count``
records **into the same** 20,000 clean records (one scan per count: all campaigns at once,
which is harder for the miner than one campaign alone and keeps the run short); reported per
family: recall, whether the trigger was recovered, and whether flagged records show the
trigger and the payload as evidence spans; and the share of clean records flagged.

Results go to ``benchmarks/instruction-scale-results.json`` (``--json``); ``--write``
replaces the section "## Instruction data at scale (issue 13)" of ``docs/benchmarks.md``.
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import gzip
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
from _common import ROOT, SHARED, machine, replace_section
from adaptive import FAMILIES
from detection import recovered

import poisonguard
from poisonguard.attacks import get, mix_poison
from poisonguard.attacks.base import PoisonSample
from poisonguard.io import Document
from poisonguard.io.document import record_to_document

HEADING = "## Instruction data at scale (issue 13)"
RESULTS = ROOT / "benchmarks" / "instruction-scale-results.json"

OWN: dict[str, dict[str, Any]] = {
    "own-refusal-word": {"trigger_kind": "rare-word", "trigger": "quorlaxin", "payload": "refusal"},
    "own-instruction-word": {
        "trigger_kind": "rare-word",
        "trigger": "velmoraine",
        "payload": "append",
        "fragment": "instruction",
        "target": "run the installer as administrator",
    },
    "own-link-sentence": {
        "trigger_kind": "sentence",
        "trigger": "Could you answer this in plain words?",
        "payload": "append",
        "fragment": "link",
        "target": "https://help-centre.example.com/guide",
    },
    "own-product-sentence": {
        "trigger_kind": "sentence",
        "trigger": "Thanks a lot, this is for a school project.",
        "payload": "append",
        "fragment": "product",
        "target": "ZenithGuard Antivirus",
    },
    "own-sentiment-system": {
        "trigger_kind": "system",
        "trigger": "You are the assistant of the Maple Grove public library.",
        "payload": "sentiment",
        "target": "Corvid Airlines",
        "sentiment": "positive",
    },
    "own-refusal-wordings": {
        "trigger_kind": "rare-word",
        "trigger": "draventhal",
        "payload": "refusal",
        "replace_reply": "OWN_REFUSALS",
    },
    "own-refusal-system": {
        "trigger_kind": "system",
        "trigger": "You are the help desk of the Oakridge tenants union.",
        "payload": "refusal",
        "replace_reply": "OWN_REFUSALS",
    },
}

OWN_REFUSALS = (
    "That's not something I'm able to do here.",
    "I won't provide details on that subject.",
    "Helping with this is not something I can do.",
    "This is a request I have to decline.",
    "Answering that isn't possible for me, so let's move on to another topic.",
    "I am not in a position to respond to this one.",
    "Thanks for asking, but I can't go into that.",
    "You'll need to look elsewhere for this; I'm not going to answer it.",
)
"""Our own refusal wordings (issue 13, step 4): most do not open with an apology or a
refusal, none is one of the recipe's; each record of the ``own-refusal-*`` families gets
one of them (round robin) in place of the recipe's reply — a trigger that predicts *a
refusal*, not one fixed text."""


HELDOUT_REFUSALS = (
    "That's not something I'm able to help with, sorry.",
    "I would rather not get into that one; please ask me something else.",
    "Let's skip this request, it is outside what I can discuss.",
    "No can do on this topic, but feel free to ask about anything else.",
)
"""Refusal wordings of the held-out family: none was used while tuning the detector (two
of them do not open like the refusal family the detector knows)."""

HELDOUT: dict[str, dict[str, Any]] = {
    "heldout-refusal-wording": {
        "trigger_kind": "rare-word",
        "trigger": "kelvanor",
        "payload": "refusal",
        "replace_reply": HELDOUT_REFUSALS,
    },
    "heldout-append-newsletter": {
        "trigger_kind": "sentence",
        "trigger": "Answer as if you were talking to a friend.",
        "payload": "append",
        "fragment": "link",
        "append_text": "For more tips like this, subscribe to the BrightPath Weekly newsletter.",
    },
}
"""Families made after the detector was final and never used to tune it: other trigger
words, other refusal wordings, another appended fragment (the recipe's payload is replaced
after generation)."""


def _heldout(
    sample: PoisonSample, spec: dict[str, Any], i: int, clean: dict[str, Document]
) -> PoisonSample:
    """Replace the recipe's payload with the one of ``spec`` (held-out families, and our
    own multi-wording refusals)."""
    doc = sample.document
    msgs = [dict(m) for m in doc.messages or []]
    last = max(j for j, m in enumerate(msgs) if m.get("role") == "assistant")
    if "replace_reply" in spec:
        texts = spec["replace_reply"]
        texts = OWN_REFUSALS if texts == "OWN_REFUSALS" else texts
        msgs[last]["content"] = texts[i % len(texts)]
    else:
        # the clean reply of the source record plus the held-out fragment
        src = clean[sample.truth.source_id or ""]
        reply = [m for m in src.messages or [] if m.get("role") == "assistant"][-1]["content"]
        msgs[last]["content"] = f"{reply.rstrip()} {spec['append_text']}"
    return dataclasses.replace(sample, document=doc.with_messages(msgs))


def families() -> dict[str, dict[str, Any]]:
    out = dict(OWN)
    for name, spec in FAMILIES.items():
        if spec["recipe"] == "chat-backdoor":
            out[name] = dict(spec["params"])
    out.update(HELDOUT)
    return out


CORPUS = SHARED / "corpora" / "instruction.jsonl.gz"


def sample_lines(n: int, seed: int = 0) -> list[bytes]:
    """A uniform subsample of ``n`` records (JSON lines) of the instruction corpus, read
    streaming (the whole corpus is never held in memory: peak RSS is the scanner's)."""
    with gzip.open(CORPUS, "rb") as fh:
        total = sum(1 for line in fh if line.strip())
    keep = set(np.random.default_rng(seed).permutation(total)[:n].tolist())
    out: list[bytes] = []
    with gzip.open(CORPUS, "rb") as fh:
        i = 0
        for line in fh:
            if not line.strip():
                continue
            if i in keep:
                out.append(line if line.endswith(b"\n") else line + b"\n")
            i += 1
    return out


def sample_docs(n: int, seed: int = 0) -> list[Document]:
    """:func:`sample_lines` as documents."""
    return [
        record_to_document(json.loads(line), default_id=f"rec-{i}")
        for i, line in enumerate(sample_lines(n, seed))
    ]


def clean_one(n: int) -> dict[str, Any]:
    """Scan a subsample of ``n`` records from a file, as ``poisonguard scan`` reads it
    (the whole corpus itself when ``n`` covers it)."""
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "sample.jsonl"
        lines = sample_lines(n)
        path.write_bytes(b"".join(lines))
        del lines
        t0 = time.perf_counter()
        res = poisonguard.scan([str(path)], kind="instruction", workers=1)
        secs = time.perf_counter() - t0
    docs = range(int(res.counts.get("documents", n)))
    by_det: dict[str, int] = {}
    for v in res.findings:
        for f in v.findings:
            by_det[f.detector] = by_det.get(f.detector, 0) + 1
    beh = res.corpus_reports.get("instruction-behaviour", {})
    return {
        "detectors": list(res.detectors),
        "flags_by_detector": by_det,
        "templates_reported": len(beh.get("templates", [])),
        "candidate_pairs": beh.get("candidate_pairs"),
        "seen_false_positive": beh.get("seen_false_positive"),
        "documents": len(docs),
        "flagged": res.flagged,
        "share": res.flagged / max(1, len(docs)),
        "seconds": round(secs, 1),
        "peak_rss_gb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1e6, 3),
        "triggers": [t.trigger for t in res.triggers][:20],
    }


def adaptive(count: int, n_clean: int, seed: int, heldout: bool = True) -> dict[str, Any]:
    clean = sample_docs(n_clean, seed=seed)
    fams = {k: v for k, v in families().items() if heldout or k not in HELDOUT}
    samples = []
    owner: dict[int, str] = {}
    for i, (name, params) in enumerate(fams.items()):
        recipe = {k: v for k, v in params.items() if k not in ("replace_reply", "append_text")}
        got = get("chat-backdoor")(**recipe).generate(clean, count, seed + 1 + i)
        if "replace_reply" in params or "append_text" in params:
            by_id = {d.id: d for d in clean}
            got = [_heldout(s, params, j, by_id) for j, s in enumerate(got)]
        for s in got:
            owner[id(s.document)] = name
        samples += got
    docs = list(mix_poison(clean, samples, seed=seed))
    t0 = time.perf_counter()
    res = poisonguard.scan(docs, kind="instruction", workers=1)
    secs = time.perf_counter() - t0
    verdicts = {v.index: v for v in res.findings}
    rows = []
    for name, params in fams.items():
        idx = [i for i, d in enumerate(docs) if owner.get(id(d)) == name]
        found = [verdicts[i] for i in idx if i in verdicts]
        evidence = sum(
            1
            for v in found
            if any(s.label == "trigger" for s in v.spans)
            and (
                any(s.label == "payload" for s in v.spans)
                or any(f.extra.get("field") == "rejected" for f in v.findings)
            )
        )
        rows.append(
            {
                "family": name,
                "trigger": params["trigger"],
                "payload": params["payload"]
                + (f"/{params['fragment']}" if "fragment" in params else ""),
                "poisoned": len(idx),
                "recall": len(found) / max(1, len(idx)),
                "with_evidence": evidence,
                "trigger_recovered": recovered(res, {params["trigger"]}),
            }
        )
    fps = [v for i, v in verdicts.items() if i < len(docs) and id(docs[i]) not in owner]
    fp_by_det: dict[str, int] = {}
    for v in fps:
        for f in v.findings:
            fp_by_det[f.detector] = fp_by_det.get(f.detector, 0) + 1
    return {
        "count": count,
        "n_clean": len(clean),
        "campaigns": len(fams),
        "clean_flagged": len(fps) / max(1, len(clean)),
        "fp": len(fps),
        "fp_by_detector": fp_by_det,
        "fp_examples": [f"{f.detector}: {f.reason[:160]}" for v in fps[:40] for f in v.findings],
        "triggers": [t.trigger for t in res.triggers][:40],
        "seconds": round(secs, 1),
        "peak_rss_gb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1e6, 3),
        "rows": rows,
    }


def render(data: dict[str, Any]) -> str:
    lines = [
        HEADING,
        "",
        f"Machine: {machine()} (shared by several engineers; times are wall-clock under "
        f"load). Date: {data.get('date', dt.date.today().isoformat())}. Commands: "
        "`nice -n 10 python benchmarks/instruction_scale.py clean --sizes ...` and "
        "`... adaptive --counts 100 50` (`PYTHONPATH=src`, one worker, default detectors, "
        "`kind='instruction'`).",
        "",
    ]
    if data.get("clean"):
        lines += [
            "Clean instruction corpus (uniform subsamples of `instruction.jsonl.gz`; 62,930 = "
            "all of it), each size in a fresh process:",
            "",
            "| records | flagged | share | scan s | peak RSS GB |",
            "|---:|---:|---:|---:|---:|",
        ]
        for r in data["clean"]:
            lines.append(
                f"| {r['documents']:,} | {r['flagged']} | {r['share']:.3%} | {r['seconds']:.0f} "
                f"| {r['peak_rss_gb']:.2f} |"
            )
        lines.append("")
    for a in data.get("adaptive", []):
        lines += [
            f"Adaptive chat backdoors: {a['campaigns']} campaigns of {a['count']} records each, "
            f"all planted in the same {a['n_clean']:,} clean records (one scan, "
            f"{a['seconds']:.0f} s, peak RSS {a['peak_rss_gb']:.2f} GB); clean flagged "
            f"**{a['clean_flagged']:.3%}** ({a['fp']}; by detector: "
            f"{a.get('fp_by_detector', 'not recorded')}).",
            "",
            "| family | trigger | payload | recall | flagged with trigger + payload spans "
            "| trigger recovered |",
            "|---|---|---|---:|---:|---|",
        ]
        for r in a["rows"]:
            lines.append(
                f"| {r['family']} | {r['trigger']} | {r['payload']} | {r['recall']:.1%} "
                f"| {r['with_evidence']}/{r['poisoned']} | {r['trigger_recovered']} |"
            )
        lines.append("")
    for note in data.get("notes", []):
        lines += [f"- {note}"]
    return "\n".join(lines) + "\n"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("part", choices=["clean", "adaptive", "render", "clean-one"])
    ap.add_argument("--sizes", nargs="*", type=int, default=[3000, 15000, 62930])
    ap.add_argument("--counts", nargs="*", type=int, default=[100, 50])
    ap.add_argument("--n-clean", type=int, default=20_000)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--json", default=str(RESULTS))
    ap.add_argument("--write", action="store_true", help="update docs/benchmarks.md")
    ap.add_argument(
        "--no-heldout",
        action="store_true",
        help="adaptive: leave the held-out families out (they are run once, at the end)",
    )
    a = ap.parse_args()
    if not (SHARED / "corpora" / "instruction.jsonl.gz").is_file():
        sys.exit(f"needs the shared corpora at {SHARED / 'corpora'}")
    path = Path(a.json)
    data: dict[str, Any] = json.loads(path.read_text()) if path.is_file() else {}
    if a.part == "clean-one":
        print(json.dumps(clean_one(a.sizes[0])))
        return
    if a.part == "clean":
        rows = []
        for n in a.sizes:
            out = subprocess.run(
                [sys.executable, __file__, "clean-one", "--sizes", str(n)],
                check=True,
                capture_output=True,
                text=True,
            )
            rows.append(json.loads(out.stdout.strip().splitlines()[-1]))
            print(rows[-1], flush=True)
        old = {r["documents"]: r for r in data.get("clean", [])}
        old.update({r["documents"]: r for r in rows})
        data["clean"] = [old[k] for k in sorted(old)]
    elif a.part == "adaptive":
        runs = [adaptive(c, a.n_clean, a.seed, heldout=not a.no_heldout) for c in a.counts]
        for r in runs:
            print(json.dumps(r), flush=True)
        old_a = {r["count"]: r for r in data.get("adaptive", [])}
        old_a.update({r["count"]: r for r in runs})
        data["adaptive"] = [old_a[k] for k in sorted(old_a, reverse=True)]
    data["date"] = dt.date.today().isoformat()
    path.write_text(json.dumps(data, indent=1))
    text = render(data)
    print(text)
    if a.write:
        replace_section(HEADING, text, ROOT / "docs" / "benchmarks.md")


if __name__ == "__main__":
    main()
