"""RFC 6962 (Certificate Transparency) Merkle trees over manifest records.

* leaf hash ``SHA-256(0x00 || record)``, node hash ``SHA-256(0x01 || left || right)``;
* the tree of ``n`` leaves splits at the largest power of two below ``n`` (RFC 6962 §2.1),
  so sizes that are not powers of two are handled exactly as Certificate Transparency does;
* the hash of the empty tree is ``SHA-256("")``.

:class:`MerkleBuilder` computes the root streaming, in O(log n) memory.
:func:`inclusion_proof` gives the RFC 6962 audit path of one leaf and
:func:`verify_inclusion` checks it (the algorithm of RFC 9162 §2.1.3.2).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence

EMPTY_ROOT = hashlib.sha256(b"").digest()


def leaf_hash(data: bytes) -> bytes:
    """RFC 6962 leaf hash of one record."""
    return hashlib.sha256(b"\x00" + data).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    """RFC 6962 interior node hash."""
    return hashlib.sha256(b"\x01" + left + right).digest()


class MerkleBuilder:
    """Streaming RFC 6962 tree hash: add leaves in order, then read :attr:`root`.

    Keeps one hash per set bit of the leaf count (a "compact range"), so memory is
    O(log n) whatever the number of leaves.
    """

    def __init__(self) -> None:
        self._stack: list[tuple[int, bytes]] = []
        self.size = 0

    def add(self, record: bytes) -> bytes:
        """Add one record (its bytes, not yet hashed); returns its leaf hash."""
        h = leaf_hash(record)
        self.add_leaf_hash(h)
        return h

    def add_leaf_hash(self, h: bytes) -> None:
        """Add one already-computed leaf hash."""
        stack = self._stack
        stack.append((1, h))
        self.size += 1
        while len(stack) > 1 and stack[-1][0] == stack[-2][0]:
            n, right = stack.pop()
            _, left = stack.pop()
            stack.append((2 * n, node_hash(left, right)))

    @property
    def root(self) -> bytes:
        """The tree head (Merkle root) of the leaves added so far."""
        if not self._stack:
            return EMPTY_ROOT
        h = self._stack[-1][1]
        for _, left in reversed(self._stack[:-1]):
            h = node_hash(left, h)
        return h


def merkle_root(records: Iterable[bytes]) -> bytes:
    """Root of the tree over ``records`` (bytes of each record, in order)."""
    b = MerkleBuilder()
    for r in records:
        b.add(r)
    return b.root


def _split(n: int) -> int:
    """Largest power of two strictly smaller than ``n`` (n >= 2)."""
    return 1 << ((n - 1).bit_length() - 1)


class LeafHashes:
    """Leaf hashes packed 32 bytes each (32 MB per million leaves) for audit paths."""

    def __init__(self, hashes: Iterable[bytes] = ()) -> None:
        self._buf = bytearray()
        for h in hashes:
            self.append(h)

    def append(self, h: bytes) -> None:
        if len(h) != 32:
            raise ValueError("a leaf hash is 32 bytes")
        self._buf += h

    def __len__(self) -> int:
        return len(self._buf) // 32

    def __getitem__(self, i: int) -> bytes:
        return bytes(self._buf[32 * i : 32 * i + 32])

    def subtree_root(self, start: int, end: int) -> bytes:
        """Root of the RFC 6962 tree over leaves ``[start, end)``."""
        b = MerkleBuilder()
        for i in range(start, end):
            b.add_leaf_hash(self[i])
        return b.root


def inclusion_proof(leaves: LeafHashes | Sequence[bytes], index: int) -> list[bytes]:
    """RFC 6962 audit path PATH(index, D[n]) for the leaf at ``index``."""
    lh = leaves if isinstance(leaves, LeafHashes) else LeafHashes(leaves)
    n = len(lh)
    if not 0 <= index < n:
        raise IndexError(f"leaf index {index} outside a tree of {n} leaves")
    path: list[bytes] = []
    start, end, m = 0, n, index
    while end - start > 1:
        k = _split(end - start)
        if m < k:
            path.append(lh.subtree_root(start + k, end))
            end = start + k
        else:
            path.append(lh.subtree_root(start, start + k))
            start, m = start + k, m - k
    path.reverse()  # audit paths list the sibling nearest the leaf first
    return path


def verify_inclusion(
    record: bytes, index: int, tree_size: int, path: Sequence[bytes], root: bytes
) -> bool:
    """True when ``record`` is leaf ``index`` of the tree of ``tree_size`` with ``root``."""
    if not 0 <= index < tree_size:
        return False
    fn, sn = index, tree_size - 1
    r = leaf_hash(record)
    for p in path:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            if not fn & 1:
                while not fn & 1 and fn != 0:
                    fn >>= 1
                    sn >>= 1
        else:
            r = node_hash(r, p)
        fn >>= 1
        sn >>= 1
    return sn == 0 and r == root
