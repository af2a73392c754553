"""The audit log as a verifiable log (RFC 6962, Certificate Transparency's design).

- A request records its entry in its own transaction with the entry's Merkle **leaf hash**
  (SHA-256 of 0x00 and the canonical JSON of its fields, service/domain/hashchain.py): no
  lock, no read of any other entry, so audited requests no longer take turns.
- A **sequencer** (`seal`, run about every second by a thread in each server and by
  `evidence audit seal`) takes the entries not yet in the tree, gives them their place
  (`seq`, 0-based) in commit order, folds them into the tree from the last tree head's
  frontier, and writes a **signed tree head**: size, root hash, time, and an Ed25519
  signature by a key kept outside the database (var/audit_key.pem or
  EVIDENCE_AUDIT_KEY_FILE). Only one sequencer works at a time (a PostgreSQL advisory lock;
  SQLite's write lock); the others skip that round.
- `proof` answers an entry's RFC 6962 audit path (and a consistency proof) from the stored
  perfect subtrees; `verify` recomputes every leaf, every tree head's root and signature,
  and every stored subtree.

Tamper evidence: an entry is protected from the moment a signed tree head covers it.
Between its commit and the next seal (about a second) someone able to write the database
could change or remove it without a trace; after that, changing, removing, inserting or
reordering any sealed entry changes a root that was signed.
"""

import json
import operator
from functools import reduce

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization

from service.domain import hashchain
from service.domain.errors import Invalid, NotFound
from service.domain.time import isoformat_z, utcnow
from service.storage import merkle
from service.storage.db import database, execute_many, is_postgresql
from service.storage.instance import ed25519_key
from service.storage.models import AuditEntry, AuditNode, AuditTreeHead

# An arbitrary constant naming the advisory lock that lets one sequencer work at a time.
SEAL_LOCK_KEY = 7_240_119
# Entries folded into the tree by one seal at most (the next seal takes the rest).
SEAL_BATCH = 50_000
# Stored subtrees compared with the recomputed ones this many at a time (verify).
VERIFY_BATCH = 4096
# The `prev_hash` of an entry sealed in the Merkle tree rather than hash-chained.
MERKLE = ""


# ---------------------------------------------------------------- leaves


def leaf_of(fields):
    """The leaf hash (hex) of an entry's hashed fields."""
    return merkle.leaf_hash(hashchain.canonical_json(fields).encode("utf-8")).hex()


# ---------------------------------------------------------------- the signing key


class Signer:
    """The Ed25519 key that signs tree heads, read from (or first made in) `path`."""

    def __init__(self, path):
        self.path = path
        self.key = _load_or_make(path)
        raw = self.key.public_key().public_bytes(
            serialization.Encoding.Raw, serialization.PublicFormat.Raw
        )
        self.public_key = raw.hex()

    def sign(self, message):
        return self.key.sign(message).hex()

    def verifies(self, message, signature_hex):
        try:
            self.key.public_key().verify(bytes.fromhex(signature_hex), message)
            return True
        except (InvalidSignature, ValueError):
            return False


def _load_or_make(path):
    return ed25519_key(path)


def head_message(tree_size, root_hash, sealed_at):
    """What a tree head's signature covers."""
    return f"evidence-audit-tree-head:v1:{tree_size}:{root_hash}:{isoformat_z(sealed_at)}".encode()


# ---------------------------------------------------------------- the sequencer


def _frontier(head):
    if head is None:
        return []
    return [(size, bytes.fromhex(h)) for size, h in json.loads(head.frontier)]


def latest_head():
    return AuditTreeHead.select().order_by(AuditTreeHead.tree_size.desc()).first()


def seal(signer, limit=SEAL_BATCH):
    """Fold the entries not yet in the tree into it and sign a new tree head; returns the
    head written, or None when there was nothing to seal or another sequencer is at work."""
    with database.atomic():
        if is_postgresql():
            cursor = database.execute_sql("SELECT pg_try_advisory_xact_lock(%s)", (SEAL_LOCK_KEY,))
            if not cursor.fetchone()[0]:
                return None
        head = latest_head()
        size = head.tree_size if head else 0
        frontier = _frontier(head)
        pending = list(
            AuditEntry.select(AuditEntry.id, AuditEntry.hash)
            .where(AuditEntry.seq.is_null() & (AuditEntry.prev_hash == MERKLE))
            .order_by(AuditEntry.id)
            .limit(limit)
            .tuples()
        )
        if not pending:
            return None
        execute_many(
            f'UPDATE "audit_entry" SET "seq" = {database.param} WHERE "id" = {database.param}',
            [(size + n, entry_id) for n, (entry_id, _) in enumerate(pending)],
        )
        completed = []
        for _, leaf in pending:
            merkle.append(frontier, bytes.fromhex(leaf), completed)
        merkle.store_subtrees(completed)
        size += len(pending)
        root_hash = merkle.root(frontier).hex()
        sealed_at = utcnow()
        return AuditTreeHead.create(
            tree_size=size,
            root_hash=root_hash,
            frontier=json.dumps([[s, h.hex()] for s, h in frontier]),
            sealed_at=sealed_at,
            signature=signer.sign(head_message(size, root_hash, sealed_at)),
            public_key=signer.public_key,
        )


