"""Property-based fuzzing of every parser a ``provenance`` command feeds untrusted input:
statements (signed and unsigned), envelopes, policies, manifests, proofs and URL lists.
Each must return a result or raise its own documented error, never anything else."""

from __future__ import annotations

import base64
import contextlib
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from poisonguard.provenance import load_signer
from poisonguard.provenance.dsse import EnvelopeError, sign_statement, verify_envelope
from poisonguard.provenance.manifest import check_manifest, check_proof
from poisonguard.provenance.policy import Policy, PolicyError, load_policy
from poisonguard.provenance.refetch import _check_one, read_url_list
from poisonguard.provenance.statements import MANIFEST_PREDICATE, STATEMENT_TYPE
from poisonguard.provenance.trust import trusted_statement

from .conftest import write_policy

NOW = datetime(2026, 12, 1, tzinfo=UTC)
FUZZ = settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**60), max_value=2**60),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=20),
)
json_values = st.recursive(
    scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4),
        st.dictionaries(st.text(max_size=12), inner, max_size=5),
    ),
    max_leaves=20,
)


def _predicate_like() -> st.SearchStrategy[dict[str, Any]]:
    """Statements near the real shape, so the fuzzer reaches the deep paths."""
    hexes = st.one_of(st.just("a" * 64), st.text(max_size=70), json_values)
    pred = st.fixed_dictionaries(
        {},
        optional={
            "merkleRoot": st.one_of(st.fixed_dictionaries({"sha256": hexes}), json_values),
            "treeSize": st.one_of(st.integers(-5, 50), json_values),
            "policy": st.one_of(
                st.fixed_dictionaries({"digest": st.fixed_dictionaries({"sha256": hexes})}),
                json_values,
            ),
            "createdAt": st.one_of(st.just("2026-11-30T00:00:00Z"), json_values),
            "expiresAt": st.one_of(st.just("2027-01-01T00:00:00Z"), json_values),
            "releaseVersion": json_values,
        },
    )
    subject = st.one_of(
        st.just([{"name": "manifest.jsonl", "digest": {"sha256": "b" * 64}}]),
        json_values,
    )
    return st.fixed_dictionaries(
        {},
        optional={
            "_type": st.one_of(st.just(STATEMENT_TYPE), json_values),
            "predicateType": st.one_of(st.just(MANIFEST_PREDICATE), json_values),
            "subject": subject,
            "predicate": st.one_of(pred, json_values),
        },
    )


@pytest.fixture
def signed_env(tmp_path: Path, keys: dict[str, Any]) -> Any:
    policy = write_policy(tmp_path / "policy.json", keys)
    signers = [load_signer(keys[k].private_path) for k in ("alice", "bob")]
    return tmp_path, load_policy(policy), signers


@FUZZ
@given(statement=_predicate_like())
def test_fuzz_signed_statements(signed_env: Any, statement: dict[str, Any]) -> None:
    tmp, policy, signers = signed_env
    att = tmp / "att.json"
    att.write_bytes(orjson.dumps(sign_statement(statement, signers)))
    res = trusted_statement(att, policy, NOW)
    assert res.checks and (res.ok or any(not c.ok for c in res.checks))


@FUZZ
@given(envelope=json_values, raw=st.binary(max_size=200))
def test_fuzz_envelopes_and_attestation_files(signed_env: Any, envelope: Any, raw: bytes) -> None:
    tmp, policy, _ = signed_env
    with contextlib.suppress(EnvelopeError):
        verify_envelope(envelope, policy.keys, policy.threshold)
    for data in (orjson.dumps(envelope), raw):
        att = tmp / "att.json"
        att.write_bytes(data)
        assert not trusted_statement(att, policy, NOW).ok


@FUZZ
@given(payload=st.binary(max_size=100), sigs=json_values, ptype=json_values)
def test_fuzz_envelope_fields(signed_env: Any, payload: bytes, sigs: Any, ptype: Any) -> None:
    _, policy, _ = signed_env
    env = {"payload": base64.b64encode(payload).decode(), "payloadType": ptype, "signatures": sigs}
    try:
        res = verify_envelope(env, policy.keys, policy.threshold)
    except EnvelopeError:
        return
    assert not res.signatures_ok


