"""Provenance: lineage ledger, signed dataset manifests, trusted-source policy, verify.

Typical use (the CLI ``poisonguard provenance ...`` wraps the same calls)::

    from poisonguard.io import CorpusReader
    from poisonguard.provenance import (Ledger, lineage_of, build_manifest, attest_manifest,
                                        load_signer, verify)

    docs = CorpusReader("web.jsonl.gz").documents()
    with Ledger("ledger.db") as led:                       # or a postgresql+psycopg:// URL
        led.ingest(lineage_of(d) for d in docs)
        build_manifest(CorpusReader("web.jsonl.gz").documents(), "out/manifest.jsonl",
                       ledger=led)
    env, _ = attest_manifest("out/manifest.jsonl", "policy.json", [load_signer("alice.key")])
    reader = CorpusReader("web.jsonl.gz")
    report = verify(reader.documents(), "out/attestation.json", "policy.json",
                    corpus_paths=["web.jsonl.gz"],              # the file-set rule
                    read_files=lambda: [s.path for s in reader.sources])
    assert report.ok, [c.detail for c in report.failed]
"""

from poisonguard.provenance.attest import attest_manifest, attest_run, cosign_manifest
from poisonguard.provenance.canonical import CanonicalError, jcs, jcs_fast
from poisonguard.provenance.croissant import croissant_metadata
from poisonguard.provenance.dsse import (
    PAYLOAD_TYPE,
    EnvelopeError,
    EnvelopeResult,
    add_signatures,
    sign_statement,
    verify_envelope,
)
from poisonguard.provenance.events import PASSING_RESULTS, Event, read_events
from poisonguard.provenance.fileset import FileSet, check_file_set
from poisonguard.provenance.keys import KeyError_, KeyPair, generate_keypair, load_signer
from poisonguard.provenance.ledger import IngestStats, Ledger, LedgerEntry
from poisonguard.provenance.licenses import spdx_id
from poisonguard.provenance.lineage import Lineage, RecordRejected, lineage_of, screen
from poisonguard.provenance.manifest import (
    CorpusDiff,
    ManifestCheck,
    ManifestError,
    ManifestSummary,
    build_manifest,
    check_manifest,
    check_proof,
    compare_corpus,
    make_proofs,
)
from poisonguard.provenance.merkle import (
    MerkleBuilder,
    inclusion_proof,
    leaf_hash,
    merkle_root,
    node_hash,
    verify_inclusion,
)
from poisonguard.provenance.policy import Policy, PolicyError, load_policy
from poisonguard.provenance.refetch import RefetchReport, record_hashes, refetch_check
from poisonguard.provenance.statements import (
    MANIFEST_PREDICATE,
    SLSA_PREDICATE,
    SVR_PREDICATE,
    dataset_statement,
    load_run,
    slsa_provenance,
    svr_statements,
)
from poisonguard.provenance.trust import ManifestClaim, TrustResult, trusted_statement
from poisonguard.provenance.verify import Check, VerifyReport, verify

__all__ = [
    "MANIFEST_PREDICATE",
    "PASSING_RESULTS",
    "PAYLOAD_TYPE",
    "SLSA_PREDICATE",
    "SVR_PREDICATE",
    "CanonicalError",
    "Check",
    "CorpusDiff",
    "EnvelopeError",
    "EnvelopeResult",
    "Event",
    "FileSet",
    "IngestStats",
    "KeyError_",
    "KeyPair",
    "Ledger",
    "LedgerEntry",
    "Lineage",
    "ManifestCheck",
    "ManifestClaim",
    "ManifestError",
    "ManifestSummary",
    "MerkleBuilder",
    "Policy",
    "PolicyError",
    "RecordRejected",
    "RefetchReport",
    "TrustResult",
    "VerifyReport",
    "add_signatures",
    "attest_manifest",
    "attest_run",
    "build_manifest",
    "check_file_set",
    "check_manifest",
    "check_proof",
    "compare_corpus",
    "cosign_manifest",
    "croissant_metadata",
    "dataset_statement",
    "generate_keypair",
    "inclusion_proof",
    "jcs",
    "jcs_fast",
    "leaf_hash",
    "lineage_of",
    "load_policy",
    "load_run",
    "load_signer",
    "make_proofs",
    "merkle_root",
    "node_hash",
    "read_events",
    "record_hashes",
    "refetch_check",
    "screen",
    "sign_statement",
    "slsa_provenance",
    "spdx_id",
    "svr_statements",
    "trusted_statement",
    "verify",
    "verify_envelope",
    "verify_inclusion",
]
