"""Time in one convention: naive UTC datetimes in storage, RFC 3339 with `Z` on the wire.

Everything looks the time up at call time (never at import), so freezegun can move it.
"""

from datetime import UTC

from service.storage.db import utcnow, without_zone

__all__ = ["isoformat_z", "to_naive_utc", "utcnow"]


def to_naive_utc(value):
    """An aware datetime converted to naive UTC; naive values are taken as UTC already."""
    if value.tzinfo is not None:
        value = without_zone(value.astimezone(UTC))
    return value


def isoformat_z(value):
    """A stored (naive UTC) datetime as RFC 3339 with `Z`; microseconds only when present."""
    if value is None:
        return None
    value = to_naive_utc(value)
    timespec = "microseconds" if value.microsecond else "seconds"
    return value.isoformat(timespec=timespec) + "Z"
