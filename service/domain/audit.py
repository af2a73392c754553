"""The audit trail: who did what, when, with what outcome. Append-only and hash-chained.

Recorded for every write (in the same transaction as the write), every refused request
(401 and 403 included) and every read of evidence: sources, custody chains, evidence
reports, exports, the audit log itself and the dashboard's pages.
"""

from service.domain import hashchain
from service.domain.time import isoformat_z
from service.storage.db import database, is_postgresql
from service.storage.models import AuditEntry

# An arbitrary constant naming the advisory lock that serialises appends on PostgreSQL.
AUDIT_LOCK_KEY = 7_240_117
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
)
HASHED_FIELDS = EXPORT_FIELDS[1:10]


def entry_fields(entry):
    return {name: getattr(entry, name) for name in HASHED_FIELDS}


def record(**fields):
    """Append one entry to the chain; call inside a transaction."""
    if is_postgresql():
        # Appends take turns, so no two entries claim the same predecessor.
        database.execute_sql("SELECT pg_advisory_xact_lock(%s)", (AUDIT_LOCK_KEY,))
    last = AuditEntry.select(AuditEntry.hash).order_by(AuditEntry.id.desc()).first()
    entry = AuditEntry(**fields)
    entry.prev_hash = last.hash if last else hashchain.GENESIS
    entry.hash = hashchain.link_hash(entry.prev_hash, entry_fields(entry))
    entry.save(force_insert=True)
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


def export_row(entry):
    """An entry as exported for a court or an inspector (EXPORT_FIELDS, `at` in RFC 3339):
    every field the hash covers, so the chain can be recomputed from the export."""
    row = {name: getattr(entry, name) for name in EXPORT_FIELDS}
    row["at"] = isoformat_z(row["at"])
    return row


def verify():
    """Recompute the whole chain from storage, streaming it in id order."""
    query = AuditEntry.select().order_by(AuditEntry.id).iterator()
    count, first_bad = hashchain.verify(query, entry_fields)
    return {
        "valid": first_bad is None,
        "entries": count,
        "first_invalid_id": first_bad.id if first_bad else None,
    }
