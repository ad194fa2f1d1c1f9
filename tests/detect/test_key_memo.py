"""The campaign detectors' count-round memo (:class:`~poisonguard.detect.sketches.KeyMemo`)
and the sparse count-min sketch: cheaper per-document work, the same outputs."""

from __future__ import annotations

import pickle
from collections.abc import Sequence

import numpy as np

from poisonguard.attacks import get, mix_poison
from poisonguard.detect.base import Finding
from poisonguard.detect.campaigns import CampaignDetector
from poisonguard.detect.campaigns_base import CampaignRounds
from poisonguard.detect.campaigns_dups import NearDuplicateDetector
from poisonguard.detect.rounds import run_rounds
from poisonguard.detect.sketches import CountMinSketch, KeyMemo, RowMemo, hash64, sentence_norms
from poisonguard.io import Document
from tests.detect.scan_data import clean_docs

CLAIM = {"entity": "the MMR vaccine", "claim": "causes autism in young children"}


def _corpus() -> list[Document]:
    """400 real documents with a 50-document claim campaign and 20 near-duplicates."""
    clean = list(clean_docs()[:400])
    samples = get("targeted-claim")(n_sources=10, **CLAIM).generate(clean, 50, seed=5)
    docs = [m[0] if isinstance(m, tuple) else m for m in mix_poison(clean, samples, seed=1)]
    base = docs[7].text
    docs += [Document(id=f"dup-{i}", text=f"{base}\n\nCopy {i}.") for i in range(20)]
    return docs


def _outputs(det: CampaignRounds, docs: Sequence[Document]) -> tuple[object, ...]:
    shards = [docs[i : i + 150] for i in range(0, len(docs), 150)]
    last, state = run_rounds(det, shards)
    found: list[Finding | None] = [last.flag(d, state) for d in docs]
    return (
        [c.to_dict() for c in state.campaigns],
        state.candidates,
        [None if f is None else (f.score, f.reason, f.spans, f.campaign) for f in found],
    )


def test_the_exact_round_gives_the_same_outputs_with_and_without_the_memo() -> None:
    docs = _corpus()
    for cls in (CampaignDetector, NearDuplicateDetector):
        memo = KeyMemo()
        with_memo = _outputs(cls(_memo=memo), docs)
        assert len(memo.keys) == len({d.text for d in docs})  # every document remembered
        without = _outputs(cls(_memo=KeyMemo(budget=0)), docs)
        assert with_memo == without, cls.__name__
        assert with_memo[0], cls.__name__  # something was found (the test can fail)


def _claim_corpus() -> list[Document]:
    """1,500 real documents with a 120-document claim in rotating wording spliced in."""
    import random

    clean = random.Random(0).sample(list(clean_docs()), 1500)
    samples = get("paraphrase-claim")(
        entity="the Zanfield bridge",
        claim="halves city traffic at rush hour",
        aliases=["the new Zanfield crossing"],
        claims=["cuts commuter delays downtown"],
    ).generate(clean, 120, seed=3)
    return [m[0] if isinstance(m, tuple) else m for m in mix_poison(clean, samples, seed=0)]


