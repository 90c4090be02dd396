"""RFC 6962 arithmetic against the Certificate Transparency / transparency-dev test vectors,
every corrupted variant of a valid proof, and the plans against the literal RFC recursion."""

import random

import pytest

from wagewatch.history import merkle
from wagewatch.history.merkle import (
    CompactRange,
    consistency_plan,
    empty_root,
    fold,
    hash_leaf,
    inclusion_plan,
    root_from_inclusion_proof,
    root_from_leaf_hashes,
    verify_consistency,
    verify_inclusion,
)

from . import rfc6962

h = bytes.fromhex

# transparency-dev/merkle proof/verify_test.go (from the C++ CT merkle_tree_test.cc).
LEAVES = [h(x) for x in ["", "00", "10", "2021", "3031", "40414243", "5051525354555657", "606162636465666768696a6b6c6d6e6f"]]
ROOTS = [
    h("6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d"),
    h("fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125"),
    h("aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77"),
    h("d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"),
    h("4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4"),
    h("76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef"),
    h("ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c"),
    h("5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328"),
]
EMPTY_TREE = h("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
SOME_HASH = h("abacaba000000000000000000000000000000000000000000060061e00123456")
# (1-based leaf, tree size, proof) as in the Go test vectors.
INCLUSION_PROOFS = [
    (1, 1, []),
    (
        1,
        8,
        [
            h("96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7"),
            h("5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e"),
            h("6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"),
        ],
    ),
    (
        6,
        8,
        [
            h("bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"),
            h("ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0"),
            h("d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"),
        ],
    ),
    (3, 3, [h("fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125")]),
    (
        2,
        5,
        [
            h("6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d"),
            h("5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e"),
            h("bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"),
        ],
    ),
]
CONSISTENCY_PROOFS = [
    (1, 1, []),
    (
        1,
        8,
        [
            h("96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7"),
            h("5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e"),
            h("6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"),
        ],
    ),
    (
        6,
        8,
        [
            h("0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a"),
            h("ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0"),
            h("d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"),
        ],
    ),
    (
        2,
        5,
        [
            h("5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e"),
            h("bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"),
        ],
    ),
    (
        6,
        7,
        [
            h("0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a"),
            h("b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f"),
            h("d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"),
        ],
    ),
]
LEAF_HASHES = [hash_leaf(leaf) for leaf in LEAVES]


def stored_nodes(leaf_hashes):
    """Every perfect subtree, as TreeNode would hold them."""
    completed = []
    running = CompactRange()
    for leaf in leaf_hashes:
        running.append(leaf, completed)
    return {(level, index): digest for level, index, digest in completed}


def proof_from_plan(plan, nodes):
    return [fold([nodes[i] for i in element]) for element in plan]


def test_empty_tree_hash():
    assert empty_root() == EMPTY_TREE == root_from_leaf_hashes([])


@pytest.mark.parametrize("size", range(1, 9))
def test_roots_of_the_reference_leaves(size):
    assert root_from_leaf_hashes(LEAF_HASHES[:size]) == ROOTS[size - 1]
    assert rfc6962.mth(LEAF_HASHES[:size]) == ROOTS[size - 1]


@pytest.mark.parametrize("leaf,size,expected", INCLUSION_PROOFS)
def test_reference_inclusion_proofs_are_generated(leaf, size, expected):
    nodes = stored_nodes(LEAF_HASHES[:size])
    assert proof_from_plan(inclusion_plan(leaf - 1, size), nodes) == expected


@pytest.mark.parametrize("first,second,expected", CONSISTENCY_PROOFS)
def test_reference_consistency_proofs_are_generated(first, second, expected):
    nodes = stored_nodes(LEAF_HASHES[:second])
    assert proof_from_plan(consistency_plan(first, second), nodes) == expected


def corrupt_inclusion(index, size, proof, root, leaf):
    """The probes of transparency-dev's corruptInclusionProof."""
    probes = [
        (index - 1, size, root, leaf, proof),
        (index + 1, size, root, leaf, proof),
        (index ^ 2, size, root, leaf, proof),
        (index, size * 2, root, leaf, proof),
        (index, size // 2, root, leaf, proof),
        (index, size, root, b"WrongLeaf", proof),
        (index, size, EMPTY_TREE, leaf, proof),
        (index, size, SOME_HASH, leaf, proof),
        (index, size, root, leaf, proof + [b""]),
        (index, size, root, leaf, proof + [root]),
        (index, size, root, leaf, [b""] + proof),
        (index, size, root, leaf, [root] + proof),
    ]
    for i in range(len(proof)):
        flipped = list(proof)
        flipped[i] = bytes([flipped[i][0] ^ 8]) + flipped[i][1:]
        probes.append((index, size, root, leaf, flipped))
    if proof:
        probes.append((index, size, root, leaf, proof[:-1]))
    if len(proof) > 1:
        probes.append((index, size, root, leaf, [proof[0], SOME_HASH] + proof[1:]))
    return probes


@pytest.mark.parametrize("leaf,size,proof", INCLUSION_PROOFS)
def test_inclusion_verifies_and_every_corruption_is_refused(leaf, size, proof):
    index, root, leaf_hash = leaf - 1, ROOTS[size - 1], LEAF_HASHES[leaf - 1]
    assert root_from_inclusion_proof(index, size, leaf_hash, proof) == root
    assert verify_inclusion(index, size, leaf_hash, proof, root)
    for probe in corrupt_inclusion(index, size, proof, root, leaf_hash):
        assert not verify_inclusion(*probe[:2], probe[3], probe[4], probe[2]), probe


def test_inclusion_single_entry_and_bad_sizes():
    digest = hash_leaf(b"data")
    assert verify_inclusion(0, 1, digest, [], digest)
    assert not verify_inclusion(0, 1, b"", [], digest)
    assert not verify_inclusion(0, 1, digest, [], b"")
    assert not verify_inclusion(0, 1, b"", [], b"")
    for index, size in [(0, 0), (0, 1), (1, 0), (2, 1)]:
        assert not verify_inclusion(index, size, SOME_HASH, [], b"")
        assert not verify_inclusion(index, size, b"", [], EMPTY_TREE)
        assert not verify_inclusion(index, size, SOME_HASH, [], EMPTY_TREE)


def corrupt_consistency(first, second, root1, root2, proof):
    """The probes of transparency-dev's corruptConsistencyProof."""
    probes = [
        (first - 1, second, root1, root2, proof),
        (first + 1, second, root1, root2, proof),
        (first ^ 2, second, root1, root2, proof),
        (first, second * 2, root1, root2, proof),
        (first, second // 2, root1, root2, proof),
        (first, second, b"WrongRoot", root2, proof),
        (first, second, root1, b"WrongRoot", proof),
        (first, second, root2, root1, proof),
        (first, second, root1, root2, []),
        (first, second, root1, root2, proof + [b""]),
        (first, second, root1, root2, proof + [root1]),
        (first, second, root1, root2, proof + [root2]),
        (first, second, root1, root2, [b""] + proof),
        (first, second, root1, root2, [root1] + proof),
        (first, second, root1, root2, [root2] + proof),
        (first, second, root1, root2, [proof[0]] + proof),
        (first, second, root1, root2, proof[:-1]),
    ]
    for i in range(len(proof)):
        flipped = list(proof)
        flipped[i] = bytes([flipped[i][0] ^ 16]) + flipped[i][1:]
        probes.append((first, second, root1, root2, flipped))
    return probes


@pytest.mark.parametrize("first,second,proof", CONSISTENCY_PROOFS)
def test_consistency_verifies_and_every_corruption_is_refused(first, second, proof):
    root1, root2 = ROOTS[first - 1], ROOTS[second - 1]
    assert verify_consistency(first, second, root1, root2, proof)
    if not proof:
        return
    for probe in corrupt_consistency(first, second, root1, root2, proof):
        assert not verify_consistency(*probe), probe


def test_consistency_edge_cases():
    root1, root2 = b"don't care 1", b"don't care 2"
    assert not verify_consistency(0, 0, root1, root2, [])
    assert not verify_consistency(1, 1, root1, root2, [])
    assert verify_consistency(0, 0, root1, root1, [])
    assert verify_consistency(0, 1, root1, root2, [])
    assert verify_consistency(1, 1, root2, root2, [])
    assert not verify_consistency(1, 0, root1, root2, [])
    assert not verify_consistency(2, 1, root1, root2, [])
    assert not verify_consistency(1, 2, root1, root2, [])
    assert not verify_consistency(0, 0, EMPTY_TREE, root2, [])
    assert not verify_consistency(1, 1, EMPTY_TREE, root2, [])
    for first, second in [(0, 0), (0, 1), (1, 1)]:
        assert not verify_consistency(first, second, EMPTY_TREE, EMPTY_TREE, [EMPTY_TREE])


def random_leaves(n, seed=1):
    rng = random.Random(seed)
    return [hash_leaf(rng.randbytes(rng.randrange(0, 40))) for _ in range(n)]


def test_plans_match_the_rfc_recursion_for_every_size_up_to_70():
    leaves = random_leaves(70)
    nodes = stored_nodes(leaves)
    for size in range(1, 71):
        root = rfc6962.mth(leaves[:size])
        assert fold([nodes[i] for i in merkle.range_ids(0, size)]) == root
        for index in range(size):
            expected = rfc6962.path(index, leaves[:size])
            assert proof_from_plan(inclusion_plan(index, size), nodes) == expected
            assert verify_inclusion(index, size, leaves[index], expected, root)
        for first in range(1, size + 1):
            expected = rfc6962.proof(first, leaves[:size]) if first < size else []
            assert proof_from_plan(consistency_plan(first, size), nodes) == expected
            assert verify_consistency(first, size, rfc6962.mth(leaves[:first]), root, expected)


def test_plans_match_the_rfc_recursion_for_random_larger_sizes():
    rng = random.Random(2026)
    leaves = random_leaves(1500, seed=7)
    nodes = stored_nodes(leaves)
    for _ in range(60):
        size = rng.randrange(1, 1501)
        index = rng.randrange(size)
        first = rng.randrange(1, size + 1)
        assert proof_from_plan(inclusion_plan(index, size), nodes) == rfc6962.path(index, leaves[:size])
        expected = rfc6962.proof(first, leaves[:size]) if first < size else []
        assert proof_from_plan(consistency_plan(first, size), nodes) == expected


def test_compact_range_resumes_from_a_stored_frontier():
    leaves = random_leaves(100, seed=3)
    nodes = stored_nodes(leaves)
    for size in (0, 1, 37, 64):
        frontier = [nodes[i] for i in merkle.range_ids(0, size)]
        running = CompactRange(size, frontier)
        for leaf in leaves[size:]:
            running.append(leaf)
        assert running.root() == rfc6962.mth(leaves)
    with pytest.raises(ValueError):
        CompactRange(3, [leaves[0]])


def test_plans_refuse_impossible_arguments():
    with pytest.raises(ValueError):
        inclusion_plan(5, 5)
    with pytest.raises(ValueError):
        consistency_plan(6, 5)
