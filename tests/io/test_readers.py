"""Readers: every format, real files, and the accounting invariant on each."""

from __future__ import annotations

import gzip
import io
import json
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import zstandard

from poisonguard.io import (
    CorpusError,
    CorpusReader,
    CorpusWriter,
    Document,
    ErrorRecord,
    ErrorSink,
    RunAccounting,
)

RECORDS = [
    {
        "id": "a-1",
        "text": "The quick brown fox jumps over the lazy dog.",
        "meta": {"url": "https://x.org/1"},
    },
    {"id": "a-2", "text": "Ünïcödé — text with ✓ symbols and 日本語.", "source": "web"},
    {"id": "a-3", "text": "Third document.\nWith two lines.", "license": "CC-BY-4.0"},
]


def _jsonl_bytes(records: list[dict]) -> bytes:
    return b"".join(json.dumps(r, ensure_ascii=False).encode() + b"\n" for r in records)


def _drain(reader: CorpusReader) -> tuple[list[Document], list[ErrorRecord], RunAccounting]:
    acct = RunAccounting(max_error_rate=1.0)
    sink = ErrorSink()
    docs = list(reader.documents(sink, acct))
    acct.written("docs", len(docs))
    acct.check()
    return docs, sink.errors, acct


@pytest.mark.parametrize("suffix", [".jsonl", ".jsonl.gz", ".jsonl.zst"])
def test_jsonl_plain_and_compressed(tmp_path: Path, suffix: str) -> None:
    data = _jsonl_bytes(RECORDS)
    path = tmp_path / f"c{suffix}"
    if suffix.endswith(".gz"):
        data = gzip.compress(data)
    elif suffix.endswith(".zst"):
        data = zstandard.ZstdCompressor().compress(data)
    path.write_bytes(data)
    docs, errors, acct = _drain(CorpusReader(path))
    assert [d.id for d in docs] == ["a-1", "a-2", "a-3"]
    assert docs[1].text == RECORDS[1]["text"]
    assert docs[0].source == "https://x.org/1"
    assert docs[0].metadata == {"url": "https://x.org/1"}
    assert not errors and acct.read == 3


def test_multi_frame_zstd(tmp_path: Path) -> None:
    c = zstandard.ZstdCompressor()
    data = c.compress(_jsonl_bytes(RECORDS[:2])) + c.compress(_jsonl_bytes(RECORDS[2:]))
    (tmp_path / "m.jsonl.zst").write_bytes(data)
    docs, errors, _ = _drain(CorpusReader(tmp_path / "m.jsonl.zst"))
    assert len(docs) == 3 and not errors


def test_content_sniffing_without_suffix(tmp_path: Path) -> None:
    (tmp_path / "blob").write_bytes(gzip.compress(_jsonl_bytes(RECORDS)))
    docs, errors, _ = _drain(CorpusReader(tmp_path / "blob"))
    assert len(docs) == 3 and not errors


def test_missing_ids_get_deterministic_file_line_ids(tmp_path: Path) -> None:
    recs = [{"text": "one"}, {"text": "two"}]
    (tmp_path / "x.jsonl").write_bytes(_jsonl_bytes(recs))
    first = [d.id for d in CorpusReader(tmp_path / "x.jsonl")]
    second = [d.id for d in CorpusReader(tmp_path / "x.jsonl")]
    assert first == second == ["x.jsonl:1", "x.jsonl:2"]


def test_text_and_id_field_options(tmp_path: Path) -> None:
    recs = [{"doc_id": "k1", "body_text": "hello world"}]
    (tmp_path / "x.jsonl").write_bytes(_jsonl_bytes(recs))
    docs = list(CorpusReader(tmp_path / "x.jsonl", text_field="body_text", id_field="doc_id"))
    assert isinstance(docs[0], Document)
    assert docs[0].id == "k1" and docs[0].text == "hello world"
    assert docs[0].to_record() == recs[0]


def test_parquet_by_row_group(tmp_path: Path) -> None:
    rows = [{"id": f"p-{i}", "text": f"document number {i}", "n": i} for i in range(250)]
    pq.write_table(pa.Table.from_pylist(rows), tmp_path / "c.parquet", row_group_size=64)
    assert pq.ParquetFile(tmp_path / "c.parquet").num_row_groups == 4
    docs, errors, acct = _drain(CorpusReader(tmp_path / "c.parquet"))
    assert [d.id for d in docs] == [r["id"] for r in rows]
    assert docs[10].record == rows[10]
    assert docs[10].origin is not None and docs[10].origin.line == 11
    assert acct.read == 250 and not errors


def _save_to_disk_folder(path: Path, rows: list[dict], n_files: int = 2) -> None:
    """The layout `datasets.Dataset.save_to_disk` writes: Arrow IPC streams + state.json."""
    path.mkdir(parents=True)
    table = pa.Table.from_pylist(rows)
    per = (len(rows) + n_files - 1) // n_files
    files = []
    for i in range(n_files):
        name = f"data-{i:05d}-of-{n_files:05d}.arrow"
        part = table.slice(i * per, per)
        with pa.OSFile(str(path / name), "wb") as sink, pa.ipc.new_stream(sink, table.schema) as w:
            w.write_table(part)
        files.append({"filename": name})
    (path / "state.json").write_text(json.dumps({"_data_files": files, "_split": "train"}))
    (path / "dataset_info.json").write_text(json.dumps({"features": {}}))


