"""RFC 6962 Merkle tree arithmetic, independent of the database.

Every hash a proof needs is the hash of a *perfect* subtree, named (level, index): the subtree
of 2**level leaves starting at leaf index * 2**level. Storing those once (see `TreeNode`) lets a
proof read O(log n) rows; the incomplete right edge of a tree is a right fold of perfect
subtrees (`range_ids` + `fold`), which is exactly how RFC 6962 defines MTH for sizes that are not
powers of two. Verification follows RFC 9162 §2.1.3.2 and §2.1.4.2, which reject a proof of the
wrong length, so appended, prepended or missing nodes fail as well as altered ones.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence

HASH_SIZE = 32
LEAF_PREFIX = b"\x00"
NODE_PREFIX = b"\x01"
# A stored node's key: level in the high bits, index below; 2**48 leaves is far beyond any log.
INDEX_BITS = 48

NodeId = tuple[int, int]

_sha256 = hashlib.sha256


def hash_leaf(data: bytes) -> bytes:
    return _sha256(LEAF_PREFIX + data).digest()


def hash_children(left: bytes, right: bytes) -> bytes:
    return _sha256(NODE_PREFIX + left + right).digest()


def empty_root() -> bytes:
    return _sha256(b"").digest()


def node_key(level: int, index: int) -> int:
    return (level << INDEX_BITS) | index


def split_point(n: int) -> int:
    """The largest power of two strictly smaller than n (n > 1): RFC 6962's k."""
    return 1 << ((n - 1).bit_length() - 1)


def range_ids(start: int, end: int) -> list[NodeId]:
    """Perfect subtrees covering [start, end), largest first.

    Only valid for the ranges RFC 6962's recursion produces: `start` is a multiple of a power
    of two at least as large as the range, so each piece is aligned."""
    ids: list[NodeId] = []
    size = end - start
    position = start
    for level in range(size.bit_length() - 1, -1, -1):
        if size >> level & 1:
            ids.append((level, position >> level))
            position += 1 << level
    return ids


def fold(hashes: Sequence[bytes]) -> bytes:
    """MTH of consecutive perfect subtrees given largest first: combine from the right."""
    result = hashes[-1]
    for left in reversed(hashes[:-1]):
        result = hash_children(left, result)
    return result


def inclusion_plan(index: int, size: int) -> list[list[NodeId]]:
    """PATH(index, D[size]) of RFC 6962 §2.1.1, bottom first; each element is a list of
    perfect subtrees whose fold is that proof node."""
    if not 0 <= index < size:
        raise ValueError("index out of range")
    plan: list[list[NodeId]] = []
    start, n, m = 0, size, index
    while n > 1:
        k = split_point(n)
        if m < k:
            plan.append(range_ids(start + k, start + n))
            n = k
        else:
            plan.append(range_ids(start, start + k))
            start, m, n = start + k, m - k, n - k
    plan.reverse()
    return plan


def consistency_plan(first: int, second: int) -> list[list[NodeId]]:
    """PROOF(first, D[second]) of RFC 6962 §2.1.2; empty when first is 0 or equals second."""
    if not 0 <= first <= second:
        raise ValueError("sizes out of order")
    if first == 0 or first == second:
        return []
    plan: list[list[NodeId]] = []
    start, n, m, whole = 0, second, first, True
    while m != n:
        k = split_point(n)
        if m <= k:
            plan.append(range_ids(start + k, start + n))
            n = k
        else:
            plan.append(range_ids(start, start + k))
            start, m, n, whole = start + k, m - k, n - k, False
    if not whole:
        plan.append(range_ids(start, start + n))
    plan.reverse()
    return plan


class CompactRange:
    """The perfect subtrees covering leaves [0, size): a running Merkle tree.

    Appending a leaf yields every perfect subtree it completes, so a caller can store them."""

    __slots__ = ("size", "hashes")

    def __init__(self, size: int = 0, hashes: Iterable[bytes] = ()):
        self.size = size
        self.hashes = list(hashes)
        if len(self.hashes) != bin(size).count("1"):
            raise ValueError("frontier does not match size")

    def append(self, leaf: bytes, completed: list | None = None) -> None:
        """Add a leaf hash; when `completed` is a list, (level, index, hash) of every perfect
        subtree this leaf completes (the leaf itself first) is appended to it."""
        position = self.size
        node = leaf
        if completed is not None:
            completed.append((0, position, node))
        level = 0
        stack = self.hashes
        while position >> level & 1:
            node = hash_children(stack.pop(), node)
            level += 1
            if completed is not None:
                completed.append((level, position >> level, node))
        stack.append(node)
        self.size += 1

    def root(self) -> bytes:
        return fold(self.hashes) if self.hashes else empty_root()


def root_from_leaf_hashes(leaves: Iterable[bytes]) -> bytes:
    tree = CompactRange()
    for leaf in leaves:
        tree.append(leaf)
    return tree.root()


def _all_hashes(*values) -> bool:
    return all(isinstance(v, bytes | bytearray) and len(v) == HASH_SIZE for v in values)


def root_from_inclusion_proof(index: int, size: int, leaf: bytes, proof: Sequence[bytes]) -> bytes | None:
    """RFC 9162 §2.1.3.2 steps 1–4; None when the proof cannot be a proof for (index, size)."""
    if not 0 <= index < size or not _all_hashes(leaf, *proof):
        return None
    fn, sn = index, size - 1
    result = bytes(leaf)
    for node in proof:
        if sn == 0:
            return None
        if fn & 1 or fn == sn:
            result = hash_children(node, result)
            while not fn & 1 and fn:
                fn >>= 1
                sn >>= 1
        else:
            result = hash_children(result, node)
        fn >>= 1
        sn >>= 1
    if sn != 0:
        return None
    return result


def verify_inclusion(index: int, size: int, leaf: bytes, proof: Sequence[bytes], root: bytes) -> bool:
    if not _all_hashes(root):
        return False
    computed = root_from_inclusion_proof(index, size, leaf, proof)
    return computed is not None and computed == root


def verify_consistency(first: int, second: int, first_root: bytes, second_root: bytes, proof: Sequence[bytes]) -> bool:
    """RFC 9162 §2.1.4.2, with the edge cases of transparency-dev: equal sizes need equal roots
    and an empty proof; an empty first tree is consistent with anything (empty proof)."""
    if not 0 <= first <= second or not _all_hashes(*proof):
        return False
    if first == second:
        return not proof and first_root == second_root
    if first == 0:
        return not proof
    if not proof or not _all_hashes(first_root, second_root):
        return False
    path = list(proof)
    if first & (first - 1) == 0:  # a power of two: the first tree is itself a node of the second
        path.insert(0, bytes(first_root))
    fn, sn = first - 1, second - 1
    while fn & 1:
        fn >>= 1
        sn >>= 1
    fr = sr = path[0]
    for node in path[1:]:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            fr = hash_children(node, fr)
            sr = hash_children(node, sr)
            while not fn & 1 and fn:
                fn >>= 1
                sn >>= 1
        else:
            sr = hash_children(sr, node)
        fn >>= 1
        sn >>= 1
    return sn == 0 and fr == first_root and sr == second_root
