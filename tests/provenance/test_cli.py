"""``poisonguard provenance ...`` end to end, as a user runs it."""

from __future__ import annotations

import json
import stat
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from poisonguard.cli import app

from .conftest import make_records, write_jsonl, write_policy

runner = CliRunner()


def pg(*args: str) -> Any:
    return runner.invoke(app, ["provenance", *args])


def test_full_walkthrough_and_tamper(tmp_path: Path) -> None:
    corpus = write_jsonl(tmp_path / "corpus.jsonl", make_records(25))
    keys = {}
    for name in ("alice", "bob"):
        r = pg("keygen", str(tmp_path / name), "--json")
        assert r.exit_code == 0, r.output
        info = json.loads(r.stdout)
        priv = Path(info["private_key"])
        assert stat.S_IMODE(priv.stat().st_mode) == 0o600
        secret = "".join(priv.read_text().splitlines()[1:-1])
        assert secret not in r.output  # never printed
        keys[name] = type(
            "K", (), {"keyid": info["keyid"], "public_path": Path(info["public_key"])}
        )
    assert pg("keygen", str(tmp_path / "alice")).exit_code == 2  # never overwrites
    policy = write_policy(
        tmp_path / "policy.json",
        keys,
        required_scans=[{"name": "poisonguard-scan", "version": "0.1.0"}],
    )
    ledger = str(tmp_path / "ledger.db")
    r = pg("record", str(corpus), "--ledger", ledger, "--json")
    assert r.exit_code == 0, r.output
    assert json.loads(r.stdout)["new_documents"] == 25
    r = pg("record", str(corpus), "--ledger", ledger, "--json")
    assert json.loads(r.stdout)["unchanged"] == 25
    events = tmp_path / "scan-events.jsonl"
    events.write_text(
        "".join(
            json.dumps(
                {
                    "id": f"doc-{i:03d}",
                    "name": "poisonguard-scan",
                    "version": "0.1.0",
                    "result": "pass",
                    "time": "2026-11-28T05:00:00Z",
                }
            )
            + "\n"
            for i in range(25)
        )
    )
    r = pg("record", "--ledger", ledger, "--events", str(events), "--json")
    assert r.exit_code == 0 and json.loads(r.stdout)["events_recorded"] == 25

    out = tmp_path / "out"
    r = pg(
        "manifest",
        str(corpus),
        "--ledger",
        ledger,
        "--out",
        str(out / "manifest.jsonl"),
        "--croissant",
        str(out / "croissant.json"),
        "--json",
    )
    assert r.exit_code == 0, r.output
    summary = json.loads(r.stdout)
    assert summary["records"] == 25
    croissant = json.loads((out / "croissant.json").read_text())
    assert croissant["conformsTo"] == "http://mlcommons.org/croissant/1.0"
    assert croissant["distribution"][-1]["sha256"] == summary["sha256"]

    att = out / "manifest.jsonl.dsse.json"
    r = pg(
        "sign",
        str(out / "manifest.jsonl"),
        "--policy",
        str(policy),
        "--key",
        str(tmp_path / "alice.key"),
    )
    assert r.exit_code == 0, r.output
    r = pg("verify", str(corpus), "--attestation", str(att), "--policy", str(policy), "--json")
    data = json.loads(r.stdout)
    # signatures first: an under-signed statement is not parsed, so what depends on it fails
    assert r.exit_code == 1 and data["failed"][0] == "signatures"
    sig = next(c for c in data["checks"] if c["check"] == "signatures")
    assert "1 valid pinned signature(s), threshold 2" in sig["detail"]
    assert all(
        "not checked" in c["detail"]
        for c in data["checks"]
        if c["check"] in ("statement", "policy digest", "time window")
    )
    assert "check(s) failed: signatures" in r.stderr  # the one-line reason
    r = pg("sign", "--add-to", str(att), "--key", str(tmp_path / "bob.key"))
    assert r.exit_code == 2 and "--add-to needs --policy" in r.output
    r = pg(
        "sign", "--add-to", str(att), "--policy", str(policy), "--key", str(tmp_path / "bob.key")
    )
    assert r.exit_code == 0, r.output
    r = pg("verify", str(corpus), "--attestation", str(att), "--policy", str(policy))
    assert r.exit_code == 0, r.output
    assert "VERIFIED" in r.output

    proofs = tmp_path / "proofs.jsonl"
    r = pg(
        "prove",
        str(out / "manifest.jsonl"),
        "--id",
        "doc-004",
        "--id",
        "doc-020",
        "--out",
        str(proofs),
    )
    assert r.exit_code == 0, r.output
    r = pg("prove", "--check", str(proofs), "--attestation", str(att), "--policy", str(policy))
    assert r.exit_code == 0 and r.output.count("OK") == 2
    assert pg("prove", str(out / "manifest.jsonl"), "--id", "nope").exit_code == 1
    forged = json.loads(proofs.read_text().splitlines()[0])
    forged["record"]["source_id"] = "trusted-looking"
    proofs.write_text(json.dumps(forged) + "\n")
    r = pg("prove", "--check", str(proofs), "--attestation", str(att), "--policy", str(policy))
    assert r.exit_code == 1 and "FAIL" in r.output

    recs = make_records(25)
    recs[7]["text"] = recs[7]["text"].replace("Document", "Dokument")
    write_jsonl(corpus, recs)
    report = tmp_path / "report.json"
    r = pg(
        "verify",
        str(corpus),
        "--attestation",
        str(att),
        "--policy",
        str(policy),
        "--json",
        "--report",
        str(report),
    )
    assert r.exit_code == 1
    data = json.loads(r.stdout)
    assert data["failed"] == ["corpus = manifest"]
    assert data["corpus_diff"]["changed"] == [
        {"id": "doc-007", "fields": ["sha256", "record_sha256"]}
    ]
    assert json.loads(report.read_text()) == data
    r = pg("verify", str(corpus), "--attestation", str(att), "--policy", str(policy))
    assert "REJECTED" in r.output and "doc-007" in r.output


