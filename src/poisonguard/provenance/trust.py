"""One trust decision for a signed dataset-manifest statement, used by every command.

:func:`trusted_statement` reads the attestation file once, checks the DSSE signatures
against the policy's pinned keys and threshold, and only then parses the statement — no
field of an unsigned or under-signed payload drives any later step.  The statement must
match a strict schema (types, hex digests, timestamps); then the policy digest, the time
window (created, expires, the policy's max age) and the release version (the policy's
``min_release_version``, rollback protection) are checked.  ``provenance verify`` and
``provenance prove --attestation`` both use it, so they accept exactly the same statements.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import orjson

from poisonguard.provenance.dsse import EnvelopeError, EnvelopeResult, verify_envelope
from poisonguard.provenance.lineage import iso, parse_time
from poisonguard.provenance.policy import Policy
from poisonguard.provenance.statements import MANIFEST_PREDICATE, STATEMENT_TYPE

CLOCK_SKEW = timedelta(minutes=5)
_HEX64 = re.compile(r"[0-9a-f]{64}")


@dataclass
class Check:
    """One verification step: passed or not, and why."""

    name: str
    ok: bool
    detail: str
    data: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {"check": self.name, "ok": self.ok, "detail": self.detail, **self.data}


@dataclass
class ManifestClaim:
    """The typed, trusted content of a dataset-manifest statement."""

    manifest_name: str
    manifest_sha256: str
    merkle_root: str
    tree_size: int
    policy_sha256: str
    created_at: datetime
    expires_at: datetime | None
    release_version: int | None
    statement: dict[str, Any]


@dataclass
class TrustResult:
    """Outcome of :func:`trusted_statement`: the checks made and, when all passed, the claim."""

    checks: list[Check] = field(default_factory=list)
    claim: ManifestClaim | None = None
    envelope: EnvelopeResult | None = None

    @property
    def ok(self) -> bool:
        return self.claim is not None and all(c.ok for c in self.checks)

    def add(self, name: str, ok: bool, detail: str, **data: Any) -> None:
        self.checks.append(Check(name, ok, detail, data))

    def reason(self) -> str:
        bad = [c for c in self.checks if not c.ok]
        return "; ".join(f"{c.name}: {c.detail}" for c in bad) or "statement not trusted"


def load_envelopes(path: str | os.PathLike[str]) -> list[Any]:
    """Envelopes of an attestation file: one JSON envelope, or JSON Lines (a bundle).

    Raises OSError or :class:`EnvelopeError`.
    """
    raw = Path(path).read_bytes()
    try:
        return [orjson.loads(raw)]
    except orjson.JSONDecodeError:
        pass
    out = []
    for i, line in enumerate(raw.splitlines(), 1):
        if line.strip():
            try:
                out.append(orjson.loads(line))
            except orjson.JSONDecodeError as e:
                raise EnvelopeError(f"attestation line {i} is not JSON: {e}") from e
    if not out:
        raise EnvelopeError("attestation file holds no envelope")
    return out


def _hex(obj: Any, *path: str) -> str:
    for key in path:
        if not isinstance(obj, dict) or key not in obj:
            raise ValueError(f"{'.'.join(path)} missing")
        obj = obj[key]
    if not isinstance(obj, str) or not _HEX64.fullmatch(obj):
        raise ValueError(f"{'.'.join(path)} must be 64 lowercase hex digits")
    return obj


def parse_claim(st: dict[str, Any]) -> ManifestClaim:
    """Read a (signature-checked) statement into a :class:`ManifestClaim`; ValueError says
    which field is wrong."""
    if st.get("_type") != STATEMENT_TYPE:
        raise ValueError(f"_type is {str(st.get('_type'))[:80]!r}, expected {STATEMENT_TYPE}")
    if st.get("predicateType") != MANIFEST_PREDICATE:
        raise ValueError(
            f"predicateType is {str(st.get('predicateType'))[:80]!r}, expected {MANIFEST_PREDICATE}"
        )
    subj = st.get("subject")
    if not (isinstance(subj, list) and len(subj) == 1 and isinstance(subj[0], dict)):
        raise ValueError("subject must be exactly one manifest")
    name = subj[0].get("name")
    if not isinstance(name, str) or not name or Path(name).name != name:
        raise ValueError("subject.name must be a plain file name")
    pred = st.get("predicate")
    if not isinstance(pred, dict):
        raise ValueError("predicate missing")
    size = pred.get("treeSize")
    if not isinstance(size, int) or isinstance(size, bool) or size < 0:
        raise ValueError("predicate.treeSize must be a non-negative integer")
    version = pred.get("releaseVersion")
    if version is not None and (
        not isinstance(version, int) or isinstance(version, bool) or version < 1
    ):
        raise ValueError("predicate.releaseVersion must be a positive integer")
    for key in ("createdAt", "expiresAt"):
        if key in pred and not isinstance(pred[key], str):
            raise ValueError(f"predicate.{key} must be a timestamp string")
    if "createdAt" not in pred:
        raise ValueError("predicate.createdAt missing")
    return ManifestClaim(
        manifest_name=name,
        manifest_sha256=_hex(subj[0], "digest", "sha256"),
        merkle_root=_hex(pred, "merkleRoot", "sha256"),
        tree_size=size,
        policy_sha256=_hex(pred, "policy", "digest", "sha256"),
        created_at=parse_time(pred["createdAt"]),
        expires_at=parse_time(pred["expiresAt"]) if "expiresAt" in pred else None,
        release_version=version,
        statement=st,
    )


def trusted_statement(
    attestation: str | os.PathLike[str], policy: Policy | None, now: datetime
) -> TrustResult:
    """Decide whether ``attestation`` holds a dataset-manifest statement to trust.

    Order: read the file once; verify each envelope's signatures (pinned keys, threshold);
    only a sufficiently signed payload is parsed (strict schema); then policy digest, time
    window and release version.  Checks: ``attestation``, ``envelope``, ``signatures``,
    ``statement``, ``policy digest``, ``time window``, ``release version``.  Every check
    that cannot run is reported as failed.
    """
    res = TrustResult()
    try:
        envelopes = load_envelopes(attestation)
    except (OSError, EnvelopeError) as e:
        why = e.strerror if isinstance(e, OSError) and e.strerror else str(e)
        res.add("attestation", False, f"cannot read {attestation}: {why}")
        _not_checked(res, "no readable attestation")
        return res
    keys = policy.keys if policy else {}
    threshold = policy.threshold if policy else 1
    signed: list[EnvelopeResult] = []
    last: EnvelopeResult | None = None
    errors: list[str] = []
    for i, env in enumerate(envelopes):
        try:
            r = verify_envelope(env, keys, threshold)
        except EnvelopeError as e:
            errors.append(f"envelope {i + 1}: {e}" if len(envelopes) > 1 else str(e))
            continue
        last = r
        if r.signatures_ok and not r.problems and r.statement is not None and policy:
            signed.append(r)
    manifests = [
        r for r in signed if (r.statement or {}).get("predicateType") == MANIFEST_PREDICATE
    ]
    if len(envelopes) == 1 or not signed:
        chosen = signed[0] if signed else last
    else:
        chosen = manifests[0] if manifests else signed[0]
    if chosen is None:
        res.add("envelope", False, "; ".join(errors) or "no DSSE envelope")
        _not_checked(res, "no well-formed envelope", skip=("envelope",))
        return res
    res.envelope = chosen
    if len(manifests) > 1:
        res.add(
            "envelope",
            False,
            f"{len(manifests)} signed manifest statements in one attestation; expected one",
        )
    else:
        res.add(
            "envelope",
            not chosen.problems,
            f"DSSE, payloadType {chosen.payload_type}"
            if not chosen.problems
            else "; ".join(chosen.problems),
        )
    sig_detail = chosen.summary() if policy else "no pinned keys (policy failed to load)"
    trusted = chosen in signed
    res.add(
        "signatures", chosen.signatures_ok and policy is not None, sig_detail, **chosen.to_dict()
    )
    if not trusted or chosen.statement is None:
        _not_checked(res, "statement not trusted (signatures)", skip=("envelope", "signatures"))
        return res
    try:
        claim = parse_claim(chosen.statement)
    except ValueError as e:
        res.add("statement", False, f"signed statement malformed: {e}")
        _not_checked(res, "statement malformed", skip=("envelope", "signatures", "statement"))
        return res
    res.add("statement", True, "in-toto Statement v1, dataset manifest predicate")
    assert policy is not None
    res.add(
        "policy digest",
        claim.policy_sha256 == policy.sha256,
        "policy file matches the signed digest"
        if claim.policy_sha256 == policy.sha256
        else f"policy file sha256 {policy.sha256} differs from the signed {claim.policy_sha256} "
        "(policy edited after signing, or a different policy)",
    )
    problems = []
    if claim.created_at > now + CLOCK_SKEW:
        problems.append(f"created in the future ({iso(claim.created_at)})")
    if claim.expires_at is not None and now > claim.expires_at:
        problems.append(f"expired at {iso(claim.expires_at)}")
    if policy.max_age and now - claim.created_at > policy.max_age:
        problems.append(
            f"older than the policy's max age ({policy.max_age.days} days; created "
            f"{iso(claim.created_at)})"
        )
    res.add(
        "time window",
        not problems,
        "; ".join(problems)
        or f"created {iso(claim.created_at)}, valid until "
        f"{iso(claim.expires_at) if claim.expires_at else 'no expiry'} (checked at {iso(now)})",
    )
    if policy.min_release_version is not None:
        v = claim.release_version
        ok = v is not None and v >= policy.min_release_version
        res.add(
            "release version",
            ok,
            f"release {v} >= the policy's minimum {policy.min_release_version}"
            if ok
            else f"release {v if v is not None else '(none)'} is older than the policy's "
            f"minimum {policy.min_release_version} (rolled back to a withdrawn release?)",
        )
    res.claim = claim
    return res


_ALL = ("envelope", "signatures", "statement", "policy digest", "time window")


def _not_checked(res: TrustResult, why: str, skip: tuple[str, ...] = ()) -> None:
    for name in _ALL:
        if name not in skip:
            res.add(name, False, f"not checked: {why}")
