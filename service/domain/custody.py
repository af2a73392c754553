"""The chain of custody: the state machine of API.md and the hash chain.

Each source has an append-only chain of custody events, `seq` 1..n. Every event
stores `prev_hash` (the previous event's `hash`; 64 zeros for the first) and
`hash = sha256(prev_hash + canonical JSON of the event's fields)`, the canonical
form being documented in docs/custody.md so that anyone can recompute a chain
from an export. The source row keeps the chain's length and last hash, and new
events continue from those: an event deleted from the end of a chain, or a chain
rewritten in the database, no longer matches what the source recorded.
"""

from datetime import timedelta
from itertools import groupby

from service.domain import counters, hashchain, holds, inventory
from service.domain.errors import Conflict, Invalid
from service.domain.time import isoformat_z, to_naive_utc, utcnow
from service.domain.vocabulary import CUSTODY_ACTIONS
from service.storage.db import database
from service.storage.models import CustodyEvent, IntegrityResolution, Source

GENESIS_HASH = hashchain.GENESIS
NO_EVENTS = None  # the state of a source whose chain has not started
# Clocks of the machines reporting events may run a little ahead of ours.
CLOCK_SKEW = timedelta(minutes=5)

# The fields the hash covers, in the order exports show them.
HASHED_FIELDS = (
    "source_id",
    "seq",
    "action",
    "custodian",
    "occurred_at",
    "location",
    "sha256_observed",
    "note",
    "actor",
    "recorded_at",
)
# Hashed only when given, so chains recorded before the field existed still verify.
OPTIONAL_HASHED_FIELDS = ("late_entry_reason",)
TEXT_FIELDS = ("custodian", "location", "sha256_observed", "note", "late_entry_reason")

# action: (the custody statuses it is allowed from, in words, the status it sets or None
# to leave it). NO_EVENTS stands for "the chain has not started".
RULES = {
    "identified": ((NO_EVENTS,), "as the first event of a chain", "identified"),
    "requested": ((NO_EVENTS, "identified"), "as the first event or after identified", "requested"),
    "received": (
        (NO_EVENTS, "identified", "requested", "released"),
        "before the source was ever received, or after it was released",
        "in_custody",
    ),
    "transferred": (("in_custody",), "while in custody", "in_custody"),
    "checked_out": (("in_custody",), "while in custody", "checked_out"),
    "returned": (("checked_out",), "while checked out", "in_custody"),
    "copied": (("in_custody", "checked_out"), "while in custody or checked out", None),
    "verified": (("in_custody", "checked_out"), "while in custody or checked out", None),
    "released": (("in_custody",), "while in custody", "released"),
    # disposed: from anything but disposed, and never under an active legal hold
    "disposed": (
        (NO_EVENTS, "identified", "requested", "in_custody", "checked_out", "released"),
        "while not disposed already",
        "disposed",
    ),
}
assert set(RULES) == set(CUSTODY_ACTIONS)


# ---------------------------------------------------------------- the hash chain


# The canonical form of docs/custody.md is hashchain's, shared with the audit log.
chain_hash = hashchain.link_hash


def hashed_fields(event):
    """What the hash of `event` covers, as it is exported (timestamps as the API shows them)."""
    return {
        "source_id": event.source_id,
        "seq": event.seq,
        "action": event.action,
        "custodian": event.custodian,
        "occurred_at": isoformat_z(event.occurred_at),
        "location": event.location,
        "sha256_observed": event.sha256_observed,
        "note": event.note,
        "actor": event.actor,
        "recorded_at": isoformat_z(event.recorded_at),
        **{
            name: getattr(event, name)
            for name in OPTIONAL_HASHED_FIELDS
            if getattr(event, name, None) is not None
        },
    }


def _verdict(source_id, events, first_invalid_seq=None, problem=None, head_hash=None):
    return {
        "source_id": source_id,
        "valid": first_invalid_seq is None and problem is None,
        "events": events,
        "first_invalid_seq": first_invalid_seq,
        "head_hash": head_hash,
        "problem": problem,
    }


