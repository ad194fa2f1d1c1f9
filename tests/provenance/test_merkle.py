"""RFC 6962 Merkle trees: known vectors, streaming = recursive definition, inclusion proofs."""

from __future__ import annotations

import hashlib

from hypothesis import given, settings
from hypothesis import strategies as st

from poisonguard.provenance.merkle import (
    MerkleBuilder,
    inclusion_proof,
    leaf_hash,
    merkle_root,
    node_hash,
    verify_inclusion,
)

# Certificate Transparency's reference test vectors (leaves and roots of sizes 1..8).
CT_LEAVES = [
    b"",
    b"\x00",
    b"\x10",
    b"\x20\x21",
    b"\x30\x31",
    b"\x40\x41\x42\x43",
    bytes(range(0x50, 0x58)),
    bytes(range(0x60, 0x70)),
]
CT_ROOTS = {
    1: "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    2: "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    3: "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
    4: "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    5: "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
    6: "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
    7: "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
    8: "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
}


def reference_mth(leaves: list[bytes]) -> bytes:
    """RFC 6962 §2.1 MTH, written recursively exactly as in the RFC."""
    n = len(leaves)
    if n == 0:
        return hashlib.sha256(b"").digest()
    if n == 1:
        return leaf_hash(leaves[0])
    k = 1
    while k * 2 < n:
        k *= 2
    return node_hash(reference_mth(leaves[:k]), reference_mth(leaves[k:]))


def test_certificate_transparency_vectors() -> None:
    assert merkle_root([]).hex() == hashlib.sha256(b"").hexdigest()
    for n, root in CT_ROOTS.items():
        assert merkle_root(CT_LEAVES[:n]).hex() == root


@settings(max_examples=200, deadline=None)
@given(st.lists(st.binary(max_size=8), max_size=70))
def test_streaming_root_equals_recursive_definition(leaves: list[bytes]) -> None:
    b = MerkleBuilder()
    for x in leaves:
        b.add(x)
    assert b.size == len(leaves)
    assert b.root == reference_mth(leaves)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.binary(min_size=1, max_size=6), min_size=1, max_size=60, unique=True), st.data())
def test_inclusion_proofs_verify_present_and_reject_absent_or_altered(
    leaves: list[bytes], data: st.DataObject
) -> None:
    root = merkle_root(leaves)
    hashes = [leaf_hash(x) for x in leaves]
    i = data.draw(st.integers(0, len(leaves) - 1))
    path = inclusion_proof(hashes, i)
    assert verify_inclusion(leaves[i], i, len(leaves), path, root)
    # altered record
    altered = leaves[i] + b"!"
    assert not verify_inclusion(altered, i, len(leaves), path, root)
    # absent record (not one of the leaves) with this or any index
    absent = data.draw(st.binary(min_size=1, max_size=6).filter(lambda b: b not in leaves))
    assert not any(
        verify_inclusion(absent, j, len(leaves), inclusion_proof(hashes, j), root)
        for j in range(len(leaves))
    )
    # wrong index, wrong size, wrong root, truncated path
    if len(leaves) > 1:
        j = (i + 1) % len(leaves)
        assert not verify_inclusion(leaves[i], j, len(leaves), path, root)
        assert not verify_inclusion(leaves[i], i, len(leaves), path[:-1], root)
    # (the tree size itself is authenticated by the signed treeSize, not by the path)
    assert not verify_inclusion(leaves[i], i, len(leaves), path, b"\x00" * 32)
    assert not verify_inclusion(leaves[i], len(leaves), len(leaves), path, root)
