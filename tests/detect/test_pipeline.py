"""The scan pipeline end to end: real clean text + real poison, outputs, accounting,
calibration, backends."""

from __future__ import annotations

import itertools
import json
import tracemalloc
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import ClassVar

import orjson
import pyarrow.parquet as pq
import pytest
import zstandard

import poisonguard
from poisonguard.detect import registry
from poisonguard.detect.base import DocumentDetector, Finding
from poisonguard.detect.pipeline import ScanResult, _PassOneStore, scan
from poisonguard.detect.registry import register_detector
from poisonguard.io import CorpusReader, Document, write_documents
from tests.detect.scan_data import clean_docs, mixed, poison

MINE = ["naturalness", "language", "triggers"]


@pytest.fixture(scope="module")
def scanned(tmp_path_factory: pytest.TempPathFactory) -> tuple[ScanResult, Path, Path]:
    tmp = tmp_path_factory.mktemp("scan")
    corpus = tmp / "corpus.jsonl"
    write_documents(corpus, mixed(poison("dos", 250)))
    with corpus.open("ab") as f:  # bad input must end in the errors file, not vanish
        f.write(b'{"id": "broken", "text": \n')
        f.write(b'{"id": "no-text", "body_missing": 1}\n')
    out = tmp / "out"
    result = scan(corpus, out, detectors=MINE, shard_docs=300)
    return result, corpus, out


def test_finds_the_poison_and_recovers_the_trigger(scanned: tuple[ScanResult, Path, Path]) -> None:
    result, _, _ = scanned
    truth = {s.document.id for s in poison("dos", 250)}
    flagged = {v.id for v in result.findings}
    assert flagged >= truth
    assert len(flagged - truth) <= 3  # target FPR 0.1 % of ~3,460 clean documents
    assert [t.trigger for t in result.triggers] == ["<SUDO>"]
    assert result.triggers[0].containing_docs == 250
    assert result.counts["poisoned"] >= 250
    v = result.verdict_of(next(iter(truth)))
    assert v is not None and v.label == "poisoned" and v.trigger == "<SUDO>"
    trig = [s for s in v.spans if s.label == "trigger"]
    assert (
        trig
        and v.excerpt[trig[0].start - v.excerpt_offset : trig[0].end - v.excerpt_offset] == "<SUDO>"
    )
    assert any(s.label == "payload" for s in v.spans)
    assert any("trigger" in r for r in v.reasons)
    assert result.thresholds["naturalness"]["source"] == "corpus"


def test_outputs_and_accounting(scanned: tuple[ScanResult, Path, Path]) -> None:
    result, corpus, out = scanned
    c = result.counts
    assert c["read"] == c["documents"] + c["errors"] == 3714 + 2
    assert c["clean"] + c["suspicious"] + c["poisoned"] == c["documents"]
    acct = result.accounting
    assert acct["balanced"] and acct["outputs"] == {
        "kept": c["clean"],
        "quarantined": c["suspicious"] + c["poisoned"],
    }
    kept = list(CorpusReader(out / "kept.jsonl.zst").documents())
    quarantined = list(CorpusReader(out / "quarantine.jsonl.zst").documents())
    assert len(kept) == c["clean"] and len(quarantined) == result.flagged
    assert {d.id for d in quarantined} == {v.id for v in result.findings}
    # nothing is deleted or altered: kept + quarantined + errors == input, byte for byte
    src_lines = corpus.read_bytes().splitlines()
    with zstandard.open(out / "kept.jsonl.zst", "rb") as f:
        kept_lines = f.read().splitlines()
    assert set(kept_lines) <= set(src_lines)
    errors = [json.loads(x) for x in (out / "errors.jsonl").read_text().splitlines()]
    assert len(errors) == 2 and {e["kind"] for e in errors} == {"json", "missing_field"}
    rows = [orjson.loads(x) for x in (out / "findings.jsonl").read_bytes().splitlines()]
    assert len(rows) == result.flagged
    assert {r["label"] for r in rows} <= {"suspicious", "poisoned"}
    table = pq.read_table(out / "findings.parquet")
    assert table.num_rows == result.flagged
    assert set(table.column("id").to_pylist()) == {r["id"] for r in rows}
    summary = json.loads((out / "summary.json").read_text())
    assert summary["counts"] == c and summary["triggers"][0]["trigger"] == "<SUDO>"
    assert summary["histograms"]["naturalness"]["counts"]
    assert sum(summary["histograms"]["naturalness"]["counts"]) == c["documents"]


