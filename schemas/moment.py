"""Moments of an incident: annotations ("shots fired"), not evidence."""

from .base import Schema
from .common import Id, PageArgs, Text, UTCDateTime


class MomentSchema(Schema):
    id = Id(dump_only=True)
    incident_id = Id(dump_only=True)
    label = Text(200, min_length=1, required=True, metadata={"example": "shots fired"})
    at = UTCDateTime(required=True, metadata={"description": "the instant, true time"})
    notes = Text(20000, allow_none=True)
    created_at = UTCDateTime(dump_only=True)
    updated_at = UTCDateTime(dump_only=True)


class MomentListArgs(PageArgs):
    pass
