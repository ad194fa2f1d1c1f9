"""PoisonguardFilter inside a real datatrove pipeline (reader → filter → writer)."""

from __future__ import annotations

import gzip
import json
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("datatrove", reason="the datatrove integration needs `pip install datatrove`")

from datatrove.executor import LocalPipelineExecutor
from datatrove.pipeline.readers import JsonlReader
from datatrove.pipeline.writers import JsonlWriter

from poisonguard.integrations.datatrove import PoisonguardFilter
from poisonguard.report.stix import scan_bundle, write_bundle
from tests.detect.scan_data import clean_docs, mixed, poison, scan_dos


def datatrove_jsonl(path: Path, docs: list[Any]) -> None:
    """The records datatrove's own JsonlWriter writes: text, id, metadata."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w") as f:
        for d in docs:
            f.write(json.dumps({"text": d.text, "id": d.id, "metadata": {"src": "test"}}) + "\n")


def read_out(folder: Path) -> list[dict[str, Any]]:
    rows = []
    for p in sorted(folder.glob("*.jsonl.gz")):
        with gzip.open(p, "rt") as f:
            rows += [json.loads(line) for line in f]
    return rows


def run(
    tmp: Path, src: Path, indicators: list[str]
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    LocalPipelineExecutor(
        pipeline=[
            JsonlReader(str(src)),
            PoisonguardFilter(indicators, exclusion_writer=JsonlWriter(str(tmp / "removed"))),
            JsonlWriter(str(tmp / "kept")),
        ],
        tasks=1,
        workers=1,
        logging_dir=str(tmp / "logs"),
    ).run()
    return read_out(tmp / "kept"), read_out(tmp / "removed")


@pytest.fixture(scope="module")
def scanned(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Any]:
    d = tmp_path_factory.mktemp("dt")
    _, out, samples = scan_dos(d)
    return out, samples


def test_drops_what_a_scan_quarantined_and_keeps_the_rest(
    scanned: tuple[Path, Any], tmp_path: Path
) -> None:
    out, samples = scanned
    docs = mixed(samples, clean=clean_docs()[:500])
    datatrove_jsonl(tmp_path / "in" / "part.jsonl", docs)
    kept, removed = run(tmp_path, tmp_path / "in", [str(out)])
    quarantined = {
        json.loads(line)["id"]
        for line in (out / "findings.jsonl").read_text().splitlines()
        if json.loads(line)["label"] == "poisoned"
    }
    assert {r["id"] for r in removed} == quarantined
    assert {s.document.id for s in samples} <= quarantined
    assert len(kept) + len(removed) == len(docs)
    assert {r["id"] for r in kept} == {d.id for d in docs} - quarantined
    for r in removed:
        assert r["metadata"]["filter_reason"] == "poisonguard_digest"
        assert "known poisoned document" in r["metadata"]["poisonguard"]["reason"]


def test_new_documents_with_a_shared_trigger_are_dropped_by_pattern(
    scanned: tuple[Path, Any], tmp_path: Path
) -> None:
    out, _ = scanned
    bundle = tmp_path / "shared.stix.json"
    write_bundle(scan_bundle(out), bundle)
    new = poison("dos", 3, seed=21)
    docs = mixed(new, clean=clean_docs()[1000:1300])
    datatrove_jsonl(tmp_path / "in" / "part.jsonl", docs)
    kept, removed = run(tmp_path, tmp_path / "in", [str(bundle)])
    assert {r["id"] for r in removed} == {s.document.id for s in new}
    assert all(r["metadata"]["poisonguard"]["trigger"] == "<SUDO>" for r in removed)
    assert all(r["metadata"]["filter_reason"] == "poisonguard_pattern" for r in removed)
    assert len(kept) == 300


def test_missing_indicators_are_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="indicators not found"):
        PoisonguardFilter([str(tmp_path / "nope.json")])