def tree_heads():
    return AuditTreeHead.select().order_by(AuditTreeHead.tree_size.desc())


# ---------------------------------------------------------------- proofs


def _head_of_size(tree_size):
    if tree_size is None:
        head = latest_head()
        if head is None:
            raise NotFound("no tree head has been signed yet; entries are sealed every second")
        return head
    head = AuditTreeHead.get_or_none(AuditTreeHead.tree_size == tree_size)
    if head is None:
        raise Invalid("tree_size", "no signed tree head has this size", location="query")
    return head


def subtree_hashes(wanted):
    """{(start, size): hash bytes} of perfect subtrees of the log, one query for them all:
    a leaf is its entry's hash, a larger subtree a stored node. One missing (a table
    restored from an older backup) is computed from its leaves."""
    found = {}
    leaves = [start for start, size in wanted if size == 1]
    if leaves:
        query = AuditEntry.select(AuditEntry.seq, AuditEntry.hash).where(AuditEntry.seq.in_(leaves))
        found.update({(seq, 1): bytes.fromhex(h) for seq, h in query.tuples()})
    by_level = {}
    for start, size in wanted:
        if size > 1:
            by_level.setdefault(size.bit_length() - 1, []).append(start // size)
    if by_level:
        condition = reduce(
            operator.or_,
            [
                (AuditNode.level == level) & AuditNode.index.in_(indexes)
                for level, indexes in by_level.items()
            ],
        )
        query = AuditNode.select(AuditNode.level, AuditNode.index, AuditNode.hash).where(condition)
        found.update(
            {(index << level, 1 << level): bytes.fromhex(h) for level, index, h in query.tuples()}
        )
    for start, size in set(wanted) - set(found):
        found[(start, size)] = merkle.tree_hash(_leaves(start, size))
    return found


def _leaves(start, size):
    """The leaf hashes of the `size` leaves from `start` (bytes)."""
    query = (
        AuditEntry.select(AuditEntry.hash)
        .where(AuditEntry.seq.between(start, start + size - 1))
        .order_by(AuditEntry.seq)
        .tuples()
    )
    return [bytes.fromhex(h) for (h,) in query.iterator()]


def _proved(function, *args):
    """`function(*args, perfect)` (a merkle proof) with the subtrees it reads fetched at once."""
    hashes = subtree_hashes(merkle.perfect_subtrees_asked(function, *args))
    return [h.hex() for h in function(*args, lambda start, size: hashes[(start, size)])]


def _shown(head):
    return {
        "tree_size": head.tree_size,
        "root_hash": head.root_hash,
        "sealed_at": head.sealed_at,
        "signature": head.signature,
        "public_key": head.public_key,
    }


def proof(entry_id, tree_size=None, since=None):
    """The inclusion proof of entry `entry_id` in the tree head of `tree_size` (default the
    latest), and with `since` the consistency proof from the head of that size to it."""
    entry = AuditEntry.get_or_none(AuditEntry.id == entry_id)
    if entry is None:
        raise NotFound(f"audit entry {entry_id} does not exist")
    if entry.seq is None:
        chained = entry.prev_hash != MERKLE
        raise NotFound(
            f"audit entry {entry_id} is "
            + (
                "from before the Merkle log and is covered by the hash chain (GET /audit/verify)"
                if chained
                else "not sealed yet; entries are sealed about every second"
            )
        )
    head = _head_of_size(tree_size)
    if entry.seq >= head.tree_size:
        raise Invalid(
            "tree_size", f"the tree of this size does not hold entry {entry_id} yet", "query"
        )
    answer = {
        "entry_id": entry.id,
        "leaf_index": entry.seq,
        "leaf_hash": entry.hash,
        "tree_head": _shown(head),
        "audit_path": _proved(merkle.inclusion_path_of, entry.seq, head.tree_size),
    }
    if since is not None:
        first = _head_of_size(since)
        if first.tree_size > head.tree_size:
            raise Invalid("since", "must not be larger than tree_size", location="query")
        answer["consistency"] = {
            "first_tree_head": _shown(first),
            "proof": _proved(merkle.consistency_proof_of, first.tree_size, head.tree_size),
        }
    return answer


# ---------------------------------------------------------------- verification


def verify(signer, fields_of):
    """Recompute every sealed leaf and every tree head (root and signature), and check the
    unsealed entries' leaf hashes: {"sealed", "unsealed", "tree_heads", "valid",
    "first_invalid_id", "first_invalid_tree_size"}. Without a `signer` (a copy checked
    away from the instance's key) the roots are checked and the signatures are not."""
    result = {
        "sealed": 0,
        "unsealed": 0,
        "tree_heads": 0,
        "subtrees": 0,
        "first_invalid_id": None,
        "first_invalid_tree_size": None,
        "first_invalid_subtree": None,
    }
    completed = []

    def check_subtrees():
        """The stored subtrees against those recomputed (a batch at a time)."""
        stored = subtree_hashes([(i << level, 1 << level) for level, i, _ in completed])
        for level, index, h in completed:
            result["subtrees"] += 1
            if stored[(index << level, 1 << level)] != h and not result["first_invalid_subtree"]:
                result["first_invalid_subtree"] = f"level {level} index {index}"
        completed.clear()

    heads = tree_heads().order_by(AuditTreeHead.tree_size).iterator()
    next_head = next(heads, None)
    frontier = []
    query = (
        AuditEntry.select().where(AuditEntry.seq.is_null(False)).order_by(AuditEntry.seq).iterator()
    )

    def bad_entry(entry):
        if result["first_invalid_id"] is None:
            result["first_invalid_id"] = entry.id

    def check_heads():
        nonlocal next_head
        while next_head is not None and next_head.tree_size <= result["sealed"]:
            result["tree_heads"] += 1
            ok = (
                next_head.tree_size == result["sealed"]
                and next_head.root_hash == merkle.root(frontier).hex()
                and (
                    signer is None
                    or (
                        next_head.public_key == signer.public_key
                        and signer.verifies(
                            head_message(
                                next_head.tree_size, next_head.root_hash, next_head.sealed_at
                            ),
                            next_head.signature,
                        )
                    )
                )
            )
            if not ok and result["first_invalid_tree_size"] is None:
                result["first_invalid_tree_size"] = next_head.tree_size
            next_head = next(heads, None)

    for entry in query:
        if entry.seq != result["sealed"] or entry.hash != leaf_of(fields_of(entry)):
            bad_entry(entry)  # a changed entry, or one removed, inserted or moved
        if entry.prev_hash != MERKLE:
            bad_entry(entry)
        merkle.append(frontier, bytes.fromhex(entry.hash) if _hex(entry.hash) else b"", completed)
        result["sealed"] += 1
        check_heads()
        if len(completed) >= VERIFY_BATCH:
            check_subtrees()
    check_heads()
    check_subtrees()
    stored_count = _subtrees_within(result["sealed"])
    if stored_count != result["subtrees"] and not result["first_invalid_subtree"]:
        result["first_invalid_subtree"] = (
            f"{stored_count} subtrees stored, {result['subtrees']} in the tree"
        )
    if next_head is not None and result["first_invalid_tree_size"] is None:
        # A signed head larger than the entries left: sealed entries were removed.
        result["first_invalid_tree_size"] = next_head.tree_size
    unsealed = AuditEntry.select().where(
        AuditEntry.seq.is_null() & (AuditEntry.prev_hash == MERKLE)
    )
    for entry in unsealed.order_by(AuditEntry.id).iterator():
        result["unsealed"] += 1
        if entry.hash != leaf_of(fields_of(entry)):
            bad_entry(entry)
    result["valid"] = (
        result["first_invalid_id"] is None
        and result["first_invalid_tree_size"] is None
        and result["first_invalid_subtree"] is None
    )
    return result


def _subtrees_within(size):
    """How many stored subtrees lie within the first `size` leaves (a seal running while
    verify reads may have stored more, for leaves verify has not read)."""
    levels = [
        (AuditNode.level == level) & (AuditNode.index < (size >> level))
        for level in range(1, size.bit_length())
    ]
    if not levels:
        return 0
    return AuditNode.select().where(reduce(operator.or_, levels)).count()


def _hex(value):
    try:
        bytes.fromhex(value)
        return True
    except (TypeError, ValueError):
        return False
