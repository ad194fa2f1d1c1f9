"""Feasibility of a fluent-but-incoherent signal (issue 12 item 4): n-gram familiarity.

Run by hand (needs ``../shared``)::

    nice -n 10 python benchmarks/markov_signal.py [--n-clean 5000] [--count 100]

An order-k word Markov chain of a corpus reuses only the corpus's own (k+1)-grams, so every
word trigram of an order-2 payload occurs elsewhere in the corpus, while natural prose is
full of trigrams that occur nowhere else (sparsity).  The signal measured here is the
*familiarity* of a window: the share of its word trigrams (lower-cased words, hashed) seen
in at least one **other** document of the corpus (a hashed count table of the whole mixed
corpus, the document's own trigrams subtracted), and the same for 4-grams.  Printed: its
distribution on the payloads of ``markov-end`` poison (``benchmarks/adaptive.py``), on the
text before their trigger (the host), and on 50-word windows of clean documents; and the
time to build the table.  A measurement of the signal only: no detector uses it yet.
"""

from __future__ import annotations

import argparse
import re
import time
from collections import Counter

import numpy as np
from adaptive import FAMILIES
from detection import load

from poisonguard.attacks import get, mix_poison

_W = re.compile(r"[^\W_]+(?:['’][^\W_]+)*")
_BITS = 24


def grams(text: str, n: int) -> np.ndarray:
    ws = [hash(w) for w in _W.findall(text.lower())]
    if len(ws) < n:
        return np.zeros(0, dtype=np.int64)
    a = np.asarray(ws, dtype=np.int64)
    h = a[: len(a) - n + 1].copy()
    for i in range(1, n):
        h = h * 1_000_003 ^ a[i : len(a) - n + 1 + i]
    return h & ((1 << _BITS) - 1)


def familiarity(text: str, table: np.ndarray, n: int) -> float:
    g = grams(text, n)
    if not len(g):
        return float("nan")
    own = Counter(g.tolist())
    others = table[g] - np.asarray([own[x] for x in g.tolist()])
    return float((others > 0).mean())


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n-clean", type=int, default=5000)
    ap.add_argument("--count", type=int, default=100)
    ap.add_argument("--family", default="markov-end")
    a = ap.parse_args()
    spec = FAMILIES[a.family]
    clean = load(spec["corpus"], a.n_clean)
    samples = get(spec["recipe"])(**spec["params"]).generate(clean, a.count, 1)
    docs = list(mix_poison(clean, samples, seed=0))
    t0 = time.perf_counter()
    tables = {}
    for n in (3, 4):
        t = np.zeros(1 << _BITS, dtype=np.int32)
        for d in docs:
            np.add.at(t, grams(d.text, n), 1)
        tables[n] = t
    build = time.perf_counter() - t0
    rng = np.random.default_rng(0)
    for n in (3, 4):
        pay, host, cl = [], [], []
        for s in samples:
            text = s.document.text
            p0, p1 = s.truth.payload_span
            t0_ = s.truth.trigger_span[0]
            pay.append(familiarity(" ".join(_W.findall(text[p0:p1])[:50]), tables[n], n))
            hw = _W.findall(text[:t0_])[-50:]
            if len(hw) >= 20:
                host.append(familiarity(" ".join(hw), tables[n], n))
        for i in rng.choice(len(clean), 2000, replace=False):
            ws = _W.findall(clean[int(i)].text)
            if len(ws) >= 60:
                j = int(rng.integers(0, len(ws) - 50 + 1))
                cl.append(familiarity(" ".join(ws[j : j + 50]), tables[n], n))

        def q(x: list[float]) -> str:
            v = np.asarray([y for y in x if y == y])
            return " ".join(f"{np.quantile(v, p):.2f}" for p in (0.05, 0.25, 0.5, 0.75, 0.95))

        print(f"{n}-grams familiarity quantiles (5/25/50/75/95 %):")
        print(f"  payload ({len(pay)}): {q(pay)}")
        print(f"  host before trigger ({len(host)}): {q(host)}")
        print(f"  clean 50-word windows ({len(cl)}): {q(cl)}")
        cv = np.asarray(cl)
        thr = float(np.quantile(cv, 0.99))
        pv = np.asarray(pay)
        print(f"  payloads above the clean 99th percentile ({thr:.2f}): {(pv > thr).mean():.0%}")
    print(f"table build: {build:.1f} s for {len(docs)} documents (both orders)")


if __name__ == "__main__":
    main()
