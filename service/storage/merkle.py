"""Merkle trees as Certificate Transparency defines them (RFC 6962, section 2.1).

- leaf hash: SHA-256(0x00 || leaf data); node hash: SHA-256(0x01 || left || right).
- The tree hash of n leaves splits them at k, the largest power of two below n.
- An audit path (inclusion proof) PATH(m, D[n]) and a consistency proof PROOF(m, D[n]) are
  the lists of node hashes of RFC 6962 sections 2.1.1 and 2.1.2; `verify_inclusion` and
  `verify_consistency` check them as a client would (RFC 9162, sections 2.1.3.2, 2.1.4.2).

An append-only tree is kept as its frontier: the roots of the perfect subtrees that make up
its leaves (one per set bit of its size, largest first). Appending a leaf and computing the
root from the frontier cost O(log n); the sequencer stores the frontier with each tree head.

Proofs need hashes of ranges of leaves. Every range RFC 6962's recursion asks for starts at
a multiple of the largest power of two not above its length, so it is made of perfect
subtrees (its length's binary digits, largest first), each completed once when the tree
grew: `append` reports them, the sequencer stores them, and a proof reads O(log² n) stored
hashes instead of every leaf (`inclusion_path_of`, `consistency_proof_of`, with a function
`perfect(start, size)` giving the hash of the perfect subtree of `size` leaves from
`start`). Hashes are bytes here; the database and the API carry them as hex.
"""

import hashlib

from service.storage.db import database, execute_many
from service.storage.models import AuditNode


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


def append(frontier, leaf, completed=None):
    """The frontier [(size, hash), ...] after appending one leaf hash (changed in place).
    With `completed` (a list), the perfect subtrees of two leaves or more that the leaf
    completes are added to it as (level, index, hash): the subtree of 2**level leaves
    starting at leaf index * 2**level."""
    frontier.append((1, leaf))
    while len(frontier) > 1 and frontier[-1][0] == frontier[-2][0]:
        size, right = frontier.pop()
        _, left = frontier.pop()
        merged = (size * 2, node_hash(left, right))
        if completed is not None:
            start = sum(s for s, _ in frontier)
            completed.append((merged[0].bit_length() - 1, start // merged[0], merged[1]))
        frontier.append(merged)
    return frontier


def root(frontier):
    """The tree hash of the leaves the frontier stands for."""
    if not frontier:
        return EMPTY_ROOT
    h = frontier[-1][1]
    for _, left in reversed(frontier[:-1]):
        h = node_hash(left, h)
    return h


def range_hash(start, length, perfect):
    """MTH of the `length` leaves from `start` (a multiple of the largest power of two not
    above `length`), from the perfect subtrees that make it up."""
    if length & (length - 1) == 0:
        return perfect(start, length)
    k = _split(length)
    return node_hash(perfect(start, k), range_hash(start + k, length - k, perfect))


def inclusion_path_of(m, n, perfect):
    """PATH(m, D[n]) from perfect subtree hashes."""
    path = []
    start = 0
    while n > 1:  # RFC 6962 2.1.1, walking down to the leaf; the path lists leaf first
        k = _split(n)
        if m < k:
            path.append(range_hash(start + k, n - k, perfect))
            n = k
        else:
            path.append(range_hash(start, k, perfect))
            m, start, n = m - k, start + k, n - k
    return path[::-1]


def consistency_proof_of(m, n, perfect):
    """PROOF(m, D[n]) from perfect subtree hashes."""
    if m <= 0 or m >= n:
        return []
    proof = []
    start, whole = 0, True
    while m != n:  # RFC 6962 2.1.2's SUBPROOF, walking down
        k = _split(n)
        if m <= k:
            proof.append(range_hash(start + k, n - k, perfect))
            n = k
        else:
            proof.append(range_hash(start, k, perfect))
            m, start, n, whole = m - k, start + k, n - k, False
    if not whole:
        proof.append(range_hash(start, n, perfect))
    return proof[::-1]


def perfect_subtrees_asked(function, *args):
    """The (start, size) of every perfect subtree `function(*args, perfect)` reads (the
    recursion does not depend on the hashes): to fetch them all in one go."""
    asked = set()

    def record(start, size):
        asked.add((start, size))
        return b""

    function(*args, record)
    return asked


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


def store_subtrees(completed):
    """Keep the perfect subtrees (level, index, hash) that appending leaves completed (see
    `append`), in the caller's transaction: the sequencer's seal, the migration that
    computes those of a log sealed before they were kept."""
    execute_many(
        f'INSERT INTO "{AuditNode._meta.table_name}" ("level", "index", "hash") '
        f"VALUES ({database.param}, {database.param}, {database.param})",
        [(level, index, h.hex()) for level, index, h in completed],
    )