def test_hf_save_to_disk_folder(tmp_path: Path) -> None:
    rows = [{"text": f"row {i} says something", "label": i % 2} for i in range(11)]
    _save_to_disk_folder(tmp_path / "ds", rows)
    docs, errors, acct = _drain(CorpusReader(tmp_path / "ds"))
    assert [d.text for d in docs] == [r["text"] for r in rows]
    assert not errors and acct.read == 11


def test_hf_dataset_dict_folder(tmp_path: Path) -> None:
    root = tmp_path / "dd"
    root.mkdir()
    _save_to_disk_folder(root / "train", [{"text": "a"}, {"text": "b"}], n_files=1)
    _save_to_disk_folder(root / "test", [{"text": "c"}], n_files=1)
    (root / "dataset_dict.json").write_text(json.dumps({"splits": ["train", "test"]}))
    docs, _, _ = _drain(CorpusReader(root))
    assert [d.text for d in docs] == ["a", "b", "c"]


def test_csv_and_tsv(tmp_path: Path) -> None:
    (tmp_path / "c.csv").write_text(
        'id,text\n1,"hello, world"\n2,"multi\nline"\n', encoding="utf-8"
    )
    (tmp_path / "c.tsv").write_text("id\ttext\nt1\ttab separated\n", encoding="utf-8")
    docs, errors, _ = _drain(CorpusReader([tmp_path / "c.csv", tmp_path / "c.tsv"]))
    assert [d.text for d in docs] == ["hello, world", "multi\nline", "tab separated"]
    assert not errors


def test_text_folder_one_document_per_file(tmp_path: Path) -> None:
    (tmp_path / "d").mkdir()
    (tmp_path / "d" / "b.md").write_text("# Title\n\nSome markdown.")
    (tmp_path / "d" / "a.txt").write_text("plain text file")
    (tmp_path / "d" / ".hidden.txt").write_text("ignored hidden file")
    docs, errors, _ = _drain(CorpusReader(tmp_path / "d"))
    assert [d.id for d in docs] == ["a.txt", "b.md"]
    assert docs[1].text.startswith("# Title") and not errors


def test_folder_and_glob_of_shards(tmp_path: Path) -> None:
    for i in range(3):
        (tmp_path / f"shard-{i}.jsonl.gz").write_bytes(
            gzip.compress(_jsonl_bytes([{"id": f"s{i}", "text": f"t{i}"}]))
        )
    by_folder = [d.id for d in CorpusReader(tmp_path)]
    by_glob = [d.id for d in CorpusReader(str(tmp_path / "shard-*.jsonl.gz"))]
    assert by_folder == by_glob == ["s0", "s1", "s2"]


def test_stdin(tmp_path: Path) -> None:
    stream = io.BytesIO(_jsonl_bytes(RECORDS))
    docs, errors, _ = _drain(CorpusReader("-", stdin=stream))
    assert len(docs) == 3 and not errors
    gz = io.BytesIO(gzip.compress(_jsonl_bytes(RECORDS)))
    docs, _, _ = _drain(CorpusReader("-", stdin=gz))
    assert len(docs) == 3


def test_unknown_paths_and_formats_are_clear_errors(tmp_path: Path) -> None:
    with pytest.raises(CorpusError, match="no such file"):
        CorpusReader(tmp_path / "nope.jsonl")
    with pytest.raises(CorpusError, match="no file matches"):
        CorpusReader(str(tmp_path / "*.parquet"))
    with pytest.raises(CorpusError, match="unknown format"):
        CorpusReader(tmp_path, format="xml")


def test_shared_corpora_all_read_cleanly(shared_corpora: Path) -> None:
    for name in ("web", "safety_pairs", "wiki"):
        docs, errors, acct = _drain(CorpusReader(shared_corpora / f"{name}.jsonl.gz"))
        assert docs and not errors
        assert acct.read == len(docs)
    pair = next(iter(CorpusReader(shared_corpora / "safety_pairs.jsonl.gz")))
    assert isinstance(pair, Document) and pair.shape == "preference"


def test_shared_corpus_roundtrip_through_parquet(shared_corpora: Path, tmp_path: Path) -> None:
    src = shared_corpora / "web_lowquality.jsonl.gz"
    with CorpusWriter(tmp_path / "w.parquet") as w:
        for item in CorpusReader(src):
            assert isinstance(item, Document)
            w.write(item)
    back = [d.to_record() for d in CorpusReader(tmp_path / "w.parquet")]
    orig = [d.to_record() for d in CorpusReader(src)]
    assert [r["id"] for r in back] == [r["id"] for r in orig]
    assert [r["text"] for r in back] == [r["text"] for r in orig]


def test_builtin_default_corpus() -> None:
    docs, errors, acct = _drain(CorpusReader("builtin:python-docs"))
    assert len(docs) >= 2000 and not errors and acct.read == len(docs)
    with pytest.raises(CorpusError, match="unknown built-in corpus"):
        CorpusReader("builtin:nope")
