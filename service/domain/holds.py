"""Legal holds: preservation orders that keep sources from being disposed of.

A hold names an incident (and then covers every source of that incident, present
and future) or a list of sources. Several holds may cover one source; the
source's `legal_hold` is true while any active hold covers it. It is kept in step
here, in the same transaction as the hold is placed or released, and by
`inventory` when a source is created or moved to another incident.
"""

from service.domain.errors import Conflict, Invalid
from service.domain.records import get_one
from service.domain.time import utcnow
from service.storage.db import attach, for_update, grouped, is_postgresql, one_of
from service.storage.models import HoldSource, Incident, LegalHold, Source

MAX_LISTED_SOURCES = 10_000


def _active():
    return LegalHold.active == True  # noqa: E712 (SQL, not Python truth)


def lock_incidents(incident_ids):
    """Make hold placement on these incidents and source creation in them take turns.

    On PostgreSQL (READ COMMITTED) a source created while a hold is being placed on its
    incident would otherwise miss the hold: neither transaction sees the other's row.
    Both lock the incident row first. On SQLite the write transaction already holds the
    whole database.
    """
    ids = sorted(set(incident_ids))
    if ids and is_postgresql():
        query = Incident.select(Incident.id).where(one_of(Incident.id, ids)).order_by(Incident.id)
        list(for_update(query).tuples())


def incident_is_on_hold(incident_id):
    """Whether an active hold covers the whole incident (and so any source added to it);
    locks the incident row so that the answer holds until the transaction ends."""
    lock_incidents([incident_id])
    return LegalHold.select().where((LegalHold.incident == incident_id) & _active()).exists()


def incidents_on_hold(incident_ids):
    """The ids among `incident_ids` that an active hold covers whole (one query for many);
    locks their rows like incident_is_on_hold."""
    lock_incidents(incident_ids)
    query = _held_by_incident().where(one_of(LegalHold.incident, incident_ids))
    return {incident_id for (incident_id,) in query.tuples()}


def _held_by_incident():
    return LegalHold.select(LegalHold.incident).where(_active() & LegalHold.incident.is_null(False))


def _held_by_listing():
    return HoldSource.select(HoldSource.source).join(LegalHold).where(_active())


def refresh_legal_hold(source_ids):
    """Set `legal_hold` on the given sources (a list or a subquery of ids) from the active
    holds, in SQL, without loading the sources."""
    Source.update(legal_hold=False).where(Source.id.in_(source_ids)).execute()
    Source.update(legal_hold=True).where(
        Source.id.in_(source_ids)
        & (Source.incident.in_(_held_by_incident()) | Source.id.in_(_held_by_listing()))
    ).execute()


def held_source_ids(source_ids):
    """Of `source_ids`, those an active hold covers (what their legal_hold should say)."""
    return {
        source_id
        for (source_id,) in Source.select(Source.id)
        .where(
            Source.id.in_(list(source_ids))
            & (Source.incident.in_(_held_by_incident()) | Source.id.in_(_held_by_listing()))
        )
        .tuples()
    }


def _covered_ids(hold):
    """A subquery of the ids of the sources `hold` covers (a hold on an incident also keeps
    covering the sources an admin moved out of it: they are listed on it, see carry_over)."""
    listed = HoldSource.select(HoldSource.source).where(HoldSource.hold == hold.id)
    if hold.incident_id is not None:
        return Source.select(Source.id).where(
            (Source.incident == hold.incident_id) | Source.id.in_(listed)
        )
    return listed


def active_holds_covering(source):
    """The ids of the active holds covering `source` (a Source), oldest first."""
    covering = LegalHold.id.in_(
        HoldSource.select(HoldSource.hold).where(HoldSource.source == source.id)
    ) | (LegalHold.incident == source.incident_id)
    query = LegalHold.select(LegalHold.id).where(_active() & covering).order_by(LegalHold.id)
    return [hold_id for (hold_id,) in query.tuples()]


def refuse_move_under_hold(source, role):
    """Holds that hold: a source under an active hold changes incident only by an admin's
    hand (returns the covering holds' ids, which carry_over keeps on it)."""
    hold_ids = active_holds_covering(source)
    if hold_ids and role != "admin":
        raise Conflict(
            f"hold rule: source {source.id} is under active legal hold(s) "
            f"{', '.join(map(str, hold_ids))}; only an admin may move it to another incident",
            {"json": {"incident_id": ["the source is under an active legal hold"]}},
        )
    return hold_ids


