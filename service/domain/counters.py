"""Per-incident counters: the one place that keeps them (see service/storage/counters.py
for what each counts).

Every write that changes what an incident's counters summarise — a source recorded,
changed, moved to another incident, its custody or review status changed, an officer's
involvement recorded or changed, an incident recorded — calls `changed(incident ids)` in
its own transaction, before it commits. New write paths (disposal, moments, imports...)
call the same function; nothing else writes the counters.
"""

import threading
from contextlib import contextmanager

from service.storage import counters as stored

_pending = threading.local()


def incidents_created(incident_ids):
    """New incidents start with every counter at zero."""
    stored.start(incident_ids)


def changed(incident_ids):
    """Recompute the counters of `incident_ids` (ids or None, duplicates allowed) inside the
    caller's transaction (inside `deferred()`, once at its end)."""
    ids = {i for i in incident_ids if i is not None}
    waiting = getattr(_pending, "ids", None)
    if waiting is not None:
        waiting |= ids
    elif ids:
        stored.recompute(ids)


@contextmanager
def deferred():
    """Within the block, `changed` only notes the incidents; they are recomputed once when
    the block ends without an error, still inside the caller's transaction (an import
    batch: one recomputation for its rows, not one per row). Recomputing from the rows as
    they are makes a noted incident whose change was rolled back harmless."""
    if getattr(_pending, "ids", None) is not None:  # already deferred further out
        yield
        return
    _pending.ids = set()
    try:
        yield
        ids = _pending.ids
    finally:
        _pending.ids = None
    if ids:
        stored.recompute(ids)


def rebuild():
    """Recompute every incident's counters from scratch; returns how many incidents."""
    return stored.rebuild()


def check(limit=100):
    """Recompute every counter and compare: {"incidents": n, "drifted": incidents that
    differ, "differences": [{incident_id, field, stored, computed}, ...] (at most `limit`)}."""
    checked, found, differing = stored.drift(limit)
    return {
        "incidents": checked,
        "drifted": differing,
        "differences": [
            {"incident_id": i, "field": f, "stored": s, "computed": c} for i, f, s, c in found
        ],
    }
