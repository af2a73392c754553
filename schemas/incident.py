from marshmallow import fields, validate

from service.domain.vocabulary import INCIDENT_KINDS, INCIDENT_STATUSES, INCIDENT_TAGS

from .agency import AGENCY_CODE
from .base import Schema
from .common import (
    Choice,
    Id,
    KeysetArgs,
    ListArgs,
    Text,
    UTCDateTime,
    bounded_float,
    plausible_time,
)
from .search import DistanceField, SearchArgs


class LocationSchema(Schema):
    address = Text(300, allow_none=True)
    city = Text(120, allow_none=True)
    state = Text(64, allow_none=True)
    latitude = bounded_float(-90, 90, allow_none=True)
    longitude = bounded_float(-180, 180, allow_none=True)


class IncidentSchema(Schema):
    id = Id(dump_only=True)
    external_id = Text(200, allow_none=True)
    case_number = Text(100, allow_none=True)
    cad_event_id = Text(100, allow_none=True)
    title = Text(300, min_length=1, required=True)
    kind = Choice(INCIDENT_KINDS, load_default="other")
    started_at = UTCDateTime(required=True, validate=plausible_time)
    ended_at = UTCDateTime(allow_none=True, validate=plausible_time)
    location = fields.Nested(LocationSchema, load_default=dict)
    agencies = fields.List(
        fields.String(validate=AGENCY_CODE), load_default=list, validate=validate.Length(max=50)
    )
    tags = fields.List(
        Choice(INCIDENT_TAGS),
        load_default=list,
        validate=validate.Length(max=len(INCIDENT_TAGS)),
        metadata={"description": "classification the governance rules match on"},
    )
    status = Choice(INCIDENT_STATUSES, load_default="open")
    description = Text(20000, allow_none=True)
    created_at = UTCDateTime(dump_only=True)
    updated_at = UTCDateTime(dump_only=True)
    distance_m = DistanceField()


class IncidentFilters(Schema):
    """Which incidents a question is about (shared by the incident list and coverage)."""

    kind = Choice(INCIDENT_KINDS)
    agency = fields.String(validate=AGENCY_CODE)
    state = Text(64)
    tag = Choice(INCIDENT_TAGS)
    from_ = UTCDateTime(data_key="from", metadata={"description": "started_at at or after"})
    to = UTCDateTime(metadata={"description": "started_at before"})


class IncidentListArgs(ListArgs, KeysetArgs, IncidentFilters, SearchArgs):
    status = Choice(INCIDENT_STATUSES)
    case_number = Text(100)
