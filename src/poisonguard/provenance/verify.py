"""Verify before training, failing closed.

:func:`verify` runs every check it can and reports each one; the corpus is accepted only
when *all* pass.  A check that cannot run (e.g. no manifest because the statement did not
decode) counts as failed, never as passed.

Checks, in order: policy loads; envelope type and signatures against the policy's pinned
keys and threshold; statement type and predicate; policy digest = the one signed; time
window (created, expires, policy max age); manifest digest = signed subject; manifest
canonical, sorted, unique; recomputed Merkle root and count = signed ones; corpus readable;
corpus = manifest (missing / extra / changed / duplicated ids); policy rules per record
(sources, licences, required scans, retrieved_at window).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import orjson

from poisonguard.io import Document
from poisonguard.provenance.dsse import EnvelopeError, verify_envelope
from poisonguard.provenance.lineage import iso, parse_time, utc_now
from poisonguard.provenance.manifest import CorpusDiff, check_manifest, compare_corpus
from poisonguard.provenance.policy import Policy, PolicyError, load_policy
from poisonguard.provenance.statements import MANIFEST_PREDICATE, STATEMENT_TYPE

CLOCK_SKEW = timedelta(minutes=5)


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


def load_envelopes(path: str | os.PathLike[str]) -> list[Any]:
    """Envelopes of an attestation file: one JSON envelope, or JSON Lines (a bundle)."""
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
    return out


def _fmt_ids(ids: list[str], total: int, n: int = 10) -> str:
    shown = ", ".join(ids[:n])
    return shown + (f" … (+{total - min(n, len(ids))} more)" if total > min(n, len(ids)) else "")


def _statement_problems(st: dict[str, Any]) -> list[str]:
    probs = []
    if st.get("_type") != STATEMENT_TYPE:
        probs.append(f"_type is {st.get('_type')!r}, expected {STATEMENT_TYPE}")
    if st.get("predicateType") != MANIFEST_PREDICATE:
        probs.append(f"predicateType is {st.get('predicateType')!r}, expected {MANIFEST_PREDICATE}")
    subj = st.get("subject")
    if not (
        isinstance(subj, list)
        and len(subj) == 1
        and isinstance(subj[0], dict)
        and isinstance(subj[0].get("digest", {}).get("sha256"), str)
    ):
        probs.append("subject must be exactly one manifest with a sha256 digest")
    pred = st.get("predicate")
    if not isinstance(pred, dict):
        probs.append("predicate missing")
    else:
        for key in ("merkleRoot", "treeSize", "policy", "createdAt"):
            if key not in pred:
                probs.append(f"predicate.{key} missing")
    return probs


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

    # -- envelope and statement ------------------------------------------------------
    statement: dict[str, Any] | None = None
    try:
        envelopes = load_envelopes(attestation)
    except (OSError, EnvelopeError) as e:
        envelopes = []
        rep.add("attestation", False, f"cannot read {attestation}: {e}")
    candidates = []
    for env in envelopes:
        try:
            res = verify_envelope(
                env, policy.keys if policy else {}, policy.threshold if policy else 1
            )
        except EnvelopeError as e:
            rep.add("envelope", False, str(e))
            continue
        st = res.statement or {}
        if st.get("predicateType", MANIFEST_PREDICATE) == MANIFEST_PREDICATE or len(envelopes) == 1:
            candidates.append(res)
    if envelopes and not candidates and not any(c.name == "envelope" for c in rep.checks):
        rep.add("envelope", False, "no dataset-manifest statement in the attestation")
    if candidates:
        res = candidates[0]
        if len(candidates) > 1:
            rep.add(
                "envelope",
                False,
                f"{len(candidates)} manifest statements in one attestation; expected exactly one",
            )
        type_ok = not res.problems
        rep.add(
            "envelope",
            type_ok,
            f"DSSE, payloadType {res.payload_type}" if type_ok else "; ".join(res.problems),
        )
        sig_detail = res.summary() if policy else "no pinned keys (policy failed to load)"
        rep.add("signatures", res.signatures_ok and policy is not None, sig_detail, **res.to_dict())
        if res.statement is not None:
            probs = _statement_problems(res.statement)
            rep.add(
                "statement",
                not probs,
                "in-toto Statement v1, dataset manifest predicate"
                if not probs
                else "; ".join(probs),
            )
            if not probs:
                statement = res.statement

    pred: dict[str, Any] = statement["predicate"] if statement else {}
    subject: dict[str, Any] = statement["subject"][0] if statement else {}

    # -- policy digest and time window ---------------------------------------------
    if statement and policy:
        signed = (pred.get("policy") or {}).get("digest", {}).get("sha256")
        rep.add(
            "policy digest",
            signed == policy.sha256,
            "policy file matches the signed digest"
            if signed == policy.sha256
            else f"policy file sha256 {policy.sha256} differs from the signed {signed} "
            "(policy edited after signing, or a different policy)",
        )
    else:
        rep.add("policy digest", False, "not checked: no valid statement or policy")
    if statement:
        problems = []
        try:
            created = parse_time(pred["createdAt"])
            if created > now + CLOCK_SKEW:
                problems.append(f"created in the future ({pred['createdAt']})")
            if "expiresAt" in pred and now > parse_time(pred["expiresAt"]):
                problems.append(f"expired at {pred['expiresAt']}")
            if policy and policy.max_age and now - created > policy.max_age:
                problems.append(
                    f"older than the policy's max age ({policy.max_age.days} "
                    f"days; created {pred['createdAt']})"
                )
        except (ValueError, TypeError) as e:
            problems.append(f"bad timestamp: {e}")
        rep.add(
            "time window",
            not problems,
            "; ".join(problems)
            or f"created {pred['createdAt']}, valid until {pred.get('expiresAt', 'no expiry')}"
            f" (checked at {iso(now)})",
        )
    else:
        rep.add("time window", False, "not checked: no valid statement")

    # -- manifest ------------------------------------------------------------------
    man_path: Path | None = Path(manifest) if manifest else None
    if man_path is None and subject.get("name"):
        man_path = Path(attestation).resolve().parent / Path(str(subject["name"])).name
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

    manifest_ok = False
    if man_path is None or not man_path.is_file():
        rep.add("manifest", False, f"manifest not found ({man_path or 'no path'}); pass --manifest")
    else:
        chk = check_manifest(man_path, on_record=police)
        if subject:
            want = subject["digest"]["sha256"]
            rep.add(
                "manifest digest",
                chk.sha256 == want,
                f"sha256 {chk.sha256} = signed subject"
                if chk.sha256 == want
                else f"manifest sha256 {chk.sha256} differs from the signed subject {want} "
                "(manifest edited or swapped)",
            )
        else:
            rep.add("manifest digest", False, "not checked: no valid statement")
        rep.add(
            "manifest format",
            chk.ok,
            f"{chk.count} canonical records sorted by id"
            if chk.ok
            else f"{chk.problem_count} problem(s): " + "; ".join(chk.problems[:5]),
            problems=chk.problems,
        )
        if statement:
            root_ok = chk.root == pred.get("merkleRoot", {}).get(
                "sha256"
            ) and chk.count == pred.get("treeSize")
            rep.add(
                "merkle root",
                root_ok,
                f"recomputed root {chk.root} over {chk.count} records = signed"
                if root_ok
                else f"recomputed root {chk.root} over {chk.count} records; signed "
                f"{pred.get('merkleRoot', {}).get('sha256')} over {pred.get('treeSize')}",
            )
        else:
            rep.add("merkle root", False, "not checked: no valid statement")
        manifest_ok = True

    # -- corpus ----------------------------------------------------------------------
    if docs is None:
        rep.add("corpus", False, "no corpus given")
    elif not manifest_ok or man_path is None:
        rep.add("corpus", False, "not compared: no manifest")
        for _ in docs:  # still read it so unreadable records are reported
            pass
    else:
        diff = compare_corpus(docs, man_path, limit=limit, tmpdir=tmpdir, advance=advance)
        rep.diff = diff
        errs = read_errors() if read_errors else []
        rep.add(
            "corpus readable",
            not errs,
            f"{len(errs)} unreadable record(s): " + "; ".join(errs[:5])
            if errs
            else f"{diff.corpus_documents} documents read",
        )
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
    if (
        docs is not None
        and read_errors is not None
        and not any(c.name == "corpus readable" for c in rep.checks)
    ):
        errs = read_errors()
        if errs:
            rep.add(
                "corpus readable",
                False,
                f"{len(errs)} unreadable record(s): " + "; ".join(errs[:5]),
            )

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
