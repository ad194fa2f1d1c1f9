"""Sign things: a manifest attestation, or the SLSA + SVR statements of a run."""

from __future__ import annotations

import os
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from securesystemslib.signer import Signer

from poisonguard.provenance.dsse import sign_statement
from poisonguard.provenance.lineage import utc_now
from poisonguard.provenance.manifest import check_manifest
from poisonguard.provenance.policy import load_policy
from poisonguard.provenance.statements import (
    dataset_statement,
    load_run,
    slsa_provenance,
    svr_statements,
)


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
    )
    unpinned = [signer_keyid(s) for s in signers if signer_keyid(s) not in pol.keys]
    return sign_statement(st, signers), unpinned


def attest_run(run: str | os.PathLike[str], signers: list[Signer]) -> list[dict[str, Any]]:
    """Signed SLSA v1 provenance + one SVR per stage for a run description (a bundle)."""
    desc = load_run(run)
    statements = [slsa_provenance(desc), *svr_statements(desc)]
    return [sign_statement(st, signers) for st in statements]
