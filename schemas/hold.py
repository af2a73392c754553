from marshmallow import fields, validate

from service.domain.holds import MAX_LISTED_SOURCES

from .base import Schema
from .common import Id, PageArgs, QueryId, Text, UTCDateTime


class LegalHoldSchema(Schema):
    id = Id(dump_only=True)
    name = Text(200, min_length=1, required=True)
    authority = Text(300, allow_none=True, metadata={"description": "who ordered it"})
    reason = Text(20000, allow_none=True)
    incident_id = Id(
        allow_none=True,
        metadata={
            "description": "covers all the incident's sources, present and "
            "future; give this or source_ids"
        },
    )
    source_ids = fields.List(
        Id(),
        load_default=list,
        validate=validate.Length(max=MAX_LISTED_SOURCES),
        metadata={"description": "the sources held (empty for a hold on an incident)"},
    )
    active = fields.Boolean(dump_only=True)
    created_at = UTCDateTime(dump_only=True)
    created_by = fields.String(dump_only=True, allow_none=True)
    released_at = UTCDateTime(dump_only=True, allow_none=True)
    released_by = fields.String(dump_only=True, allow_none=True)
    release_reason = fields.String(dump_only=True, allow_none=True)


class HoldReleaseSchema(Schema):
    release_reason = Text(
        20000, allow_none=True, metadata={"description": "why the hold is released (kept)"}
    )


class LegalHoldListArgs(PageArgs):
    active = fields.Boolean()
    incident_id = QueryId(metadata={"description": "holds placed on this incident"})
    source_id = QueryId(metadata={"description": "holds covering this source, either way"})