@FUZZ
@given(
    data=json_values,
    section=st.sampled_from(
        ["signers", "sources", "licenses", "required_scans", "retrieved_at", "attestation"]
    ),
)
def test_fuzz_policy_files(tmp_path: Path, data: Any, section: str) -> None:
    for doc in (data, {section: data}):
        p = tmp_path / "policy.json"
        p.write_bytes(orjson.dumps(doc))
        with contextlib.suppress(PolicyError):
            load_policy(p)


@FUZZ
@given(lines=st.lists(st.one_of(st.binary(max_size=60), json_values.map(orjson.dumps)), max_size=8))
def test_fuzz_manifests_and_policy_rules(signed_env: Any, lines: list[bytes]) -> None:
    tmp, policy, _ = signed_env
    policy.deny_domains, policy.allow_licenses = ["evil.com"], ["MIT"]
    policy.required_scans = load_policy_with_scans(tmp).required_scans
    m = tmp / "manifest.jsonl"
    m.write_bytes(b"\n".join(x.replace(b"\n", b" ") for x in lines) + b"\n")

    def police(rec: dict[str, Any]) -> None:
        for _, method in Policy.RULES:
            why = getattr(policy, method)(rec)
            assert why is None or isinstance(why, str)

    check_manifest(m, on_record=police)


def load_policy_with_scans(tmp: Path) -> Policy:
    p = tmp / "scans.json"
    p.write_text(
        '{"required_scans": [{"name": "s"}], "retrieved_at": {"not_before": "2020-01-01"}}'
    )
    return load_policy(p)


@FUZZ
@given(
    rec=st.dictionaries(
        st.sampled_from(["id", "source", "source_id", "license", "ledger", "retrieved_at"]),
        json_values,
    )
)
def test_fuzz_policy_rules_on_odd_records(signed_env: Any, rec: dict[str, Any]) -> None:
    tmp, _policy, _ = signed_env
    pol = load_policy_with_scans(tmp)
    pol.deny_domains, pol.allow_ids, pol.allow_licenses = ["evil.com"], ["c4"], ["MIT"]
    for _, method in Policy.RULES:
        why = getattr(pol, method)(rec)
        assert why is None or isinstance(why, str)


@FUZZ
@given(
    proof=json_values,
    near=st.dictionaries(
        st.sampled_from(["id", "record", "audit_path", "leaf_index", "tree_size", "root"]),
        json_values,
    ),
)
def test_fuzz_proofs(proof: Any, near: dict[str, Any]) -> None:
    for p in (proof, near):
        ok, why = check_proof(p, "00" * 32, 3)
        assert isinstance(ok, bool) and isinstance(why, str)
        ok, why = check_proof(p)
        assert isinstance(ok, bool) and isinstance(why, str)


@FUZZ
@given(data=st.lists(st.one_of(st.binary(max_size=80), json_values.map(orjson.dumps)), max_size=6))
def test_fuzz_url_lists(tmp_path: Path, data: list[bytes]) -> None:
    listing = tmp_path / "urls.jsonl"
    listing.write_bytes(b"\n".join(data) + b"\n")
    for n, raw, entry in read_url_list(listing):
        r = _check_one(n, raw, entry, 1.0, 1024, ("file",), False)
        assert r.status in ("ok", "changed", "unreachable", "no_hash", "bad_line")


@FUZZ
@given(
    data=json_values,
    field=st.sampled_from(
        ["command", "parameters", "inputs", "outputs", "stages", "started_on", "invocation_id"]
    ),
)
def test_fuzz_run_descriptions(tmp_path: Path, data: Any, field: str) -> None:
    from poisonguard.provenance.statements import load_run

    for doc in (data, {field: data, "outputs": []}):
        p = tmp_path / "run.json"
        p.write_bytes(orjson.dumps(doc))
        with contextlib.suppress(ValueError):
            load_run(p)
