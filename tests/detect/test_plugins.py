"""Third-party detectors: one class in a tiny package, one entry point, nothing else edited.

The package is written to a temporary folder with a ``.dist-info`` whose
``entry_points.txt`` declares it in the ``poisonguard.detectors`` group — what ``pip
install`` of such a package leaves behind — and the folder is put on ``sys.path``.
"""

from __future__ import annotations

import json
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from poisonguard.cli import app
from poisonguard.datasets import python_docs
from poisonguard.detect import registry
from poisonguard.detect.registry import DetectorLoadError, detectors_for
from poisonguard.io import Document, write_documents

MARKER = "zq-acme-beacon-7731"

PLUGIN = f'''
"""A third-party corpus detector: documents sharing a beacon string form a campaign."""

from poisonguard.detect.base import CorpusDetector, CorpusReport, Finding, Span


class BeaconDetector(CorpusDetector):
    name = "acme-beacon"
    kinds = ("pretrain",)

    def __init__(self, *, marker: str = {MARKER!r}, min_docs: int = 3) -> None:
        self.marker = marker
        self.min_docs = min_docs

    def map_shard(self, docs):
        return [d.id for d in docs if self.marker in d.text]

    def reduce(self, partials):
        return [i for p in partials for i in p]

    def finalize(self, merged):
        return sorted(merged) if len(merged) >= self.min_docs else []

    def flag(self, doc, state):
        at = doc.text.find(self.marker)
        if at < 0 or not state:
            return None
        return Finding(
            self.name,
            0.95,
            f"carries the acme beacon shared by {{len(state)}} documents",
            spans=[Span(at, at + len(self.marker), "trigger")],
            campaign="acme-1",
        )

    def summarize(self, state):
        camp = {{"id": "acme-1", "kind": "acme-beacon", "size": len(state), "sources": 1,
                 "shared_span": self.marker, "score": 0.95, "examples": state[:5]}}
        details = {{"beacon_docs": len(state)}}
        return CorpusReport(campaigns=[camp] if state else [], details=details)
'''


def _install(root: Path, name: str, module: str, code: str, value: str) -> None:
    """What ``pip install`` of a one-module package with one entry point leaves behind."""
    (root / f"{module}.py").write_text(textwrap.dedent(code))
    info = root / f"{module}-0.1.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {module}\nVersion: 0.1\n")
    (info / "entry_points.txt").write_text(f"[poisonguard.detectors]\n{name} = {value}\n")


@pytest.fixture
def plugin_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    site = tmp_path / "site"
    site.mkdir()
    monkeypatch.syspath_prepend(str(site))
    yield site
    monkeypatch.undo()
    for name in ("acme-beacon", "acme-broken"):
        registry._REGISTRY.pop(name, None)
    registry.refresh()


def test_a_third_party_detector_runs_in_a_scan_with_its_evidence_everywhere(
    plugin_path: Path, tmp_path: Path
) -> None:
    _install(plugin_path, "acme-beacon", "acme_beacon", PLUGIN, "acme_beacon:BeaconDetector")
    registry.refresh()
    assert "acme-beacon" in [e.name for e in detectors_for("pretrain")]

    clean = python_docs(limit=300)
    carriers = [
        Document(id=f"beacon-{i}", text=f"{d.text[:400]} {MARKER} {d.text[400:800]}")
        for i, d in enumerate(python_docs(limit=306)[300:])
    ]
    corpus = tmp_path / "corpus.jsonl"
    write_documents(corpus, clean + carriers)
    out, report, stix = tmp_path / "scan", tmp_path / "report.html", tmp_path / "bundle.json"
    res = CliRunner().invoke(
        app,
        ["scan", str(corpus), "--out", str(out), "--report", str(report), "--stix", str(stix)],
    )
    assert res.exit_code == 0, res.output

    # findings: every carrier is poisoned by the plug-in, with the beacon as its evidence
    rows = [json.loads(line) for line in (out / "findings.jsonl").read_text().splitlines()]
    by_id = {r["id"]: r for r in rows}
    for doc in carriers:
        row = by_id[doc.id]
        assert row["label"] == "poisoned" and row["campaign"] == "acme-1"
        mine = [f for f in row["findings"] if f["detector"] == "acme-beacon"]
        assert len(mine) == 1
        sp = mine[0]["spans"][0]
        assert doc.text[sp["start"] : sp["end"]] == MARKER
    assert not any(
        f["detector"] == "acme-beacon"
        for r in rows
        if r["id"] not in {d.id for d in carriers}
        for f in r["findings"]
    )
    # summary: the detector ran and its typed report is there
    summary = json.loads((out / "summary.json").read_text())
    assert "acme-beacon" in summary["detectors"]
    rep = summary["corpus_reports"]["acme-beacon"]
    assert rep["beacon_docs"] == 6 and rep["campaigns"][0]["id"] == "acme-1"
    # HTML report: its reason and its campaign
    html = report.read_text()
    assert "carries the acme beacon shared by 6 documents" in html and "acme-beacon" in html
    # STIX: a campaign for the plug-in's group, which each carrier's indicator indicates
    objs = json.loads(stix.read_text())["objects"]
    camps = [o for o in objs if o["type"] == "campaign" and "acme-1" in o["name"]]
    assert len(camps) == 1 and MARKER in camps[0]["description"]
    docs = {
        o["x_poisonguard"]["id"]: o
        for o in objs
        if o["type"] == "indicator" and o.get("x_poisonguard", {}).get("kind") == "document"
    }
    assert {d.id for d in carriers} <= docs.keys()
    rels = {(o["source_ref"], o["target_ref"]) for o in objs if o["type"] == "relationship"}
    assert all((docs[d.id]["id"], camps[0]["id"]) in rels for d in carriers)


def test_a_misspelled_plugin_is_an_error_not_skipped(plugin_path: Path, tmp_path: Path) -> None:
    _install(plugin_path, "acme-broken", "acme_broken", "X = 1\n", "acme_brokn:Detector")
    with pytest.raises(DetectorLoadError, match=r"acme-broken.*cannot be loaded"):
        registry.refresh()
    # and through the CLI: a clear error, no traceback, nothing scanned
    corpus = tmp_path / "c.jsonl"
    write_documents(corpus, python_docs(limit=5))
    res = CliRunner().invoke(app, ["scan", str(corpus), "--out", str(tmp_path / "o")])
    assert res.exit_code != 0 and "acme-broken" in res.output
    assert "Traceback" not in res.output
    assert not (tmp_path / "o" / "summary.json").exists()


def test_a_plugin_that_is_not_a_detector_or_misnamed_is_an_error(plugin_path: Path) -> None:
    _install(plugin_path, "acme-broken", "acme_broken", "X = 1\n", "acme_broken:X")
    with pytest.raises(DetectorLoadError, match="not a DocumentDetector or CorpusDetector"):
        registry.refresh()


def test_a_plugin_whose_class_name_differs_from_the_entry_point_is_an_error(
    plugin_path: Path,
) -> None:
    _install(plugin_path, "acme-broken", "acme_beacon", PLUGIN, "acme_beacon:BeaconDetector")
    with pytest.raises(DetectorLoadError, match="differs from the entry point"):
        registry.refresh()