def test_manifest_refuses_unreadable_records_and_duplicates(tmp_path: Path) -> None:
    corpus = write_jsonl(tmp_path / "c.jsonl", make_records(5))
    with corpus.open("a") as f:
        f.write("{broken json\n")
    errs = tmp_path / "errors.jsonl"
    r = pg("manifest", str(corpus), "--out", str(tmp_path / "m.jsonl"), "--errors", str(errs))
    assert r.exit_code == 3 and "could not be read" in r.output
    assert not (tmp_path / "m.jsonl").exists()
    assert json.loads(errs.read_text())["line"] == 6  # the bad record is kept, not lost
    dup = write_jsonl(tmp_path / "d.jsonl", [*make_records(3), make_records(3)[1]])
    r = pg("manifest", str(dup), "--out", str(tmp_path / "m.jsonl"))
    assert r.exit_code == 3 and "doc-001" in r.output
    assert not (tmp_path / "m.jsonl").exists()


def test_sign_run_bundle(tmp_path: Path, keys: dict[str, Any]) -> None:
    corpus = write_jsonl(tmp_path / "c.jsonl", make_records(5))
    assert pg("manifest", str(corpus), "--out", str(tmp_path / "m.jsonl")).exit_code == 0
    run = tmp_path / "run.json"
    run.write_text(
        json.dumps(
            {
                "inputs": [{"manifest": "m.jsonl"}],
                "outputs": [{"manifest": "m.jsonl"}],
                "stages": [{"name": "dedup", "version": "1"}],
            }
        )
    )
    r = pg("sign", "--run", str(run), "--key", str(keys["alice"].private_path), "--json")
    assert r.exit_code == 0, r.output
    bundle = Path(json.loads(r.stdout)["out"])
    assert bundle.name == "run.intoto.jsonl" and len(bundle.read_text().splitlines()) == 2


def test_record_into_postgresql(tmp_path: Path, pg_url: tuple[str, str]) -> None:
    url, schema = pg_url
    corpus = write_jsonl(tmp_path / "c.jsonl", make_records(12))
    r = pg("record", str(corpus), "--ledger", url, "--schema", schema, "--json")
    assert r.exit_code == 0, r.output
    assert json.loads(r.stdout)["totals"] == {"documents": 12, "versions": 12, "events": 0}
    assert "postgresql+psycopg" in json.loads(r.stdout)["ledger"]
    r = pg(
        "manifest",
        str(corpus),
        "--ledger",
        url,
        "--schema",
        schema,
        "--out",
        str(tmp_path / "m.jsonl"),
        "--json",
    )
    assert r.exit_code == 0 and json.loads(r.stdout)["records"] == 12


def test_unknown_event_ids_fail_record(tmp_path: Path) -> None:
    ev = tmp_path / "ev.jsonl"
    ev.write_text('{"id": "ghost", "name": "scan", "result": "pass"}\n')
    r = pg("record", "--ledger", str(tmp_path / "l.db"), "--events", str(ev))
    assert r.exit_code == 3 and "ghost" in r.output
    r = pg("record", "--ledger", str(tmp_path / "l.db"))
    assert r.exit_code == 2 and "give a corpus" in r.output


@pytest.mark.parametrize("valid_for", ["abc", "-1d"])
def test_bad_duration_is_a_usage_error(
    tmp_path: Path, keys: dict[str, Any], valid_for: str
) -> None:
    corpus = write_jsonl(tmp_path / "c.jsonl", make_records(3))
    assert pg("manifest", str(corpus), "--out", str(tmp_path / "m.jsonl")).exit_code == 0
    pol = write_policy(tmp_path / "p.json", keys)
    r = pg(
        "sign",
        str(tmp_path / "m.jsonl"),
        "--policy",
        str(pol),
        "--key",
        str(keys["alice"].private_path),
        "--valid-for",
        valid_for,
    )
    # exit 2 is also what an unknown option gives: check it is the --valid-for message
    assert r.exit_code == 2 and f"--valid-for {valid_for!r}" in r.output
    assert not (tmp_path / "m.jsonl.dsse.json").exists()
