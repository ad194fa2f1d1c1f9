"""Keys, DSSE envelopes (interoperable with securesystemslib), SLSA and SVR statements."""

from __future__ import annotations

import base64
import json
import stat
from pathlib import Path
from typing import Any

import pytest
from securesystemslib import dsse
from securesystemslib.exceptions import VerificationError

from poisonguard.io import CorpusReader
from poisonguard.provenance import (
    MANIFEST_PREDICATE,
    PAYLOAD_TYPE,
    SLSA_PREDICATE,
    SVR_PREDICATE,
    KeyError_,
    add_signatures,
    attest_manifest,
    attest_run,
    build_manifest,
    check_manifest,
    generate_keypair,
    jcs,
    load_policy,
    load_signer,
    verify_envelope,
)
from poisonguard.provenance.keys import sslib_key

from .conftest import make_records, write_jsonl


def test_private_keys_are_0600_never_overwritten_and_passphrase_protected(tmp_path: Path) -> None:
    kp = generate_keypair(tmp_path / "k")
    assert stat.S_IMODE(kp.private_path.stat().st_mode) == 0o600
    assert kp.private_path.read_bytes().startswith(b"-----BEGIN PRIVATE KEY-----")
    assert sslib_key(kp.public_path.read_text()).keyid == kp.keyid
    with pytest.raises(KeyError_, match="refusing to overwrite"):
        generate_keypair(tmp_path / "k")
    enc = generate_keypair(tmp_path / "enc", passphrase=b"s3cret")
    assert b"ENCRYPTED" in enc.private_path.read_bytes()
    assert load_signer(enc.private_path, b"s3cret").public_key.keyid == enc.keyid
    with pytest.raises(KeyError_, match="wrong passphrase"):
        load_signer(enc.private_path, b"wrong")
    with pytest.raises(KeyError_, match="passphrase"):
        load_signer(enc.private_path)
    kp.private_path.chmod(0o644)
    with pytest.raises(KeyError_, match="chmod 600"):
        load_signer(kp.private_path)


def _statement() -> dict[str, Any]:
    return {
        "_type": "https://in-toto.io/Statement/v1",
        "subject": [{"name": "m", "digest": {"sha256": "ab" * 32}}],
        "predicateType": MANIFEST_PREDICATE,
        "predicate": {"x": 1},
    }


def test_envelopes_interoperate_with_securesystemslib(keys: dict[str, Any]) -> None:
    from poisonguard.provenance import sign_statement

    signers = [load_signer(keys[n].private_path) for n in ("alice", "bob")]
    env = sign_statement(_statement(), signers[:1])
    env = add_signatures(env, signers[1:])
    assert env["payloadType"] == PAYLOAD_TYPE
    assert base64.b64decode(env["payload"]) == jcs(_statement())
    pinned = [sslib_key(keys[n].public_path.read_text()) for n in ("alice", "bob")]
    ok = dsse.Envelope.from_dict(json.loads(json.dumps(env))).verify(pinned, 2)
    assert set(ok) == {keys["alice"].keyid, keys["bob"].keyid}
    res = verify_envelope(env, {k.keyid: k for k in pinned}, 2)
    assert res.ok and res.statement == _statement()
    carol = [sslib_key(keys["carol"].public_path.read_text())]
    with pytest.raises(VerificationError):
        dsse.Envelope.from_dict(json.loads(json.dumps(env))).verify(carol, 1)
    res = verify_envelope(env, {carol[0].keyid: carol[0]}, 1)
    assert not res.ok and len(res.unpinned) == 2


def _run_fixture(tmp_path: Path) -> Path:
    recs = make_records(9)
    inp = build_manifest(
        CorpusReader(write_jsonl(tmp_path / "in.jsonl", recs)).documents(),
        tmp_path / "in.manifest.jsonl",
    )
    out = build_manifest(
        CorpusReader(write_jsonl(tmp_path / "out.jsonl", recs[:7])).documents(),
        tmp_path / "out.manifest.jsonl",
    )
    run = {
        "invocation_id": "scan-1",
        "started_on": "2026-11-28T05:00:00Z",
        "finished_on": "2026-11-28T05:01:00Z",
        "command": ["poisonguard", "scan", "in.jsonl"],
        "parameters": {"threshold": 0.9},
        "inputs": [{"name": "web", "manifest": inp.path.name}],
        "outputs": [{"name": "web-kept", "manifest": out.path.name}],
        "stages": [
            {"name": "gibberish", "version": "1", "documents": 9, "removed": 1},
            {"name": "trigger-mining", "version": "2", "documents": 8, "removed": 1},
        ],
    }
    p = tmp_path / "run.json"
    p.write_text(json.dumps(run))
    return p


