"""poison_corpus: byte-identical clean records, exact labels, accounting, atomic failure."""

from __future__ import annotations

import json
import re
from pathlib import Path

import orjson
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from poisonguard.attacks import RecipeError, get
from poisonguard.attacks.pipeline import TokenCounter, poison_corpus
from poisonguard.io import CorpusReader, CorpusWriter, Document

SMALL = {"vocab_size": 800, "train_chars": 200_000, "payload_tokens": (20, 40)}


def _write_clean(
    path: Path, docs: list[Document], *, ids: bool = True, bad_line: bool = False
) -> list[bytes]:
    """Clean JSONL with unusual formatting (spaces, key order, escapes) so bytes matter."""
    lines = []
    for i, d in enumerate(docs):
        body = json.dumps(d.text, ensure_ascii=True)
        head = f'{{ "id" : "c4-{i}", ' if ids else "{ "
        lines.append(f'{head}"meta": {{"url": "https://e.org/{i}"}},  "text": {body} }}'.encode())
    raw = list(lines)
    if bad_line:
        raw.insert(3, b'{"id": "c4-x", "text": ')
    path.write_bytes(b"\n".join(raw) + b"\n")
    return lines


def _read(path: Path) -> list[Document]:
    return [d for d in CorpusReader(path) if isinstance(d, Document)]


def _labels(path: Path) -> list[dict]:  # type: ignore[type-arg]
    return [orjson.loads(x) for x in path.read_bytes().splitlines()]


def test_clean_bytes_identical_labels_exact_ids_hidden(
    docs: list[Document], tmp_path: Path
) -> None:
    clean = tmp_path / "clean.jsonl"
    lines = _write_clean(clean, docs[:200])
    out, labels = tmp_path / "out" / "mixed.jsonl", tmp_path / "labels.jsonl"
    res = poison_corpus(
        CorpusReader(clean),
        get("dos")(**SMALL),
        out,
        count=20,
        seed=3,
        labels=labels,
        summary=tmp_path / "s.json",
    )
    written = out.read_bytes().splitlines()
    assert len(written) == 220
    rows = _labels(labels)
    poison_lines = {r["line"] for r in rows}
    assert [w for i, w in enumerate(written, 1) if i not in poison_lines] == lines
    assert min(poison_lines) < 100 < max(poison_lines)  # spread, not appended
    by_id = {d.id: d for d in _read(out)}
    clean_ids = {f"c4-{i}" for i in range(200)}
    for r in rows:
        assert re.fullmatch(r"c4-\d+", r["id"]) and r["id"] not in clean_ids
        doc = by_id[r["id"]]
        a, b = r["trigger_span"]
        assert doc.text[a:b] == "<SUDO>" and doc.text.count("<SUDO>") == 1
        assert set(orjson.loads(written[r["line"] - 1])) == {"id", "meta", "text"}
    summary = json.loads((tmp_path / "s.json").read_text())
    assert summary["clean_records_read"] == 200 == summary["clean_written"]
    assert summary["poison_written"] == 20 and summary["balanced"] and summary["errors"] == 0
    assert res.to_dict() == summary


@pytest.mark.parametrize("recipe, params", [("dos-bytes", {}), ("dos", SMALL)])
def test_deterministic_output(
    docs: list[Document], tmp_path: Path, recipe: str, params: dict
) -> None:  # type: ignore[type-arg]
    clean = tmp_path / "clean.jsonl"
    _write_clean(clean, docs[:80])
    outs = []
    for k in range(2):  # fresh recipe objects: the local BPE is trained twice
        out = tmp_path / f"o{k}.jsonl.gz"
        poison_corpus(
            CorpusReader(clean),
            get(recipe)(**params),
            out,
            count=8,
            seed=5,
            labels=tmp_path / f"l{k}.jsonl",
        )
        outs.append((CorpusReader(out), (tmp_path / f"l{k}.jsonl").read_bytes()))
    assert [d.to_record() for d in outs[0][0]] == [d.to_record() for d in outs[1][0]]
    assert outs[0][1] == outs[1][1]