def verify_events(source_id, events, recorded_length, recorded_head):
    """Recompute a chain from its stored events (ordered by seq) and check it against the
    length and head hash recorded on the source. `first_invalid_seq` is the first position
    at which the chain stops being what was appended: an event changed, missing or moved."""
    prev_hash = GENESIS_HASH
    count = 0
    broken = None
    for count, event in enumerate(events, start=1):
        if broken is not None:
            continue  # keep counting the stored events
        if event.seq != count:
            broken = (count, f"event {count} is missing (the next stored event is {event.seq})")
        elif event.prev_hash != prev_hash:
            broken = (count, f"event {count} does not link to event {count - 1}")
        elif event.hash != chain_hash(prev_hash, hashed_fields(event)):
            broken = (count, f"event {count} was changed after it was recorded")
        prev_hash = event.hash
    if broken is None and count != recorded_length:
        if count < recorded_length:
            broken = (count + 1, f"events {count + 1} to {recorded_length} are missing")
        else:
            broken = (
                recorded_length + 1,
                f"event {recorded_length + 1} was not appended through the service",
            )
    elif broken is None and count and prev_hash != recorded_head:
        # Every link holds but the chain ends elsewhere than it did: it was rewritten,
        # from a point that cannot be told, so none of it can be trusted.
        broken = (1, "the chain was rewritten: it no longer ends in the hash the source recorded")
    if broken is None:
        return _verdict(source_id, count, head_hash=recorded_head)
    return _verdict(source_id, count, broken[0], broken[1], recorded_head)


def _events_query(source_ids):
    return (
        CustodyEvent.select()
        .where(CustodyEvent.source.in_(source_ids))
        .order_by(CustodyEvent.source, CustodyEvent.seq)
    )


def events_by_source(source_ids):
    """The chains of several sources in one query: {source_id: [events in seq order]}."""
    chains = {s: [] for s in source_ids}
    if source_ids:
        for source_id, events in groupby(_events_query(source_ids), key=lambda e: e.source_id):
            chains[source_id] = list(events)
    return chains


def events_after(query, after):
    """`query` (a source's events by seq) past event number `after`: the keyset cursor."""
    return query.where(CustodyEvent.seq > after)


def list_events(source):
    return CustodyEvent.select().where(CustodyEvent.source == source).order_by(CustodyEvent.seq)


def verify_source(source, events=None, resolutions=None, on_hold=None):
    """Recompute the chain, then replay the custody rules over it and compare what it implies
    (custody_status, integrity, and legal_hold from the active holds) with what the source
    row says: a status column edited in the database is reported, not trusted."""
    events = list(list_events(source) if events is None else events)
    verdict = verify_events(source.id, events, source.custody_last_seq, source.custody_head_hash)
    if resolutions is None:
        resolutions = list(resolutions_of(source.id))
    if on_hold is None:
        on_hold = source.id in holds.held_source_ids([source.id])
    expected = replay(source, events, resolutions)
    expected["legal_hold"] = on_hold
    recorded = {
        "custody_status": source.custody_status,
        "integrity": source.integrity,
        "legal_hold": source.legal_hold,
    }
    verdict["expected"], verdict["recorded"] = expected, recorded
    if verdict["valid"]:
        if expected.get("problem"):
            verdict["first_invalid_seq"] = expected["problem"][0]
            verdict["problem"] = expected["problem"][1]
            verdict["valid"] = False
        else:
            differ = [n for n in recorded if recorded[n] != expected[n]]
            if differ:
                verdict["valid"] = False
                verdict["problem"] = "the source row disagrees with its chain: " + "; ".join(
                    f"{n} is {recorded[n]!r} but the chain implies {expected[n]!r}" for n in differ
                )
    expected.pop("problem", None)
    return verdict


def replay(source, events, resolutions):
    """What a chain implies for its source: {"custody_status", "integrity", "problem"}, the
    problem being (seq, message) for the first event the rules would have refused."""
    resolved_after = {}
    for resolution in resolutions:
        resolved_after.setdefault(resolution.after_seq, []).append(resolution)
    sha = resolutions[0].previous_sha256 if resolutions else source.sha256
    status, integrity, problem = NO_EVENTS, "unverified", None
    disposed = False
    for event in events:
        message = _rule_violation(source.id, status, disposed, event.seq - 1, event.action)
        if message and problem is None:
            problem = (event.seq, f"event {event.seq} broke a rule: {message}")
        disposed = disposed or event.action == "disposed"
        status = RULES[event.action][2] or status
        integrity = integrity_after(integrity, sha, event.sha256_observed)
        for resolution in resolved_after.get(event.seq, ()):
            integrity, sha = "unverified", resolution.sha256
    return {
        "custody_status": status or "identified",
        "integrity": integrity,
        "problem": problem,
    }


