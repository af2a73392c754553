from marshmallow import fields, validate

from service.domain.backlog import REASONS
from service.domain.vocabulary import SOURCE_KINDS

from .base import Schema
from .common import Choice, PageArgs, QueryId, UTCDateTime
from .source import SourceSchema


class BacklogFilters(Schema):
    older_than_days = fields.Integer(
        load_default=30,
        validate=validate.Range(0, 36500),
        metadata={"description": "age, in the inventory, past which a source is overdue"},
    )
    incident_id = QueryId()
    kind = Choice(SOURCE_KINDS)


class BacklogArgs(PageArgs, BacklogFilters):
    reason = Choice(REASONS, metadata={"description": "one part of the backlog only"})


class BacklogItemSchema(SourceSchema):
    reasons = fields.List(fields.String(metadata={"enum": list(REASONS)}))
    age_days = fields.Integer(metadata={"description": "days since recorded in the inventory"})


class BacklogSummarySchema(Schema):
    older_than_days = fields.Integer()
    as_of = UTCDateTime()
    unreviewed = fields.Integer()
    not_received = fields.Integer()
    due_for_disposal = fields.Integer()
