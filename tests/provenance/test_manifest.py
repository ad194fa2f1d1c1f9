"""Manifest building: canonical, sorted, streamed (external sort), ledger-annotated."""

from __future__ import annotations

import random
from pathlib import Path

import orjson
import pytest

from poisonguard.io import CorpusReader
from poisonguard.provenance import (
    Ledger,
    ManifestError,
    build_manifest,
    check_manifest,
    check_proof,
    compare_corpus,
    jcs,
    lineage_of,
    make_proofs,
    merkle_root,
)
from poisonguard.provenance.extsort import ExternalSorter

from .conftest import make_records, write_jsonl


def docs(path: Path):  # type: ignore[no-untyped-def]
    return CorpusReader(path).documents()


def test_manifest_is_canonical_sorted_and_order_independent(tmp_path: Path) -> None:
    recs = make_records(40)
    shuffled = recs[:]
    random.Random(1).shuffle(shuffled)
    a = build_manifest(docs(write_jsonl(tmp_path / "a.jsonl", recs)), tmp_path / "a.m.jsonl")
    b = build_manifest(
        docs(write_jsonl(tmp_path / "b.jsonl", shuffled)), tmp_path / "b.m.jsonl", chunk_items=7
    )  # forces 6 spilled runs + merge
    assert b.spilled_runs >= 5
    assert a.path.read_bytes() == b.path.read_bytes()
    assert (a.root, a.sha256, a.count) == (b.root, b.sha256, 40)
    lines = a.path.read_bytes().splitlines()
    ids = [orjson.loads(x)["id"] for x in lines]
    assert ids == sorted(r["id"] for r in recs)
    assert all(jcs(orjson.loads(x)) == x for x in lines)
    assert merkle_root(lines).hex() == a.root
    chk = check_manifest(a.path)
    assert chk.ok and chk.root == a.root and chk.sha256 == a.sha256
    first = orjson.loads(lines[0])
    assert first["source_id"] == "c4" and first["license"] == "ODC-By-1.0"
    assert first["source"] == "https://news.example.org/a/0"
    assert first["retrieved_at"] == "2024-01-15T10:00:00Z"
    # a corpus location is not a source: records without a URL carry none
    assert "source" not in orjson.loads(lines[1])


def test_external_sorter_is_stable_and_cleans_up(tmp_path: Path) -> None:
    s = ExternalSorter(chunk_items=3, tmpdir=tmp_path)
    items = [
        ("b", b"1"),
        ("a", b"2"),
        ("é", b"3"),
        ("b", b"4"),
        ("A", b"5"),
        ("a", b"6"),
        ("\U0001f600", b"7"),
    ]
    for k, v in items:
        s.add(k, v)
    assert s.runs == 2
    assert list(s) == sorted(items, key=lambda kv: kv[0])  # sorted() is stable too
    assert not any(tmp_path.iterdir())


def test_duplicate_ids_refuse_the_manifest(tmp_path: Path) -> None:
    recs = [*make_records(5), make_records(5)[2]]
    with pytest.raises(ManifestError, match="doc-002"):
        build_manifest(docs(write_jsonl(tmp_path / "c.jsonl", recs)), tmp_path / "m.jsonl")
    assert not (tmp_path / "m.jsonl").exists()


def test_ledger_annotation_and_unrecorded_documents(tmp_path: Path) -> None:
    recs = make_records(6)
    corpus = write_jsonl(tmp_path / "c.jsonl", recs)
    with Ledger(tmp_path / "l.db") as led:
        led.ingest(lineage_of(d) for d in docs(corpus))
        from poisonguard.provenance import Event

        led.record_events([Event("doc-001", "scan", "0.1", "pass", "2026-01-01T00:00:00Z")])
        s = build_manifest(docs(corpus), tmp_path / "m.jsonl", ledger=led)
        rec = orjson.loads(s.path.read_bytes().splitlines()[1])
        assert rec["ledger"]["version"] == 1
        assert rec["ledger"]["events"] == [
            {"name": "scan", "version": "0.1", "result": "pass", "time": "2026-01-01T00:00:00Z"}
        ]
        recs[4]["text"] = "changed after recording"
        write_jsonl(corpus, recs)
        with pytest.raises(ManifestError, match=r"doc-004.*record"):
            build_manifest(docs(corpus), tmp_path / "m2.jsonl", ledger=led)


def test_compare_names_missing_extra_changed_duplicated(tmp_path: Path) -> None:
    recs = make_records(10)
    m = build_manifest(docs(write_jsonl(tmp_path / "c.jsonl", recs)), tmp_path / "m.jsonl")
    recs[2]["text"] += "!"
    del recs[5]
    recs.append({"id": "zzz", "text": "new"})
    recs.append(dict(recs[0]))
    diff = compare_corpus(docs(write_jsonl(tmp_path / "t.jsonl", recs)), m.path, chunk_items=3)
    assert diff.missing == ["doc-005"] and diff.extra == ["zzz"]
    assert diff.duplicated == ["doc-000"]
    assert diff.changed == [{"id": "doc-002", "fields": ["sha256", "size", "record_sha256"]}]


def test_inclusion_proofs_from_a_manifest(tmp_path: Path) -> None:
    m = build_manifest(
        docs(write_jsonl(tmp_path / "c.jsonl", make_records(13))), tmp_path / "m.jsonl"
    )
    proofs = make_proofs(m.path, ["doc-000", "doc-007", "doc-012"])
    for p in proofs:
        assert p["root"] == m.root and p["tree_size"] == 13
        assert check_proof(p, m.root)[0]
    altered = {**proofs[1], "record": {**proofs[1]["record"], "license": "MIT"}}
    ok, why = check_proof(altered, m.root)
    assert not ok and "altered" in why
    assert not check_proof(proofs[0], "00" * 32)[0]
    with pytest.raises(KeyError, match="absent-doc"):
        make_proofs(m.path, ["doc-001", "absent-doc"])


def test_text_folder_and_parquet_corpora_have_stable_lineage(tmp_path: Path) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    folder = tmp_path / "texts"
    folder.mkdir()
    (folder / "a.txt").write_text("first file")
    (folder / "b.md").write_text("second file")
    m1 = build_manifest(docs(folder), tmp_path / "m1.jsonl")
    moved = tmp_path / "moved"
    folder.rename(moved)
    m2 = build_manifest(docs(moved), tmp_path / "m2.jsonl")
    assert m1.root == m2.root  # a file's location is not part of its lineage
    rec = orjson.loads(m1.path.read_bytes().splitlines()[0])
    assert rec["id"] == "a.txt" and "source" not in rec and rec["license"] == "NOASSERTION"

    table = pa.table(
        {
            "id": ["p1", "p2"],
            "text": ["x", "y"],
            "score": [0.5, 1e-7],
            "blob": [b"\x00\x01", b"\xff"],
        }
    )
    pq.write_table(table, tmp_path / "c.parquet")
    lin = [lineage_of(d) for d in CorpusReader(tmp_path / "c.parquet").documents()]
    assert [x.id for x in lin] == ["p1", "p2"]
    assert len({x.record_sha256 for x in lin}) == 2  # floats and bytes canonicalised
