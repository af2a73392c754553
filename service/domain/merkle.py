"""Merkle trees as Certificate Transparency defines them (RFC 6962, section 2.1).

- leaf hash: SHA-256(0x00 || leaf data); node hash: SHA-256(0x01 || left || right).
- The tree hash of n leaves splits them at k, the largest power of two below n.
- An audit path (inclusion proof) PATH(m, D[n]) and a consistency proof PROOF(m, D[n]) are
  the lists of node hashes of RFC 6962 sections 2.1.1 and 2.1.2; `verify_inclusion` and
  `verify_consistency` check them as a client would (RFC 9162, sections 2.1.3.2, 2.1.4.2).

An append-only tree is kept as its frontier: the roots of the perfect subtrees that make up
its leaves (one per set bit of its size, largest first). Appending a leaf and computing the
root from the frontier cost O(log n); the sequencer stores the frontier with each tree head.
Hashes are bytes here; the database and the API carry them as hex.
"""

import hashlib


def leaf_hash(data):
    return hashlib.sha256(b"\x00" + data).digest()


def node_hash(left, right):
    return hashlib.sha256(b"\x01" + left + right).digest()


EMPTY_ROOT = hashlib.sha256(b"").digest()


def _split(n):
    k = 1
    while k * 2 < n:
        k *= 2
    return k


def tree_hash(leaves):
    """MTH(D[n]) of a list of leaf hashes."""
    if not leaves:
        return EMPTY_ROOT
    if len(leaves) == 1:
        return leaves[0]
    k = _split(len(leaves))
    return node_hash(tree_hash(leaves[:k]), tree_hash(leaves[k:]))


def append(frontier, leaf):
    """The frontier [(size, hash), ...] after appending one leaf hash (changed in place)."""
    frontier.append((1, leaf))
    while len(frontier) > 1 and frontier[-1][0] == frontier[-2][0]:
        size, right = frontier.pop()
        _, left = frontier.pop()
        frontier.append((size * 2, node_hash(left, right)))
    return frontier


def root(frontier):
    """The tree hash of the leaves the frontier stands for."""
    if not frontier:
        return EMPTY_ROOT
    h = frontier[-1][1]
    for _, left in reversed(frontier[:-1]):
        h = node_hash(left, h)
    return h


def inclusion_path(m, leaves):
    """PATH(m, D[n]): the audit path of leaf m (0-based) in the tree of `leaves`."""
    n = len(leaves)
    if n <= 1:
        return []
    k = _split(n)
    if m < k:
        return [*inclusion_path(m, leaves[:k]), tree_hash(leaves[k:])]
    return [*inclusion_path(m - k, leaves[k:]), tree_hash(leaves[:k])]


def consistency_proof(m, leaves):
    """PROOF(m, D[n]): that the tree of the first m leaves is a prefix of the tree of all."""
    if m <= 0 or m >= len(leaves):
        return []
    return _subproof(m, leaves, True)


def _subproof(m, leaves, whole):
    n = len(leaves)
    if m == n:
        return [] if whole else [tree_hash(leaves)]
    k = _split(n)
    if m <= k:
        return [*_subproof(m, leaves[:k], whole), tree_hash(leaves[k:])]
    return [*_subproof(m - k, leaves[k:], False), tree_hash(leaves[:k])]


def verify_inclusion(leaf, index, size, path, expected_root):
    """RFC 9162 2.1.3.2: does `path` prove leaf hash `leaf` at `index` in a tree of `size`
    leaves with root `expected_root`?"""
    if index >= size:
        return False
    fn, sn, r = index, size - 1, leaf
    for p in path:
        if sn == 0:
            return False
        if fn % 2 == 1 or fn == sn:
            r = node_hash(p, r)
            while fn % 2 == 0 and fn != 0:
                fn >>= 1
                sn >>= 1
        else:
            r = node_hash(r, p)
        fn >>= 1
        sn >>= 1
    return sn == 0 and r == expected_root


def verify_consistency(first, second, first_root, second_root, proof):
    """RFC 9162 2.1.4.2: does `proof` show the tree of `first` leaves (root `first_root`) is a
    prefix of the tree of `second` leaves (root `second_root`)?"""
    if first > second:
        return False
    if first == second:
        return not proof and first_root == second_root
    if first == 0:
        return not proof
    if not proof:
        return False
    path = list(proof)
    if first & (first - 1) == 0:  # a power of two: the first tree's root starts the walk
        path.insert(0, first_root)
    fn, sn = first - 1, second - 1
    while fn % 2 == 1:
        fn >>= 1
        sn >>= 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            return False
        if fn % 2 == 1 or fn == sn:
            fr = node_hash(c, fr)
            sr = node_hash(c, sr)
            while fn % 2 == 0 and fn != 0:
                fn >>= 1
                sn >>= 1
        else:
            sr = node_hash(sr, c)
        fn >>= 1
        sn >>= 1
    return sn == 0 and fr == first_root and sr == second_root