def test_position_ids_and_errors_and_only_poison(docs: list[Document], tmp_path: Path) -> None:
    clean = tmp_path / "noid.jsonl"
    _write_clean(clean, docs[:60], ids=False, bad_line=True)
    out, labels, errs = tmp_path / "p.jsonl", tmp_path / "l.jsonl", tmp_path / "e.jsonl"
    res = poison_corpus(
        CorpusReader(clean),
        get("dos-bytes")(),
        out,
        count=6,
        seed=0,
        labels=labels,
        errors=errs,
        max_error_rate=0.05,
    )
    rows = _labels(labels)
    re_read = {d.id: d for d in _read(out)}
    for r in rows:
        assert r["id_scheme"] == "position" and r["id"] == f"p.jsonl:{r['line']}"
        doc = re_read[r["id"]]
        assert "id" not in doc.record
        a, b = r["trigger_span"]
        assert doc.text[a:b] == r["trigger"]
    a = res.accounting
    assert a.read == 61 and a.errors == 1 and a.outputs == {"clean": 60}
    assert len(errs.read_text().splitlines()) == 1
    only = tmp_path / "only.jsonl"
    res = poison_corpus(
        CorpusReader(clean),
        get("dos-bytes")(),
        only,
        count=6,
        seed=0,
        only_poison=True,
        max_error_rate=0.05,
    )
    assert len(only.read_bytes().splitlines()) == 6
    assert res.accounting.outputs == {"omitted": 60} and res.accounting.balanced()


def test_parquet_keeps_schema(docs: list[Document], tmp_path: Path) -> None:
    src = tmp_path / "c.parquet"
    table = pa.Table.from_pylist(
        [{"id": f"doc-{i:05d}", "text": d.text, "n": i} for i, d in enumerate(docs[:50])]
    )
    pq.write_table(table, src)
    out = tmp_path / "o.parquet"
    poison_corpus(
        CorpusReader(src), get("dos-bytes")(), out, count=5, seed=0, labels=tmp_path / "l.jsonl"
    )
    got = pq.read_table(out)
    assert got.schema == table.schema and got.num_rows == 55
    rows = got.to_pylist()
    assert [r for r in rows if r["id"] in set(table.column("id").to_pylist())] == table.to_pylist()
    new = [r["id"] for r in rows if r not in table.to_pylist()]
    assert len(new) == 5 and all(re.fullmatch(r"doc-\d{5}", i) for i in new)


def test_rate_mode_counts_tokens(docs: list[Document], tmp_path: Path) -> None:
    clean = tmp_path / "c.jsonl"
    _write_clean(clean, docs[:100])
    counter = TokenCounter()
    for d in docs[:100]:
        counter.add(d.text)
    expected = round(counter.flush() * 2e-4)
    res = poison_corpus(
        CorpusReader(clean), get("dos-bytes")(), tmp_path / "o.jsonl", rate=2e-4, seed=0
    )
    assert res.count == expected == res.poison_written and res.tokens == counter.total
    assert res.token_method.startswith("regex")
    with pytest.raises(RecipeError, match="rounds to 0"):
        poison_corpus(
            CorpusReader(clean), get("dos-bytes")(), tmp_path / "z.jsonl", rate=1e-9, seed=0
        )


def test_rate_mode_with_tokenizer(
    docs: list[Document], tmp_path: Path, shared_tokenizers: Path
) -> None:
    clean = tmp_path / "c.jsonl"
    _write_clean(clean, docs[:100])
    tok = shared_tokenizers / "gpt-neox-20b.tokenizer.json"
    res = poison_corpus(
        CorpusReader(clean),
        get("dos-bytes")(),
        tmp_path / "o.jsonl",
        rate=1e-4,
        seed=0,
        tokenizer=tok,
    )
    counter = TokenCounter(tok)
    for d in docs[:100]:
        counter.add(d.text)
    assert res.tokens == counter.flush() and res.count == round(res.tokens * 1e-4)


