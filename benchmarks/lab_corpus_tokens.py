"""Tokens of the English clean text in ../shared/corpora under the gpu preset's tokenizer.

Run by hand (not a test)::

    nice -n 10 python benchmarks/lab_corpus_tokens.py [--vocab 2048] [--chars 20000000]

Trains a byte-level BPE of ``--vocab`` entries (the lab's ``LabTokenizer``) on the first
``--chars`` characters of the shuffled union of the corpora, as the lab does, then counts
every document's tokens (+1 for the separator) per corpus: the budget the gpu preset is
sized to.
"""

from __future__ import annotations

import argparse
import random
import time
from pathlib import Path

from poisonguard.io import CorpusReader
from poisonguard.lab.tokenizer import LabTokenizer

CORPORA = ("books", "news", "wiki", "web", "medical")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--dir", default=str(Path(__file__).parents[1] / ".." / "shared" / "corpora"))
    ap.add_argument("--vocab", type=int, default=2048)
    ap.add_argument("--chars", type=int, default=20_000_000)
    args = ap.parse_args()
    t0 = time.time()
    per = {}
    for name in CORPORA:
        path = Path(args.dir) / f"{name}.jsonl.gz"
        per[name] = [d for d in CorpusReader([str(path)]).documents() if d.text.strip()]
    docs = [d for ds in per.values() for d in ds]
    random.Random(1234).shuffle(docs)
    texts, chars = [], 0
    for d in docs:
        if chars >= args.chars:
            break
        texts.append(d.text[: args.chars - chars])
        chars += len(texts[-1])
    tok = LabTokenizer.train(texts, args.vocab)
    total = 0
    for name, ds in per.items():
        n = 0
        for i in range(0, len(ds), 1000):
            n += sum(len(x) + 1 for x in tok.encode_batch([d.text for d in ds[i : i + 1000]]))
        total += n
        print(
            f"{name}: {len(ds):,} documents, {sum(len(d.text) for d in ds):,} chars, {n:,} tokens",
            flush=True,
        )
    print(f"total {total:,} tokens ({time.time() - t0:.0f} s)")


if __name__ == "__main__":
    main()