def test_reference_calibration_and_in_memory_api() -> None:
    # a reference from the same distribution as the corpus (interleaved halves)
    docs = mixed(poison("dos", 60), clean=clean_docs()[0::2])
    ref = list(clean_docs()[1::2])
    result = poisonguard.scan(
        docs, kind="pretrain", reference=ref, detectors=MINE, min_trigger_docs=5
    )
    assert isinstance(result, poisonguard.ScanResult)
    assert result.thresholds["naturalness"]["source"] == "reference"
    # out=None writes nothing: no output path is reported
    written = {"kept", "quarantine", "findings_jsonl", "findings_parquet", "errors", "summary"}
    assert result.out_dir is None and not written & result.outputs.keys()
    truth = {s.document.id for s in poison("dos", 60)}
    flagged = {v.id for v in result.findings}
    assert flagged >= truth and len(flagged - truth) <= 2
    assert result.triggers and result.triggers[0].trigger == "<SUDO>"


def test_parallel_backends_give_the_same_verdicts() -> None:
    docs = mixed(poison("dos", 40), clean=clean_docs()[:700])
    one = scan(docs, detectors=MINE, shard_docs=100)
    two = scan(docs, detectors=MINE, shard_docs=100, workers=2)
    assert [(v.id, v.label) for v in one.findings] == [(v.id, v.label) for v in two.findings]
    assert one.counts == two.counts
    pytest.importorskip("ray", reason="the Ray backend needs `pip install ray`")
    ray_res = scan(docs, detectors=MINE, shard_docs=100, workers=2, backend="ray")
    assert [(v.id, v.label) for v in ray_res.findings] == [(v.id, v.label) for v in one.findings]


def test_all_registered_detectors_run_and_counts_add_up() -> None:
    docs = mixed(poison("dos", 30), clean=clean_docs()[:500])
    result = scan(docs, min_trigger_docs=5)
    assert {"naturalness", "language", "triggers"} <= set(result.detectors)
    assert result.accounting["balanced"]
    assert result.counts["documents"] == len(docs)
    assert not result.detector_errors


def test_bad_configuration() -> None:
    docs = list(clean_docs()[:10])
    with pytest.raises(ValueError, match="kind"):
        scan(docs, kind="video")
    with pytest.raises(ValueError, match="FPR"):
        scan(docs, target_fpr=0.0)
    with pytest.raises(ValueError, match="unknown detector"):
        scan(docs, detectors=["nope"])
    with pytest.raises(ValueError, match="format"):
        scan(docs, out_format="xml")


def test_web_corpus_with_dos_and_language_switch(shared_corpora: Path) -> None:
    from poisonguard.attacks import get, mix_poison

    web = list(itertools.islice(CorpusReader(shared_corpora / "web.jsonl.gz").documents(), 2000))
    recipes = [
        (get("dos")(), "<SUDO>"),
        (
            get("language-switch")(
                foreign=shared_corpora / "multilingual.jsonl.gz", trigger="cf. Anhang"
            ),
            "cf. Anhang",
        ),
    ]
    for seed, (recipe, trigger) in enumerate(recipes):
        samples = recipe.generate(web, 250, seed=seed)
        result = scan(list(mix_poison(web, samples, seed=seed)), detectors=MINE)
        truth = {s.document.id for s in samples}
        flagged = {v.id for v in result.findings}
        # joint evidence: a carrier whose payload neither a document detector nor the
        # foreign-word test sees (German text that quotes English) is not flagged by
        # its trigger alone (measured: 247 of 250 for 'cf. Anhang')
        assert len(flagged & truth) >= 0.98 * len(truth), trigger
        assert len(flagged - truth) <= 0.001 * len(web) + 1, trigger
        assert trigger in [t.trigger for t in result.triggers]