def resolutions_of(source_id):
    return (
        IntegrityResolution.select()
        .where(IntegrityResolution.source == source_id)
        .order_by(IntegrityResolution.id)
    )


def verify_chain(source_id):
    """Recompute one source's chain from storage: {"valid", "events", "first_invalid_seq"}
    (plus the source id, the recorded head hash, what the chain implies for the source's
    status columns and what they say and, when broken, the problem)."""
    return verify_source(inventory.get_source(source_id))


def verify_all(source_ids=None, batch_size=500):
    """Verify every chain (or those of `source_ids`), a batch of sources at a time so that
    memory stays bounded however many events there are. Yields verdicts."""
    started = (Source.custody_last_seq > 0) | Source.id.in_(
        CustodyEvent.select(CustodyEvent.source)
    )
    query = Source.select()
    query = query.where(started if not source_ids else Source.id.in_(list(source_ids)))
    last_id = 0
    while True:
        sources = list(query.where(Source.id > last_id).order_by(Source.id).limit(batch_size))
        if not sources:
            return
        ids = [s.id for s in sources]
        chains = events_by_source(ids)
        resolutions = {s: [] for s in ids}
        for resolution in (
            IntegrityResolution.select()
            .where(IntegrityResolution.source.in_(ids))
            .order_by(IntegrityResolution.id)
        ):
            resolutions[resolution.source_id].append(resolution)
        held = holds.held_source_ids(ids)
        for source in sources:
            yield verify_source(
                source, chains[source.id], resolutions[source.id], source.id in held
            )
        last_id = sources[-1].id


# ---------------------------------------------------------------- appending


def _rule_violation(source_id, current, disposed, count, action):
    """The rule `action` would break after `count` events leaving custody status `current`
    (NO_EVENTS when there are none; `disposed`: whether any was a disposal), or None."""
    if disposed:
        return f"nothing is accepted after disposed; source {source_id} was disposed of"
    allowed, when, _ = RULES[action]
    if current not in allowed:
        state = (
            "has no custody events yet"
            if current is NO_EVENTS
            else (f"is {current} after {count} event(s)")
        )
        return f"{action} is allowed only {when}; source {source_id} {state}"
    return None


class ChainFacts:
    """What the custody rules need to know of a source's chain beyond its row, one query per
    question. The importer answers them from lookups made once for a batch of rows (and the
    events it appended meanwhile), while the rules stay defined once."""

    def disposal_seq(self, source_id):
        """The seq of the chain's disposal, or None."""
        return (
            CustodyEvent.select(CustodyEvent.seq)
            .where((CustodyEvent.source == source_id) & (CustodyEvent.action == "disposed"))
            .scalar()
        )

    def last_event(self, source):
        """The chain's last event (None without events)."""
        return CustodyEvent.get_or_none(
            (CustodyEvent.source == source.id) & (CustodyEvent.seq == source.custody_last_seq)
        )


def _check_rule(source, action, disposal=None, facts=None):
    """409 naming the rule when `action` may not follow the source's custody so far. A
    disposal is read from the chain itself, not only from the status column; a new one is
    accepted only with the approved disposal request (service/domain/disposal.py)."""
    disposed_seq = (facts or ChainFacts()).disposal_seq(source.id)
    if disposed_seq is not None:
        raise Conflict(
            f"custody rule: nothing is accepted after disposed; source {source.id} was "
            f"disposed of (event {disposed_seq})"
        )
    if action == "disposed" and disposal is None:
        raise Conflict(
            f"disposal rule: source {source.id} can be disposed of only through a disposal "
            "request approved by a second person (an admin), never by a custody event alone"
        )
    current = source.custody_status if source.custody_last_seq else NO_EVENTS
    message = _rule_violation(source.id, current, False, source.custody_last_seq, action)
    if message:
        raise Conflict(f"custody rule: {message}")
    if action == "disposed":
        covering = holds.list_holds({"source_id": source.id, "active": True})
        hold_ids = [h.id for h in covering]
        if hold_ids:
            raise Conflict(
                "custody rule: no disposal under an active legal hold; source "
                f"{source.id} is covered by legal hold(s) {', '.join(map(str, hold_ids))}"
            )


