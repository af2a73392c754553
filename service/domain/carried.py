"""Custody chains carried over from other systems with imported sources (CASE bundles,
service/bulk/case_import.py): stored verbatim, re-verified as the sender's chains.

Each carried event keeps the sender's fields (times as the exact strings the sender hashed),
`prev_hash` and `hash`; the hash is the sender's `sha256(prev_hash + canonical JSON)`
(docs/custody.md), so a carried chain verifies exactly as it did at the sender.
"""

from itertools import groupby

from service.domain import hashchain
from service.storage.models import CarriedCustodyEvent


def carried_fields(event):
    """What the sender's hash covers, as the sender wrote it."""
    return {
        "source_id": event.sender_source_id,
        "seq": event.seq,
        "action": event.action,
        "custodian": event.custodian,
        "occurred_at": event.occurred_at,
        "location": event.location,
        "sha256_observed": event.sha256_observed,
        "note": event.note,
        "actor": event.actor,
        "recorded_at": event.recorded_at,
        **(
            {}
            if event.late_entry_reason is None
            else {"late_entry_reason": event.late_entry_reason}
        ),
    }


def verify_chain(events):
    """(count, first invalid seq or None, problem) for one carried chain in seq order."""
    prev = hashchain.GENESIS
    count = 0
    for count, event in enumerate(events, start=1):
        if event.seq != count:
            return count, count, f"event {count} is missing"
        if event.prev_hash != prev:
            return count, count, f"event {count} does not link to event {count - 1}"
        if event.hash != hashchain.link_hash(prev, carried_fields(event)):
            return count, count, f"event {count} was changed after it was carried"
        prev = event.hash
    return count, None, None


def verify_all(source_ids=None):
    """A verdict per carried chain: {source_id, origin, valid, events, first_invalid_seq,
    head_hash, problem}, in source order."""
    query = CarriedCustodyEvent.select().order_by(
        CarriedCustodyEvent.source, CarriedCustodyEvent.origin, CarriedCustodyEvent.seq
    )
    if source_ids:
        query = query.where(CarriedCustodyEvent.source.in_(list(source_ids)))
    for (source_id, origin), events in groupby(query, key=lambda e: (e.source_id, e.origin)):
        events = list(events)
        count, first_bad, problem = verify_chain(events)
        yield {
            "source_id": source_id,
            "origin": origin,
            "valid": first_bad is None,
            "events": len(events),
            "first_invalid_seq": first_bad,
            "head_hash": events[-1].hash,
            "problem": problem,
        }
