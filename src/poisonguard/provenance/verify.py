"""Verify before training, failing closed.

:func:`verify` runs every check it can and reports each one; the corpus is accepted only
when *all* pass.  A check that cannot run (e.g. no manifest because the statement is not
trusted) counts as failed, never as passed.

Checks, in order: policy loads; then :func:`~poisonguard.provenance.trust.trusted_statement`
(envelope, signatures against the policy's pinned keys and threshold, and only then the
statement, policy digest, time window, release version); manifest digest = signed subject;
manifest canonical, sorted, unique; recomputed Merkle root and count = signed ones; corpus
readable and canonical; corpus = manifest (missing / extra / changed / duplicated ids); the
file set (with ``corpus_paths``: every regular file under the paths read and verified,
walked before and after reading); policy rules per record (sources, licences, required
scans, retrieved_at window).  The manifest is read once: hashed, checked and copied to a
private temporary file, which the corpus comparison reads.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import IO, Any

from poisonguard.io import Document
from poisonguard.provenance.fileset import FileSet, changed_since, check_file_set
from poisonguard.provenance.lineage import screen, utc_now
from poisonguard.provenance.manifest import (
    CorpusDiff,
    ManifestCheck,
    check_manifest,
    compare_corpus,
)
from poisonguard.provenance.policy import Policy, PolicyError, load_policy
from poisonguard.provenance.trust import (
    CLOCK_SKEW,
    Check,
    ManifestClaim,
    load_envelopes,
    trusted_statement,
)

__all__ = [
    "CLOCK_SKEW",
    "Check",
    "VerifyReport",
    "load_envelopes",
    "verify",
]


@dataclass
class VerifyReport:
    """All checks of one verification; :attr:`ok` only when every check passed."""

    checks: list[Check] = field(default_factory=list)
    diff: CorpusDiff | None = None

    def add(self, name: str, ok: bool, detail: str, **data: Any) -> Check:
        c = Check(name, ok, detail, data)
        self.checks.append(c)
        return c

    @property
    def ok(self) -> bool:
        return bool(self.checks) and all(c.ok for c in self.checks)

    @property
    def failed(self) -> list[Check]:
        return [c for c in self.checks if not c.ok]

    def to_dict(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "failed": [c.name for c in self.failed],
            "checks": [c.to_dict() for c in self.checks],
            "corpus_diff": self.diff.to_dict() if self.diff else None,
        }


def _fmt_ids(ids: list[str], total: int, n: int = 10) -> str:
    shown = ", ".join(ids[:n])
    return shown + (f" … (+{total - min(n, len(ids))} more)" if total > min(n, len(ids)) else "")


def verify(
    docs: Iterable[Document] | None,
    attestation: str | os.PathLike[str],
    policy_path: str | os.PathLike[str],
    *,
    manifest: str | os.PathLike[str] | None = None,
    now: datetime | None = None,
    read_errors: Callable[[], list[str]] | None = None,
    limit: int = 1000,
    tmpdir: str | os.PathLike[str] | None = None,
    advance: Callable[[int], None] | None = None,
    corpus_paths: Sequence[str] | None = None,
    read_files: Callable[[], Sequence[str]] | None = None,
) -> VerifyReport:
    """Verify a corpus against a signed manifest attestation and a trusted-source policy.

    Args:
        docs: the corpus documents (e.g. ``CorpusReader(...).documents(errors)``); None
            checks only the attestation and manifest (reported as a failed corpus check).
        attestation: DSSE envelope (JSON) or bundle (JSONL) holding the manifest statement.
        policy_path: the verifier's policy (pinned keys, threshold, rules).
        manifest: manifest file; default: the signed subject's name next to the attestation.
        now: the time to check validity windows at (default: the current time).
        read_errors: called after reading the corpus; returns unreadable-record messages.
        corpus_paths: the paths the corpus was read from; enables the file-set rule
            (:mod:`~poisonguard.provenance.fileset`): every regular file under them must
            be read and verified, checked before and again after reading.
        read_files: returns the files the corpus reader read (with ``corpus_paths``).
    """
    rep = VerifyReport()
    now = now or utc_now()
    try:
        policy: Policy | None = load_policy(policy_path)
        assert policy is not None
        rep.add(
            "policy",
            True,
            f"{policy.path} (sha256 {policy.sha256[:16]}…, "
            f"{len(policy.keys)} pinned key(s), threshold {policy.threshold})",
        )
    except PolicyError as e:
        policy = None
        rep.add("policy", False, str(e))

    # -- envelope, signatures, then the statement (one trust path) -------------------
    trust = trusted_statement(attestation, policy, now)
    rep.checks.extend(trust.checks)
    claim = trust.claim  # signed and well formed (other trust checks reported above)

    # -- manifest ------------------------------------------------------------------
    man_path: Path | None = Path(manifest) if manifest else None
    if man_path is None and claim is not None:
        man_path = Path(attestation).resolve().parent / claim.manifest_name
    violations: dict[str, list[str]] = {name: [] for name, _ in Policy.RULES}
    v_counts = dict.fromkeys(violations, 0)

    def police(rec: dict[str, Any]) -> None:
        if policy is None:
            return
        for name, method in Policy.RULES:
            why = getattr(policy, method)(rec)
            if why:
                v_counts[name] += 1
                if len(violations[name]) < limit:
                    violations[name].append(f"{rec['id']}: {why}")

    # -- file set (before reading: nothing unverified or unsafe is opened) ------------
    before: FileSet | None = None
    if corpus_paths is not None and docs is not None:
        before = check_file_set(corpus_paths, read_files() if read_files else [])
        if before.problems:
            docs = None  # fail closed without opening anything
            rep.add(
                "file set", False, _fs_detail(before), files=before.files, problems=before.problems
            )

    manifest_ok = False
    with tempfile.TemporaryFile(dir=tmpdir) as copy:
        if man_path is None or not man_path.is_file():
            rep.add(
                "manifest",
                False,
                f"manifest not found ({man_path}); pass --manifest"
                if man_path
                else "not checked: no trusted statement names the manifest",
            )
        else:
            try:  # read once: checked, hashed and copied; the copy is compared below
                chk = check_manifest(man_path, on_record=police, copy_to=copy)
            except OSError as e:
                chk = None
                rep.add("manifest", False, f"cannot read {man_path}: {e.strerror or e}")
            if chk is not None:
                _manifest_checks(rep, chk, claim)
                manifest_ok = True
        copy.flush()
        copy.seek(0)
        _corpus_checks(
            rep, docs, copy if manifest_ok else None, read_errors, limit, tmpdir, advance
        )
    if before is not None and not before.problems:
        assert corpus_paths is not None
        after = check_file_set(corpus_paths, read_files() if read_files else [])
        after.problems.extend(changed_since(before, after))
        rep.add("file set", after.ok, _fs_detail(after), files=after.files, problems=after.problems)

    # -- policy rules ----------------------------------------------------------------
    if policy is None or not manifest_ok:
        rep.add("policy rules", False, "not checked: no policy or no manifest")
    else:
        for name, _ in Policy.RULES:
            n = v_counts[name]
            rep.add(
                f"policy: {name}",
                n == 0,
                "all records comply"
                if n == 0
                else f"{n} record(s) violate it: "
                + "; ".join(violations[name][:5])
                + (" …" if n > 5 else ""),
                violations=violations[name],
            )
    return rep


def _fs_detail(fs: FileSet) -> str:
    if fs.ok:
        n_meta = sum(f["kind"] == "metadata" for f in fs.files)
        return (
            f"{len(fs.files) - n_meta} data file(s)"
            + (f" + {n_meta} metadata file(s)" if n_meta else "")
            + ": every file under the given paths was read and verified"
        )
    if not fs.problems:
        return "no file found under the given paths"
    more = f" … (+{len(fs.problems) - 10} more)" if len(fs.problems) > 10 else ""
    return f"{len(fs.problems)} file(s) not verified: " + "; ".join(fs.problems[:10]) + more


def _manifest_checks(rep: VerifyReport, chk: ManifestCheck, claim: ManifestClaim | None) -> None:
    if claim is not None:
        want = claim.manifest_sha256
        rep.add(
            "manifest digest",
            chk.sha256 == want,
            f"sha256 {chk.sha256} = signed subject"
            if chk.sha256 == want
            else f"manifest sha256 {chk.sha256} differs from the signed subject {want} "
            "(manifest edited or swapped)",
        )
    else:
        rep.add("manifest digest", False, "not checked: no trusted statement")
    rep.add(
        "manifest format",
        chk.ok,
        f"{chk.count} canonical records sorted by id"
        if chk.ok
        else f"{chk.problem_count} problem(s): " + "; ".join(chk.problems[:5]),
        problems=chk.problems,
    )
    if claim is not None:
        root_ok = chk.root == claim.merkle_root and chk.count == claim.tree_size
        rep.add(
            "merkle root",
            root_ok,
            f"recomputed root {chk.root} over {chk.count} records = signed"
            if root_ok
            else f"recomputed root {chk.root} over {chk.count} records; signed "
            f"{claim.merkle_root} over {claim.tree_size}",
        )
    else:
        rep.add("merkle root", False, "not checked: no trusted statement")


def _corpus_checks(
    rep: VerifyReport,
    docs: Iterable[Document] | None,
    manifest: IO[bytes] | None,
    read_errors: Callable[[], list[str]] | None,
    limit: int,
    tmpdir: str | os.PathLike[str] | None,
    advance: Callable[[int], None] | None,
) -> None:
    refused: list[str] = []

    def reject(doc: Document, why: str) -> None:
        refused.append(f"{doc.origin or doc.id}: record {doc.id!r} refused: {why}")

    if docs is None:
        rep.add("corpus", False, "no corpus read")
        return
    docs = screen(docs, on_reject=reject)
    if manifest is None:
        rep.add("corpus", False, "not compared: no manifest")
        for _ in docs:  # still read it so unreadable records are reported
            pass
        diff = None
    else:
        diff = compare_corpus(
            docs, manifest, limit=limit, tmpdir=tmpdir, advance=advance, screened=True
        )
        rep.diff = diff
    errs = (read_errors() if read_errors else []) + refused
    if diff is None and not errs:
        return
    rep.add(
        "corpus readable",
        not errs,
        f"{len(errs)} unreadable or refused record(s): " + "; ".join(errs[:5])
        if errs
        else f"{diff.corpus_documents if diff else 0} documents read",
    )
    if diff is None:
        return
    parts = []
    for kind in ("missing", "extra", "changed", "duplicated"):
        n = diff.counts[kind]
        if n:
            ids = (
                [f"{c['id']} ({', '.join(c['fields'])})" for c in diff.changed]
                if kind == "changed"
                else getattr(diff, kind)
            )
            parts.append(f"{n} {kind}: {_fmt_ids(ids, n)}")
    rep.add(
        "corpus = manifest",
        diff.ok,
        "; ".join(parts)
        if parts
        else f"all {diff.corpus_documents} documents match the manifest exactly",
        counts=diff.counts,
    )