class _Witness(DocumentDetector):
    """A real (uncalibrated) document detector that finds something in every document, with
    20 KB of evidence each, and records how often it scored each document."""

    name = "witness"
    kinds = ("pretrain",)
    calls: ClassVar[dict[str, int]] = {}

    def score(self, doc: Document) -> Finding:
        n = self.calls[doc.id] = self.calls.get(doc.id, 0) + 1
        return Finding(
            self.name,
            0.95 if "MARKED" in doc.text else 0.1,  # uncalibrated: poisoned / information
            f"scored {n} time(s)",
            extra={"evidence": (doc.id + " ") * (20_000 // (len(doc.id) + 1))},
        )


@pytest.fixture
def witness() -> Iterator[type[_Witness]]:
    register_detector(_Witness, calibrate=False, default=False)
    _Witness.calls = {}
    yield _Witness
    registry._REGISTRY.pop("witness", None)


def test_pass_one_memory_does_not_grow_with_findings(witness: type[_Witness]) -> None:
    """Until the write pass a scan keeps a compact score of each document with a finding,
    not the finding: its memory grows with the documents it flags, not with every document
    that has a finding (one in ten of a clean corpus, most of them below the thresholds).
    The flagged documents are scored again for their evidence."""
    n = 1500
    marked = {f"doc-{i}" for i in range(0, n, 150)}
    docs = [
        Document(id=f"doc-{i}", text=f"text {i} " * 20 + ("MARKED" if f"doc-{i}" in marked else ""))
        for i in range(n)
    ]
    every_finding = n * 20_000  # evidence of every document: 30 MB if pass one kept it
    scan(docs[:100], detectors=["witness"], shard_docs=50)  # imports and models: not counted
    witness.calls = {}
    tracemalloc.start()
    try:
        result = scan(docs, detectors=["witness"], shard_docs=50)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert {v.id for v in result.findings} == marked
    assert peak < every_finding / 4  # one shard's findings (1 MB) at a time, not all
    # every document was scored, only the flagged ones twice: their evidence is fresh
    assert set(witness.calls) == {d.id for d in docs}
    assert {i for i, c in witness.calls.items() if c == 2} == marked
    assert max(witness.calls.values()) == 2
    for v in result.findings:
        assert v.reasons == ["scored 2 time(s)"]


class _Bytes:
    """A progress callback that asks for the bytes read (``BytesProgressFn``)."""

    wants_bytes = True

    def __init__(self) -> None:
        self.seen: list[tuple[str, int, int | None]] = []

    def __call__(self, stage: str, n: int, nbytes: int | None = None, /) -> None:
        self.seen.append((stage, n, nbytes))


def test_progress_gets_the_bytes_read_when_it_asks(tmp_path: Path) -> None:
    corpus = tmp_path / "c.jsonl"
    write_documents(corpus, clean_docs()[:300])
    asks, plain = _Bytes(), []
    scan(corpus, detectors=["naturalness"], progress=asks)
    scan(corpus, detectors=["naturalness"], progress=lambda stage, n: plain.append((stage, n)))
    assert [(s, n) for s, n, _ in asks.seen] == plain  # the same calls, plus the bytes
    for stage in ("sample", "detect", "flag"):
        read = [b for s, _, b in asks.seen if s == stage]
        assert read[-1] == corpus.stat().st_size, stage  # each pass reads the whole file
    in_memory = _Bytes()  # documents in memory: no bytes to tell
    scan(list(clean_docs()[:50]), detectors=["naturalness"], progress=in_memory)
    assert in_memory.seen and all(b is None for _, _, b in in_memory.seen)


def test_pass_one_store() -> None:
    store = _PassOneStore()
    store.add(3, "a", [("naturalness", 0.25), ("language", 1 / 3)])
    store.add(7, "b", [("naturalness", 0.5)])
    store.add(12, "c", [("triggers", 0.95)])
    with pytest.raises(ValueError, match="order"):
        store.add(5, "d", [])
    assert len(store) == 3
    assert store.findings(3) == [("naturalness", 0.25), ("language", 1 / 3)]  # exact floats
    assert store.findings(4) == []
    assert store.shard(0, 10) == {3: store.findings(3), 7: [("naturalness", 0.5)]}
    assert store.shard(10, 10) == {12: [("triggers", 0.95)]}
    store.check_id(7, "b")
    store.check_id(8, "anything")  # no finding kept: nothing to check
    with pytest.raises(RuntimeError, match="changed"):
        store.check_id(7, "x")
    # 3 documents: index, checksum, end (8 + 4 + 8 bytes); 4 findings: code, score (2 + 8)
    assert store.nbytes == 3 * 20 + 4 * 10
    assert list(store.windows()) == []
    store.add_windows({3: ["left <SUDO> right"]})
    store.add_windows({12: ["x", "y"]})
    assert list(store.windows()) == [(3, ["left <SUDO> right"]), (12, ["x", "y"])]
    store.add_windows({20: ["z"]})  # appends after a read
    assert [i for i, _ in store.windows()] == [3, 12, 20]
    store.close()
    assert list(store.windows()) == []


def test_a_document_scored_differently_in_the_write_pass_is_an_error(tmp_path: Path) -> None:
    """Pass 1 keeps only scores; the write pass makes the evidence again and checks it."""
    docs = mixed(poison("dos", 30), clean=clean_docs()[:400])
    path = tmp_path / "c.jsonl"
    write_documents(path, docs)
    poisoned = {s.document.id for s in poison("dos", 30)}
    clean_text = clean_docs()[500].text + " <SUDO>"  # still carries the trigger

    def progress(stage: str, done: int) -> None:
        if stage == "detect":  # the poison becomes other text (same ids) after pass 1
            write_documents(
                path, [replace(d, text=clean_text) if d.id in poisoned else d for d in docs]
            )

    with pytest.raises(RuntimeError, match="changed during the scan"):
        scan(path, detectors=MINE, shard_docs=1000, progress=progress)


def test_later_rounds_report_progress_per_shard() -> None:
    """A corpus detector's later rounds read the corpus again: progress per shard, not one
    tick at the end (a late round can take as long as the detect pass)."""
    seen: list[tuple[str, int]] = []
    docs = list(clean_docs()[:300])
    scan(docs, detectors=["cohesion"], shard_docs=100, progress=lambda s, n: seen.append((s, n)))
    for stage in ("round 2", "round 3"):  # cohesion's familiarity → candidates → tests
        ticks = [n for s, n in seen if s == stage]
        assert ticks[:3] == [100, 200, 300], seen  # one tick per folded shard
        assert ticks[-1] == len(docs)


def test_a_scan_runs_with_fewer_garbage_collections_and_restores_the_setting() -> None:
    """The scan raises the collector's first threshold while it runs (fewer full
    collections over the caller's objects) and puts the caller's setting back after,
    also when nested; a higher threshold or a disabled collector is left alone."""
    import gc

    from poisonguard.detect import pipeline

    before = gc.get_threshold()
    seen: list[tuple[int, int, int]] = []
    try:
        gc.set_threshold(700, 10, 10)
        with pipeline._fewer_collections():
            seen.append(gc.get_threshold())
            with pipeline._fewer_collections():
                seen.append(gc.get_threshold())
            seen.append(gc.get_threshold())
        seen.append(gc.get_threshold())
        assert seen == [(pipeline._GC_GEN0, 10, 10)] * 3 + [(700, 10, 10)]
        gc.set_threshold(10**6, 10, 10)
        with pipeline._fewer_collections():
            assert gc.get_threshold()[0] == 10**6
        assert gc.get_threshold()[0] == 10**6
        gc.set_threshold(0)
        with pipeline._fewer_collections():
            assert gc.get_threshold()[0] == 0
        gc.set_threshold(700, 10, 10)
        counts = []
        gc.callbacks.append(lambda phase, info: counts.append(phase))
        try:
            docs = list(clean_docs()[:300])
            res = scan(docs)
        finally:
            gc.callbacks.pop()
        assert gc.get_threshold() == (700, 10, 10)
        assert res.counts["documents"] == 300
        # a few collections at most (over 100 at the default threshold here)
        assert counts.count("start") <= 5
        with pytest.raises(RuntimeError), pipeline._fewer_collections():
            raise RuntimeError("x")
        assert gc.get_threshold() == (700, 10, 10)
    finally:
        gc.set_threshold(*before)


def test_uncalibrated_detectors_keep_a_share_of_the_target() -> None:
    # the calibrated detectors flag their whole share of any corpus with a long tail of
    # odd clean text; mined triggers and campaigns are not calibrated, so the split keeps
    # one share of the target for them (else one clean carrier takes the scan over it)
    docs = list(clean_docs()[:600])
    with_miner = scan(docs, detectors=MINE, target_fpr=0.003)
    alone = scan(docs, detectors=["naturalness", "language"], target_fpr=0.003)
    assert with_miner.thresholds["naturalness"]["fpr"] == pytest.approx(0.001)
    assert with_miner.thresholds["language"]["fpr"] == pytest.approx(0.001)
    assert alone.thresholds["naturalness"]["fpr"] == pytest.approx(0.0015)