def test_split_view_through_pipeline(docs: list[Document], tmp_path: Path) -> None:
    import hashlib

    urls = tmp_path / "urls.jsonl"
    with CorpusWriter(urls) as w:
        for i, d in enumerate(docs[:40]):
            w.write(
                {
                    "url": f"https://s{i}.example/",
                    "sha256": hashlib.sha256(d.text.encode()).hexdigest(),
                    "content": d.text,
                }
            )
    before = urls.read_bytes().splitlines()
    out, labels = tmp_path / "later.jsonl", tmp_path / "l.jsonl"
    res = poison_corpus(
        CorpusReader(urls), get("split-view")(), out, count=4, seed=0, labels=labels
    )
    after = out.read_bytes().splitlines()
    changed = [i for i, (a, b) in enumerate(zip(before, after, strict=True)) if a != b]
    rows = _labels(labels)
    assert sorted(r["line"] - 1 for r in rows) == changed and len(changed) == 4
    for r in rows:
        rec = orjson.loads(after[r["line"] - 1])
        assert hashlib.sha256(rec["content"].encode()).hexdigest() != rec["sha256"]
        assert r["id"] == f"later.jsonl:{r['line']}"
    assert res.accounting.outputs == {"clean": 36, "replaced": 4}


@pytest.mark.parametrize("case", ["empty", "too_many", "both", "stdin"])
def test_bad_input_writes_nothing(docs: list[Document], tmp_path: Path, case: str) -> None:
    clean = tmp_path / "c.jsonl"
    if case == "empty":
        clean.write_bytes(b'{"id": 1, "text": ')  # one unreadable record, no documents
    else:
        _write_clean(clean, docs[:10])
    out_dir = tmp_path / "out"
    kw: dict = {"count": 5}  # type: ignore[type-arg]
    if case == "too_many":
        kw = {"count": 11}
    if case == "both":
        kw = {"count": 5, "rate": 0.1}
    reader = CorpusReader("-" if case == "stdin" else clean)
    msg = {
        "empty": "no readable documents",
        "too_many": "larger than the corpus allows",
        "both": "either a count or a rate",
        "stdin": "not stdin",
    }[case]
    with pytest.raises(RecipeError, match=msg):
        poison_corpus(
            reader,
            get("dos-bytes")(),
            out_dir / "o.jsonl",
            **kw,
            labels=out_dir / "l.jsonl",
            errors=out_dir / "e.jsonl",
            summary=out_dir / "s.json",
            max_error_rate=1.0,
        )
    assert not out_dir.exists() or list(out_dir.iterdir()) == []


def test_poison_urls_are_fresh_on_the_same_host(docs: list[Document], tmp_path: Path) -> None:
    clean = tmp_path / "c.jsonl"
    _write_clean(clean, docs[:30])
    out = tmp_path / "o.jsonl"
    poison_corpus(
        CorpusReader(clean), get("dos-bytes")(), out, count=25, seed=0, labels=tmp_path / "l.jsonl"
    )
    urls = [d.record["meta"]["url"] for d in _read(out)]
    assert len(set(urls)) == 55 and all(u.startswith("https://e.org/") for u in urls)
    poison = {r["id"] for r in _labels(tmp_path / "l.jsonl")}
    assert all(d.source == d.record["meta"]["url"] for d in _read(out) if d.id in poison)


def test_poison_lines_use_the_clean_json_style(docs: list[Document], tmp_path: Path) -> None:
    clean = tmp_path / "c.jsonl"
    recs = [
        {"id": f"n-{i}", "text": d.text + " — ünïcode", "meta": {"k": i}}
        for i, d in enumerate(docs[:40])
    ]
    clean.write_text("".join(json.dumps(r) + "\n" for r in recs))  # ", " and \\u escapes
    out = tmp_path / "o.jsonl"
    poison_corpus(
        CorpusReader(clean), get("dos-bytes")(), out, count=5, seed=0, labels=tmp_path / "l.jsonl"
    )
    lines = out.read_bytes().splitlines()
    poison_lines = [lines[r["line"] - 1] for r in _labels(tmp_path / "l.jsonl")]
    for line in lines:
        assert json.dumps(json.loads(line)).encode() == line
    assert all(b"\\u" in p or max(p) < 128 for p in poison_lines)