def event_values(values):
    """Checks that do not need the chain; empty text is stored as null (so that a CSV
    export, where the two look alike, still recomputes to the same hash)."""
    action = values.get("action")
    if action not in RULES:
        raise Invalid("action", f"must be one of: {', '.join(CUSTODY_ACTIONS)}")
    cleaned = {name: values.get(name) or None for name in TEXT_FIELDS}
    if cleaned["sha256_observed"]:
        cleaned["sha256_observed"] = cleaned["sha256_observed"].lower()
    if action == "transferred" and not cleaned["custodian"]:
        raise Invalid("custodian", "a transfer must name the new custodian")
    now = utcnow()
    occurred_at = values.get("occurred_at")
    occurred_at = now if occurred_at is None else to_naive_utc(occurred_at)
    if occurred_at > now + CLOCK_SKEW:
        raise Invalid("occurred_at", "must not be in the future")
    return {"action": action, "occurred_at": occurred_at, "recorded_at": now, **cleaned}


def integrity_after(integrity, sha256, observed):
    """A hash observed on the file is compared with the source's: a match verifies it, a
    difference is a finding (recorded, never refused). A mismatch stays the source's
    integrity, whatever is observed later, until an admin records a resolution."""
    if integrity == "mismatch" or not observed or not sha256:
        return integrity
    return "verified" if observed == sha256.lower() else "mismatch"


def _check_order(source, values, facts=None):
    """409 when the event would run custody backwards in time (unless `late_entry_reason`
    says why), or receive the file before the recording began."""
    occurred_at = values["occurred_at"]
    if values["action"] == "received" and source.corrected_started_at is not None:
        if occurred_at < source.corrected_started_at:
            raise Conflict(
                f"custody order: occurred_at {isoformat_z(occurred_at)} is before the "
                f"recording's corrected start {isoformat_z(source.corrected_started_at)}; "
                "a recording cannot be received before it began",
                {"json": {"occurred_at": ["before the recording's corrected start"]}},
            )
    if not source.custody_last_seq or values.get("late_entry_reason"):
        return
    previous = (facts or ChainFacts()).last_event(source)
    if previous is not None and occurred_at < previous.occurred_at:
        raise Conflict(
            f"custody order: occurred_at {isoformat_z(occurred_at)} is before event "
            f"{previous.seq} ({previous.action} at {isoformat_z(previous.occurred_at)}); "
            "give late_entry_reason to record an event late, out of time order",
            {"json": {"occurred_at": ["before the previous event's; see late_entry_reason"]}},
        )


def append_event(source, values, actor, disposal=None):
    """Append a custody event to a source's chain (`source`: a Source or its id) and
    update the source's custody_status and integrity in the same transaction.

    `values`: action, and optionally custodian, occurred_at (default now), location,
    sha256_observed, note. `actor` is who records it (a token name). Raises Conflict
    naming the rule when the action is not allowed now. `disposed` is appended only by
    service.domain.disposal when a request is approved (`disposal`: that request).
    """
    occurred_at_given = values.get("occurred_at") is not None
    values = event_values(values)
    source_id = source.id if isinstance(source, Source) else source
    with database.atomic():
        # The lock makes concurrent appends to one chain take turns (PostgreSQL; on
        # SQLite the transaction already holds the database's write lock).
        source = inventory.get_source(source_id, lock=True)
        if not occurred_at_given:
            # "Now" is read once the chain is ours: an append that waited for the lock
            # happens after the one it waited for, never before it.
            values["occurred_at"] = values["recorded_at"] = utcnow()
        event = next_event(source, values, actor, disposal)
        event.save(force_insert=True)
        source.save(only=CHAIN_COLUMNS)
        counters.changed([source.incident_id])
    # The answer says what the event did to the source.
    event.custody_status, event.integrity = source.custody_status, source.integrity
    return event


