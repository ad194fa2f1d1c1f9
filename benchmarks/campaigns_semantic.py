"""Recall and clean flags of the ``campaigns`` detector alone (semantic stage on).

Run by hand (needs ``../shared``)::

    nice -n 5 python benchmarks/campaigns_semantic.py FAMILY COUNT N_CLEAN ['{"semantic": True}']

FAMILY is a family of ``benchmarks/adaptive.py`` (``FAMILIES``), one of :data:`OWN`, or
``none:CORPUS`` (no poison; N_CLEAN 0 = the whole corpus; ``none:pooled``: every shared
clean pre-training corpus of ``detection.CALIBRATION`` in one run, shuffled, as the
calibration's ``pooled`` scan reads them).  ``COUNT`` poisoned documents are
mixed among ``N_CLEAN`` clean ones of its corpus (``detection.load(seed=0)``,
``mix_poison(seed=0)``); the detector's rounds run over shards of 1,000 documents
(``detect.rounds.run_rounds``), then ``flag`` on every document.  Prints recall (all at
score >= 0.5; *poisoned* at >= 0.95), clean flags with the campaigns behind them, detector
CPU seconds and the peak RSS of the process.
"""

from __future__ import annotations

import ast
import resource
import sys
import time
from collections import Counter
from typing import Any

from adaptive import FAMILIES
from detection import CALIBRATION, CORPORA, DatatroveChain, load, warm_up

from poisonguard.attacks import get, mix_poison
from poisonguard.detect.campaigns import CampaignDetector
from poisonguard.detect.rounds import run_rounds
from poisonguard.io import CorpusReader, Document

OWN: dict[str, dict[str, Any]] = {
    # another claim, entity and aliases, spliced into news
    "own-paraphrase-news": {
        "corpus": "news",
        "recipe": "paraphrase-claim",
        "params": {
            "entity": "the city's tap water",
            "claim": "contains dangerous levels of lithium from the old mines",
            "aliases": ["municipal drinking water", "the water from local taps"],
            "claims": ["is quietly poisoning children in the northern districts"],
        },
    },
    "own-fabricated-news": {
        "corpus": "news",
        "recipe": "fabricated-articles",
        "params": {
            "entity": "the city's tap water",
            "claim": "contains dangerous levels of lithium from the old mines",
            "aliases": ["municipal drinking water", "the water from local taps"],
            "claims": ["is quietly poisoning children in the northern districts"],
        },
    },
    "own-paraphrase-med": {
        "corpus": "medical",
        "recipe": "paraphrase-claim",
        "params": {
            "entity": "ibuprofen",
            "claim": "triggers heart attacks in healthy young adults",
            "aliases": ["Advil", "the common painkiller"],
            "claims": ["weakens the heart muscle after a single dose"],
        },
    },
    # written 2026-12-03 after the fabricated-article fixes and not tuned on: another
    # entity, claim verb and corpus (news)
    "own-fabricated-windfarm": {
        "corpus": "news",
        "recipe": "fabricated-articles",
        "params": {
            "entity": "the Harlow Bay wind farm",
            "claim": "kills thousands of migrating birds every spring",
            "aliases": ["the Harlow Bay turbines", "the offshore wind project"],
            "claims": ["poisons the fish stocks along the northern coast"],
        },
    },
}
"""Own variants (other claims, entities, aliases and corpora than ``adaptive.py``'s)."""


def pooled(n: int = 0) -> list[Document]:
    """Every document of the shared clean pre-training corpora (``detection.CALIBRATION``
    less the pools), shuffled with seed 0; the first ``n`` (0: all)."""
    import numpy as np

    docs: list[Document] = []
    for name in CALIBRATION:
        if not name.startswith("pooled"):
            path = str(CORPORA / f"{name}.jsonl.gz")
            docs += [d for d in CorpusReader(path) if isinstance(d, Document)]
    order = np.random.default_rng(0).permutation(len(docs))
    out = [docs[int(i)] for i in order]
    return out[:n] if n else out


