"""Evidence governance: retention rules, disposal requests, disclosure rules, requests and
decisions."""

from marshmallow import fields, validate

from service.domain.vocabulary import (
    COUNTED_FROM,
    DISCLOSURE_KINDS,
    DISCLOSURE_STATUSES,
    DISPOSAL_STATUSES,
    INCIDENT_TAGS,
    JURISDICTIONS,
    REQUESTER_KINDS,
)

from .base import Schema
from .common import Choice, Id, PageArgs, QueryId, Text, UTCDateTime
from .incident import IncidentFilters

MAX_RULE_DAYS = 100 * 366


class RuleMatchFields(Schema):
    """What a governance rule matches on (shared by retention and disclosure rules)."""

    id = Id(dump_only=True)
    name = Text(200, min_length=1, required=True)
    state = Text(64, allow_none=True, load_default=None, metadata={"description": "null: any"})
    agency_jurisdictions = fields.List(
        Choice(JURISDICTIONS),
        load_default=list,
        validate=validate.Length(max=len(JURISDICTIONS)),
        metadata={"description": "any of the incident's agencies' jurisdictions; empty: any"},
    )
    tags = fields.List(
        Choice(INCIDENT_TAGS),
        load_default=list,
        validate=validate.Length(max=len(INCIDENT_TAGS)),
        metadata={"description": "any of; empty: every incident"},
    )
    citation = Text(500, allow_none=True)
    summary = Text(2000, allow_none=True, metadata={"description": "the rule in one line"})
    active = fields.Boolean(load_default=True)
    created_at = UTCDateTime(dump_only=True)
    updated_at = UTCDateTime(dump_only=True)


class RetentionRuleSchema(RuleMatchFields):
    minimum_days = fields.Integer(
        strict=True,
        required=True,
        allow_none=True,
        validate=validate.Range(0, MAX_RULE_DAYS),
        metadata={"description": "null: keep indefinitely"},
    )


class RuleListArgs(PageArgs):
    active = fields.Boolean()
    state = Text(64)


class DisposalRequestSchema(Schema):
    id = Id(dump_only=True)
    source_id = Id(dump_only=True)
    reason = Text(20000, min_length=1, required=True)
    requested_by = fields.String(dump_only=True)
    requested_at = UTCDateTime(dump_only=True)
    status = fields.String(dump_only=True, metadata={"enum": list(DISPOSAL_STATUSES)})
    decided_by = fields.String(dump_only=True, allow_none=True)
    decided_at = UTCDateTime(dump_only=True, allow_none=True)
    decision_reason = fields.String(dump_only=True, allow_none=True)
    custody_event_seq = fields.Integer(dump_only=True, allow_none=True)


class RejectionSchema(Schema):
    reason = Text(20000, min_length=1, required=True)


class DisposalListArgs(PageArgs):
    status = Choice(DISPOSAL_STATUSES)
    source_id = QueryId()


class DisposalListItem(Schema):
    """One disposed source, and who asked and approved (GET /coverage/disposals)."""

    incident_id = fields.Integer()
    incident_title = fields.String()
    source_id = fields.Integer()
    kind = fields.String()
    officer_id = fields.Integer(allow_none=True)
    requested_by = fields.String(allow_none=True)
    approved_by = fields.String(allow_none=True)
    reason = fields.String(allow_none=True)
    at = UTCDateTime()
    request_id = fields.Integer(allow_none=True)


class DisposalCoverageArgs(PageArgs, IncidentFilters):
    pass


# ---------------------------------------------------------------- disclosure


class DisclosureRuleSchema(RuleMatchFields):
    requester_kind = Choice(
        REQUESTER_KINDS,
        allow_none=True,
        load_default=None,
        metadata={"description": "null: proactive public release"},
    )
    deadline_days = fields.Integer(
        strict=True, required=True, validate=validate.Range(0, MAX_RULE_DAYS)
    )
    counted_from = Choice(COUNTED_FROM, load_default="incident")


class DisclosureRequestSchema(Schema):
    id = Id(dump_only=True)
    incident_id = Id(dump_only=True)
    requester_kind = Choice(REQUESTER_KINDS, required=True)
    requester = Text(300, allow_none=True)
    received_at = UTCDateTime(required=True)
    source_ids = fields.List(
        Id(),
        load_default=list,
        validate=validate.Length(max=10_000),
        metadata={"description": "empty: all the incident's sources"},
    )
    status = fields.String(dump_only=True, metadata={"enum": list(DISCLOSURE_STATUSES)})
    deadline = UTCDateTime(dump_only=True, allow_none=True)
    created_by = fields.String(dump_only=True, allow_none=True)
    created_at = UTCDateTime(dump_only=True)


class DisclosureRequestListArgs(PageArgs):
    incident_id = QueryId()
    status = Choice(DISCLOSURE_STATUSES)
    overdue = fields.Boolean()


class DisclosureSchema(Schema):
    id = Id(dump_only=True)
    incident_id = Id(dump_only=True)
    kind = Choice(DISCLOSURE_KINDS, required=True)
    decided_at = UTCDateTime(required=True)
    basis = Text(20000, allow_none=True)
    source_ids = fields.List(Id(), load_default=list, validate=validate.Length(max=10_000))
    request_id = Id(allow_none=True, load_default=None)
    until = UTCDateTime(allow_none=True, metadata={"description": "for delayed: until when"})
    created_by = fields.String(dump_only=True, allow_none=True)
    created_at = UTCDateTime(dump_only=True)


class DisclosureListArgs(PageArgs):
    pass


class DisclosureObligationSchema(Schema):
    incident_id = fields.Integer()
    title = fields.String()
    rule_id = fields.Integer(allow_none=True)
    citation = fields.String(allow_none=True)
    requester_kind = fields.String(allow_none=True)
    request_id = fields.Integer(allow_none=True)
    deadline = UTCDateTime(allow_none=True)
    released_at = UTCDateTime(allow_none=True)
    days_late = fields.Integer(allow_none=True)
    status = fields.String(metadata={"enum": list(DISCLOSURE_STATUSES)})
    reason = fields.String(allow_none=True)


class DisclosureCoverageArgs(PageArgs, IncidentFilters):
    status = Choice(DISCLOSURE_STATUSES)