def test_slsa_provenance_and_svr_per_stage(tmp_path: Path, keys: dict[str, Any]) -> None:
    run = _run_fixture(tmp_path)
    signer = load_signer(keys["alice"].private_path)
    bundle = attest_run(run, [signer])
    key = sslib_key(keys["alice"].public_path.read_text())
    statements = []
    for env in bundle:
        res = verify_envelope(env, {key.keyid: key}, 1)
        assert res.ok
        statements.append(res.statement)
    slsa, *svrs = statements
    assert slsa["predicateType"] == SLSA_PREDICATE
    out_chk = check_manifest(tmp_path / "out.manifest.jsonl")
    in_chk = check_manifest(tmp_path / "in.manifest.jsonl")
    assert slsa["subject"] == [{"name": "web-kept", "digest": {"sha256": out_chk.sha256}}]
    deps = slsa["predicate"]["buildDefinition"]["resolvedDependencies"]
    assert deps[0]["digest"] == {"sha256": in_chk.sha256}
    assert deps[0]["annotations"]["merkleRoot"] == in_chk.root
    assert slsa["predicate"]["runDetails"]["metadata"]["invocationId"] == "scan-1"
    assert [s["predicateType"] for s in svrs] == [SVR_PREDICATE] * 2
    assert svrs[0]["predicate"]["properties"] == [
        "POISONGUARD_STAGE_GIBBERISH_APPLIED",
        "POISONGUARD_STAGE_GIBBERISH_PASSED",
    ]
    assert svrs[1]["predicate"]["verifier"]["id"].endswith("/stage/trigger-mining/v2")
    assert svrs[1]["predicate"]["timeCreated"] == "2026-11-28T05:01:00Z"


def test_run_with_a_missing_manifest_is_refused(tmp_path: Path, keys: dict[str, Any]) -> None:
    run = _run_fixture(tmp_path)
    (tmp_path / "in.manifest.jsonl").unlink()
    with pytest.raises(ValueError, match=r"inputs\[0\]: no such manifest"):
        attest_run(run, [load_signer(keys["alice"].private_path)])


def test_signing_refuses_an_invalid_manifest_and_reports_unpinned_signers(
    tmp_path: Path, keys: dict[str, Any]
) -> None:
    from .conftest import write_policy

    m = build_manifest(
        CorpusReader(write_jsonl(tmp_path / "c.jsonl", make_records(5))).documents(),
        tmp_path / "m.jsonl",
    )
    pol = write_policy(tmp_path / "p.json", keys)
    _, unpinned = attest_manifest(m.path, pol, [load_signer(keys["carol"].private_path)])
    assert unpinned == [keys["carol"].keyid]
    lines = m.path.read_bytes().splitlines(keepends=True)
    m.path.write_bytes(lines[1] + lines[0] + b"".join(lines[2:]))
    with pytest.raises(ValueError, match="refusing to sign an invalid manifest"):
        attest_manifest(m.path, pol, [load_signer(keys["alice"].private_path)])


def test_policy_validation_errors_are_specific(tmp_path: Path, keys: dict[str, Any]) -> None:
    from poisonguard.provenance import PolicyError

    p = tmp_path / "p.json"
    cases = [
        ({"sources": {"allow": ["c4"]}}, "unknown key.*sources: allow"),
        ({"licences": {}}, "unknown key.*policy: licences"),
        ({"signers": {"threshold": 0}}, "threshold must be an integer >= 1"),
        ({"signers": {"keys": [{"public_key": "nope"}]}}, "not a PEM public key"),
        (
            {
                "signers": {
                    "keys": [{"keyid": "abc", "public_key": keys["alice"].public_path.read_text()}]
                }
            },
            "does not match its public key",
        ),
        ({"retrieved_at": {"not_before": "last week"}}, "ISO 8601"),
        ({"required_scans": [{"version": "1"}]}, r"required_scans\[0\].name"),
    ]
    for data, pattern in cases:
        p.write_text(json.dumps(data))
        with pytest.raises(PolicyError, match=pattern):
            load_policy(p)
    toml = tmp_path / "p.toml"
    toml.write_text('name = "t"\n[signers]\nthreshold = 1\n[licenses]\nallow = ["MIT"]\n')
    pol = load_policy(toml)
    assert pol.allow_licenses == ["MIT"] and pol.license_violation({"license": "GPL-3.0-only"})