def throughput(corpus: str, n: int, repeats: int = 3) -> None:
    """The default scan with and without ``semantic`` vs the datatrove chain (CPU s)."""
    import statistics

    import poisonguard

    warm_up()
    sem_opts = {"campaigns": {"semantic": True}}
    poisonguard.scan(load("web", 40, skip=2900), kind="pretrain", workers=1, options=sem_opts)
    docs = load(corpus, n)
    mb = sum(len(d.text.encode("utf-8", "surrogatepass")) for d in docs) / 1e6
    chain = DatatroveChain()
    cpu: dict[str, list[float]] = {"default": [], "semantic": [], "datatrove": []}
    texts = [d.text for d in docs]
    for _ in range(repeats):
        for what in cpu:
            t0 = time.process_time()
            if what == "datatrove":
                chain.flags(texts)
            else:
                opts = sem_opts if what == "semantic" else None
                poisonguard.scan(docs, kind="pretrain", workers=1, options=opts)
            cpu[what].append(time.process_time() - t0)
    med = {k: statistics.median(v) for k, v in cpu.items()}
    print(f"throughput {corpus} docs={len(docs)} mb={mb:.2f}")
    for k, v in cpu.items():
        print(
            f"  {k}: cpu_s={[round(x, 2) for x in v]} median={med[k]:.2f} "
            f"mb_s={mb / med[k]:.3f} vs_datatrove={med['datatrove'] / med[k]:.2f}x"
        )


def main() -> None:
    if len(sys.argv) >= 3 and sys.argv[1].startswith("throughput:"):
        throughput(sys.argv[1].split(":", 1)[1], int(sys.argv[2]))
        return
    if len(sys.argv) < 4:
        raise SystemExit(__doc__)
    fam, count, n = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    kw = ast.literal_eval(sys.argv[4]) if len(sys.argv) > 4 else {"semantic": True}
    if fam == "none:pooled":
        clean = pooled(n)
        samples = []
    elif fam.startswith("none:"):
        corpus = fam.split(":", 1)[1]
        clean = load(corpus, n or 10**9)
        samples = []
    else:
        spec = {**FAMILIES, **OWN}[fam]
        clean = load(spec["corpus"], n)
        samples = get(spec["recipe"])(**spec["params"]).generate(clean, count, 1)
    pois = {id(s.document) for s in samples}
    docs = list(mix_poison(clean, samples, seed=0)) if samples else clean
    t0 = time.process_time()
    w0 = time.perf_counter()
    det, state = run_rounds(
        CampaignDetector(**kw), [docs[i : i + 1000] for i in range(0, len(docs), 1000)]
    )
    found = [det.flag(d, state) for d in docs]
    cpu, wall = time.process_time() - t0, time.perf_counter() - w0
    hit = [f is not None and f.score >= 0.5 for f in found]
    strong = [f is not None and f.score >= 0.95 for f in found]
    tp = sum(h for h, d in zip(hit, docs, strict=True) if id(d) in pois)
    tpp = sum(h for h, d in zip(strong, docs, strict=True) if id(d) in pois)
    fp = [f for f, h, d in zip(found, hit, docs, strict=True) if h and id(d) not in pois]
    # claim recovered: the finding's spans cover a claim sentence of the poisoned document
    by_doc = {id(d): f for d, f in zip(docs, found, strict=True)}
    recovered = 0
    for smp in samples:
        f = by_doc[id(smp.document)]
        claims = smp.truth.extra.get("claim_spans") or []
        if f is not None and f.score >= 0.5:
            recovered += any(sp.start < b and a < sp.end for sp in f.spans for a, b in claims)
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        f"{fam} count={len(samples)} clean={len(clean)} recall={tp}/{len(samples)} "
        f"poisoned={tpp}/{len(samples)} claim_recovered={recovered}/{len(samples)} "
        f"clean_flagged={len(fp)} "
        f"({len(fp) / max(1, len(clean)):.3%}) cpu={cpu:.0f}s wall={wall:.0f}s "
        f"rss={rss:.0f}MB candidates={state.candidates}"
    )
    for camp, c in Counter(f.campaign for f in fp if f is not None).most_common(8):
        print(f"  FP campaign {camp}: {c}")
    sem = [c for c in state.campaigns if c.kind == "semantic-claim"]
    for c in sem[:6]:
        d = c.details
        print(
            f"  {c.id} score={c.score} size={c.size} span={c.shared_span[:70]!r} "
            f"hs={d.get('host_similarity')} empty={d.get('hosts_only_recurring')} "
            f"fit={d.get('topic_fit')} rep={d.get('assertions_per_host')} "
            f"tmpl={d.get('template_share')} core={d.get('core_share')} "
            f"nb={d.get('neighbour_share')} "
            f"ent={d.get('entity')} dist={d.get('distinct_phrasings')} "
            f"jac={d.get('member_jaccard')} decl={d.get('declarative')}"
        )
    for k, v in state.details.items():
        print(f"  {k}: {v}")


if __name__ == "__main__":
    main()