def carry_over(source_id, hold_ids):
    """The holds that covered a source keep covering it after it moved: each is made to
    name the source (an incident's hold then covers its own sources and this one)."""
    if hold_ids:
        HoldSource.insert_many(
            [{"hold": h, "source": source_id} for h in hold_ids]
        ).on_conflict_ignore().execute()


def listed_source_ids(hold_ids):
    """{hold id: the ids of the sources it names}."""
    return grouped(
        hold_ids,
        HoldSource.select(HoldSource.hold, HoldSource.source)
        .where(HoldSource.hold.in_(list(hold_ids)))
        .order_by(HoldSource.hold, HoldSource.source),
    )


def with_listed_sources(holds):
    """The holds, each knowing the sources it names (one query for them all)."""
    return attach(holds, "_source_ids", listed_source_ids)


def get_hold(hold_id, lock=False):
    return get_one(LegalHold, LegalHold.id == hold_id, f"legal hold {hold_id} not found", lock)


def list_holds(filters):
    """Holds, newest first; `source_id` finds every hold covering that source."""
    query = LegalHold.select().order_by(LegalHold.id.desc())
    if filters.get("active") is not None:
        query = query.where(LegalHold.active == filters["active"])
    if filters.get("incident_id") is not None:
        query = query.where(LegalHold.incident == filters["incident_id"])
    if filters.get("source_id") is not None:
        source_id = filters["source_id"]
        covering = LegalHold.id.in_(
            HoldSource.select(HoldSource.hold).where(HoldSource.source == source_id)
        )
        source = Source.get_or_none(Source.id == source_id)
        if source is not None:
            covering |= LegalHold.incident == source.incident_id
        query = query.where(covering)
    return query


def covering_incident(incident_id):
    """The holds placed on an incident or on any of its sources, oldest first."""
    listed = HoldSource.select(HoldSource.hold).join(Source).where(Source.incident == incident_id)
    return (
        LegalHold.select()
        .where((LegalHold.incident == incident_id) | LegalHold.id.in_(listed))
        .order_by(LegalHold.id)
    )


def place_hold(values, actor):
    """Place a hold on an incident or on listed sources; returns the LegalHold."""
    incident_id = values.get("incident_id")
    source_ids = list(dict.fromkeys(values.get("source_ids") or []))
    if (incident_id is None) == (not source_ids):
        raise Invalid("incident_id", "give either incident_id or source_ids (not both)")
    if incident_id is not None and Incident.get_or_none(Incident.id == incident_id) is None:
        raise Invalid("incident_id", f"incident {incident_id} does not exist")
    if incident_id is not None:
        lock_incidents([incident_id])
    if len(source_ids) > MAX_LISTED_SOURCES:
        raise Invalid("source_ids", f"at most {MAX_LISTED_SOURCES} sources per hold")
    if source_ids:
        found = {s for (s,) in Source.select(Source.id).where(Source.id.in_(source_ids)).tuples()}
        missing = [s for s in source_ids if s not in found]
        if missing:
            raise Invalid("source_ids", f"unknown source id(s): {', '.join(map(str, missing))}")
    hold = LegalHold.create(
        name=values["name"],
        authority=values.get("authority"),
        reason=values.get("reason"),
        incident=incident_id,
        created_by=actor,
    )
    if source_ids:
        HoldSource.insert_many([{"hold": hold.id, "source": s} for s in source_ids]).execute()
    # Placing a hold can only turn legal_hold on.
    Source.update(legal_hold=True).where(Source.id.in_(_covered_ids(hold))).execute()
    return hold


def release_hold(hold_id, actor, release_reason=None):
    """Release an active hold (`release_reason`: why, kept with it); its sources stay held
    while another active hold covers them."""
    hold = get_hold(hold_id, lock=True)
    if hold.incident_id is not None:
        lock_incidents([hold.incident_id])
    # Two releases covering one source take turns, so the second sees the first's release
    # when it recomputes the flag.
    list(
        for_update(
            Source.select(Source.id).where(Source.id.in_(_covered_ids(hold))).order_by(Source.id)
        )
    )
    if not hold.active:
        raise Conflict(
            f"legal hold {hold.id} was already released at {hold.released_at:%Y-%m-%d %H:%M} UTC"
            " (a released hold cannot be released again or reactivated; place a new one)"
        )
    hold.active = False
    hold.released_at = utcnow()
    hold.released_by = actor
    hold.release_reason = release_reason or None
    hold.save()
    refresh_legal_hold(_covered_ids(hold))
    return hold
