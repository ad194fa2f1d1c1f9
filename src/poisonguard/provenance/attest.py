"""Sign things: a manifest attestation, or the SLSA + SVR statements of a run."""

from __future__ import annotations

import os
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from securesystemslib.signer import Signer

from poisonguard.provenance.dsse import (
    EnvelopeError,
    add_signatures,
    sign_statement,
    verify_envelope,
)
from poisonguard.provenance.lineage import iso, utc_now
from poisonguard.provenance.manifest import check_manifest
from poisonguard.provenance.policy import load_policy
from poisonguard.provenance.statements import (
    dataset_statement,
    load_run,
    slsa_provenance,
    svr_statements,
)
from poisonguard.provenance.trust import load_envelopes, parse_claim


def signer_keyid(signer: Signer) -> str:
    return str(signer.public_key.keyid)


def attest_manifest(
    manifest: str | os.PathLike[str],
    policy: str | os.PathLike[str],
    signers: list[Signer],
    *,
    valid_for: timedelta | None = None,
    now: datetime | None = None,
    corpus: str | None = None,
    release_version: int | None = None,
) -> tuple[dict[str, Any], list[str]]:
    """Sign a manifest attestation; returns ``(envelope, unpinned signer key ids)``.

    The manifest is checked first (canonical, sorted, unique) and refused when it is not;
    the policy must load.  Signers whose keys the policy does not pin are returned so the
    caller can warn: their signatures will not count at verification.
    """
    chk = check_manifest(manifest)
    if not chk.ok:
        raise ValueError(f"refusing to sign an invalid manifest: {'; '.join(chk.problems[:3])}")
    pol = load_policy(policy)
    created = now or utc_now()
    st = dataset_statement(
        manifest_name=Path(manifest).name,
        manifest_sha256=chk.sha256,
        merkle_root=chk.root,
        records=chk.count,
        policy_uri=Path(policy).name,
        policy_sha256=pol.sha256,
        created_at=created,
        expires_at=created + valid_for if valid_for else None,
        corpus=corpus,
        release_version=release_version,
    )
    unpinned = [signer_keyid(s) for s in signers if signer_keyid(s) not in pol.keys]
    return sign_statement(st, signers), unpinned


def attest_run(run: str | os.PathLike[str], signers: list[Signer]) -> list[dict[str, Any]]:
    """Signed SLSA v1 provenance + one SVR per stage for a run description (a bundle)."""
    desc = load_run(run)
    statements = [slsa_provenance(desc), *svr_statements(desc)]
    return [sign_statement(st, signers) for st in statements]


def cosign_manifest(
    attestation: str | os.PathLike[str],
    policy: str | os.PathLike[str],
    signers: list[Signer],
    *,
    manifest: str | os.PathLike[str] | None = None,
    now: datetime | None = None,
) -> dict[str, Any]:
    """Co-sign a manifest attestation after checking what it claims; returns the envelope.

    A co-signer vouches for the statement, so it is checked like a first signature: the
    envelope is well formed and holds a dataset-manifest statement, the manifest (default:
    the subject's name next to the attestation) is valid and has the signed digest, Merkle
    root and record count, the policy file has the signed digest, and the statement has
    not expired.  Existing signatures are not needed (a co-signer may sign first).  Raises
    ValueError (or :class:`EnvelopeError`) naming the first mismatch; nothing is signed then.
    """
    envelopes = load_envelopes(attestation)
    if len(envelopes) != 1:
        raise EnvelopeError("co-signing needs one envelope, not a bundle")
    res = verify_envelope(envelopes[0], {}, 1)
    if res.problems or res.statement is None:
        raise EnvelopeError("; ".join(res.problems) or "envelope holds no statement")
    claim = parse_claim(res.statement)
    man = Path(manifest) if manifest else Path(attestation).resolve().parent / claim.manifest_name
    chk = check_manifest(man)
    if not chk.ok:
        raise ValueError(f"refusing to co-sign: manifest {man} is not valid: {chk.problems[0]}")
    if chk.sha256 != claim.manifest_sha256:
        raise ValueError(
            f"refusing to co-sign: manifest {man} has sha256 {chk.sha256}, the statement "
            f"signs {claim.manifest_sha256}"
        )
    if chk.root != claim.merkle_root or chk.count != claim.tree_size:
        raise ValueError(
            f"refusing to co-sign: manifest {man} has root {chk.root} over {chk.count} "
            f"records, the statement claims {claim.merkle_root} over {claim.tree_size}"
        )
    pol = load_policy(policy)
    if pol.sha256 != claim.policy_sha256:
        raise ValueError(
            f"refusing to co-sign: policy {policy} has sha256 {pol.sha256}, the statement "
            f"names {claim.policy_sha256}"
        )
    t = now or utc_now()
    if claim.expires_at is not None and t > claim.expires_at:
        raise ValueError(f"refusing to co-sign: the statement expired at {iso(claim.expires_at)}")
    return add_signatures(envelopes[0], signers)
