"""The lineage ledger on SQLite and (when POISONGUARD_TEST_PG_URL is set) PostgreSQL."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from poisonguard.io import CorpusReader
from poisonguard.provenance import Event, Ledger, lineage_of, read_events
from poisonguard.provenance.lineage import Lineage

from .conftest import make_records, write_jsonl


def lineages(path: Path) -> list[Lineage]:
    return [lineage_of(d) for d in CorpusReader(path).documents()]


@pytest.fixture(params=["sqlite", "postgresql"])
def ledger(request: pytest.FixtureRequest, tmp_path: Path) -> Any:
    if request.param == "sqlite":
        led = Ledger(tmp_path / "ledger.db", batch_size=7)
    else:
        url, schema = request.getfixturevalue("pg_url")
        led = Ledger(url, schema=schema, batch_size=7)
    yield led
    led.close()


def test_ingest_is_idempotent_and_changes_become_versions(ledger: Ledger, tmp_path: Path) -> None:
    recs = make_records(20)
    corpus = write_jsonl(tmp_path / "c.jsonl", recs)
    s1 = ledger.ingest(lineages(corpus))
    assert (s1.new_documents, s1.new_versions, s1.unchanged) == (20, 0, 0)
    s2 = ledger.ingest(lineages(corpus))
    assert (s2.new_documents, s2.new_versions, s2.unchanged) == (0, 0, 20)
    assert ledger.counts() == {"documents": 20, "versions": 20, "events": 0}

    first = ledger.latest("doc-003")
    assert first is not None and first.version == 1
    assert first.source_id == "c4" and first.license == "ODC-By-1.0"
    assert first.license_raw and first.license_raw.startswith("ODC-BY 1.0")
    assert first.source_uri == "https://news.example.org/a/3"
    assert first.retrieved_at == "2024-04-15T10:00:00Z"

    recs[3]["text"] += " edited"
    recs[4]["license"] = "MIT"
    write_jsonl(corpus, recs)
    s3 = ledger.ingest(lineages(corpus))
    assert (s3.new_documents, s3.new_versions, s3.unchanged) == (0, 2, 18)
    hist = ledger.history("doc-003")
    assert [h.version for h in hist] == [1, 2]
    assert hist[0].sha256 == first.sha256 != hist[1].sha256  # old version kept, not overwritten
    assert ledger.latest("doc-004").license == "MIT"  # type: ignore[union-attr]
    assert ledger.counts() == {"documents": 20, "versions": 22, "events": 0}
    assert [e.doc_id for e in ledger.iter_heads()] == sorted(r["id"] for r in recs)


def test_retrieved_at_defaults_to_first_ingest_and_derived_from_is_kept(
    ledger: Ledger, tmp_path: Path
) -> None:
    recs = [{"id": "a", "text": "x", "derived_from": ["raw-1", "raw-2"]}, {"id": "b", "text": "y"}]
    corpus = write_jsonl(tmp_path / "c.jsonl", recs)
    ledger.ingest(lineages(corpus), now="2025-05-05T00:00:00Z")
    a = ledger.latest("a")
    assert a is not None and a.derived_from == ["raw-1", "raw-2"]
    assert a.retrieved_at == "2025-05-05T00:00:00Z" and a.license == "NOASSERTION"
    ledger.ingest(lineages(corpus), now="2026-01-01T00:00:00Z")  # unchanged: no new row
    assert ledger.latest("a").retrieved_at == "2025-05-05T00:00:00Z"  # type: ignore[union-attr]


def test_events_are_pinned_to_versions_and_idempotent(ledger: Ledger, tmp_path: Path) -> None:
    recs = make_records(5)
    corpus = write_jsonl(tmp_path / "c.jsonl", recs)
    ledger.ingest(lineages(corpus))
    ev_path = tmp_path / "events.jsonl"
    ev_path.write_text(
        "\n".join(
            json.dumps(e)
            for e in [
                {
                    "id": "doc-000",
                    "name": "scan",
                    "version": "1",
                    "result": "pass",
                    "time": "2026-01-01T00:00:00Z",
                },
                {
                    "id": "doc-001",
                    "name": "scan",
                    "version": "1",
                    "result": "flagged",
                    "time": "2026-01-01T00:00:00+00:00",
                },
                {
                    "id": "ghost",
                    "name": "scan",
                    "version": "1",
                    "result": "pass",
                    "time": "2026-01-01T00:00:00Z",
                },
            ]
        )
        + "\n"
    )
    s = ledger.record_events(read_events(ev_path))
    assert s.events_recorded == 2 and s.events_unknown_doc == ["ghost"]
    again = ledger.record_events(read_events(ev_path))
    assert again.events_recorded == 0 and again.events_duplicate == 2
    sha0 = ledger.latest("doc-000").sha256  # type: ignore[union-attr]
    evs = ledger.events_for("doc-000", sha0)
    assert [(e.name, e.result, e.time) for e in evs] == [("scan", "pass", "2026-01-01T00:00:00Z")]
    # an event pinned to another text version does not apply to the current one
    ledger.record_events([Event("doc-000", "scan", "2", "pass", "2026-02-01T00:00:00Z", "0" * 64)])
    assert len(ledger.events_for("doc-000", sha0)) == 1
    assert len(ledger.events_for("doc-000")) == 2


def test_bad_event_lines_are_reported_not_dropped(tmp_path: Path) -> None:
    from poisonguard.io import ErrorSink

    p = tmp_path / "ev.jsonl"
    p.write_text(
        '{"id": "a", "name": "scan", "result": "pass"}\n{"id": "a"}\nnot json\n'
        '{"id": "a", "name": "s", "result": "pass", "time": "yesterday"}\n'
    )
    sink = ErrorSink()
    got = list(read_events(p, sink))
    assert len(got) == 1 and got[0].version == ""
    assert sink.count == 3 and [e.line for e in sink.errors] == [2, 3, 4]
    assert "'name'" in sink.errors[0].reason and "ISO 8601" in sink.errors[2].reason
    with pytest.raises(ValueError, match=r"ev.jsonl:2: bad event"):
        list(read_events(p))
