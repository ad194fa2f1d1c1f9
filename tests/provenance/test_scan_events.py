"""``poisonguard scan`` verdicts → ledger events → signed manifest → policy at verify time."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

import poisonguard
from poisonguard.cli import app
from poisonguard.provenance import Ledger
from poisonguard.provenance.events import SCAN_EVENT_NAME, scan_events
from tests.detect.scan_data import scan_dos

from .conftest import write_policy

runner = CliRunner()


@pytest.fixture(scope="module")
def scanned(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, set[str]]:
    """A corpus with 30 real `dos` documents, and its scan output folder."""
    corpus, out, samples = scan_dos(tmp_path_factory.mktemp("scanned"))
    assert json.loads((out / "summary.json").read_text())["counts"]["poisoned"] >= 30
    return corpus, out, {s.document.id for s in samples}


def test_scan_events_pass_kept_and_label_quarantined(
    scanned: tuple[Path, Path, set[str]],
) -> None:
    _, out, poison_ids = scanned
    events = list(scan_events(out))
    assert len(events) == 530 and len({e.id for e in events}) == 530
    assert {e.name for e in events} == {SCAN_EVENT_NAME}
    assert {e.version for e in events} == {poisonguard.__version__}
    by_id = {e.id: e for e in events}
    assert all(by_id[i].result == "poisoned" for i in poison_ids)
    kept = [e for e in events if e.result == "pass"]
    assert kept and all(e.id not in poison_ids for e in kept)
    assert all(e.sha256 and len(e.sha256) == 64 for e in events)


def test_scan_events_record_the_scanners_version_not_the_recorders(
    scanned: tuple[Path, Path, set[str]], tmp_path: Path
) -> None:
    """The summary records the version that scanned; events carry it, whatever runs them."""
    import shutil

    _, out, _ = scanned
    assert json.loads((out / "summary.json").read_text())["version"] == poisonguard.__version__
    older = tmp_path / "older-scan"
    shutil.copytree(out, older)
    summary = json.loads((older / "summary.json").read_text())
    summary["version"] = "0.0.9"
    (older / "summary.json").write_text(json.dumps(summary))
    assert {e.version for e in scan_events(older)} == {"0.0.9"}
    del summary["version"]  # a summary from before the field: unknown, not ours
    (older / "summary.json").write_text(json.dumps(summary))
    assert {e.version for e in scan_events(older)} == {""}


def test_not_a_scan_folder_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="not the output folder of a finished"):
        list(scan_events(tmp_path))
    res = runner.invoke(
        app, ["provenance", "record", "--ledger", str(tmp_path / "l.db"), "--scan", str(tmp_path)]
    )
    assert res.exit_code == 3 and "poisonguard scan --out" in res.output


def test_policy_rejects_an_unscreened_corpus_and_accepts_the_kept_one(
    scanned: tuple[Path, Path, set[str]], tmp_path: Path, keys: dict[str, Any]
) -> None:
    corpus, out, poison_ids = scanned
    ledger = str(tmp_path / "ledger.db")
    policy = write_policy(
        tmp_path / "policy.json",
        keys,
        sources={},
        licenses={},
        retrieved_at={},
        required_scans=[{"name": SCAN_EVENT_NAME, "results": ["pass"]}],
    )

    def pg(*args: str) -> Any:
        return runner.invoke(app, ["provenance", *args])

    assert pg("record", str(corpus), "--ledger", ledger).exit_code == 0
    r = pg("record", "--ledger", ledger, "--scan", str(out), "--json")
    assert r.exit_code == 0, r.output
    assert json.loads(r.stdout)["events_recorded"] == 530
    with Ledger(ledger) as led:
        some = sorted(poison_ids)[0]
        assert [e.result for e in led.events_for(some)] == ["poisoned"]

    kept = sorted(str(p) for p in out.glob("kept*"))
    for name, paths in (("unscreened", [str(corpus)]), ("kept", kept)):
        man = tmp_path / name / "manifest.jsonl"
        assert pg("manifest", *paths, "--ledger", ledger, "--out", str(man)).exit_code == 0
        sign = ["sign", str(man), "--policy", str(policy)]
        for k in ("alice", "bob"):
            sign += ["--key", str(keys[k].private_path)]
        assert pg(*sign).exit_code == 0
        r = pg(
            "verify",
            *paths,
            "--attestation",
            f"{man}.dsse.json",
            "--policy",
            str(policy),
            "--json",
        )
        report = json.loads(r.stdout)
        if name == "unscreened":
            assert r.exit_code == 1 and report["failed"] == ["policy: required scans"]
            assert some in json.dumps(report)
        else:
            assert r.exit_code == 0 and report["ok"], report["failed"]
