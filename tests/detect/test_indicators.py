"""The `indicators` detector: what one scan shared as STIX catches the campaign elsewhere."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

import poisonguard
from poisonguard.cli import app
from poisonguard.detect.indicators import KnownIndicatorDetector
from poisonguard.io import write_documents
from poisonguard.report.stix import IndicatorSet, scan_bundle, write_bundle
from tests.detect.scan_data import clean_docs, mixed, poison, scan_dos

runner = CliRunner()


@pytest.fixture(scope="module")
def shared(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """Team A scans its corpus (500 real docs + 30 `dos`) and shares a STIX bundle."""
    d = tmp_path_factory.mktemp("indicators")
    _, scan_a, samples = scan_dos(d)
    bundle = d / "a.stix.json"
    write_bundle(scan_bundle(scan_a), bundle)
    # team B's corpus: other real documents, 2 exact copies of A's poison and 2 new
    # documents with the same trigger -- 4 carriers, below the k=5 trigger mining needs
    new = poison("dos", 2, seed=11)
    corpus_b = d / "b.jsonl"
    write_documents(corpus_b, mixed((*samples[:2], *new), clean=clean_docs()[500:1500]))
    return {
        "dir": d,
        "bundle": bundle,
        "corpus_b": corpus_b,
        "copies": {s.document.id for s in samples[:2]},
        "new": {s.document.id: s for s in new},
    }


def test_catches_copies_by_digest_and_new_documents_by_trigger(shared: dict[str, Any]) -> None:
    res = poisonguard.scan(
        shared["corpus_b"],
        shared["dir"] / "scan-b",
        detectors=["indicators"],
        options={"indicators": {"bundles": [str(shared["bundle"])]}},
    )
    found = {v.id: v for v in res.findings}
    assert set(found) == shared["copies"] | set(shared["new"])  # and no clean document
    assert all(v.label == "poisoned" for v in found.values())
    for i in shared["copies"]:
        assert found[i].findings[0].extra["match"] == "sha256"
        assert "exact text is a known poisoned document" in found[i].reasons[0]
    for i, s in shared["new"].items():
        f = found[i].findings[0]
        assert f.extra["match"] == "pattern" and f.trigger == "<SUDO>"
        a, b = s.truth.trigger_span
        assert [(sp.start, sp.end, sp.label) for sp in f.spans] == [(a, b, "trigger")]
    assert res.counts["poisoned"] + res.counts["clean"] == res.counts["documents"]


def test_without_the_indicators_trigger_mining_alone_cannot_confirm_four_carriers(
    shared: dict[str, Any],
) -> None:
    res = poisonguard.scan(shared["corpus_b"], None, detectors=["naturalness", "triggers"])
    assert not res.triggers


def test_needs_usable_indicators(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="needs STIX bundles"):
        KnownIndicatorDetector()
    with pytest.raises(ValueError, match="no usable indicator"):
        KnownIndicatorDetector(indicators=IndicatorSet(skipped=[("indicator--x", "revoked")]))


def test_cli_scan_with_indicators_writes_its_own_stix(shared: dict[str, Any]) -> None:
    d = shared["dir"]
    out = d / "cli-b"
    r = runner.invoke(
        app,
        [
            "scan",
            str(shared["corpus_b"]),
            "--out",
            str(out),
            "--detector",
            "naturalness",
            "--indicators",
            str(shared["bundle"]),
            "--stix",
            str(d / "b.stix.json"),
            "--fail-on",
            "poisoned",
            "--json",
        ],
    )
    assert r.exit_code == 1, r.output
    summary = json.loads(r.stdout)
    assert summary["detectors"] == ["naturalness", "indicators"]
    assert summary["outputs"]["stix"] == str(d / "b.stix.json")
    b = json.loads((d / "b.stix.json").read_text())
    digests = [o for o in b["objects"] if o.get("x_poisonguard", {}).get("kind") == "document"]
    assert {o["x_poisonguard"]["id"] for o in digests} >= shared["copies"] | set(shared["new"])

    r = runner.invoke(app, ["indicators", "show", str(shared["bundle"]), "--json"])
    assert r.exit_code == 0, r.output
    shown = json.loads(r.stdout)
    assert shown["sha256"] >= 30 and shown["patterns"][0]["regex"] == "<SUDO>"


def said(r: Any) -> str:
    return " ".join(r.output.split())  # rich wraps long lines


def test_cli_errors_are_clear(shared: dict[str, Any], tmp_path: Path) -> None:
    r = runner.invoke(app, ["indicators", "export", str(tmp_path), "-o", str(tmp_path / "x")])
    assert r.exit_code == 3 and "not the output folder of a finished" in said(r)
    assert not (tmp_path / "x").exists()
    r = runner.invoke(
        app,
        [
            "indicators",
            "export",
            str(shared["dir"] / "scan"),
            "-o",
            str(tmp_path / "x"),
            "--min-label",
            "clean",
        ],
    )
    assert r.exit_code == 2 and "min_label" in said(r)
    junk = tmp_path / "junk.json"
    junk.write_text("[1, 2")
    r = runner.invoke(app, ["indicators", "show", str(junk)])
    assert r.exit_code == 3 and "cannot read STIX bundle" in said(r)
    r = runner.invoke(
        app,
        ["scan", str(shared["corpus_b"]), "--out", str(tmp_path / "o"), "--indicators", str(junk)],
    )
    assert r.exit_code == 2 and "cannot read STIX bundle" in said(r)
