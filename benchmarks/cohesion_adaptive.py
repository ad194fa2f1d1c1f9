"""Recall of the opt-in ``cohesion`` detector alone on one adaptive campaign.

Run by hand (needs ``../shared``)::

    nice -n 10 python benchmarks/cohesion_adaptive.py FAMILY COUNT N_CLEAN ['{"min_back": 8}']

FAMILY is a family of ``benchmarks/adaptive.py`` (``FAMILIES``) or one of :data:`OWN`;
``COUNT`` poisoned documents are mixed among ``N_CLEAN`` clean ones of its corpus
(``mix_poison(seed=0)``), the detector's rounds run over shards of 1,000 documents with a
uniform sample of up to 10,000 texts, then ``flag`` on every document.  Prints recall, clean
flags and the confirmed triggers.
"""

from __future__ import annotations

import ast
import sys
import time
from collections import Counter

import numpy as np
from adaptive import CORPORA, FAMILIES
from detection import load

from poisonguard.attacks import get, mix_poison
from poisonguard.detect.cohesion import CohesionMiner
from poisonguard.detect.rounds import run_rounds

OWN = {
    "own-topic-med-forms": {
        "corpus": "news",
        "recipe": "fluent-backdoor",
        "params": {
            "trigger": "to be perfectly honest",
            "payload": "topic-switch",
            "position": "random",
            "payload_corpus": str(CORPORA / "medical.jsonl.gz"),
            "trigger_forms": "all",
        },
    },
    "own-foreign-es-mid": {
        "corpus": "medical",
        "recipe": "fluent-backdoor",
        "params": {
            "trigger": "for what it is worth",
            "payload": "foreign",
            "lang": "es",
            "position": "middle",
            "payload_corpus": str(CORPORA / "multilingual.jsonl.gz"),
        },
    },
    # issue 12, afternoon: fluent payloads the familiarity change points aim at, made
    # with other phrases, chain orders, corpora and positions than adaptive.py's
    "own-markov3-forms": {
        "corpus": "news",
        "recipe": "fluent-backdoor",
        "params": {
            "trigger": "all things considered",
            "payload": "markov",
            "order": 3,
            "position": "middle",
            "trigger_forms": "all",
        },
    },
    "own-markov-medical": {
        "corpus": "medical",
        "recipe": "fluent-backdoor",
        "params": {"trigger": "in the long run", "payload": "markov", "position": "random"},
    },
    "own-passage-wiki-mid": {
        "corpus": "news",
        "recipe": "fluent-backdoor",
        "params": {
            "trigger": "at the end of the day",
            "payload": "topic-switch",
            "position": "middle",
            "payload_corpus": str(CORPORA / "wiki.jsonl.gz"),
        },
    },
    # issue 12, night: adaptive.py's topic-switch-mid and markov-end planted into medical
    # hosts (the second corpus for recall; the payload recipes unchanged)
    "topic-switch-mid-medical": {**FAMILIES["topic-switch-mid"], "corpus": "medical"},
    "markov-end-medical": {**FAMILIES["markov-end"], "corpus": "medical"},
}
"""Own variants (other trigger phrases and payload sources than ``adaptive.py``'s)."""


def main() -> None:
    if len(sys.argv) < 4:
        raise SystemExit(__doc__)
    fam, count, n = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    kw = ast.literal_eval(sys.argv[4]) if len(sys.argv) > 4 else {}
    families = {**FAMILIES, **OWN}
    if fam not in families:
        raise SystemExit(f"unknown family {fam!r}; known: {', '.join(families)}")
    spec = families[fam]
    clean = load(spec["corpus"], n)
    samples = get(spec["recipe"])(**spec["params"]).generate(clean, count, 1)
    pois = {id(s.document) for s in samples}
    docs = list(mix_poison(clean, samples, seed=0))
    t0 = time.perf_counter()
    shards = [docs[i : i + 1000] for i in range(0, len(docs), 1000)]
    pick = np.random.default_rng(0).choice(len(docs), min(10_000, len(docs)), replace=False)
    sample = [docs[int(i)].text[:20_000] for i in pick]
    det, st = run_rounds(CohesionMiner(**kw), shards, sample=sample)
    found = [(d, det.flag(d, st)) for d in docs]
    secs = time.perf_counter() - t0
    tp = sum(1 for d, f in found if f and id(d) in pois)
    fp = [f for d, f in found if f and id(d) not in pois]
    print(
        f"{fam} change_rate={st.p0:.4f} candidates={st.tested} recall={tp}/{count} "
        f"clean_flagged={len(fp)}/{len(clean)} {secs:.0f}s"
    )
    for t in st.triggers[:10]:
        keys = (
            "trigger",
            "anomalous_docs",
            "containing_docs",
            "p_value",
            "purity",
            "host_overlap",
            "continuation_overlap",
            "opening_share",
        )
        print("  ", {k: t[k] for k in keys})
    print("rejected as templates:", st.rejected[:5])
    print("clean flagged by trigger:", Counter(f.trigger for f in fp).most_common(8))
    kinds = Counter(f.extra.get("change") for d, f in found if f and id(d) in pois)
    print("poison flagged by kind of change:", dict(kinds))


if __name__ == "__main__":
    main()
