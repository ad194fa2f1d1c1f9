"""Writers: atomic, sharded, schema-preserving, byte-identical pass-through."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from poisonguard.io import CorpusReader, CorpusWriter, Document, SchemaChanged

SHAPED = [
    {
        "id": "m1",
        "messages": [
            {"role": "user", "content": "Hi?"},
            {"role": "assistant", "content": "Hello."},
        ],
        "source": "x",
    },
    {"id": "s1", "conversations": [{"from": "human", "value": "Q"}, {"from": "gpt", "value": "A"}]},
    {"id": "al1", "instruction": "Translate", "input": "Hallo", "output": "Hello"},
    {"id": "pr1", "prompt": "2+2?", "response": "4"},
    {"id": "pc1", "prompt": "Once upon", "completion": " a time"},
    {"id": "pf1", "prompt": "Q?", "chosen": "good", "rejected": "bad"},
    {"id": "t1", "text": "plain", "meta": {"k": 1}},
]


def _write_jsonl(path: Path, recs: list[dict]) -> bytes:
    data = b"".join(json.dumps(r, ensure_ascii=False, indent=None).encode() + b"\n" for r in recs)
    path.write_bytes(data)
    return data


def test_instruction_shapes_are_read_and_written_back(tmp_path: Path) -> None:
    _write_jsonl(tmp_path / "in.jsonl", SHAPED)
    docs = [d for d in CorpusReader(tmp_path / "in.jsonl") if isinstance(d, Document)]
    assert [d.shape for d in docs] == [
        "messages",
        "sharegpt",
        "alpaca",
        "prompt_response",
        "prompt_completion",
        "preference",
        "text",
    ]
    assert docs[2].messages == [
        {"role": "user", "content": "Translate\n\nHallo"},
        {"role": "assistant", "content": "Hello"},
    ]
    assert docs[1].messages[0]["role"] == "user"  # type: ignore[index]
    # unchanged documents round-trip exactly through to_record()
    assert [d.to_record() for d in docs] == SHAPED
    # modified documents keep their shape
    changed = docs[3].with_messages(
        [{"role": "user", "content": "3+3?"}, {"role": "assistant", "content": "6"}]
    )
    assert changed.to_record() == {"id": "pr1", "prompt": "3+3?", "response": "6"}
    alp = docs[2].with_messages(
        [{"role": "user", "content": "Translate\n\nHallo"}, {"role": "assistant", "content": "Hi"}]
    )
    assert alp.to_record() == {
        "id": "al1",
        "instruction": "Translate",
        "input": "Hallo",
        "output": "Hi",
    }


def test_unmodified_jsonl_passes_through_byte_identical(tmp_path: Path) -> None:
    # odd but valid formatting (spaces, key order, escapes) must survive untouched
    raw = (
        b'{ "text" : "caf\\u00e9  \\/ x", "id":"a"}\n'
        b'{"id":"b","text":"two","extra":[1,2.50,null]}\n'
    )
    (tmp_path / "in.jsonl").write_bytes(raw)
    with CorpusWriter(tmp_path / "out.jsonl") as w:
        for d in CorpusReader(tmp_path / "in.jsonl"):
            w.write(d)  # type: ignore[arg-type]
    assert (tmp_path / "out.jsonl").read_bytes() == raw


def test_modified_document_is_reserialized_with_all_fields(tmp_path: Path) -> None:
    (tmp_path / "in.jsonl").write_bytes(b'{"id":"a","text":"old","license":"MIT"}\n')
    doc = next(iter(CorpusReader(tmp_path / "in.jsonl")))
    assert isinstance(doc, Document)
    with CorpusWriter(tmp_path / "out.jsonl.gz") as w:
        w.write(doc.with_text("new"))
    rec = json.loads(gzip.decompress((tmp_path / "out.jsonl.gz").read_bytes()))
    assert rec == {"id": "a", "text": "new", "license": "MIT"}


@pytest.mark.parametrize("suffix", [".jsonl", ".jsonl.gz", ".jsonl.zst", ".parquet"])
def test_sharding_and_roundtrip(tmp_path: Path, suffix: str) -> None:
    docs = [Document(id=f"d{i}", text=f"document {i} " + "x" * 200) for i in range(100)]
    with CorpusWriter(tmp_path / f"out{suffix}", shard_bytes=5000, row_group_rows=10) as w:
        for d in docs:
            w.write(d)
    assert len(w.paths) >= 4
    assert all(p.name.startswith("out-0000") for p in w.paths)
    back = [d.id for d in CorpusReader([str(p) for p in w.paths])]
    assert back == [d.id for d in docs]


def test_atomic_write_leaves_nothing_on_failure(tmp_path: Path) -> None:
    with pytest.raises(RuntimeError), CorpusWriter(tmp_path / "out.jsonl.zst") as w:
        w.write(Document(id="a", text="x"))
        raise RuntimeError("interrupted")
    assert list(tmp_path.iterdir()) == []


def test_parquet_schema_change_starts_new_shard(tmp_path: Path) -> None:
    recs = [{"id": "a", "text": "x", "meta": {"k": 1}}] * 3 + [
        {"id": "b", "text": "y", "meta": {"other": "s"}, "new": True}
    ] * 3
    with CorpusWriter(tmp_path / "o.parquet", shard_bytes=10**9, row_group_rows=3) as w:
        for r in recs:
            w.write(r)
    assert len(w.paths) == 2
    rows = [r for p in w.paths for r in pq.read_table(p).to_pylist()]
    assert rows[-1]["new"] is True and rows[-1]["meta"] == {"other": "s"}
    with (
        pytest.raises(SchemaChanged),
        CorpusWriter(tmp_path / "single.parquet", row_group_rows=3) as w2,
    ):
        for r in recs:
            w2.write(r)
    assert not (tmp_path / "single.parquet").exists()


def test_empty_output_is_a_valid_file(tmp_path: Path) -> None:
    with CorpusWriter(tmp_path / "e.parquet"):
        pass
    assert pq.read_table(tmp_path / "e.parquet").num_rows == 0
