"""The backlog: footage waiting for someone, and footage due for disposal.

- unreviewed: held (in custody or checked out) and never reviewed, in the
  inventory for more than N days;
- not_received: identified or requested but never received, for more than N days;
- due_for_disposal (the retention query): past `retain_until` and not on legal
  hold. Holds never shorten retention; they only keep a source beyond it.

Ages count from when the source was recorded in the inventory (`created_at`).
Disposed sources are in no backlog. Everything is answered in SQL.
"""

from datetime import timedelta

from peewee import Case

from service.domain.footage import HELD
from service.domain.time import utcnow
from service.storage.models import Source

REASONS = ("unreviewed", "not_received", "due_for_disposal")
NOT_RECEIVED = ("identified", "requested")


def _conditions(older_than_days, now):
    cutoff = now - timedelta(days=older_than_days)
    return {
        "unreviewed": (Source.review_status == "unreviewed")
        & Source.custody_status.in_(HELD)
        & (Source.created_at < cutoff),
        "not_received": Source.custody_status.in_(NOT_RECEIVED) & (Source.created_at < cutoff),
        "due_for_disposal": due_for_disposal_condition(now),
    }


def due_for_disposal_condition(now=None):
    today = (now or utcnow()).date()
    return (
        (Source.retain_until < today)
        & (Source.legal_hold == False)  # noqa: E712 (SQL, not Python truth)
        & (Source.custody_status != "disposed")
    )


def due_for_disposal(now=None):
    """The retention query: sources past retain_until and not on hold, oldest due first."""
    return (
        Source.select()
        .where(due_for_disposal_condition(now))
        .order_by(Source.retain_until, Source.id)
    )


def _filtered(query, filters):
    for name in ("incident_id", "kind"):
        if filters.get(name) is not None:
            query = query.where(getattr(Source, name) == filters[name])
    return query


def backlog(filters, now=None):
    """Sources in the backlog (or in one `reason` of it), oldest first; each row carries
    a flag per reason (`in_unreviewed`, ...), computed by the database."""
    now = now or utcnow()
    conditions = _conditions(filters["older_than_days"], now)
    wanted = [filters["reason"]] if filters.get("reason") else REASONS
    flags = [Case(None, [(conditions[r], 1)], 0).alias(f"in_{r}") for r in REASONS]
    where = conditions[wanted[0]]
    for reason in wanted[1:]:
        where |= conditions[reason]
    query = Source.select(Source, *flags).where(where).order_by(Source.created_at, Source.id)
    return _filtered(query, filters)


def reasons_of(row):
    """The reasons a row of `backlog()` is in the backlog."""
    return [r for r in REASONS if getattr(row, f"in_{r}")]


def with_reasons(rows, now):
    """Rows of `backlog()` as answers: each source with its `reasons` and `age_days` (days
    since it was recorded in the inventory)."""
    rows = list(rows)
    for row in rows:
        row.reasons = reasons_of(row)
        row.age_days = (now - row.created_at).days
    return rows


def counts(filters, now=None):
    """How many sources each part of the backlog holds."""
    now = now or utcnow()
    conditions = _conditions(filters["older_than_days"], now)
    return {
        reason: _filtered(Source.select().where(condition), filters).count()
        for reason, condition in conditions.items()
    }
