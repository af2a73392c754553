"""RFC 6962 Merkle trees: the frontier gives the tree hash, and the proofs made by one
algorithm (RFC 6962 PATH/PROOF) are accepted by the other (RFC 9162's verifiers)."""

import hashlib

from service.storage import merkle


def _leaves(n):
    return [merkle.leaf_hash(f"entry {i}".encode()) for i in range(n)]


def _from(leaves):
    """Perfect subtree hashes computed from the leaves themselves (RFC 6962's MTH)."""
    return lambda start, size: merkle.tree_hash(leaves[start : start + size])


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
            path = merkle.inclusion_path_of(m, n, _from(leaves))
            assert merkle.verify_inclusion(leaves[m], m, n, path, root)
            assert not merkle.verify_inclusion(leaves[m - 1] if m else b"x" * 32, m, n, path, root)
        for m in range(1, n + 1):
            proof = merkle.consistency_proof_of(m, n, _from(leaves))
            first = merkle.tree_hash(leaves[:m])
            assert merkle.verify_consistency(m, n, first, root, proof)
            if m < n:
                assert not merkle.verify_consistency(m, n, b"\x00" * 32, root, proof)


def test_appending_reports_every_perfect_subtree_once_and_proofs_read_only_those():
    for n in range(1, 41):
        leaves = _leaves(n)
        frontier, completed = [], []
        for leaf in leaves:
            merkle.append(frontier, leaf, completed)
        stored = {(index << level, 1 << level): h for level, index, h in completed}
        # Exactly the aligned perfect subtrees of two leaves or more inside the n leaves.
        expected = {
            (start, size) for size in (2, 4, 8, 16, 32) for start in range(0, n - size + 1, size)
        }
        assert set(stored) == expected and len(completed) == len(expected), n
        for (start, size), h in stored.items():
            assert h == merkle.tree_hash(leaves[start : start + size])
        stored.update({(i, 1): leaf for i, leaf in enumerate(leaves)})

        def perfect(start, size, stored=stored):
            return stored[(start, size)]  # a KeyError if a proof asked for anything else

        root = merkle.tree_hash(leaves)
        for m in range(n):
            path = merkle.inclusion_path_of(m, n, perfect)
            assert merkle.verify_inclusion(leaves[m], m, n, path, root)
            asked = merkle.perfect_subtrees_asked(merkle.inclusion_path_of, m, n)
            assert len(asked) <= n.bit_length() ** 2
        for m in range(1, n + 1):
            proof = merkle.consistency_proof_of(m, n, perfect)
            first = merkle.tree_hash(leaves[:m])
            assert merkle.verify_consistency(m, n, first, root, proof)