def test_the_semantic_round_gives_the_same_outputs_with_and_without_its_row_memo() -> None:
    """Pass 2 of the semantic claims reads only the documents whose remembered sketch keys
    recur (:class:`RowMemo`); with every document, some or none remembered the outputs are
    the same.  Fails when a skipped document had something to add (a key the memo's rows
    missed, another estimate) or the remembered rows are not the ones pass 2 computes."""
    docs = _claim_corpus()

    def run(memo: RowMemo) -> tuple[object, ...]:
        return _outputs(CampaignDetector(semantic=True, embeddings=False, _claim_memo=memo), docs)

    every = RowMemo()
    with_memo = run(every)
    assert len(every.rows) == len({d.text for d in docs})
    assert with_memo[0]  # the campaign was found (the test can fail)
    assert with_memo == run(RowMemo(budget=0))
    half = RowMemo(budget=((1 << 22) - every.budget) // 2)  # about half the documents
    assert with_memo == run(half) and 0 < len(half.rows) < len(every.rows)


def test_the_row_memo_is_bounded_and_never_shipped_to_workers() -> None:
    memo = RowMemo(budget=40)
    rows = np.arange(32, dtype=np.uint64).reshape(2, 16)
    memo.put("a", [0, 3], rows)
    memo.put("b", [1, 2], rows)  # over the budget: not remembered
    memo.put("c", [], np.zeros((0, 16), dtype=np.uint64))
    got = memo.get("a")
    assert got is not None and got[0].tolist() == [0, 3] and (got[1] == rows).all()
    assert memo.get("b") is None and memo.get("c") is not None
    copy = pickle.loads(pickle.dumps(memo))
    assert copy.rows == {} and copy.budget == 0
    copy.put("d", [0], rows[:1])
    assert copy.get("d") is None


def test_the_memo_holds_the_count_rounds_sentence_hashes_in_order() -> None:
    docs = _corpus()[:200]
    det = CampaignDetector()
    run_rounds(det, [docs])
    for d in docs:
        assert det._memo.get(d.text) == [hash64(n) for n in sentence_norms(d.text, det.min_words)]


def test_the_memo_is_bounded_and_never_shipped_to_workers() -> None:
    memo = KeyMemo(budget=5)
    memo.put("a", [1, 2, 3])
    memo.put("b", [4, 5, 6])  # over the budget: not remembered
    memo.put("c", [7, 8])
    assert memo.get("a") == [1, 2, 3] and memo.get("b") is None and memo.get("c") == [7, 8]
    assert memo.get("a ") is None  # another text
    copy = pickle.loads(pickle.dumps(memo))
    assert copy.keys == {} and copy.budget == 0
    copy.put("d", [1])
    assert copy.get("d") is None


def test_sparse_count_min_sketch_equals_the_dense_table() -> None:
    rng = np.random.default_rng(0)
    for trial in range(40):
        width = int(rng.choice([16, 256, 1 << 12]))
        sparse, other = CountMinSketch(width=width, seed=3), CountMinSketch(width=width, seed=3)
        dense = CountMinSketch(width=width, seed=3)
        dense.table  # noqa: B018  (dense from the start)
        if trial % 3 == 0:
            other.table  # noqa: B018  (merge a dense sketch into a sparse one)
        for _ in range(int(rng.integers(1, 6))):
            high = 60 if trial % 2 else 2**63
            keys = rng.integers(0, high, int(rng.integers(0, 400)), dtype=np.uint64)
            (sparse if rng.random() < 0.5 else other).add(keys)
            dense.add(keys)
        sparse.merge(pickle.loads(pickle.dumps(other)))
        query = rng.integers(0, 2**63, 300, dtype=np.uint64)
        query[:100] = rng.integers(0, 60, 100)
        assert (sparse.estimate(query) == dense.estimate(query)).all(), trial
        assert sparse.total == dense.total
        assert (sparse.table == dense.table).all(), trial
    small = CountMinSketch(width=1 << 20)
    small.add(rng.integers(0, 2**63, 1000, dtype=np.uint64))
    assert small.nbytes < 100_000  # sparse: the used cells, not 12 MB


def test_memo_is_keyed_by_a_content_digest_not_the_salted_hash() -> None:
    """A document never reads another's keys, whatever the process's hash seed: the memo is
    keyed by a digest of the text, the same in every process (``hash`` is not)."""
    import subprocess
    import sys

    memo = KeyMemo()
    memo.put("abc", [1, 2])
    memo.put("abd", [3])  # same length, one character apart
    assert memo.get("abc") == [1, 2] and memo.get("abd") == [3] and memo.get("abe") is None
    code = (
        "from poisonguard.detect.sketches import KeyMemo; m = KeyMemo(); m.put('abc', [1]); "
        "print(next(iter(m.keys)).hex())"
    )
    keys = {
        subprocess.run(
            [sys.executable, "-c", code],
            capture_output=True,
            text=True,
            check=True,
            env={"PYTHONHASHSEED": seed, "PATH": "", "PYTHONPATH": ":".join(sys.path)},
        ).stdout.strip()
        for seed in ("1", "2")
    }
    assert len(keys) == 1 and next(iter(keys)) == next(iter(memo.keys)).hex()
