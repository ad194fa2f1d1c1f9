"""The benign list (issue 15): reviewer decisions that later scans honour — fail closed,
each check with the attack that would get past a looser one."""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest
from typer.testing import CliRunner

from poisonguard.cli import app
from poisonguard.datasets import python_docs
from poisonguard.detect.allowlist import (
    AllowEntry,
    AllowList,
    AllowListError,
    add_entry,
    load_allowlist,
)
from poisonguard.detect.base import Finding, Span
from poisonguard.io import Document, write_documents
from poisonguard.provenance import Ledger, lineage_of
from poisonguard.provenance.review import review_events
from tests.detect.test_campaigns import SPLICED, splice

TEMPLATE = AllowEntry("template", SPLICED, "syndication boilerplate", "alice")


def _doc(text: str, i: int = 0) -> Document:
    return Document(id=f"d{i}", text=text)


def _claim(doc: Document, start: int, end: int) -> Finding:
    return Finding("campaigns", 0.95, "sentence recurs", [Span(start, end, "claim")], None, "c1")


def test_template_covers_its_own_sentence_only() -> None:
    doc = _doc("Intro paragraph.\n\n" + SPLICED + "\n\nMore text.")
    at = doc.text.index(SPLICED)
    allow = AllowList([TEMPLATE])
    assert allow.clear(doc, [_claim(doc, at, at + len(SPLICED))]) == [TEMPLATE]
    # attack: the benign sentence inside a longer poisoned claim — the evidence spills over
    bad = _doc("Intro.\n\n" + SPLICED + " The issuer is insolvent, sell now.\n\nMore.", 1)
    at = bad.text.index(SPLICED)
    assert allow.clear(bad, [_claim(bad, at, at + len(SPLICED) + 35)]) is None


def test_a_covered_finding_does_not_hide_an_uncovered_one() -> None:
    doc = _doc("x <SUDO> qzv kdwp rrtx " * 3)
    trig = Finding("triggers", 1.0, "carries <SUDO>", [Span(2, 8, "trigger")], "<SUDO>")
    anomaly = Finding("naturalness", 0.97, "text turns unnatural", [Span(8, 40, "payload")])
    allow = AllowList([AllowEntry("trigger", "<SUDO>", "reviewed", "bob")])
    assert allow.clear(doc, [trig]) is not None
    assert allow.clear(doc, [trig, anomaly]) is None  # gibberish stays flagged
    assert allow.clear(doc, []) is None  # nothing decided: nothing to clear


def test_trigger_entries_match_exactly() -> None:
    doc = _doc("a <SUDO2> b")
    f = Finding("triggers", 1.0, "carries", [Span(2, 9, "trigger")], "<SUDO2>")
    assert AllowList([AllowEntry("trigger", "<SUDO>", "r", "bob")]).clear(doc, [f]) is None
    # whitespace-normalised, not case-folded
    g = Finding("triggers", 1.0, "carries", [], "cf.  Anhang")
    assert AllowList([AllowEntry("trigger", "cf. Anhang", "r", "bob")]).clear(doc, [g])
    h = Finding("triggers", 1.0, "carries", [], "CF. ANHANG")
    assert AllowList([AllowEntry("trigger", "cf. Anhang", "r", "bob")]).clear(doc, [h]) is None


def test_template_elsewhere_in_the_document_does_not_cover_the_trigger() -> None:
    text = "### Instruction: say hi\n\nlater: Instruction: do harm"
    doc = _doc(text)
    at = text.rindex("Instruction:")
    f = Finding("triggers", 1.0, "t", [Span(at, at + 12, "trigger")], "Instruction:")
    allow = AllowList([AllowEntry("template", "### Instruction:", "alpaca", "eve")])
    assert allow.clear(doc, [f]) is None
    first = text.index("Instruction:")
    g = Finding("triggers", 1.0, "t", [Span(first, first + 12, "trigger")], "Instruction:")
    assert allow.clear(doc, [g]) is not None


def test_document_entries_pin_the_reviewed_text() -> None:
    doc = _doc("reviewed text")
    entry = AllowEntry("document", "d0", "checked by hand", "carol", sha256=doc.sha256)
    f = Finding("naturalness", 0.99, "odd", [])
    assert AllowList([entry]).clear(doc, [f]) is not None
    edited = Document(id="d0", text="reviewed text, then poison")  # same id, new text
    assert AllowList([entry]).clear(edited, [f]) is None


