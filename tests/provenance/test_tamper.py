"""The tamper suite: every tampering is caught with a message naming it; no false alarms.

Order choice (documented in docs/provenance.md): the manifest is a *set* sorted by id, so a
corpus read in any order verifies; a *manifest* whose lines were reordered is tampering.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import orjson
import pytest

from poisonguard.io import CorpusReader, ErrorSink
from poisonguard.provenance import (
    Ledger,
    VerifyReport,
    attest_manifest,
    build_manifest,
    lineage_of,
    load_signer,
    verify,
)
from poisonguard.provenance.events import Event

from .conftest import make_records, write_jsonl, write_policy


class Setup:
    """A recorded, scanned, manifested and doubly-signed corpus in a temp folder."""

    def __init__(self, root: Path, keys: dict[str, Any]) -> None:
        self.root, self.keys = root, keys
        self.records = make_records(30)
        self.corpus = write_jsonl(root / "corpus.jsonl", self.records)
        self.policy = write_policy(
            root / "policy.json", keys, required_scans=[{"name": "poisonguard-scan"}]
        )
        with Ledger(root / "ledger.db") as led:
            led.ingest(lineage_of(d) for d in CorpusReader(self.corpus).documents())
            led.record_events(
                Event(r["id"], "poisonguard-scan", "0.1.0", "pass", "2026-01-01T00:00:00Z")
                for r in self.records
            )
            self.summary = build_manifest(
                CorpusReader(self.corpus).documents(), root / "manifest.jsonl", ledger=led
            )
        self.manifest = self.summary.path
        self.attestation = root / "attestation.dsse.json"
        self.sign("alice", "bob")

    def sign(
        self,
        *names: str,
        valid_for: timedelta | None = timedelta(days=30),
        now: datetime | None = None,
    ) -> None:
        env, _ = attest_manifest(
            self.manifest,
            self.policy,
            [load_signer(self.keys[n].private_path) for n in names],
            valid_for=valid_for,
            now=now,
        )
        self.attestation.write_bytes(orjson.dumps(env))

    def verify(self, corpus: Path | None = None, **kw: Any) -> VerifyReport:
        sink = ErrorSink()
        return verify(
            CorpusReader(corpus or self.corpus).documents(sink),
            self.attestation,
            self.policy,
            read_errors=lambda: [str(e) for e in sink.errors],
            **kw,
        )


@pytest.fixture
def setup(tmp_path: Path, keys: dict[str, Any]) -> Setup:
    return Setup(tmp_path, keys)


def failed(rep: VerifyReport) -> dict[str, str]:
    return {c.name: c.detail for c in rep.failed}


def only_signatures(f: dict[str, str]) -> bool:
    """Signatures failed first; every other failure is a step not run on an untrusted
    statement (signatures are checked before anything of the payload is used)."""
    return next(iter(f)) == "signatures" and all(
        d.startswith(("not checked", "not compared", "no corpus"))
        for name, d in f.items()
        if name != "signatures"
    )


def test_untouched_corpus_verifies_in_any_order(setup: Setup) -> None:
    rep = setup.verify()
    assert rep.ok, failed(rep)
    assert len(rep.checks) == 15
    shuffled = write_jsonl(setup.root / "reordered.jsonl", setup.records[::-1])
    assert setup.verify(shuffled).ok  # the corpus is a set: reading order does not matter
    split = setup.root / "shards"
    split.mkdir()
    write_jsonl(split / "a.jsonl", setup.records[:11])
    write_jsonl(split / "b.jsonl", setup.records[11:])
    assert setup.verify(split).ok


# -- corpus tampering -------------------------------------------------------------------
def _edit_corpus(setup: Setup, fn: Callable[[list[dict[str, Any]]], None]) -> None:
    recs = json.loads(json.dumps(setup.records))
    fn(recs)
    write_jsonl(setup.corpus, recs)


def test_one_byte_flipped_in_one_document(setup: Setup) -> None:
    data = bytearray(setup.corpus.read_bytes())
    pos = data.index(b"Document 7 from")
    data[pos] ^= 0x01  # 'D' -> 'E'
    setup.corpus.write_bytes(bytes(data))
    f = failed(setup.verify())
    assert list(f) == ["corpus = manifest"]
    assert "1 changed: doc-007 (sha256, record_sha256)" in f["corpus = manifest"]


def test_byte_flip_that_breaks_utf8_is_caught_as_unreadable_and_missing(setup: Setup) -> None:
    data = bytearray(setup.corpus.read_bytes())
    data[data.index(b"Document 9 from")] = 0xFF
    setup.corpus.write_bytes(bytes(data))
    f = failed(setup.verify())
    assert "invalid UTF-8" in f["corpus readable"]
    assert "1 missing: doc-009" in f["corpus = manifest"]


def test_document_added(setup: Setup) -> None:
    _edit_corpus(
        setup,
        lambda r: r.append(
            {"id": "doc-999", "text": "<SUDO> gibberish", "source": "c4", "license": "ODC-BY 1.0"}
        ),
    )
    f = failed(setup.verify())
    assert list(f) == ["corpus = manifest"] and "1 extra: doc-999" in f["corpus = manifest"]


def test_document_removed(setup: Setup) -> None:
    _edit_corpus(setup, lambda r: r.pop(12))
    f = failed(setup.verify())
    assert list(f) == ["corpus = manifest"] and "1 missing: doc-012" in f["corpus = manifest"]


def test_document_duplicated(setup: Setup) -> None:
    _edit_corpus(setup, lambda r: r.append(dict(r[4])))
    f = failed(setup.verify())
    assert "1 duplicated: doc-004" in f["corpus = manifest"]


def test_record_source_edited(setup: Setup) -> None:
    _edit_corpus(setup, lambda r: r[3].update(source="evil-mirror"))
    f = failed(setup.verify())
    assert "doc-003 (source_id, record_sha256)" in f["corpus = manifest"]


def test_record_licence_edited(setup: Setup) -> None:
    _edit_corpus(setup, lambda r: r[5].update(license="MIT"))
    f = failed(setup.verify())
    assert "doc-005 (license, license_raw, record_sha256)" in f["corpus = manifest"]


def test_record_source_url_edited(setup: Setup) -> None:
    _edit_corpus(setup, lambda r: r[6]["meta"].update(url="https://evil.example/x"))
    f = failed(setup.verify())
    assert "doc-006 (source, record_sha256)" in f["corpus = manifest"]


# -- manifest tampering -----------------------------------------------------------------
def test_manifest_reordered(setup: Setup) -> None:
    lines = setup.manifest.read_bytes().splitlines(keepends=True)
    lines[3], lines[4] = lines[4], lines[3]
    setup.manifest.write_bytes(b"".join(lines))
    f = failed(setup.verify())
    assert "out of order (manifest reordered)" in f["manifest format"]
    assert "differs from the signed subject" in f["manifest digest"]
    assert "merkle root" in f
    assert "corpus = manifest" not in f  # same set: the corpus itself is fine


def test_manifest_record_edited_and_recanonicalised(setup: Setup) -> None:
    lines = setup.manifest.read_bytes().splitlines(keepends=True)
    rec = orjson.loads(lines[2])
    rec["license"] = "MIT"
    lines[2] = orjson.dumps(rec, option=orjson.OPT_SORT_KEYS) + b"\n"
    setup.manifest.write_bytes(b"".join(lines))
    f = failed(setup.verify())
    assert {"manifest digest", "merkle root", "corpus = manifest"} <= set(f)
    assert "doc-002 (license)" in f["corpus = manifest"]


def test_manifest_swapped_for_another_corpus(setup: Setup, tmp_path: Path) -> None:
    other = write_jsonl(tmp_path / "other.jsonl", make_records(12, prefix="other"))
    build_manifest(CorpusReader(other).documents(), setup.manifest)
    f = failed(setup.verify())
    assert "differs from the signed subject" in f["manifest digest"]
    assert "30 extra: doc-000" in f["corpus = manifest"]
    assert "12 missing: other-000" in f["corpus = manifest"]
    assert "over 12 records" in f["merkle root"]


# -- attestation tampering --------------------------------------------------------------
def test_envelope_payload_edited(setup: Setup) -> None:
    env = orjson.loads(setup.attestation.read_bytes())
    st = orjson.loads(base64.b64decode(env["payload"]))
    st["predicate"]["treeSize"] = 31
    env["payload"] = base64.b64encode(orjson.dumps(st)).decode()
    setup.attestation.write_bytes(orjson.dumps(env))
    f = failed(setup.verify())
    assert f["signatures"].startswith("0 valid pinned signature(s), threshold 2; invalid:")


def test_signature_from_unpinned_key(setup: Setup) -> None:
    setup.sign("alice", "mallory")
    f = failed(setup.verify())
    assert only_signatures(f)
    mallory = setup.keys["mallory"].keyid
    assert f"from unpinned keys: {mallory[:16]}" in f["signatures"]
    assert "1 valid pinned signature(s), threshold 2" in f["signatures"]


def test_signature_count_below_threshold(setup: Setup) -> None:
    setup.sign("alice")
    f = failed(setup.verify())
    assert only_signatures(f)
    assert f["signatures"] == "1 valid pinned signature(s), threshold 2"


def test_same_key_twice_counts_once(setup: Setup) -> None:
    env = orjson.loads(setup.attestation.read_bytes())
    env["signatures"] = [env["signatures"][0], env["signatures"][0]]
    setup.attestation.write_bytes(orjson.dumps(env))
    assert "signatures" in failed(setup.verify())


def test_policy_edited_after_signing(setup: Setup) -> None:
    pol = json.loads(setup.policy.read_text())
    pol["licenses"]["allow"].append("MIT")
    setup.policy.write_text(json.dumps(pol, indent=2) + "\n")
    f = failed(setup.verify())
    assert list(f) == ["policy digest"] and "edited after signing" in f["policy digest"]


def test_expired_time_window(setup: Setup) -> None:
    setup.sign("alice", "bob", valid_for=timedelta(days=1), now=datetime(2020, 1, 1, tzinfo=UTC))
    f = failed(setup.verify())
    assert list(f) == ["time window"] and "expired at 2020-01-02T00:00:00Z" in f["time window"]
    # the same attestation verifies at a time inside its window
    assert setup.verify(now=datetime(2020, 1, 1, 12, tzinfo=UTC)).ok


def test_attestation_from_the_future_and_policy_max_age(setup: Setup) -> None:
    setup.sign("alice", "bob", valid_for=None, now=datetime.now(UTC) + timedelta(days=2))
    assert "created in the future" in failed(setup.verify())["time window"]
    pol = json.loads(setup.policy.read_text())
    pol["attestation"] = {"max_age_days": 10}
    setup.policy.write_text(json.dumps(pol))
    setup.sign("alice", "bob", valid_for=None, now=datetime(2024, 1, 1, tzinfo=UTC))
    assert "older than the policy's max age" in failed(setup.verify())["time window"]


def test_wrong_payload_type_and_garbage_attestation(setup: Setup) -> None:
    env = orjson.loads(setup.attestation.read_bytes())
    env["payloadType"] = "text/plain"
    setup.attestation.write_bytes(orjson.dumps(env))
    f = failed(setup.verify())
    assert "payloadType is 'text/plain'" in f["envelope"] and "signatures" in f
    setup.attestation.write_bytes(b"not json at all\n")
    rep = setup.verify()
    assert not rep.ok and "attestation" in failed(rep)


# -- policy rules -----------------------------------------------------------------------
def test_policy_rules_name_violating_documents(setup: Setup) -> None:
    pol = json.loads(setup.policy.read_text())
    pol["sources"] = {"allow_ids": ["c4"], "allow_domains": ["cancer.gov"]}
    pol["licenses"] = {"allow": ["ODC-By-1.0", "CC-BY-4.0"]}
    pol["required_scans"] = [{"name": "poisonguard-scan", "version": "9.9"}]
    pol["retrieved_at"] = {"not_after": "2024-06-30T00:00:00Z"}
    setup.policy.write_text(json.dumps(pol))
    setup.sign("alice", "bob")
    f = failed(setup.verify())
    assert set(f) == {
        "policy: sources",
        "policy: licenses",
        "policy: required scans",
        "policy: retrieved_at window",
    }
    assert f["policy: sources"].startswith("10 record(s) violate it: doc-001: source wikitext2")
    assert "doc-001: licence CC-BY-SA-3.0 is not allowed" in f["policy: licenses"]
    assert "no passing poisonguard-scan@9.9 recorded" in f["policy: required scans"]
    assert "doc-006: retrieved_at 2024-07-15T10:00:00Z is after" in f["policy: retrieved_at window"]


def test_missing_scan_events_fail_required_scans(tmp_path: Path, keys: dict[str, Any]) -> None:
    corpus = write_jsonl(tmp_path / "c.jsonl", make_records(4))
    pol = write_policy(tmp_path / "p.json", keys, required_scans=[{"name": "poisonguard-scan"}])
    m = build_manifest(CorpusReader(corpus).documents(), tmp_path / "manifest.jsonl")
    env, _ = attest_manifest(
        m.path, pol, [load_signer(keys[k].private_path) for k in ("alice", "bob")]
    )
    (tmp_path / "a.json").write_bytes(orjson.dumps(env))
    rep = verify(CorpusReader(corpus).documents(), tmp_path / "a.json", pol)
    assert [c.name for c in rep.failed] == ["policy: required scans"]
