"""The audit trail: who did what, when, with what outcome. Append-only; entries recorded
since migration 13 are sealed in a Merkle tree with signed tree heads (auditlog.py), older
ones stay hash-chained and are verified as before.

Recorded for every write (in the same transaction as the write), every refused request
(401 and 403 included) and every read of evidence: sources, custody chains, evidence
reports, exports, the audit log itself and the dashboard's pages.
"""

from service.domain import auditlog, hashchain
from service.domain.time import isoformat_z
from service.storage.db import db_rows, insert_row
from service.storage.models import AuditEntry

EXPORT_FIELDS = (
    "id",
    "at",
    "actor",
    "role",
    "method",
    "path",
    "status",
    "resource",
    "resource_id",
    "ip",
    "prev_hash",
    "hash",
    "seq",
)
HASHED_FIELDS = EXPORT_FIELDS[1:10]


def entry_fields(entry):
    return {name: getattr(entry, name) for name in HASHED_FIELDS}


# The columns a new entry fills (its id is the database's, its place in the tree the
# sequencer's).
_RECORDED = [f for f in AuditEntry._meta.sorted_fields if f.name not in ("id", "seq")]


def record(**fields):
    """Record one entry with its Merkle leaf hash: one INSERT, inside a write's transaction
    or alone (it commits by itself). Nothing is locked and no other entry is read: the
    sequencer gives it its place in the tree. The statement is written once
    (`storage.db.insert_row`), not composed by the ORM for every request (about half of an
    audited read's own cost). Returns the entry (without its id)."""
    entry = AuditEntry(**fields)
    entry.prev_hash = auditlog.MERKLE
    entry.hash = auditlog.leaf_of(entry_fields(entry))
    (values,) = db_rows(_RECORDED, [entry.__data__])
    insert_row(AuditEntry, _RECORDED, values)
    return entry


def entries(filters):
    query = AuditEntry.select().order_by(AuditEntry.id.desc())
    if filters.get("actor"):
        query = query.where(AuditEntry.actor == filters["actor"])
    if filters.get("resource"):
        query = query.where(AuditEntry.resource == filters["resource"])
    for name in ("resource_id", "status", "method"):
        if filters.get(name) is not None:
            query = query.where(getattr(AuditEntry, name) == filters[name])
    if filters.get("since") is not None:
        query = query.where(AuditEntry.at >= filters["since"])
    if filters.get("until") is not None:
        query = query.where(AuditEntry.at < filters["until"])
    return query


def entries_after(query, after):
    """`query` (entries newest first) past entry `after`: the keyset cursor."""
    return query.where(AuditEntry.id < after)


def export_row(entry):
    """An entry as exported for a court or an inspector (EXPORT_FIELDS, `at` in RFC 3339):
    every field the hash covers, so the chain can be recomputed from the export."""
    row = {name: getattr(entry, name) for name in EXPORT_FIELDS}
    row["at"] = isoformat_z(row["at"])
    return row


def verify(signer=None):
    """Recompute everything from storage: the hash chain of the entries recorded before the
    Merkle log (streamed in id order, as before), then every sealed leaf, tree head root and
    signature (checked with `signer`'s key, when given), and the unsealed entries' leaf
    hashes."""
    query = (
        AuditEntry.select()
        .where(AuditEntry.prev_hash != auditlog.MERKLE)
        .order_by(AuditEntry.id)
        .iterator()
    )
    chained, first_bad = hashchain.verify(query, entry_fields)
    tree = auditlog.verify(signer, entry_fields)
    first_invalid = first_bad.id if first_bad else tree["first_invalid_id"]
    return {
        "valid": first_bad is None and tree["valid"],
        "entries": chained + tree["sealed"] + tree["unsealed"],
        "first_invalid_id": first_invalid,
        "chained": chained,
        "sealed": tree["sealed"],
        "unsealed": tree["unsealed"],
        "tree_heads": tree["tree_heads"],
        "first_invalid_tree_size": tree["first_invalid_tree_size"],
        "subtrees": tree["subtrees"],
        "first_invalid_subtree": tree["first_invalid_subtree"],
    }