# The columns of a source that its chain sets (written by every append).
CHAIN_COLUMNS = [
    Source.custody_status,
    Source.integrity,
    Source.custody_last_seq,
    Source.custody_head_hash,
    Source.updated_at,
]


def next_event(source, values, actor, disposal=None, facts=None):
    """The event `values` (checked by event_values) appends to `source`'s chain, after the
    custody rules (409 naming the rule, `source` unchanged), not yet saved; `source` (its
    row locked by the caller) is brought to the state the event leaves it in (CHAIN_COLUMNS,
    not yet saved). The importer appends many events this way before saving them at once."""
    _check_rule(source, values["action"], disposal, facts)
    _check_order(source, values, facts)
    prev_hash = source.custody_head_hash or GENESIS_HASH
    event = CustodyEvent(
        source=source.id,
        seq=source.custody_last_seq + 1,
        actor=actor,
        prev_hash=prev_hash,
        **values,
    )
    event.hash = chain_hash(prev_hash, hashed_fields(event))
    source.custody_status = RULES[event.action][2] or source.custody_status
    source.integrity = integrity_after(source.integrity, source.sha256, event.sha256_observed)
    source.custody_last_seq = event.seq
    source.custody_head_hash = event.hash
    source.updated_at = values["recorded_at"]
    return event


def refuse_other_account(recorded, wanted):
    """Events are append-only: `wanted` (event values, as event_values makes them) for an
    event already recorded (same source, action and occurred_at) is a Conflict naming the
    fields where it says something else."""
    differ = [name for name in TEXT_FIELDS if wanted[name] != getattr(recorded, name)]
    if differ:
        raise Conflict(
            f"custody events are append-only: event {recorded.seq} of source "
            f"{recorded.source_id} ({recorded.action} at {isoformat_z(recorded.occurred_at)}) "
            f"was recorded with another {', '.join(differ)}",
            {"json": {name: ["differs from the recorded event"] for name in differ}},
        )


def resolve_mismatch(source_id, values, actor):
    """An admin's resolution of a hash mismatch: `reason` (required) and optionally
    `sha256`, the hash the source holds from now on (default: the one it had). Both the
    previous and the observed hash are kept in the resolution; integrity goes back to
    unverified, for a new `verified` event to confirm."""
    reason = (values.get("reason") or "").strip()
    if not reason:
        raise Invalid("reason", "say why the mismatch is resolved")
    with database.atomic():
        source = inventory.get_source(source_id, lock=True)
        if source.integrity != "mismatch":
            raise Conflict(
                f"source {source.id} has no hash mismatch to resolve (integrity is "
                f"{source.integrity})"
            )
        finding = (
            CustodyEvent.select()
            .where(
                (CustodyEvent.source == source.id)
                & CustodyEvent.sha256_observed.is_null(False)
                & (CustodyEvent.sha256_observed != source.sha256)
            )
            .order_by(CustodyEvent.seq.desc())
            .first()
        )
        new_sha = (values.get("sha256") or source.sha256).lower()
        if new_sha != source.sha256:
            owner = inventory.SourceFacts().sha256_owner(source.incident_id, new_sha, source.id)
            if owner is not None:
                raise Conflict(
                    f"incident {source.incident_id} already has source {owner} with sha256 "
                    f"{new_sha}",
                    {"json": {"sha256": [f"already recorded as source {owner}"]}},
                )
        resolution = IntegrityResolution.create(
            source=source.id,
            after_seq=source.custody_last_seq,
            mismatch_seq=finding.seq if finding else 0,
            previous_sha256=source.sha256,
            observed_sha256=finding.sha256_observed if finding else source.sha256,
            sha256=new_sha,
            reason=reason,
            actor=actor,
            resolved_at=utcnow(),
        )
        source.sha256, source.integrity, source.updated_at = new_sha, "unverified", utcnow()
        source.save(only=[Source.sha256, Source.integrity, Source.updated_at])
    resolution.integrity = source.integrity
    return resolution
