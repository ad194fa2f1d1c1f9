"""Dataset manifests: one canonical (JCS) record per document, sorted by id, + Merkle root.

``manifest.jsonl`` holds, per document, the fields of
:class:`~poisonguard.provenance.lineage.Lineage` and, when built with a ledger, a
``ledger`` object (``version``, ``retrieved_at``, the filter/scan ``events`` recorded for
that exact text).  Lines are RFC 8785 canonical JSON, sorted by id in Unicode code-point
order (= UTF-8 byte order), ids unique, each line ending in ``\\n``.  The RFC 6962 Merkle
tree is over the line bytes without the newline.

Building is streamed: records go through an external merge sort
(:class:`~poisonguard.provenance.extsort.ExternalSorter`), so memory is bounded by the
sort buffer, not the corpus.  Checking (:func:`check_manifest`) and comparing a corpus to a
manifest (:func:`compare_corpus`) are streamed the same way.

Order: a corpus may be read in any order (the manifest is a sorted *set*); a manifest file
whose lines are out of order, duplicated or not canonical is itself rejected as tampered.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any, BinaryIO

import orjson

from poisonguard.io import AtomicFile, Document
from poisonguard.provenance.canonical import CanonicalError, jcs_fast, jcs_known
from poisonguard.provenance.extsort import ExternalSorter
from poisonguard.provenance.ledger import Ledger
from poisonguard.provenance.lineage import COMPARED_FIELDS, Lineage, lineage_of
from poisonguard.provenance.merkle import (
    LeafHashes,
    MerkleBuilder,
    inclusion_proof,
    verify_inclusion,
)

LEDGER_KEY = "ledger"
HASH_ALGORITHM = "rfc6962-sha256"


class ManifestError(ValueError):
    """A manifest that cannot be built (duplicate ids, documents missing from the ledger)."""


@dataclass
class ManifestSummary:
    """Result of :func:`build_manifest`."""

    path: Path
    count: int
    root: str
    sha256: str
    spilled_runs: int = 0

    def to_dict(self) -> dict[str, Any]:
        return {
            "manifest": str(self.path),
            "records": self.count,
            "merkle_root": self.root,
            "sha256": self.sha256,
            "hash_algorithm": HASH_ALGORITHM,
            "sort_runs_spilled": self.spilled_runs,
        }


def _ledger_part(info: dict[str, Any] | None, lin: Lineage) -> dict[str, Any] | None:
    if info is None or info["digest"] != lin.digest:
        return None
    events = sorted(
        (
            {"name": e.name, "version": e.version, "result": e.result, "time": e.time}
            for e in info["events_all"]
            if e.sha256 == lin.sha256
        ),
        key=lambda e: (e["time"], e["name"], e["version"], e["result"]),
    )
    return {"version": info["version"], "retrieved_at": info.get("retrieved_at"), "events": events}


def manifest_records(
    docs: Iterable[Document],
    ledger: Ledger | None = None,
    batch: int = 2000,
    missing: list[str] | None = None,
) -> Iterator[tuple[str, bytes]]:
    """``(id, canonical record bytes)`` for each document, in input order.

    With a ledger, each record gets its ``ledger`` part; ids the ledger does not hold at
    this exact version are appended to ``missing`` (and get no ``ledger`` part).
    """
    if ledger is None:
        for doc in docs:
            lin = lineage_of(doc)
            yield lin.id, jcs_known(lin.to_dict())
        return
    buf: list[Lineage] = []

    def flush() -> Iterator[tuple[str, bytes]]:
        info = ledger.lookup(list({lin.id for lin in buf}))
        for lin in buf:
            rec = lin.to_dict()
            part = _ledger_part(info.get(lin.id), lin)
            if part is None:
                if missing is not None:
                    missing.append(lin.id)
            else:
                rec[LEDGER_KEY] = part
            yield lin.id, jcs_known(rec)
        buf.clear()

    for doc in docs:
        buf.append(lineage_of(doc))
        if len(buf) >= batch:
            yield from flush()
    if buf:
        yield from flush()


def build_manifest(
    docs: Iterable[Document],
    out: str | os.PathLike[str],
    *,
    ledger: Ledger | None = None,
    chunk_items: int = 200_000,
    tmpdir: str | os.PathLike[str] | None = None,
    advance: Callable[[int], None] | None = None,
    before_write: Callable[[], None] | None = None,
) -> ManifestSummary:
    """Write ``manifest.jsonl`` for ``docs`` (atomically) and return its root and digest.

    Raises :class:`ManifestError` (and writes nothing) when ids repeat or, with a ledger,
    when documents are not recorded in it at their current version.  ``before_write`` runs
    once every document has been read and before anything is written (e.g. an accounting
    check that raises when records could not be read).
    """
    missing: list[str] = []
    sorter = ExternalSorter(chunk_items=chunk_items, tmpdir=tmpdir)
    for key, line in manifest_records(docs, ledger, missing=missing):
        sorter.add(key, line)
        if advance is not None:
            advance(1)
    if missing:
        sorter.close()
        raise ManifestError(
            f"{len(missing)} document(s) are not in the ledger at their current version "
            f"(first: {', '.join(missing[:5])}); run `poisonguard provenance record` first"
        )
    if before_write is not None:
        try:
            before_write()
        except BaseException:
            sorter.close()
            raise
    runs = sorter.runs
    tree = MerkleBuilder()
    digest = hashlib.sha256()
    duplicates: list[str] = []
    prev: str | None = None
    with AtomicFile(out) as f:
        for key, line in sorter:
            if key == prev:
                if not duplicates or duplicates[-1] != key:
                    duplicates.append(key)
                continue
            prev = key
            tree.add(line)
            digest.update(line)
            digest.update(b"\n")
            f.fh.write(line)
            f.fh.write(b"\n")
        if duplicates:
            f.abort()
            raise ManifestError(
                f"{len(duplicates)} document id(s) occur more than once in the corpus "
                f"(first: {', '.join(duplicates[:5])}); ids must be unique"
            )
    return ManifestSummary(
        Path(out), tree.size, tree.root.hex(), digest.hexdigest(), max(runs, sorter.runs)
    )


@dataclass
class ManifestCheck:
    """Integrity of a manifest file: digest, Merkle root, count, and format problems."""

    sha256: str = ""
    count: int = 0
    root: str = ""
    problems: list[str] = field(default_factory=list)
    problem_count: int = 0

    @property
    def ok(self) -> bool:
        return self.problem_count == 0


def check_manifest(
    path: str | os.PathLike[str],
    *,
    on_record: Callable[[dict[str, Any]], None] | None = None,
    limit: int = 50,
    copy_to: BinaryIO | None = None,
) -> ManifestCheck:
    """Stream a manifest: file SHA-256, Merkle root, and every line canonical and in order.

    ``on_record`` is called with each parsed record (e.g. for policy checks).  ``copy_to``
    receives every byte that was hashed, so a caller can keep using exactly what was checked
    (``verify`` compares the corpus with that copy and never re-opens the manifest).
    """
    res = ManifestCheck()
    digest = hashlib.sha256()
    tree = MerkleBuilder()
    prev: str | None = None

    def problem(msg: str) -> None:
        res.problem_count += 1
        if len(res.problems) < limit:
            res.problems.append(msg)

    with open(path, "rb") as f:
        for line_no, raw in enumerate(f, 1):
            digest.update(raw)
            if copy_to is not None:
                copy_to.write(raw)
            if not raw.endswith(b"\n"):
                problem(f"line {line_no}: no final newline")
            line = raw.rstrip(b"\n")
            tree.add(line)
            try:
                rec = orjson.loads(line)
            except orjson.JSONDecodeError as e:
                problem(f"line {line_no}: not JSON ({e})")
                continue
            if not isinstance(rec, dict) or not isinstance(rec.get("id"), str):
                problem(f"line {line_no}: not a manifest record (no string id)")
                continue
            doc_id = rec["id"]
            try:
                canonical = jcs_fast(rec)
            except CanonicalError as e:
                problem(f"line {line_no} (id {doc_id!r}): {e}")
                continue
            if canonical != line:
                problem(f"line {line_no} (id {doc_id!r}): not canonical JCS")
            if prev is not None and doc_id <= prev:
                what = "duplicated" if doc_id == prev else "out of order (manifest reordered)"
                problem(f"line {line_no}: id {doc_id!r} {what}")
            prev = doc_id if prev is None or doc_id > prev else prev
            if on_record is not None:
                on_record(rec)
    res.sha256 = digest.hexdigest()
    res.count = tree.size
    res.root = tree.root.hex()
    return res


@dataclass
class CorpusDiff:
    """Differences between a corpus and a manifest, by document id."""

    corpus_documents: int = 0
    manifest_records: int = 0
    missing: list[str] = field(default_factory=list)
    extra: list[str] = field(default_factory=list)
    changed: list[dict[str, Any]] = field(default_factory=list)
    duplicated: list[str] = field(default_factory=list)
    counts: dict[str, int] = field(
        default_factory=lambda: {"missing": 0, "extra": 0, "changed": 0, "duplicated": 0}
    )

    @property
    def ok(self) -> bool:
        return not any(self.counts.values())

    def to_dict(self) -> dict[str, Any]:
        return {
            "corpus_documents": self.corpus_documents,
            "manifest_records": self.manifest_records,
            "counts": dict(self.counts),
            "missing": self.missing,
            "extra": self.extra,
            "changed": self.changed,
            "duplicated": self.duplicated,
        }


def compare_corpus(
    docs: Iterable[Document],
    manifest: str | os.PathLike[str] | IO[bytes],
    *,
    limit: int = 1000,
    chunk_items: int = 200_000,
    tmpdir: str | os.PathLike[str] | None = None,
    advance: Callable[[int], None] | None = None,
    screened: bool = False,
) -> CorpusDiff:
    """Recompute each document's lineage and compare it with the manifest, by id.

    ``manifest`` is a path or an open binary file (read from its current position).
    Both sides go through an external sort, so the corpus may be in any order and the
    comparison stays exact even for a manifest that is itself out of order.  ``screened``:
    the documents already went through :func:`~poisonguard.provenance.lineage.screen`
    (otherwise a record it would refuse raises
    :class:`~poisonguard.provenance.lineage.RecordRejected`).  Lists keep
    the first ``limit`` ids; ``counts`` has the totals.
    """
    diff = CorpusDiff()

    def note(kind: str, item: Any) -> None:
        diff.counts[kind] += 1
        lst: list[Any] = getattr(diff, kind)
        if len(lst) < limit:
            lst.append(item)

    corpus = ExternalSorter(chunk_items=chunk_items, tmpdir=tmpdir)
    for doc in docs:
        lin = lineage_of(doc, screened=screened)
        corpus.add(lin.id, jcs_known(lin.to_dict()))
        diff.corpus_documents += 1
        if advance is not None:
            advance(1)
    man = ExternalSorter(chunk_items=chunk_items, tmpdir=tmpdir)
    with contextlib.ExitStack() as stack:
        f: IO[bytes] = (
            manifest
            if not isinstance(manifest, str | os.PathLike)
            else stack.enter_context(open(manifest, "rb"))
        )
        for raw in f:
            try:
                rec = orjson.loads(raw)
            except orjson.JSONDecodeError:
                continue  # reported by check_manifest
            if isinstance(rec, dict) and isinstance(rec.get("id"), str):
                man.add(rec["id"], raw.rstrip(b"\n"))
                diff.manifest_records += 1

    def dedup(items: Iterator[tuple[str, bytes]], report: bool) -> Iterator[tuple[str, bytes]]:
        prev: str | None = None
        for key, val in items:
            if key == prev:
                if report:
                    note("duplicated", key)
                continue
            prev = key
            yield key, val

    c_iter = dedup(iter(corpus), True)
    m_iter = dedup(iter(man), False)
    c = next(c_iter, None)
    m = next(m_iter, None)
    while c is not None or m is not None:
        if m is None or (c is not None and c[0] < m[0]):
            assert c is not None
            note("extra", c[0])
            c = next(c_iter, None)
        elif c is None or m[0] < c[0]:
            note("missing", m[0])
            m = next(m_iter, None)
        else:
            mine, theirs = orjson.loads(c[1]), orjson.loads(m[1])
            fields = [k for k in COMPARED_FIELDS if mine.get(k) != theirs.get(k)]
            fields += sorted(
                k
                for k in theirs
                if k not in mine and k not in COMPARED_FIELDS and k not in ("id", LEDGER_KEY)
            )
            if fields:
                note("changed", {"id": c[0], "fields": fields})
            c = next(c_iter, None)
            m = next(m_iter, None)
    return diff


# -- inclusion proofs -------------------------------------------------------------------
def make_proofs(manifest: str | os.PathLike[str], ids: Iterable[str]) -> list[dict[str, Any]]:
    """RFC 6962 inclusion proofs for ``ids`` in a manifest (one pass, 32 bytes per leaf).

    Raises KeyError naming the ids that are not in the manifest, :class:`ManifestError`
    for a line that is not a manifest record, OSError when the file cannot be read.
    """
    wanted = set(ids)
    leaves = LeafHashes()
    found: dict[str, tuple[int, bytes]] = {}
    with open(manifest, "rb") as f:
        for index, raw in enumerate(f):
            line = raw.rstrip(b"\n")
            leaves.append(hashlib.sha256(b"\x00" + line).digest())
            if wanted:
                try:
                    rec = orjson.loads(line)
                except orjson.JSONDecodeError as e:
                    raise ManifestError(f"manifest line {index + 1} is not JSON: {e}") from e
                if not isinstance(rec, dict) or not isinstance(rec.get("id"), str):
                    raise ManifestError(f"manifest line {index + 1} is not a manifest record")
                if rec["id"] in wanted and rec["id"] not in found:
                    found[rec["id"]] = (index, line)
    absent = sorted(wanted - set(found))
    if absent:
        raise KeyError(f"not in the manifest: {', '.join(absent[:20])}")
    root = leaves.subtree_root(0, len(leaves)).hex()
    out = []
    for doc_id in sorted(found):
        index, line = found[doc_id]
        out.append(
            {
                "id": doc_id,
                "record": orjson.loads(line),
                "leaf_index": index,
                "tree_size": len(leaves),
                "hash_algorithm": HASH_ALGORITHM,
                "audit_path": [h.hex() for h in inclusion_proof(leaves, index)],
                "root": root,
            }
        )
    return out


def check_proof(
    proof: Any, root: str | None = None, tree_size: int | None = None
) -> tuple[bool, str]:
    """Check one proof from :func:`make_proofs` against ``root`` (hex; default: its own)
    and, when given, the signed ``tree_size`` (a proof for another tree size fails).

    Returns ``(ok, reason)``; a malformed proof is ``(False, why)``, never an exception.
    The record is re-canonicalised, so an edited record fails.
    """
    if not isinstance(proof, dict):
        return False, "malformed proof: not a JSON object"
    rec = proof.get("record")
    if not isinstance(rec, dict) or not isinstance(rec.get("id"), str):
        return False, "malformed proof: no record with a string id"
    if rec["id"] != proof.get("id"):
        return False, "proof id and record id differ"
    try:
        record = jcs_fast(rec)
        path_hex = proof["audit_path"]
        if not isinstance(path_hex, list) or not all(isinstance(h, str) for h in path_hex):
            raise TypeError("audit_path must be a list of hex strings")
        path = [bytes.fromhex(h) for h in path_hex]
        index, size = proof["leaf_index"], proof["tree_size"]
        if not all(isinstance(x, int) and not isinstance(x, bool) for x in (index, size)):
            raise TypeError("leaf_index and tree_size must be integers")
        want = root if root is not None else proof["root"]
        if not isinstance(want, str):
            raise TypeError("root must be a hex string")
        expected = bytes.fromhex(want)
    except (KeyError, TypeError, ValueError) as e:
        return False, f"malformed proof: {e}"
    if tree_size is not None and size != tree_size:
        return False, (
            f"{rec['id']!r}: proof is for a tree of {size} records, the signed tree has {tree_size}"
        )
    if verify_inclusion(record, index, size, path, expected):
        return True, f"{rec['id']!r} is leaf {index} of {size} under root {expected.hex()}"
    return False, (
        f"{rec['id']!r}: audit path does not lead to root {expected.hex()} "
        "(record altered, wrong index, or not in this tree)"
    )