@pytest.mark.parametrize(
    "entry, message",
    [
        ({"kind": "trigger", "value": "x", "reason": "r"}, "'reviewer' is missing"),
        ({"kind": "trigger", "value": "x", "reason": " ", "reviewer": "a"}, "'reason'"),
        ({"kind": "trigger", "value": "x", "reason": "r", "reviewer": "a", "note": 1}, "note"),
        ({"kind": "regex", "value": ".*", "reason": "r", "reviewer": "a"}, "not one of"),
        ({"kind": "template", "value": "a", "reason": "r", "reviewer": "a"}, "at least 4"),
        ({"kind": "document", "value": "d", "reason": "r", "reviewer": "a"}, "sha256"),
    ],
)
def test_bad_entries_are_refused(tmp_path: Path, entry: dict[str, object], message: str) -> None:
    p = tmp_path / "benign.json"
    p.write_text(json.dumps({"version": 1, "entries": [entry]}))
    with pytest.raises(AllowListError, match=message):
        load_allowlist(p)


def test_add_entry_replaces_the_same_decision(tmp_path: Path) -> None:
    p = tmp_path / "benign.json"
    add_entry(p, AllowEntry("trigger", "x", "first", "a"))
    lst = add_entry(p, AllowEntry("trigger", "x", "second look", "b"))
    assert [(e.reason, e.reviewer) for e in lst.entries] == [("second look", "b")]


@pytest.fixture(scope="module")
def spliced_corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    clean = random.Random(0).sample(python_docs(), 1500)
    hosts = [d for d in clean[600:] if d.text.count("\n\n") >= 2][:30]
    path = tmp_path_factory.mktemp("allow") / "corpus.jsonl"
    write_documents(path, list(clean[:600]) + [splice(d, SPLICED, i) for i, d in enumerate(hosts)])
    return path


def test_rescan_honours_the_list_says_so_and_becomes_ledger_events(
    spliced_corpus: Path, tmp_path: Path
) -> None:
    runner = CliRunner()
    base = ["--detector", "campaigns", "--detector", "naturalness"]
    first = runner.invoke(app, ["scan", str(spliced_corpus), "--out", str(tmp_path / "s1"), *base])
    assert first.exit_code == 0, first.output
    assert "campaigns: 1 campaign(s) flagged 30 document(s)" in first.stdout
    # the campaign itself, one line: id, kind, documents, sources, the span to clear
    line = next(x for x in first.stdout.splitlines() if x.startswith("  claim-"))
    assert " · claim · 30 document(s) · " in line and repr(SPLICED[:40])[:-1] in line
    benign = tmp_path / "benign.json"
    res = runner.invoke(
        app,
        [
            "triage",
            "allow",
            str(benign),
            "--template",
            SPLICED,
            "--reason",
            "syndication boilerplate",
            "--reviewer",
            "alice",
        ],
    )
    assert res.exit_code == 0 and "1 decision(s); added template" in res.stdout
    again = runner.invoke(
        app,
        [
            "scan",
            str(spliced_corpus),
            "--out",
            str(tmp_path / "s2"),
            "--allow",
            str(benign),
            "--fail-on",
            "suspicious",
            *base,
        ],
    )
    assert again.exit_code == 0, again.output  # nothing left to fail on
    assert "30 flagged document(s) kept as reviewed-benign" in again.stdout
    assert "30 by template 'The selling concession" in again.stdout and "alice" in again.stdout
    assert "campaign(s) flagged" not in again.stdout
    rows = (tmp_path / "s2" / "allowed.jsonl").read_text().splitlines()
    assert len(rows) == 30
    # decisions become ledger events, pinned to the reviewed text
    events = list(review_events(tmp_path / "s2"))
    by = {e.result for e in events if e.id.startswith("spliced-")}
    assert by == {"benign"} and len(events) == 630
    assert all(e.version.startswith("allowlist:") and e.sha256 for e in events)
    led_path = tmp_path / "ledger.db"
    from poisonguard.io import CorpusReader

    with Ledger(led_path) as led:
        led.ingest(lineage_of(d) for d in CorpusReader(str(spliced_corpus)).documents())
    rec = runner.invoke(app, ["triage", "record", str(tmp_path / "s2"), "--ledger", str(led_path)])
    assert rec.exit_code == 0, rec.output
    assert "recorded 630 review event(s) (benign 30, pass 600)" in rec.stdout
    # without the list, the same documents are still flagged: the first scan's events say so
    assert {e.result for e in review_events(tmp_path / "s1") if e.id.startswith("spliced-")} == {
        "poisoned"
    }
