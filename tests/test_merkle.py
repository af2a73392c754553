"""RFC 6962 Merkle trees: the frontier gives the tree hash, and the proofs made by one
algorithm (RFC 6962 PATH/PROOF) are accepted by the other (RFC 9162's verifiers)."""

import hashlib

from service.domain import merkle


def _leaves(n):
    return [merkle.leaf_hash(f"entry {i}".encode()) for i in range(n)]


def test_known_values():
    assert merkle.tree_hash([]).hex() == hashlib.sha256(b"").hexdigest()
    a, b, c = _leaves(3)
    assert merkle.tree_hash([a]) == a == hashlib.sha256(b"\x00entry 0").digest()
    assert merkle.tree_hash([a, b, c]) == merkle.node_hash(merkle.node_hash(a, b), c)


def test_frontier_roots_and_proofs_for_every_size_up_to_40():
    for n in range(41):
        leaves = _leaves(n)
        frontier = []
        for i, leaf in enumerate(leaves):
            merkle.append(frontier, leaf)
            assert merkle.root(frontier) == merkle.tree_hash(leaves[: i + 1])
        root = merkle.tree_hash(leaves)
        for m in range(n):
            path = merkle.inclusion_path(m, leaves)
            assert merkle.verify_inclusion(leaves[m], m, n, path, root)
            assert not merkle.verify_inclusion(leaves[m - 1] if m else b"x" * 32, m, n, path, root)
        for m in range(1, n + 1):
            proof = merkle.consistency_proof(m, leaves)
            first = merkle.tree_hash(leaves[:m])
            assert merkle.verify_consistency(m, n, first, root, proof)
            if m < n:
                assert not merkle.verify_consistency(m, n, b"\x00" * 32, root, proof)
