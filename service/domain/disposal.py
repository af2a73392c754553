"""Disposal: footage is destroyed only by a request and a second person's approval.

Anyone who may write (investigator, admin) asks, giving a reason; an admin other than the
requester approves, which appends the `disposed` custody event (through custody.append_event,
the only way that event is ever written) naming the request, the requester and the approver;
or rejects it with a reason. Both the request and the approval are refused (409, naming the
rule) while the source must still be kept (before its retain_until, or indefinitely) or is
under an active legal hold. A request is written once when made and once when decided.
"""

from peewee import JOIN, fn

from service.domain import custody, holds, inventory, retention
from service.domain.errors import Conflict
from service.domain.records import get_one
from service.domain.time import utcnow
from service.storage.models import CustodyEvent, DisposalRequest, Incident, Source


def get_request(request_id, lock=False):
    return get_one(
        DisposalRequest,
        DisposalRequest.id == request_id,
        f"disposal request {request_id} not found",
        lock,
    )


def list_requests(filters):
    query = DisposalRequest.select().order_by(DisposalRequest.id.desc())
    if filters.get("status"):
        query = query.where(DisposalRequest.status == filters["status"])
    if filters.get("source_id") is not None:
        query = query.where(DisposalRequest.source == filters["source_id"])
    return query


def refuse_if_kept(source):
    """409 naming the rule while `source` may not be disposed of."""
    if source.custody_status == "disposed" and source.custody_last_seq:
        raise Conflict(f"custody rule: source {source.id} was already disposed of")
    if source.retain_indefinitely:
        req = retention.requirement_for(source.incident_id)
        raise Conflict(
            f"retention rule: source {source.id} is kept indefinitely by {req.describe()}"
        )
    if retention.is_before(source.retain_until):
        req = retention.requirement_for(source.incident_id)
        why = (
            req.describe()
            if req.until == source.retain_until
            else "an extension recorded on the source"
        )
        raise Conflict(
            f"retention rule: source {source.id} must be kept until "
            f"{source.retain_until.isoformat()} (inclusive) by {why}"
        )
    hold_ids = holds.active_holds_covering(source)
    if hold_ids:
        raise Conflict(
            f"hold rule: no disposal under an active legal hold; source {source.id} is covered "
            f"by legal hold(s) {', '.join(map(str, hold_ids))}"
        )


def request_disposal(source_id, values, actor):
    source = inventory.get_source(source_id, lock=True)
    refuse_if_kept(source)
    pending = (
        DisposalRequest.select(DisposalRequest.id)
        .where((DisposalRequest.source == source.id) & (DisposalRequest.status == "pending"))
        .first()
    )
    if pending is not None:
        raise Conflict(
            f"disposal rule: source {source.id} already has pending disposal request {pending.id}"
        )
    return DisposalRequest.create(
        source=source.id, reason=values["reason"], requested_by=actor, requested_at=utcnow()
    )


def _pending(request_id):
    request = get_request(request_id, lock=True)
    if request.status != "pending":
        raise Conflict(
            f"disposal rule: request {request.id} was already {request.status} by "
            f"{request.decided_by}"
        )
    return request


def approve(request_id, actor, occurred_at=None):
    """The second person's approval: the `disposed` custody event, in this transaction
    (`occurred_at`: when the file was destroyed, default now)."""
    request = _pending(request_id)
    if request.requested_by == actor:
        raise Conflict(
            f"two-person rule: request {request.id} was made by {actor}; another admin must "
            "approve it"
        )
    source = inventory.get_source(request.source_id, lock=True)
    refuse_if_kept(source)
    event = custody.append_event(
        source.id,
        {
            "action": "disposed",
            "occurred_at": occurred_at,
            "note": (
                f"disposal request {request.id} by {request.requested_by} "
                f"({request.reason}), approved by {actor}"
            ),
        },
        actor,
        disposal=request,
    )
    request.status = "approved"
    request.decided_by = actor
    request.decided_at = event.recorded_at
    request.custody_event_seq = event.seq
    request.save()
    return request


def reject(request_id, values, actor):
    request = _pending(request_id)
    request.status = "rejected"
    request.decided_by = actor
    request.decided_at = utcnow()
    request.decision_reason = values["reason"]
    request.save()
    return request


def disposals(filters):
    """Every disposed source of the incidents the coverage filters name, newest first: the
    incident, the source, who asked, who approved, why and when. Sources disposed of before
    disposal needed a request (older databases) are listed too, their requester null and
    their approver the actor of the `disposed` event."""
    query = (
        Source.select(
            Incident.id.alias("incident_id"),
            Incident.title.alias("incident_title"),
            Source.id.alias("source_id"),
            Source.kind.alias("kind"),
            Source.officer.alias("officer_id"),
            DisposalRequest.requested_by.alias("requested_by"),
            CustodyEvent.actor.alias("approved_by"),
            fn.COALESCE(DisposalRequest.reason, CustodyEvent.note).alias("reason"),
            CustodyEvent.occurred_at.alias("at"),
            DisposalRequest.id.alias("request_id"),
        )
        .join(Incident, on=Source.incident == Incident.id)
        .switch(Source)
        .join(
            CustodyEvent,
            on=(CustodyEvent.source == Source.id) & (CustodyEvent.action == "disposed"),
        )
        .switch(Source)
        .join(
            DisposalRequest,
            JOIN.LEFT_OUTER,
            on=(DisposalRequest.source == Source.id) & (DisposalRequest.status == "approved"),
        )
        .order_by(CustodyEvent.occurred_at.desc(), Source.id.desc())
    )
    conditions = inventory.incident_conditions(filters)
    return (query.where(*conditions) if conditions else query).dicts()
