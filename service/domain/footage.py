"""What counts as footage: shared by coverage and activation (docs/coverage.md)."""

from service.domain.errors import Invalid
from service.domain.vocabulary import COUNTING
from service.storage.counters import HELD
from service.storage.models import Source

__all__ = ["HELD", "counted", "incident_window"]


def counted(counting="any", source=Source):
    """The condition on `source` (Source or an alias) for footage that counts.

    Disposed sources never count; with counting="in_custody" only sources held do.
    """
    if counting == "in_custody":
        return source.custody_status.in_(HELD)
    if counting == "any":
        return source.custody_status != "disposed"
    raise Invalid("counting", f"must be one of: {', '.join(COUNTING)}", location="query")


def incident_window(started_at, ended_at, spans):
    """[start, end] of an incident: its own times when it has ended; else what the footage shows.

    Without `ended_at` the window runs from the earlier of `started_at` and the first
    recorded moment to the last recorded moment (never before `started_at`); with no
    recorded span at all it is the single instant `started_at`.
    """
    if ended_at is not None:
        return started_at, ended_at
    if not spans:
        return started_at, started_at
    start = min(started_at, min(s[0] for s in spans))
    end = max(started_at, max(s[1] for s in spans))
    return start, end
